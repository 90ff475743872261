"""How `GraphRAG` answers without a model writing prose: shapes, fixed queries, verification, templates, quotes.

`Answerer` holds what is built once per data version (the schema's lexicon,
display names, the linker) and offers the pipeline's steps:

- `shape`: what kind of answer the question wants (`shape.py`);
- `page`: "who do I page for X" through ownership and on-call edges, primary
  first, with one fixed query (no model, no reuse);
- `risk`: "what is at risk now", "is X healthy" from the risk scores the app
  passes in (`RiskSource`; when no model is trained, it says so);
- `verify`: a query's rows may answer only when the query covers the question
  (`verify.py`);
- `render`: rows by templates (`render.py`); `quote`: document sections
  verbatim (`quote.py`); `abstain`: "I can't answer that from the graph" and
  the cards of the entities named.
With `llm.answers: generate` the pipeline lets the model write context answers
instead, under the repetition guard, a time budget and the citation check.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from opsgraph.rag.behind import behind_as_cause
from opsgraph.rag.chain import compose_chain
from opsgraph.rag.compare import compose_compare
from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.degree import compose_degree
from opsgraph.rag.dependency_words import compound_values
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.filtered import compose_filtered
from opsgraph.rag.impact import asks_impact, failing_unknown, generic_noun, plain_impact_words
from opsgraph.rag.impact import impact as impact_query
from opsgraph.rag.lexicon import NEGATION, NOW_PERIOD, NUMBER, PAST_ONCALL, TIME_QUALIFIER, Lexicon, build_lexicon, stem, tokens
from opsgraph.rag.most import compose_most
from opsgraph.rag.named import PhrasedLinks, ValuePhrases, people_named, phrased, plain_places, read_values
from opsgraph.rag.neighbour_property import neighbour_lookup, relation_sets
from opsgraph.rag.oncall import (
    ESCALATION,
    NamedTeam,
    OnCallEdge,
    any_owner_edge,
    covered_query,
    edge_detail_query,
    edge_props_named,
    owner_edge,
    rotation_values,
    team_by_word,
)
from opsgraph.rag.pair import compose_pair
from opsgraph.rag.quote import documents_of, quote_documents, quote_sections, section_dict
from opsgraph.rag.render import NameBook, Rendered, distinct_nodes, edge_phrase, render_page, render_rows
from opsgraph.rag.risk_ask import RiskRow as RiskRow  # the risk scores as `app/ask.py` passes them in
from opsgraph.rag.risk_ask import RiskSource, answer_risk
from opsgraph.rag.risk_ask import RiskView as RiskView
from opsgraph.rag.shape import QuestionShape, person_type, question_shape, without_paging_words
from opsgraph.rag.spelled import misspelt
from opsgraph.rag.timed import TimedQuestion, compose_timed, render_timed, span_query
from opsgraph.rag.topk import compose_topk
from opsgraph.rag.trace import Trace
from opsgraph.rag.unplanned import why_unplanned
from opsgraph.rag.verify import Verdict, verify_query
from opsgraph.retrieve.base import EntityLinker, Hit, LinkedEntity
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import declared_values
from opsgraph.store.base import GraphStore

AnswerMode = Literal["extractive", "generate"]
_EXISTENCE = re.compile(r"\b(?:any|are there|is there|have|has|got)\b", re.I)
"""Words asking whether there is any of something ("any replicas?"): a count's value answers them (more than 0)."""
ABSTAIN = "I can't answer that from the graph."
_OVERVIEW = re.compile(r"^\s*(tell me (?:about|everything about)|describe|what(?:'s| is)|who(?:'s| is)|show me|give me an overview of|overview of|info on)\b", re.I)
_ROTATION_PROPS = ("rotation", "level", "priority", "order", "role", "tier")
_CONTACT_PROPS = ("email", "phone", "slack", "slack_handle", "pager")
_RANK = {"primary": 0, "secondary": 1, "tertiary": 2, "backup": 3, "manager": 4}
_FIRST = re.compile(r"\b(first|primary)\b", re.I)
_ANY_NODES = re.compile(r"^\s*(?:(?:which|what|list(?: all)?(?: the)?)\s+(?:components?|things?|nodes?|items?|systems?)\b|what(?:'s| is| are)\s+\W*on[- ]?call for\W*$)", re.I)
_YESNO = re.compile(r"^\s*(is|are|does|do|has|have)\b", re.I)
_AGGREGATE = frozenset("average avg mean median total sum".split())
_BACKUP = re.compile(r"\b(backup|back-up|second|secondary|next in line|after the primary)\b", re.I)


@dataclass
class Outcome:
    """What one step produced: the text (template and source lines only), rows or quoted sections, and why."""

    rendered: Rendered
    kind: str
    """`rows`, `page`, `risk`, `quote`, `abstain`."""
    rows: list[dict[str, Any]] | None = None
    cypher: str | None = None
    params: dict[str, Any] | None = None
    sections: list[dict[str, Any]] | None = None
    abstained: bool = False
    source_ids: list[str] | None = None


_STATIVE_USE = re.compile(r"^\s+(use|uses|using|run|runs|running)\s*\??\s*$", re.I)
"""A verb that ends the question right after the entity ("what engine does X use?"): the entity's own property."""

_LINK_MEMO = 32
"""How many questions' links an Answerer keeps (each step of one question asks again)."""


class Answerer:
    """The steps of answering that no model takes part in; one per data version (see `app/ask.py`)."""

    def __init__(
        self,
        store: GraphStore,
        schema: GraphSchema,
        *,
        linker: EntityLinker | None = None,
        risk: RiskSource | None = None,
        skip_types: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock`: epoch seconds of now, which "this year" and "last week" are read against (tests pass a fixed one)."""
        self.store = store
        self.clock = clock
        self.schema = schema
        self.linker = linker
        self.risk_source = risk
        self.names = NameBook(store, schema, skip=skip_types)
        self.lexicon: Lexicon = build_lexicon(schema, skip_types=skip_types)
        self._skip = set(skip_types)
        self._values: dict[str, str] | None = None
        self._value_index: dict[str, list[ValueHit]] | None = None
        self._unheld: set[str] | None = None
        self._present: list[str] | None = None
        self._team_words: dict[str, set[str]] | None = None
        self._phrases: ValuePhrases | None = None
        # Each step links the question anew (shape, compose, impact, paging...): the links of the last few questions,
        # so one question is linked once. Valid for this Answerer's life (one data version).
        self._link_memo: OrderedDict[str, tuple[LinkedEntity, ...]] = OrderedDict()
        self._link_lock = threading.Lock()

    # -- shape and entities -------------------------------------------------------------
    def shape(self, question: str) -> QuestionShape:
        """The question's shape, read with the entities it names blanked out ("the Risk & Data team" asks no risk)."""
        masked = question
        for x in sorted(self.links(question), key=lambda x: len(x.surface), reverse=True):
            if x.surface:
                masked = re.sub(re.escape(x.surface), " " + "entity" + " ", masked, flags=re.I)
        shape = people_named(masked, question_shape(masked, self.schema), self.schema)
        edge = self.oncall_edge()
        if shape.shape == "person" and edge is not None and shape.wants_type == edge.person:
            named = rotation_values(edge, self.value_index(), tokens(masked))
            if named:
                # "Who is primary for the shipping service?": 'primary' lives only on the on-call edge's rotation.
                return QuestionShape("page", edge.person, False, f"a value of the on-call edge's {edge.rotation}: {', '.join(named)}")
        return shape

    def links(self, question: str) -> list[LinkedEntity]:
        if self.linker is None:
            return []
        with self._link_lock:
            hit = self._link_memo.get(question)
            if hit is not None:
                self._link_memo.move_to_end(question)
                return list(hit)
        found = tuple(x for x in self.linker.link(question) if x.node_type in self.schema.nodes and x.node_type not in self._skip)
        with self._link_lock:
            self._link_memo[question] = found
            while len(self._link_memo) > _LINK_MEMO:
                self._link_memo.popitem(last=False)
        return list(found)

    # -- paging -----------------------------------------------------------------------------
    def _oncall_edge(self) -> tuple[str, str] | None:
        """(on-call edge, the type it points at) from the person type."""
        person = person_type(self.schema)
        for name, spec in self.schema.edges.items():
            syns = " ".join(str(s) for s in getattr(spec, "synonyms", None) or []).lower()
            if ("ON_CALL" in name.upper() or "ONCALL" in name.upper() or "on call" in syns or "page" in syns) and person in spec.from_types:
                return name, spec.to_types[0]
        return None

    def oncall_edge(self) -> OnCallEdge | None:
        """The schema's on-call edge with its person and team types and its rotation-like property, if it has one."""
        found = self._oncall_edge()
        person = person_type(self.schema)
        if found is None or person is None or found[0] in self._skip:
            return None
        rot = next((p for p in _ROTATION_PROPS if p in self.schema.edges[found[0]].properties), None)
        return OnCallEdge(found[0], person, found[1], rot)

    def _owner_edge(self, team: str, anchor_type: str) -> str | None:
        return owner_edge(self.schema, team, anchor_type)

    def page(self, question: str, trace: Trace) -> Outcome | None:
        """Who to page for the entity the question names; None when the schema has no on-call edge or nothing is named."""
        found = self._oncall_edge()
        links = self.links(question)
        person = person_type(self.schema)
        if found is None or person is None:
            return None
        oncall, team = found
        anchor: LinkedEntity | NamedTeam | None = next((x for x in links if x.node_type != person), None)
        if anchor is None and not links:
            anchor = self._team_named_in_part(question, team)
        if anchor is None:
            return None
        if re.search(r"\b(?:else|besides|other than|apart from|except)\b", question, re.I):
            # "Who else is on call for payments besides Rachel?": the paging answer would list Rachel too.
            return None
        if len({x.node_id for x in links if x.node_type != person}) > 1:
            # "Is anyone from payments on call for the orders team?" names two: paging one of them answers neither.
            return None
        masked = question
        for x in links:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
        if TIME_QUALIFIER.search(re.sub(r"\bthis (?:week|shift|rotation)\b", " ", masked, flags=re.I)) or PAST_ONCALL.search(masked):
            # "Who is on call next week?", "who was on call when INC-7 happened?": the graph holds the current rotation
            # only ("this week" is the current one).
            return None
        rest = tokens(without_paging_words(masked))
        if _AGGREGATE & set(rest):
            return None  # "the average time to acknowledge a page for X" asks for a number, not for whom to page
        spec = self.schema.edges[oncall]
        rot = next((p for p in _ROTATION_PROPS if p in spec.properties), None)
        contacts = [p for p in _CONTACT_PROPS if p in self.schema.nodes[person].properties]
        named_rot = sorted({h.value for w in tokens(masked) for h in self.value_index().get(w, ()) if h.on_edge and h.owner == oncall and h.prop == rot})
        # "... and when does their shift end?": the on-call edge's properties the question names are shown too.
        shown = edge_props_named(oncall, self.schema, self.lexicon, without_paging_words(masked))
        phrases, _ = self.lexicon.phrase_cues(without_paging_words(masked))
        cued = {p for ps in [*self.lexicon.prop_cues(rest).values(), *phrases.values()] for p in ps} - set(shown)
        # A property of the person on call ("what timezone is the secondary for risk in?") is shown with them; it was
        # not counted as asked, and the paging answer went without it (edge_roles.py's helper, session 12).
        personal = (cued & set(self.schema.nodes[person].properties)) - set(contacts) - {"id", "name"}
        held = set(self.schema.nodes[anchor.node_type].properties) | set(self.schema.nodes[team].properties) | personal
        asked_props = cued & held
        if asked_props and not (asked_props <= set(contacts) | personal and (named_rot or "oncall" in tokens(masked))):
            # "What is the pager schedule of the Catalog team?" (or "the Slack channel of the team on call for X") asks
            # for a property, not for people; "the e-mail of the primary on call for Payments" asks for the on-call
            # person's, which the paging answer shows.
            return None
        owns = self._owner_edge(team, anchor.node_type)
        if any(not es & {oncall, owns} for es in self.lexicon.edge_cues(rest).values()):
            # "Who is on call for the services that depend on X?" walks more than ownership and on-call: the query
            # retrievers answer it (verified), not the fixed paging query. A word that may mean on-call ("covers")
            # means it here.
            return None
        cols = ["p.id AS person", "t.id AS team"] + ([f"r.{rot} AS {rot}"] if rot else []) + [f"p.{c} AS {c}" for c in contacts]
        cols += [f"r.{p} AS {p}" for p in shown if p != rot]
        cols += [f"p.{p} AS {p}" for p in sorted(personal & asked_props)]
        if anchor.node_type == team:
            cypher = f"MATCH (p:{person})-[r:{oncall}]->(t:{team} {{id: $id}}) RETURN {', '.join(cols)}"
        else:
            if owns is None:
                return None
            cypher = f"MATCH (t:{team})-[:{owns}]->(n:{anchor.node_type} {{id: $id}}) MATCH (p:{person})-[r:{oncall}]->(t) RETURN {', '.join(cols)}"
        params: dict[str, Any] = {"id": anchor.node_id}
        # "If the primary doesn't pick up, who do I escalate to?": the rotation after the one named.
        after = bool(named_rot) and bool(ESCALATION.search(masked) or ESCALATION.search(question))
        if rot and named_rot and not after:
            # "Who is the primary on call for Payments?": only the rotation named.
            cypher = cypher.replace(" RETURN ", f" WHERE r.{rot} IN $rotations RETURN ", 1)
            params["rotations"] = named_rot
        with trace.stage("page") as stage:
            rows = list(self.store.query(cypher, params, limit=100, timeout_ms=5_000).rows)
            if rot:
                rows.sort(key=lambda r: (_RANK.get(str(r.get(rot) or "").lower(), 9), str(r.get(rot) or ""), str(r.get("person"))))
                ranks = sorted({_RANK.get(str(r.get(rot) or "").lower(), 9) for r in rows})
                if after:
                    past = max(_RANK.get(v.lower(), 9) for v in named_rot)
                    wanted = [k for k in ranks if k > past][:1]
                else:
                    # "Who do I page first?" wants the first rotation only; "who is the backup?" the second.
                    wanted = ranks[:1] if _FIRST.search(masked) else ranks[1:2] if _BACKUP.search(masked) else ranks
                if after or (not named_rot and len(ranks) > 1):
                    rows = [r for r in rows if _RANK.get(str(r.get(rot) or "").lower(), 9) in wanted]
            stage.detail = {"anchor": anchor.node_id, "cypher": cypher, "params": params, "rows": len(rows), "after": named_rot if after else None}
        rendered = render_page(anchor.node_id, rows, self.names)
        if _YESNO.match(masked) and not NEGATION.search(masked):
            # "Is anyone on call for the Gemini API?": yes with who, or no.
            out_rows = [{**r, "answer": True} for r in rows] if rows else [{"answer": False}]
            rendered = Rendered(("Yes. " if rows else "No. ") + rendered.header, rendered.lines)
            return Outcome(rendered, "page", rows=out_rows, cypher=cypher, params=params)
        return Outcome(rendered, "page", rows=rows, cypher=cypher, params=params)

    def _team_named_in_part(self, question: str, team: str) -> LinkedEntity | NamedTeam | None:
        """"Who is on call for risk?": the one team (the on-call edge's target) a word of whose name or aliases is
        every word the question has left after its paging words; the linker leaves such a common word unlinked."""
        if self._team_words is None:
            spec = self.schema.nodes[team]
            props = [p for p in (spec.name_property, spec.aliases_property) if p]
            found: dict[str, set[str]] = {}
            if props:
                cypher = f"MATCH (t:{team}) RETURN t.id AS id, " + ", ".join(f"t.{p} AS {p}" for p in props)
                for r in self.store.query(cypher, limit=1000, timeout_ms=5_000).rows:
                    vals: list[str] = []
                    for p in props:
                        got = r.get(p)
                        vals.extend(v for v in (got if isinstance(got, list) else [got]) if isinstance(v, str))
                    found[str(r["id"])] = {x for v in vals for w in tokens(v) for x in (w, stem(w))}
            self._team_words = found
        words = tokens(NOW_PERIOD.sub(" ", without_paging_words(question)))
        edge = self.oncall_edge()
        if edge is not None:
            # "Who is primary for payments (this week)?": a rotation the on-call edge holds is a paging word here.
            named = {v.lower() for v in rotation_values(edge, self.value_index(), words)}
            words = [w for w in words if w not in named and not {h.value.lower() for h in self.value_index().get(w, ())} & named]
        tid = team_by_word(self._team_words, words)
        if tid is None:
            return None
        return NamedTeam(tid, team)

    def oncall(self, question: str, shape: QuestionShape, trace: Trace) -> Outcome | None:
        """On-call questions the paging query does not answer (`oncall.py`): a property of the on-call edge (rotation,
        shift start or end) for the person, team or owned component named; what the teams a person is on call for
        own. None when neither applies, a word is left unexplained, or nothing is found."""
        edge = self.oncall_edge()
        if PAST_ONCALL.search(question):
            return None  # "who was on call when INC-7 happened?": the current rota does not say (see `page`)
        if edge is None or shape.shape not in ("value", "list", "person", "page", "yesno"):
            return None
        links = self.links(question)
        if len({x.node_id for x in links}) != 1:
            return None
        anchor = links[0]
        masked = question
        for x in links:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
        if TIME_QUALIFIER.search(masked) or NEGATION.search(masked):
            return None  # the graph holds the current shift; "next shift" or "who is not ..." ask for more
        owns = owner_edge(self.schema, edge.team, anchor.node_type)
        cypher: str | None = None
        if shape.shape == "yesno":
            return self._oncall_rotation_yesno(question, edge, anchor, masked, trace)
        props = edge_props_named(edge.name, self.schema, self.lexicon, masked) if shape.shape != "page" else []
        if props:
            cypher = edge_detail_query(edge, anchor.node_type, owns, props)
            step = "oncall-detail"
        elif anchor.node_type == edge.person and shape.shape == "list" and shape.wants_type not in (None, edge.person, edge.team):
            owns = owner_edge(self.schema, edge.team, shape.wants_type)
            if owns is not None and "oncall" in tokens(masked):
                cypher = covered_query(edge, shape.wants_type, owns)
                step = "oncall-covers"
        elif anchor.node_type == edge.person and (shape.wants_type is None or shape.shape == "page") and _ANY_NODES.match(masked):
            # "Which components is Lucas Silva on call for?": whatever the teams he is on call for own.
            owns = any_owner_edge(self.schema, edge.team)
            if owns is not None and "oncall" in tokens(masked):
                cypher = covered_query(edge, None, owns)
                step = "oncall-covers"
        if cypher is None:
            return None
        params = {"id": anchor.node_id}
        if self._refused(step, question, cypher, params, links, trace, None):
            return None
        with trace.stage(step) as stage:
            rows = list(self.store.query(cypher, params, limit=200, timeout_ms=5_000).rows)
            stage.detail = {"anchor": anchor.node_id, "cypher": cypher, "params": params, "rows": len(rows)}
        if not rows:
            return None
        if props:
            return self.render(replace(shape, shape="list", wants_type=None), rows, cypher, params)
        return self.render(shape, rows, cypher, params)

    def _oncall_rotation_yesno(self, question: str, edge: OnCallEdge, anchor: LinkedEntity, masked: str, trace: Trace) -> Outcome | None:
        """"Is Ines Moreau primary?", "Is she primary or secondary?": the person's rotations, and whether one is a rotation
        named; "no" when the person is on call for no team. None unless a person and a rotation value are named."""
        named = rotation_values(edge, self.value_index(), tokens(masked))
        if anchor.node_type != edge.person or edge.rotation is None or not named:
            return None
        cypher = (f"MATCH (p:{edge.person} {{id: $id}})-[r:{edge.name}]->(t:{edge.team}) "
                  f"RETURN t.id AS team, r.{edge.rotation} AS {edge.rotation}, r.{edge.rotation} IN $rotations AS answer")  # fmt: skip
        params: dict[str, Any] = {"id": anchor.node_id, "rotations": named}
        if self._refused("oncall-rotation", question, cypher, params, [anchor], trace, None):
            return None
        with trace.stage("oncall-rotation") as stage:
            rows = list(self.store.query(cypher, params, limit=100, timeout_ms=5_000).rows)
            stage.detail = {"anchor": anchor.node_id, "cypher": cypher, "params": params, "rows": len(rows)}
        who = self.names.display(anchor.node_id)
        if not rows:
            return Outcome(Rendered(f"No: {who} is not on call for any team."), "rows", rows=[{"answer": False}], cypher=cypher, params=params)
        yes = any(r.get("answer") for r in rows)
        lines = [f"- {self.names.display(str(r['team']))}: {r.get(edge.rotation)}" for r in rows]
        head = ("Yes" if yes else "No") + f": {who} is on call as:"
        if len(named) > 1:
            head = f"{who} is on call as:"  # "primary or secondary?" asks which
        return Outcome(Rendered(head, lines), "rows", rows=rows, cypher=cypher, params=params)

    # -- risk ---------------------------------------------------------------------------------
    def risk(self, question: str, trace: Trace) -> Outcome:
        """The risk scores that answer the question, or a refusal saying why (`risk_ask.py`)."""
        got = answer_risk(self, question, trace)
        return Outcome(got.rendered, "risk", rows=got.rows, abstained=got.abstained)

    # -- one property of one entity ----------------------------------------------------------
    def _refused(
        self, step: str, question: str, cypher: str, params: Mapping[str, Any], links: Sequence[LinkedEntity], trace: Trace, refusals: list[str] | None
    ) -> bool:
        """True when `cypher` leaves a word of `question` unexplained (`explained.py`); why goes to the trace and to
        `refusals`. Words of the entities' own values describe them ("the Postgres orders database")."""
        left = unexplained_words(question, QueryFacts.of(cypher, params, self.schema), self.schema, lexicon=self.lexicon,
                                 surfaces=[x.surface for x in links], values=self.value_words(), described=self._own_words(question, links))  # fmt: skip
        if not left:
            return False
        why = f"the query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}"
        with trace.stage(step) as stage:
            stage.detail = {"cypher": cypher, "params": dict(params), "refused": why}
        if refusals is not None:
            refusals.append(f"{step}: {why}")
        return True

    def _own_words(self, question: str, links: Sequence[LinkedEntity]) -> list[str]:
        """Words of `question` that are (or begin, five letters or more) a word of a string value the linked entities
        hold: "Postgres" of an `engine: postgresql` datastore."""
        held: set[str] = set()
        for x in {(x.node_id, x.node_type) for x in links}:
            props = [p for p, spec in self.schema.nodes[x[1]].properties.items() if spec.type.value == "string" and p != "id"]
            if not props:
                continue
            cypher = f"MATCH (n:{x[1]} {{id: $id}}) RETURN " + ", ".join(f"n.{p} AS {p}" for p in props)
            for row in self.store.query(cypher, {"id": x[0]}, limit=1, timeout_ms=5_000).rows:
                held |= {w for v in row.values() if isinstance(v, str) and len(v) < 200 for w in tokens(v) if len(w) >= 3}
        return [w for w in dict.fromkeys(tokens(question)) if w in held or (len(w) >= 5 and any(h.startswith(w) for h in held))]

    def lookup(self, question: str, shape: QuestionShape, trace: Trace, refusals: list[str] | None = None) -> Outcome | None:
        """"What language is paymentservice written in?": the property the question names, of the one entity it
        names, by a fixed query; None unless exactly one entity, one property cue of its type and no relation are
        named. A cue may be a word of a property's name, a several-word name ("status page", "pager schedule") or a
        synonym the schema declares for properties ("mailing list"; one declared for several properties, such as
        "contact", reads them all). "How many partitions does X have?" reads a number property."""
        if shape.shape not in ("value", "list", "yesno", "page", "count"):
            return None
        links = self.links(question)
        ids = {x.node_id for x in links}
        if len(ids) == 2:
            return self._lookup_edge(question, shape, links, trace, refusals)
        if len(ids) != 1:
            return None
        anchor = links[0]
        masked = question
        for x in links:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
        if TIME_QUALIFIER.search(masked):
            return None  # "What was X's version last week?": the graph holds the current value only
        phrases, masked = self.lexicon.phrase_cues(masked)
        words = tokens(masked)
        stative = _STATIVE_USE.search(question[anchor.end:] if anchor.end else "")
        if stative and self.lexicon.edge_cues(words) and set(self.lexicon.edge_cues(words)) <= {stative.group(1).lower()}:
            # "What engine does the orders db use?": a verb after the one entity, with a property word before it, asks
            # for the entity's property, not for what it depends on; the verb is read as the property's.
            words = [w for w in words if w != stative.group(1).lower()]
            question = question[: anchor.end + stative.start()] + question[anchor.end + stative.end() :]
        if self.lexicon.edge_cues(words):
            own_edge = self._lookup_own_edge(question, shape, anchor, phrases, words, trace, refusals)
            return own_edge or self._lookup_neighbour(question, shape, anchor, phrases, words, trace, refusals)
        spec = self.schema.nodes[anchor.node_type]
        cue_sets = [{p for p in ps if p in spec.properties} for ps in [*phrases.values(), *self.lexicon.prop_cues(words).values()]]
        cue_sets = [c for c in cue_sets if c]
        found = set().union(*cue_sets) if cue_sets else set()
        # "How long did X take to resolve?": `duration_minutes` is described as computed from `resolved_at`, so the
        # property the question names through the other is the one read (the other is explained by it).
        derived = {q for p in found for q in found if q != p and re.search(rf"\b{re.escape(q)}\b", spec.properties[p].description or "")}
        if derived and len(found - derived) == 1:
            cue_sets = [c - derived for c in cue_sets if c - derived]
            found -= derived
        if not found:
            return self._lookup_neighbour(question, shape, anchor, phrases, words, trace, refusals)
        if len(found) > 1 and len(cue_sets) > 1:
            return None
        props = sorted(found)
        counting = shape.shape == "count"
        if counting:
            if any(spec.properties[p].type.value not in ("integer", "float") for p in props):
                return None  # "How many services does X have?" counts nodes; only a number property answers here
            shape = replace(shape, shape="value", wants_number=False)
        cypher = f"MATCH (n:{anchor.node_type} {{id: $id}}) RETURN " + ", ".join(f"n.{p} AS {p}" for p in props)
        params = {"id": anchor.node_id}
        if self._refused("lookup", question, cypher, params, links, trace, refusals):
            # "Which Helm chart version deploys X?" asks about more than X's `version`; "How many replicas of X are
            # lagging?" counts something else than X's `replicas`.
            return None
        why = f"the graph holds no {'/'.join(props)} for {self.names.display(anchor.node_id)}"
        return self._run_lookup(shape, cypher, params, 1, why, trace, question=question)

    def _run_lookup(self, shape: QuestionShape, cypher: str, params: dict[str, Any], limit: int, why_empty: str,
                    trace: Trace, *, question: str = "") -> Outcome | None:
        """Run a lookup's query (traced as `lookup`): None without rows; an abstention saying `why_empty` when every
        value is empty (no value stored is said, not rendered as an empty answer); else the rendered rows."""
        with trace.stage("lookup") as stage:
            rows = list(self.store.query(cypher, params, limit=limit, timeout_ms=5_000).rows)
            stage.detail = {"cypher": cypher, "params": params, "rows": len(rows)}
        if not rows:
            return None
        if all(v is None or v == "" or v == [] for r in rows for v in r.values()):
            return Outcome(Rendered(ABSTAIN, [f"Why: {why_empty}"]), "abstain", cypher=cypher, params=params, abstained=True)
        if shape.shape == "yesno" and len(rows) == 1 and len(rows[0]) == 1:
            # "Does the ledger db have any replicas?" read as `replicas`: the value decides yes or no only as a count
            # of what the question asks whether there is any of; otherwise a value is no answer to a yes/no.
            (prop, value), = rows[0].items()
            if not isinstance(value, bool):
                counted = isinstance(value, int | float) and _EXISTENCE.search(question) and not NUMBER.search(question)
                held = isinstance(value, str) and bool(value) and _EXISTENCE.search(question)  # "does checkout have a repo?"
                if not counted and not held:
                    said = f"the question asks yes or no; the graph holds a value ({prop} = {value}), which does not say which"
                    return Outcome(Rendered(ABSTAIN, [f"Why: {said}"]), "abstain", cypher=cypher, params=params, abstained=True)
                yes = bool(held) or value > 0
                owner = self.names.display(next(iter(params.values()))) if params else ""
                text = f"{'Yes' if yes else 'No'}: {owner + ' has ' if owner else ''}{prop.replace('_', ' ')} = {value}."
                return Outcome(Rendered(text), "rows", rows=[{prop: value, "answer": yes}], cypher=cypher, params=params)
        return self.render(shape, rows, cypher, params)

    def _lookup_own_edge(
        self, question: str, shape: QuestionShape, anchor: LinkedEntity, phrases: Mapping[str, Collection[str]], words: Sequence[str],
        trace: Trace, refusals: list[str] | None,
    ) -> Outcome | None:  # fmt: skip
        """"When does Marcus's on-call shift end?": a property of the edges of the one relation the question names,
        from the one entity it names; None unless exactly one edge type (and direction) is named by every relation
        word, touches the entity's type and holds every property cue, none of which the entity itself holds."""
        if shape.shape not in ("value", "list"):
            return None
        relation_words = self.lexicon.edge_cues(words)
        cue_sets = [set(ps) for ps in [*phrases.values(), *self.lexicon.prop_cues(w for w in words if w not in relation_words).values()]]
        own = set(self.schema.nodes[anchor.node_type].properties)
        if not cue_sets or any(cs & own for cs in cue_sets):
            return None
        found = []
        for name, spec in self.schema.edges.items():
            if name in self._skip or any(name not in es for es in relation_words.values()):
                continue
            if not all(cs & set(spec.properties) for cs in cue_sets):
                continue
            props = sorted({p for cs in cue_sets for p in cs if p in spec.properties})
            for forward, ends in ((True, spec.from_types), (False, spec.to_types)):
                if anchor.node_type in ends:
                    found.append((name, forward, props))
        if len(found) != 1:
            return None
        name, forward, props = found[0]
        a = f"(a:{anchor.node_type} {{id: $id}})"
        match = f"MATCH {a}-[r:{name}]->(b)" if forward else f"MATCH (b)-[r:{name}]->{a}"
        # The other end is returned too: a bare "2026-06-08T09:00:00Z" does not say it is Rachel's shift for Payments.
        cypher = f"{match} RETURN b.id AS other, " + ", ".join(f"r.{p} AS {p}" for p in props)
        params = {"id": anchor.node_id}
        if self._refused("lookup", question, cypher, params, [anchor], trace, refusals):
            return None
        why = f"the graph holds no {'/'.join(props)} on the {name} edges of {self.names.display(anchor.node_id)}"
        out = self._run_lookup(replace(shape, shape="value"), cypher, params, 10, why, trace)
        if out is None or out.abstained or not out.rows:
            return out
        rows = list(out.rows)
        verb = edge_phrase(name, plural_subject=False, forward=True).removeprefix("that ")
        lines = []
        for r in rows:
            values = "; ".join(f"{p.replace('_', ' ')} = {r[p]}" for p in props if r.get(p) not in (None, "", []))
            if values:
                pair = (anchor.node_id, r["other"]) if forward else (r["other"], anchor.node_id)
                lines.append(f"{self.names.display(pair[0])} {verb} {self.names.display(pair[1])}: {values}")
        if not lines:
            return Outcome(Rendered(ABSTAIN, [f"Why: {why}"]), "abstain", abstained=True)
        text = lines[0] if len(lines) == 1 else f"{len(lines)} {name} edges:"
        return Outcome(Rendered(text, [] if len(lines) == 1 else [f"- {x}" for x in lines]), "rows", rows=rows, cypher=cypher, params=params)

    def _lookup_neighbour(
        self, question: str, shape: QuestionShape, anchor: LinkedEntity, phrases: Mapping[str, Collection[str]], words: Sequence[str],
        trace: Trace, refusals: list[str] | None,
    ) -> Outcome | None:  # fmt: skip
        """"The Slack channel for checkout": the property asked, of the one neighbour type that holds it
        (`neighbour_property.py`); None unless exactly one edge joins the types (and every relation word names it)."""
        if shape.shape not in ("value", "list"):
            return None
        relation_words = self.lexicon.edge_cues(words)
        cue_sets = [set(ps) for ps in [*phrases.values(), *self.lexicon.prop_cues(w for w in words if w not in relation_words).values()]]
        hit = neighbour_lookup(self.schema, anchor.node_type, cue_sets, relation_sets(relation_words), skip=self._skip)
        if hit is None:
            return None
        cypher = hit.cypher(anchor.node_type)
        params = {"id": anchor.node_id}
        if self._refused("lookup", question, cypher, params, [anchor], trace, refusals):
            return None
        why = f"the graph holds no {'/'.join(hit.props)} for the {hit.neighbour} of {self.names.display(anchor.node_id)}"
        return self._run_lookup(replace(shape, shape="value"), cypher, params, 20, why, trace)

    def _lookup_edge(
        self, question: str, shape: QuestionShape, links: Sequence[LinkedEntity], trace: Trace, refusals: list[str] | None = None
    ) -> Outcome | None:
        """"What is the timeout checkoutservice uses for paymentservice?": a property of the one edge between the two
        entities named; None unless exactly one edge type joins them and holds every property cue the question uses."""
        if shape.shape not in ("value", "list", "yesno"):
            return None
        kinds = {x.node_id: x.node_type for x in links}
        a, b = list(kinds)
        masked = question
        for x in links:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
        if TIME_QUALIFIER.search(masked):
            return None
        phrases, masked = self.lexicon.phrase_cues(masked)
        words = tokens(masked)
        relation_words = self.lexicon.edge_cues(words)
        cue_sets = [set(ps) for ps in [*phrases.values(), *self.lexicon.prop_cues(w for w in words if w not in relation_words).values()]]
        if not cue_sets:
            return None
        found = []
        for name, spec in self.schema.edges.items():
            if name in self._skip or any(name not in es for es in relation_words.values()):
                continue
            if not all(cs & set(spec.properties) for cs in cue_sets):
                continue
            props = sorted({p for cs in cue_sets for p in cs if p in spec.properties})
            for src, dst in ((a, b), (b, a)):
                if kinds[src] in spec.from_types and kinds[dst] in spec.to_types:
                    found.append((name, src, dst, props))
        answers = []
        for name, src, dst, props in found:
            cypher = f"MATCH (a:{kinds[src]} {{id: $a}})-[r:{name}]->(b:{kinds[dst]} {{id: $b}}) RETURN " + ", ".join(f"r.{p} AS {p}" for p in props)
            params = {"a": src, "b": dst}
            if self._refused("lookup", question, cypher, params, links, trace, refusals):
                continue
            with trace.stage("lookup") as stage:
                rows = list(self.store.query(cypher, params, limit=10, timeout_ms=5_000).rows)
                stage.detail = {"cypher": cypher, "params": params, "rows": len(rows)}
            if rows:
                answers.append((rows, cypher, params))
        if len(answers) != 1:
            return None  # no such edge between them, or several that could be meant
        rows, cypher, params = answers[0]
        if all(v is None or v == "" or v == [] for r in rows for v in r.values()):
            why = f"the graph holds no such value on the {cypher.split('[r:')[1].split(']')[0]} edge between them"
            return Outcome(Rendered(ABSTAIN, [f"Why: {why}"]), "abstain", cypher=cypher, params=params, abstained=True)
        if shape.shape == "yesno":
            return self.render(replace(shape, shape="value"), rows, cypher, params)
        # Say which edge the value is of: a bare "8000" does not say it is checkout's timeout for payments.
        edge = cypher.split("[r:")[1].split("]")[0]
        values = "; ".join(f"{k} = {v}" for r in rows for k, v in r.items() if v not in (None, "", []))
        verb = edge_phrase(edge, plural_subject=False, forward=True).removeprefix("that ")
        text = f"{self.names.display(params['a'])} {verb} {self.names.display(params['b'])}: {values}"
        return Outcome(Rendered(text), "rows", rows=list(rows), cypher=cypher, params=params)

    # -- one-step queries composed from the question's cues ------------------------------------
    def _anchors(self, question: str) -> tuple[list[LinkedEntity], list[Anchor]]:
        """The entities the question names, and each as a composer anchor at the place its words start."""
        links = self.links(question)
        anchors = []
        for x in links:
            m = re.search(re.escape(x.surface), question, re.I)
            anchors.append(Anchor(x.node_id, x.node_type, m.start() if m else 0))
        return links, anchors

    def compose(self, question: str, shape: QuestionShape, trace: Trace, refusals: list[str] | None = None) -> Outcome | None:
        """The question's one-step query (`compose.py`), run and rendered; None when the question asks for more, when
        the query leaves a word of the question unexplained (why is added to `refusals`, for the abstention), or
        when the query finds nothing (an empty answer to a question phrased positively is no answer to trust)."""
        links, anchors = self._anchors(question)
        question = behind_as_cause(question, links, self.schema, self.lexicon)  # "what was behind INC-7?" (`behind.py`)
        why: list[str] = []
        # "who works out of New York?", "which datastores run on postgres?": values named as people say them (`named.py`).
        listing = shape.shape in ("list", "count")
        words = self.value_phrased(question, links, anchors, overlapping=False, beside=listing)
        if words is not None:
            built = self._composed(words.question, shape, *words.linked, words.values, why)
        else:
            built = self._composed(question, shape, links, anchors, self.value_index(), why)
            words = self.value_phrased(question, links, anchors, overlapping=True) if built is None and listing else None
            if words is not None:
                # "what's deployed in the payments namespace?": the value reading, when the entity reading builds nothing
                # (a list or a count: "what is the payments namespace?" asks for a service's namespace).
                built = self._composed(words.question, shape, *words.linked, words.values, why)
        if built is None:
            why += [f"{m.word!r} may be {' or '.join(self.names.display(n) for n in m.candidates)}: name one" for m in misspelt(self.linker, question)]
        if built is None:
            built = compose_timed(question, shape, anchors, [x.surface for x in links], schema=self.schema, lexicon=self.lexicon,
                                  values=self.value_index(), now=self.clock(), refusals=why)  # fmt: skip
        if built is None:
            # Aggregates, comparisons and negations of a filtered set (`filtered.py`).
            built = compose_filtered(question, shape, anchors, [x.surface for x in links], schema=self.schema, lexicon=self.lexicon,
                                     values=self.value_index(), present_edges=self.present_edges(), refusals=why)  # fmt: skip
        if built is None:
            # Two relations in a row from the entity named ("who owns the services checkout depends on?": `chain.py`).
            built = compose_chain(question, shape, anchors, [x.surface for x in links], schema=self.schema, lexicon=self.lexicon,
                                  values=self.value_index(), present_edges=self.present_edges(), refusals=why)  # fmt: skip
        if built is None:
            if why:
                with trace.stage("compose") as stage:
                    stage.detail = {"refused": why}
                if refusals is not None:
                    refusals += [f"compose: {w}" for w in why]
            return None
        with trace.stage("compose") as stage:
            rows = list(self.store.query(built.cypher, built.params, limit=1000, timeout_ms=5_000).rows)
            stage.detail = {"cypher": built.cypher, "params": built.params, "rows": len(rows), **built.parts}
            if built.parts.get("missing"):
                # An aggregate over a set some of whose nodes hold no value is no answer (`filtered.py`).
                missing = self.store.query(str(built.parts["missing"]), built.params, limit=1, timeout_ms=5_000).rows
                held = [v for r in rows for v in r.values() if v is not None]
                lacking = int(missing[0].get("n") or 0) if missing else 0
                if not held or lacking:
                    said = f"the graph holds no {built.parts.get('property')} for {lacking} of them" if lacking else "no node matches"
                    stage.detail["refused"] = said
                    if refusals is not None:
                        refusals.append(f"compose: {said}")
                    return None
        if isinstance(built.parts.get("timed"), TimedQuestion):
            return self._timed(built.parts["timed"], built, rows, trace)
        if shape.shape == "yesno" and built.parts.get("anchor") is not None and built.parts.get("edge") and not built.negated:
            # "Is Rachel Kim on call?": a yes/no about the entity named, with what makes it yes. The query walks the
            # one relation the question names from that entity, so finding nothing is the answer "no".
            out = self.render(shape, rows, built.cypher, built.params)
            answer = [{**r, "answer": True} for r in rows] if rows else [{"answer": False}]
            other = built.parts.get("other")
            if other is not None and not rows and out.rendered.header.startswith("No: no "):
                # "Does the cart service depend on orders-db?": no is about the second entity, not "nothing at all".
                header = f"No: {self.names.display(other)} is not among the {out.rendered.header[len('No: no '):]}"
                out = replace(out, rendered=replace(out.rendered, header=header))
            return replace(out, rows=answer)
        # A count of neighbours compared (`degree.py`) counts over every node of its type: none passing is an answer.
        degree = built.parts.get("degree") is not None and bool(built.parts.get("none_is_an_answer"))
        # A value the schema declares but no row holds ("open" incidents when all are resolved): none is the answer.
        found_none = not rows or (shape.wants_number and rows[0].get("n") == 0)
        unheld = found_none and any(isinstance(v, str) and v in self.unheld_values() for v in built.params.values())
        if not built.parts.get("conditions"):
            # The header says which values it filtered on ("6: the number of incidents (severity sev2)."), unless the
            # query's own description already does.
            said = ", ".join(f"{k[2:].replace('_', ' ')} {v}" for k, v in built.params.items() if k.startswith("v_") and isinstance(v, str))
            if said:
                built = replace(built, parts={**built.parts, "conditions": said})
        degree = degree or unheld
        if not rows and not built.negated and not degree:
            return None
        if shape.wants_number and rows and rows[0].get("n") == 0 and not built.negated and not degree:
            return None
        out = self.render(shape, rows, built.cypher, built.params)
        if built.parts.get("degree") is not None and shape.shape == "yesno":
            out = replace(out, rows=[{**r, "answer": True} for r in rows] if rows else [{"answer": False}])
        if built.parts.get("conditions"):
            # A filtered set's header says what it was filtered on (a negation above all) and what was computed.
            header = out.rendered.header
            end = header[-1] if header[-1:] in (":", ".") else ""
            header = f"{header[: len(header) - len(end)]} ({built.parts['conditions']}){end}"
            if degree and not rows and end == ":":
                header = header[:-1] + "."  # "0 datastores (more than 4 DEPENDS_ON from Service)."
            out = replace(out, rendered=replace(out.rendered, header=header))
        return out

    def _composed(self, question: str, shape: QuestionShape, links: Sequence[LinkedEntity], anchors: Sequence[Anchor],
                  values: Mapping[str, Sequence[ValueHit]], why: list[str]) -> Composed | None:  # fmt: skip
        """The first of the one-step composers that builds a query for `question` (`values`: the value index to read)."""
        surfaces = [x.surface for x in links]
        built = compose(question, shape, anchors, surfaces, schema=self.schema, lexicon=self.lexicon, values=values, present_edges=self.present_edges(), refusals=why)
        if built is None and len({a.node_id for a in anchors}) == 2:
            built = compose_pair(question, shape, anchors, {x.node_id: x.surface for x in links}, schema=self.schema, lexicon=self.lexicon,
                                 values=values, present_edges=self.present_edges(), refusals=why)  # fmt: skip
        if built is None and not anchors:
            built = compose_most(question, shape, anchors, schema=self.schema, lexicon=self.lexicon, values=values, present_edges=self.present_edges(), refusals=why)
        if built is None and not anchors:
            # "Which services have more than 2 dependencies?": a threshold on a count of neighbours (`degree.py`).
            built = compose_degree(question, shape, anchors, schema=self.schema, lexicon=self.lexicon, values=values, present_edges=self.present_edges(), refusals=why)
        if built is None and not anchors:
            built = compose_compare(question, shape, anchors, schema=self.schema, lexicon=self.lexicon, values=values, refusals=why)
        if built is None and not anchors:
            built = compose_topk(question, shape, anchors, schema=self.schema, lexicon=self.lexicon, values=values, refusals=why)
        return built

    def value_phrased(
        self, question: str, links: Sequence[LinkedEntity], anchors: Sequence[Anchor], *, overlapping: bool, beside: bool = True
    ) -> PhrasedLinks | None:
        """`question` with the values it names as people say them as placeholders (`named.py`), and the links left;
        `overlapping`: also values whose words an entity link covers (that link is then dropped)."""
        if self._phrases is None:
            self._phrases = ValuePhrases(read_values(self.store, self.schema, self._skip), self.schema)
        spans = [(x.start, x.start + len(x.surface)) for x in links]
        # Over an entity's words, only a value written out whole or next to its property's word ("payments namespace").
        got = phrased(plain_places(question), self._phrases, self.value_index(), [] if overlapping else spans, short=not overlapping, beside=beside)
        if got is None or (overlapping and not any(a < p.end and p.start < b for p in got.phrases for a, b in spans)):
            return None
        kept = [k for k, (a, b) in enumerate(spans) if not any(a < p.end and p.start < b for p in got.phrases)]
        return PhrasedLinks(got.question, got.values, ([links[k] for k in kept], [anchors[k] for k in kept]))

    def _timed(self, read: TimedQuestion, built: Composed, rows: Sequence[Mapping[str, Any]], trace: Trace) -> Outcome | None:
        """A question about when or in which order (`timed.py`): the rows under a header saying the window used; an
        abstention when the window lies outside the times the store holds; None when nothing was found."""
        found = self.store.query(span_query(read.timeline), limit=1, timeout_ms=5_000).rows
        span = (str(found[0]["first"]) if found and found[0].get("first") else None, str(found[0]["last"]) if found and found[0].get("last") else None)
        rendered, why = render_timed(read, rows, span, self.names.display)
        if why is not None:
            with trace.stage("timed") as stage:
                stage.detail = {"refused": why, "span": list(span)}
            return self.abstain([], [why])
        if rendered is None:
            return None
        return Outcome(rendered, "rows", rows=[dict(r) for r in rows], cypher=built.cypher, params=dict(built.params))

    # -- impact and dependency wording ------------------------------------------------------------
    def impact(self, question: str, shape: QuestionShape, trace: Trace, refusals: list[str] | None = None, *, between: bool = False) -> Outcome | None:
        """Impact and dependency questions in on-call words (`impact.py`): the one-step query composed from the
        question read through the ops vocabulary ("falls over" is "fails"), else the dependency query for failure,
        up/downstream, generic nouns ("redis": each Redis) and two entities (yes/no, path); run and rendered. None
        when neither applies or the rows are empty (for a yes/no, no chain is the answer "no"). `between`: only a
        yes/no or path between two entities ("is B a dependency of A?"), which the pipeline asks before `compose` (a
        one-step query would read "B ... a dependency of A" from B, and miss a chain through others)."""
        plain = plain_impact_words(question)
        if between and (shape.shape not in ("yesno", "path") or len({x.node_id for x in self.links(plain)}) != 2):
            return None
        if plain != question and not between:
            composed = self.compose(plain, shape, trace, refusals)
            if composed is not None:
                return composed
        links, anchors = self._anchors(plain)
        why: list[str] = []
        built = impact_query(
            plain, shape, anchors, [x.surface for x in links], schema=self.schema, lexicon=self.lexicon, values=self.value_index(),
            present_edges=self.present_edges(), refusals=why,
        )  # fmt: skip
        if built is None and not links and not between and asks_impact(plain):
            # "What would a load balancer failure take down?": a failure of something the graph does not hold. A
            # runbook that merely mentions the words is no answer to what the failure takes down.
            unknown = failing_unknown(plain, self.lexicon, self.schema, self.value_words())
            if unknown:
                why = [f"the question asks what a failure of {' '.join(unknown)!r} affects; the graph holds no component by that name"]
                with trace.stage("impact") as stage:
                    stage.detail = {"refused": why}
                return self.abstain([], [*(refusals or []), *why])
        if built is None:
            if why:
                with trace.stage("impact") as stage:
                    stage.detail = {"refused": why}
                if refusals is not None:
                    refusals += [f"impact: {w}" for w in why]
            return None
        with trace.stage("impact") as stage:
            rows = list(self.store.query(built.cypher, built.params, limit=1000, timeout_ms=5_000).rows)
            stage.detail = {"cypher": built.cypher, "params": built.params, "rows": len(rows), **built.parts}
        if built.parts.get("between"):
            return self._render_chain(shape, rows, built)
        if not rows or (shape.wants_number and rows[0].get("n") == 0):
            return None
        if built.parts.get("one_of") and built.parts.get("candidates"):
            # "if the database goes down": one of several is meant, and which is not said; never picked silently.
            named = [str(r["id"]) for r in self.store.query(str(built.parts["candidates"]), built.params, limit=100, timeout_ms=5_000).rows]
            if len(named) > 1:
                words = ", ".join(repr(w) for w in built.parts.get("generic_words") or [])  # type: ignore[union-attr]
                refused = f"{words} names {len(named)} components: {', '.join(self.names.display(n) for n in named)}; name one"
                with trace.stage("impact") as stage:
                    stage.detail = {"refused": refused, "candidates": named}
                return self.abstain([], [refused])
        out = self.render(shape, rows, built.cypher, built.params)
        if built.parts.get("generic"):
            # "if redis goes down": every entity the word names, each row saying through which of them.
            ids = sorted({str(v) for r in rows for v in (r.get("via") or [])})
            kind = next((t for i in ids for t in [self.names.type_of(i)] if t), "")
            filters = dict(built.parts.get("generic_filters") or {})  # type: ignore[call-overload]
            what = f"{kind} with " + " and ".join(f"{p} {' or '.join(map(str, v))}" for p, v in filters.items())
            head = f"{len(rows)} {generic_noun(str(built.parts.get('target') or 'node'))} that depend on a {what}"
            head += ", directly or through others" if built.parts.get("transitive") else ""
            if shape.wants_number:
                out = replace(out, rendered=Rendered(f"{out.rendered.header}", [f"via: {', '.join(self.names.display(i) for i in ids)}"]))
            else:
                out = replace(out, rendered=Rendered(f"{head} ({', '.join(self.names.display(i) for i in ids)}):", out.rendered.lines))
        return out

    def _render_chain(self, shape: QuestionShape, rows: Sequence[Mapping[str, Any]], built: Composed) -> Outcome:
        """A yes/no or a path between two entities: the chain found (source first), or "no" when there is none."""
        src, dst = str(built.params["source"]), str(built.params["target"])
        relation = " ".join(str(built.parts["edge"]).lower().split("_"))
        chain = " -> ".join(self.names.display(r["id"]) for r in rows)
        if shape.shape == "yesno":
            if not rows:
                header = f"No: {self.names.display(src)} does not {relation.replace('depends', 'depend')} {self.names.display(dst)}, directly or through others."
                if "*" not in built.cypher:
                    header = f"No: {self.names.display(src)} does not {relation.replace('depends', 'depend')} {self.names.display(dst)} directly."
                return Outcome(Rendered(header), "rows", rows=[{"answer": False}], cypher=built.cypher, params=dict(built.params))
            how = "directly" if len(rows) == 2 else "through others"
            header = f"Yes: {self.names.display(src)} {relation} {self.names.display(dst)} {how}:"
            # One row, as a one-step yes/no has: the entity that makes it yes, the chain to it, and the answer.
            found = [{"id": dst, "path": [r["id"] for r in rows], "answer": True}]
            return Outcome(Rendered(header, [f"- {chain}"]), "rows", rows=found, cypher=built.cypher, params=dict(built.params))
        if not rows:
            return Outcome(Rendered(f"No: {self.names.display(src)} does not {relation.replace('depends', 'depend')} {self.names.display(dst)}, directly or through others."),
                           "rows", rows=[], cypher=built.cypher, params=dict(built.params))  # fmt: skip
        return Outcome(Rendered(f"Path from {self.names.display(src)} to {self.names.display(dst)}:", [f"- {chain}"]), "rows", rows=[dict(r) for r in rows],
                       cypher=built.cypher, params=dict(built.params))  # fmt: skip

    def present_edges(self) -> list[str]:
        """Edge types the store holds at least one edge of; read once."""
        if self._present is None:
            found = []
            for name in self.schema.edges:
                try:
                    if self.store.query(f"MATCH ()-[r:{name}]->() RETURN 1 AS x LIMIT 1", limit=1).rows:
                        found.append(name)
                except Exception:  # a declared edge type not created yet holds no edges
                    continue
            self._present = found
        return self._present

    def value_index(self) -> dict[str, list[ValueHit]]:
        """Word (and its stem) → where that value lives: node and edge types' indexed one-word string values; read once."""
        if self._value_index is None:
            index: dict[str, list[ValueHit]] = {}
            unheld_all: set[str] = set()
            type_names = {w for n in self.schema.nodes for w in (n.lower(), n.lower() + "s")}
            holders = [(n, spec, False) for n, spec in self.schema.nodes.items()] + [(n, spec, True) for n, spec in self.schema.edges.items()]
            for owner, spec, on_edge in holders:
                if owner in self._skip:
                    continue
                for prop, p in spec.properties.items():
                    if p.type.value == "boolean" and re.fullmatch(r"[a-z]{4,}", prop):
                        # "Which datastores are managed?", "X's critical dependencies": a yes/no property's own word
                        # names its true value.
                        for word in {prop, *(str(x).lower() for x in p.synonyms or () if re.fullmatch(r"[a-z]{4,}", str(x).lower()))}:
                            index.setdefault(word, []).append(ValueHit(owner, prop, "true", on_edge))
                        continue
                    if not p.indexed or p.type.value != "string" or prop in ("email", "id"):
                        continue
                    cypher = f"MATCH ()-[n:{owner}]->() RETURN DISTINCT n.{prop} AS v" if on_edge else f"MATCH (n:{owner}) RETURN DISTINCT n.{prop} AS v"
                    try:
                        rows = self.store.query(cypher, limit=200).rows
                    except Exception:  # a declared type not created yet has no values
                        continue
                    # A value the description lists ("'resolved' or 'open'") is a value of the property even while no
                    # row holds it: "any open incidents?" asks for status 'open' and is answered "none", not refused.
                    stored = [r.get("v") for r in rows]
                    unheld = [x for x in declared_values(p.description) if x not in stored]
                    unheld_all.update(unheld)
                    for v in [*stored, *unheld]:
                        if not isinstance(v, str) or len(v) < 2 or v.lower() in type_names or not re.fullmatch(r"[A-Za-z0-9][\w.+#-]*", v):
                            continue
                        hit = ValueHit(owner, prop, v, on_edge)
                        if hit not in index.setdefault(v.lower(), []):
                            index[v.lower()].append(hit)
                        # Declared words for the value ("read" for 'consume'): the word names the value too.
                        for word in p.value_synonyms.get(v, ()):
                            if hit not in index.setdefault(word.lower(), []):
                                index[word.lower()].append(hit)
            for word, hits in compound_values(index).items():  # "read" names 'read-write' too (`dependency_words.py`)
                index.setdefault(word, []).extend(hits)
            self._value_index, self._unheld = index, unheld_all
        return self._value_index

    # -- verification and rendering ---------------------------------------------------------
    def verify(self, question: str, shape: QuestionShape, cypher: str, params: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Verdict:
        links = self.links(question)
        return verify_query(
            question, shape, cypher, params, rows, schema=self.schema, lexicon=self.lexicon, names=self.names,
            entity_surfaces=[x.surface for x in links], known_values=self.values(), entity_ids=[x.node_id for x in links],
            value_words=self.value_words(),
        )  # fmt: skip

    def value_words(self) -> dict[str, set[str]]:
        """Word → the stored values (lower case) it names: node and edge values, and the words declared for them."""
        words = {w: {v.lower()} for w, v in self.values().items()}
        for w, hits in self.value_index().items():
            words.setdefault(w, set()).update(h.value.lower() for h in hits)
        return words

    def unheld_values(self) -> set[str]:
        """Values the schema's descriptions declare ("'resolved' or 'open'") that no row holds, as declared."""
        if self._unheld is None:
            self.value_index()
        return self._unheld or set()

    def values(self) -> dict[str, str]:
        """Values of the indexed string properties (tier, severity, language...), lower case → as stored; read once."""
        if self._values is None:
            found: dict[str, str] = {}
            type_names = {w for n in self.schema.nodes for w in (n.lower(), n.lower() + "s")}
            for type_name, spec in self.schema.nodes.items():
                if type_name in self._skip:
                    continue
                for prop, p in spec.properties.items():
                    if not p.indexed or p.type.value != "string" or prop in ("email", "id"):
                        continue
                    try:
                        rows = self.store.query(f"MATCH (n:{type_name}) RETURN DISTINCT n.{prop} AS v", limit=200).rows
                    except Exception:  # a declared type not created yet has no values
                        continue
                    for v in [r.get("v") for r in rows] + declared_values(p.description):
                        if isinstance(v, str) and v and " " not in v and v.lower() not in type_names and len(v) >= 2:
                            found.setdefault(v.lower(), v)
            self._values = found
        return self._values

    def render(self, shape: QuestionShape, rows: Sequence[Mapping[str, Any]], cypher: str | None, params: Mapping[str, Any]) -> Outcome:
        return Outcome(render_rows(shape, rows, cypher, params, self.names), "rows", rows=[dict(r) for r in rows], cypher=cypher, params=dict(params))

    def entity_documents(self, question: str) -> list[str]:
        """Documents that nodes next to the entities the question names point at (their runbooks' `path`)."""
        ids = list(dict.fromkeys(x.node_id for x in self.links(question)))
        if not ids:
            return []
        rows = self.store.query("MATCH (r)-[]-(n) WHERE n.id IN $ids RETURN DISTINCT r.id AS id, labels(r) AS t", {"ids": ids}, limit=1000).rows
        pairs = []
        for r in rows:
            labels = r.get("t") or []
            kind = next((str(t) for t in (labels if isinstance(labels, list) else [labels]) if str(t) in self.schema.nodes), None)
            if kind is not None and kind not in self._skip:
                pairs.append((str(r["id"]), kind))
        return documents_of(self.store, pairs) if pairs else []

    def quote(self, question: str, hits: Sequence[Hit], *, min_overlap: int = 1, min_coverage: float = 0.0) -> Outcome | None:
        quoted = quote_sections(question, hits, self.store, min_overlap=min_overlap, min_coverage=min_coverage, prefer=self.entity_documents(question))
        if quoted is None:
            return None
        rendered, sections = quoted
        return Outcome(rendered, "quote", sections=[section_dict(s) for s in sections], source_ids=[s.chunk_id for s in sections])

    def documents_for(self, outcome: Outcome) -> list[str]:
        """Documents the answer's nodes point at (a runbook's `path`): the answer then quotes the best of them too."""
        if outcome.kind != "rows" or not outcome.rows:
            return []
        nodes = distinct_nodes(outcome.rows, self.names)
        pairs = [(n, self.names.type_of(n)) for n in nodes]
        if not pairs or any(t is None for _, t in pairs):
            return []
        return documents_of(self.store, [(n, str(t)) for n, t in pairs])

    def quote_nodes(self, question: str, outcome: Outcome, documents: Sequence[str], hits: Sequence[Hit]) -> Outcome | None:
        """`outcome` (rows naming runbooks) with the best section of their documents quoted under it."""
        quoted = quote_documents(question, documents, hits, self.store)
        if quoted is None:
            return None
        rendered, sections = quoted
        merged = Rendered(outcome.rendered.header, [*outcome.rendered.lines, rendered.header, *rendered.lines])
        return Outcome(
            merged, "quote", rows=outcome.rows, cypher=outcome.cypher, params=outcome.params,
            sections=[section_dict(x) for x in sections], source_ids=[x.chunk_id for x in sections],
        )  # fmt: skip

    def unplanned(self, question: str, shape: QuestionShape) -> list[str]:
        """Why no step tried a query for `question` (`unplanned.py`)."""
        return why_unplanned(question, shape, self.links(question), self.lexicon, self.schema, self.values())

    def abstain(self, cards: Sequence[Hit], reasons: Sequence[str]) -> Outcome:
        """"I can't answer that from the graph", why, and the cards (with neighbours) of the entities named."""
        lines: list[str] = []
        if reasons:
            lines.append("Why: " + "; ".join(dict.fromkeys(reasons)))
        named = [c for c in cards if c.detail.get("hops", 0) == 0]
        if named:
            lines.append("What the graph holds about the entities named:")
            for c in named[:3]:
                lines += c.text.splitlines()
        # The neighbours' cards stay in the context (not shown): a cached abstention goes stale when they change.
        return Outcome(Rendered(ABSTAIN, lines), "abstain", abstained=True)

    def card(self, question: str, cards: Sequence[Hit]) -> Outcome | None:
        """"Tell me about X" / "What is X?": the card of the entity named (its properties and relationships), when the
        question asks for nothing more specific (no relation or property word)."""
        if not _OVERVIEW.match(question):
            return None
        links = self.links(question)
        masked = question
        for x in links:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
        rest = [w for w in tokens(_OVERVIEW.sub(" ", masked)) if w not in ("a", "an", "the", "please", "me", "us", "more", "all", "everything")]
        if rest:
            # "What is rb-payment-5xx a runbook for?" asks for more than the card.
            return None
        named = [c for c in cards if c.detail.get("hops", 0) == 0]
        if not named:
            return None
        lines = [ln for c in named[:3] for ln in c.text.splitlines()]
        return Outcome(Rendered(f"What the graph holds about {', '.join(self.names.display(c.source_id) for c in named[:3])}:", lines), "card")


def is_template_line(line: str) -> bool:
    """True for the fixed lines an answer may carry besides rows and quotes (for tests and the eval's prose check)."""
    return bool(re.match(r"^(Why: |What the graph holds about|See also: |From \"|\[\.\.\. the section goes on|\.\.\. and \d+ more$)", line))
