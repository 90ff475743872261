"""One-step queries composed from the question's own cues, when the question is that simple.

Many on-call questions are one relation from one named entity ("Which team owns
the currency service?", "Which incidents affected the cart service?") or one
type filtered by values the estate holds ("Which services are critical tier?",
"How many sev2 incidents have we had?"). For those, the query is built from
what the question names, so it covers the question by construction:

- the entity named (the linker's one anchor), or none;
- at most one relation word (the schema lexicon of `verify.py`) and its edge
  type; the direction from the types the edge joins and, when both ends could
  be the anchor's type, from word order ("X depends on" vs "depends on X", a
  passive "by" flips it);
- the wanted node type (`shape.py`: "which services", "who" → people when the
  edge reaches people, else the edge's other end);
- values the estate holds that the question names ("critical", "Python",
  "consume") as equality filters on the wanted type or the edge;
- "how many" → a count; "no owner" / "without a runbook" → the relation's absence.

Anything else the question says that this cannot express (a second relation or
entity, a property word not filtered on, a value of another type, an order or
a time) makes `compose` return None, and the other retrievers (verified) or
abstention take over. Last, the query built must explain every content word of
the question (`explained.py`: a number, a hyphenated qualifier such as
"e-books" or "pre-1900", a word for a relation the only joining edge may not
mean, as in "Who has had Dune out?"); what it leaves is named in `refusals`.
It builds text only; it runs nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.rag.explained import QueryFacts, unexplained_words, unknown_words
from opsgraph.rag.impact_phrases import owner_type
from opsgraph.rag.lexicon import FAILURE, FILLER, NOW_PERIOD, Lexicon, inflections, plain_relation_words, stem, tokens, type_forms
from opsgraph.rag.shape import QuestionShape, person_type, type_words
from opsgraph.schema import GraphSchema

_NEGATION = re.compile(r"\b(no|not|without|nobody|none|lack\w*|unowned|missing)\b|n't\b", re.I)
SPREAD_HOPS = 6
"""How far a failure is followed through the dependency edge ("directly or through others")."""
_BEING_IN = re.compile(r"(?:\b(?:is|are|was|were|am)\b|'s\b).*\b(?:on|in)\b", re.I)
"""Being on or in something ("Who is on the Payments team?", "Which team is Chloe on?"): membership, when the
question names no relation word."""
_MEMBERSHIP_WORDS = ("member", "belong")
_THROUGH_OTHERS = re.compile(r"\b(?:indirect\w*|transitive\w*|eventually|ultimately|all the way|through others)\b", re.I)
"""Words asking for a dependency followed through others (a failure's words are `FAILURE`)."""
_DIRECT = re.compile(r"\b(?:directly|direct|immediate|immediately|first[- ]hop|one hop)\b", re.I)
"""Words asking for the direct ones only: "what breaks directly if X fails?" is one step, not the chain."""
_WHO_DOES = re.compile(r"^\s*who\s+(?!(?:'s|is|are|was|were|does|do|did|has|have|had|will|would|should|can|could|else|else's)\b)[a-z]+(?:s|ed)\b", re.I)
"""A "who" question whose verb follows "who" ("who runs X", "who owned X"): "who" is the verb's subject."""
_EVERYONE = re.compile(r"\b(?:everyone|everybody|anyone|anybody|people|persons?)\b", re.I)
"""Words for people of no named type ("list everyone on call"): the schema's person type is asked for."""
_SUPERLATIVE = re.compile(r"\b(most|least|highest|lowest|largest|smallest|biggest|longest|shortest|top|latest|last|first|newest|oldest|earliest|recent\w*|ever|average|mean|total|sum|per|each|every|both|either|also|other|only|than|more|fewer|less|before|after|since|between|during|ago|today|yesterday|week|month|year)\b", re.I)
SUPERLATIVE = _SUPERLATIVE
"""Words of an order, a comparison or a time: a query of fixed steps computes none (`chain.py` reads it too)."""


@dataclass(frozen=True)
class Anchor:
    """The entity a question names, where its surface starts in the question."""

    node_id: str
    node_type: str
    start: int


@dataclass(frozen=True)
class ValueHit:
    """A value the estate holds ("critical") and where it lives: a node type's or an edge type's property."""

    owner: str
    prop: str
    value: str
    on_edge: bool = False


@dataclass
class Composed:
    """A composed query, its parameters, and what each part of it came from (for the trace)."""

    cypher: str
    params: dict[str, Any]
    parts: dict[str, Any] = field(default_factory=dict)
    negated: bool = False


def _ends(schema: GraphSchema, edge: str) -> tuple[list[str], list[str]]:
    spec = schema.edges[edge]
    return list(spec.from_types), list(spec.to_types)


def _word_at(question: str, word: str) -> int:
    if word == "oncall":
        m = re.search(r"\bon[- ]?call\b", question, re.I)
    else:
        m = re.search(rf"\b{re.escape(word)}", question, re.I)
    return m.start() if m else -1


def compose(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    surfaces: Sequence[str],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None = None,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The one-step query `question` asks for, or None when it asks for more (see the module docstring).
    `present_edges`: edge types the store holds at least one of (an empty one is no reading of a relation word).
    A query built but leaving a word of the question unexplained (`explained.py`) is refused: why is added to
    `refusals`, so an abstention can name the words."""
    if shape.shape in ("risk", "path") or shape.wants_value or (shape.wants_number and shape.shape != "count"):
        return None
    question = plain_relation_words(question)  # "looks after" → "maintains" (offsets kept)
    masked = question
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), " ", masked, flags=re.I)
    # "this week" asks for the current state: whether the relation holds one is judged by the last check below.
    masked = NOW_PERIOD.sub(lambda m: " " * len(m.group(0)), masked)
    if _SUPERLATIVE.search(masked):
        return None  # an order, a comparison or a time: a one-step query computes none
    if lexicon.phrase_cues(masked)[0]:
        return None  # "the pager schedule of X" names a property: a lookup reads it, no relation is walked
    ids = list(dict.fromkeys(a.node_id for a in anchors))
    if len(ids) > 1:
        return None
    anchor = next((a for a in anchors if a.node_id == ids[0]), None) if ids else None
    words = tokens(masked)
    person = person_type(schema)
    want = shape.wants_type
    if shape.shape == "person" and person is not None and want != person and _NEGATION.search(masked) and re.match(r"^\s*who\b", question, re.I):
        # "Who hasn't responded to any incident?" asks for people ("any incident" names what they lack).
        want = person
    if want is None and anchor is None and person is not None and _EVERYONE.search(masked):
        want = person  # "list everyone currently on call": the people the relation joins

    # Values the question names: which are on which type or edge.
    named: list[tuple[str, list[ValueHit]]] = []
    for a, b in itertools.pairwise(words):
        # "incident commander" names the value 'incident-commander' (hyphenated values are one word in the estate).
        joined = [h for h in values.get(f"{a}-{b}", ()) if "-" in h.value]
        if joined:
            named += [(a, joined), (b, joined)]
    paired = {w for w, _ in named}
    for w in words:
        if w in paired:
            continue
        found = next((values[k] for k in inflections(w) if k in values), ())
        hits = [h for h in found if len(h.value) > 3 or re.search(rf"(?<!\w){re.escape(h.value)}(?!\w)", question)]
        if hits:
            named.append((w, hits))
    edge_cues = lexicon.edge_cues(words)
    filtered_props = {stem(h.prop) for _, hs in named for h in hs}
    # "triggered by a deploy": 'trigger' names the property filtered on, not the CAUSED_BY edge.
    edge_cues = {w: e for w, e in edge_cues.items() if stem(w) not in filtered_props}
    if present_edges is not None:
        edge_cues = {w: frozenset(x for x in e if x in present_edges) for w, e in edge_cues.items()}
        edge_cues = {w: e for w, e in edge_cues.items() if e}
    edges = sorted({e for es in edge_cues.values() for e in es})
    spreading = False
    if FAILURE.search(masked):
        dep = [e for e, spec in schema.edges.items() if getattr(spec, "dependency", False)]
        if anchor is not None and len(dep) == 1:
            # "What is affected if X goes down?": what depends on X, directly or through others ('affected' and
            # 'impact' here are the failure spreading, not an incident edge).
            edge_cues = {w: e for w, e in edge_cues.items() if not re.match(r"(affect|impact|hit)", w)}
            edges = sorted({e for es in edge_cues.values() for e in es} | set(dep))
            spreading = edges == dep
        else:
            return None  # a failure of nothing named, or more than one dependency edge to spread through
        words = tokens(FAILURE.sub(" ", masked))
    if len(edges) > 1 and anchor is not None and not FAILURE.search(masked) and len(edge_cues) == 1:
        # "Which incidents involved redis-cart?": of the relations a word may mean (AFFECTED, RESPONDED_TO), only
        # those that join the entity named (and the type asked for) can be meant.
        fits = []
        for e in edges:
            froms_e, tos_e = _ends(schema, e)
            if anchor.node_type in froms_e and (want is None or want == anchor.node_type or want in tos_e):
                fits.append(e)
            elif anchor.node_type in tos_e and (want is None or want == anchor.node_type or want in froms_e):
                fits.append(e)
        edges = fits
    if len(edges) > 1:
        return None
    edge = edges[0] if edges else None
    negated = bool(_NEGATION.search(masked))
    first_negation = _NEGATION.search(masked)
    if first_negation is not None and any(_word_at(masked, w) > first_negation.start() for w, _ in named):
        # "Which incidents were not caused by a deploy?": a value named after the negation may be what it negates;
        # the relation's absence with the value as a filter would answer another question.
        return None
    types_named = _types_named(words, schema, anchor)
    if want is None and len(types_named) == 1:
        want = types_named[0]  # "Is there a runbook for X?": the type named is the answer's
    if edge is None and anchor is not None:
        # "Who reads from the payment-events topic?": no relation word, but the value named ('read', or 'consume' the
        # schema declares "read" a word for) lives on the one edge type that reaches the entity named; "who" asks
        # for people only when that edge reaches people.
        valued_edges = {h.owner for _, hs in named for h in hs if h.on_edge and (present_edges is None or h.owner in present_edges)
                        and anchor.node_type in _ends(schema, h.owner)[0] + _ends(schema, h.owner)[1]}  # fmt: skip
        if len(valued_edges) == 1 and not unknown_words([w for w in words if w not in dict(named)], lexicon, schema):
            only = next(iter(valued_edges))
            ends_only = _ends(schema, only)[0] + _ends(schema, only)[1]
            if want is None or (shape.shape == "person" and want == person and person not in ends_only):
                edge = only
    if edge is None and anchor is not None and want is not None and want != anchor.node_type:
        # "Runbooks for the currency service": no relation word, but one edge type joins the two types.
        joining = [e for e, spec in schema.edges.items() if (present_edges is None or e in present_edges)
                   and ((anchor.node_type in spec.from_types and want in spec.to_types) or (want in spec.from_types and anchor.node_type in spec.to_types))]  # fmt: skip
        if len(joining) > 1:
            # "Who is the manager of the Payments team?": the value named ('manager', a role of MEMBER_OF) picks the edge.
            valued = {h.owner for _, hs in named for h in hs if h.on_edge}
            incidents = schema.incidents
            if valued:
                joining = [e for e in joining if e in valued]
            elif incidents is not None and incidents.type in (want, anchor.node_type) and incidents.affected in joining:
                # "How many incidents has the cart service had?": an incident of a component is one that affected it
                # (the schema's `incidents.affected` edge), not only one it caused.
                joining = [incidents.affected]
            elif not edge_cues and _BEING_IN.search(masked) and not unknown_words([w for w in words if w not in dict(named)], lexicon, schema):
                # "Who is on the Risk & Data team?": being on a team, with no relation word, is being its member
                # (and only when every other word is explained: "Who is on leave from the team?" is not membership).
                members = {e for es in lexicon.edge_cues(_MEMBERSHIP_WORDS).values() for e in es}
                joining = [e for e in joining if e in members]
        if len(joining) != 1:
            return None
        edge = joining[0]
    froms: list[str] = []
    tos: list[str] = []
    forward = True
    bridge: str | None = None
    other: str | None = None
    if edge is None and anchor is None and want is None and named:
        # "list the sev1s": the values named all live on one node type's property, so they name nodes of that type.
        owners = {h.owner for _, hs in named for h in hs if not h.on_edge}
        if len(owners) == 1 and all(not h.on_edge for _, hs in named for h in hs):
            want = owners.pop()
    if edge is None:
        if anchor is not None or want is None or negated:
            return None
        target, forward = want, True
    else:
        froms, tos = _ends(schema, edge)
        if anchor is None:
            if shape.shape == "person" and want == person and person not in froms + tos and len(types_named) == 1:
                # "Who owns the Kafka topics?": "who" wants the relation's other end (the owning team) of the nodes of
                # the type named, which the values named may filter.
                other = types_named[0]
                ends = froms if other in tos else tos if other in froms else []
                if len(ends) != 1 or (other in tos and other in froms):
                    return None
                want = ends[0]
            if want is None:
                return None
            target = want
            forward = want in froms  # the wanted nodes are the edge's subjects ("which services depend ...")
            if not (want in froms or want in tos):
                return None
            subject = re.search(r"\b(?:nobody|nothing|no one|none|no \w+)\s+(\w+)(?:\s+(\w+))?", masked, re.I)
            if negated and want in froms and want in tos and subject is not None and {str(g).lower() for g in subject.groups()} & set(edge_cues):
                # "Which services does nobody depend on?": the negated subject depends; the wanted nodes are the objects.
                forward = False
            if want in froms and want in tos and any(not h.on_edge for _, hs in named for h in hs):
                forms = type_forms(want)
                if sum(1 for w in words if w in forms) > 1:
                    # "Which services depend on critical services?": the value may describe either end.
                    return None
            kind_nouns = [w for w in edge_cues if re.fullmatch(r"dependenc(?:y|ies)|dependents?|upstream|downstream", w)]
            if want in froms and want in tos and kind_nouns:
                # "Which services have no dependents?": dependents need the wanted nodes; dependencies are needed by them.
                if len({w[:10] for w in kind_nouns}) > 1 or any(w.startswith(("upstream", "downstream")) for w in kind_nouns):
                    return None
                forward = kind_nouns[0].startswith("dependenc")
        else:
            can_out = anchor.node_type in froms
            can_in = anchor.node_type in tos
            if want is not None and want != anchor.node_type:
                can_out = can_out and want in tos
                can_in = can_in and want in froms
            if shape.shape == "person" and want == person and person is not None:
                # "who" wants people only when the edge reaches people; "who owns X" wants the owning team.
                if person not in froms + tos:
                    want = None
                    can_out, can_in = anchor.node_type in froms, anchor.node_type in tos
                    if _WHO_DOES.match(question):
                        # "Who runs the payments team?" asks for the subject of "runs": the team's own objects (what it
                        # owns) are no "who" (people session 12).
                        can_out = False
            nouns = {w for w in edge_cues if re.fullmatch(r"dependenc(y|ies)|dependents?|upstream|downstream", w)}
            if spreading and want is not None and want not in froms and want != anchor.node_type:
                # "If X fails, which teams are affected?": the teams that own what depends on X, through the one
                # edge type that joins the wanted type to the dependents.
                bridges = [e for e, spec in schema.edges.items() if e != edge and (present_edges is None or e in present_edges)
                           and want in spec.from_types and any(t in froms for t in spec.to_types)]  # fmt: skip
                if len(bridges) != 1:
                    return None
                if want != person and owner_type(schema, lexicon) != want:
                    # Who is hurt is an owner or a person; "which runbook should I use when checkout is slow?" asks
                    # for checkout's runbook, not the runbooks of what depends on checkout.
                    return None
                bridge = bridges[0]
                can_in = anchor.node_type in tos
            if spreading:
                can_out, can_in = False, can_in
            if can_out and can_in and nouns:
                # "X's dependencies" are what X needs; "X's dependents" need X; up/downstream are used both ways.
                if any(w.startswith(("upstream", "downstream")) for w in nouns) or len({w[:10] for w in nouns}) > 1:
                    return None
                can_in = not next(iter(nouns)).startswith("dependenc")
                can_out = not can_in
            if can_out and can_in:
                # No relation word, the edge picked by a value of it ("what does X write to?"): the value word is the verb
                # when it names only values of that edge's string properties (not 'critical', a yes/no and a tier too).
                verbs = list(edge_cues) or [w for w, hs in named if hs and all(h.on_edge and h.owner == edge and h.value != "true" for h in hs)]
                rel_pos = min((p for p in (_word_at(question, w) for w in verbs) if p >= 0), default=-1)
                if rel_pos < 0:
                    return None
                anchor_first = anchor.start < rel_pos
                passive = bool(re.search(r"^\s*\w+\s+by\b", question[rel_pos:], re.I)) or bool(re.search(r"\bby\s*$", question[: anchor.start], re.I))
                forward = anchor_first != passive
            elif can_out or can_in:
                rel_pos = min((p for p in (_word_at(question, w) for w in edge_cues) if p >= 0), default=-1)
                dependency = getattr(schema.edges[edge], "dependency", False)
                if dependency and can_in and rel_pos > anchor.start and re.search(r"\b(?:does|do|did)\s+(?:the\s+)?$", question[: anchor.start], re.I):
                    # "What does the orders db use?" asks what it uses; its type can only be used: not what uses it.
                    # (A dependency edge reads actively; "which incidents did X cause" asks CAUSED_BY backwards.)
                    return None
                forward = can_out
            else:
                return None
            ends = tos if forward else froms
            target = want if want is not None else (ends[0] if len(ends) == 1 else "")
    if not target:
        owners = {h.owner for _, hs in named for h in hs if not h.on_edge and h.owner in (tos if forward else froms)}
        if len(owners) == 1:
            target = owners.pop()
    # Every value named must filter the target (or the edge); every property word named must be one filtered on.
    node_filters: dict[str, str | list[str]] = {}
    edge_filters: dict[str, str | list[str]] = {}
    other_filters: dict[str, str | list[str]] = {}
    type_re = "(?:" + "|".join(sorted(map(re.escape, type_forms(target)), key=len, reverse=True)) + r")\b" if target else r"(?!x)x"
    said: dict[tuple[int, str], str] = {}  # (which filters, property) → the word that set it

    def put(filters: dict[str, str | list[str]], prop: str, value: str | list[str], word: str) -> bool:
        """Set a filter; a second word naming another value of the same property ("publishes to or consumes from")
        widens it only when the question joins the two with "or" (either value); otherwise the question is not read."""
        key = (id(filters), prop)
        if key not in said:
            filters[prop], said[key] = value, word
            return True
        old = filters[prop]
        merged = sorted({*(old if isinstance(old, list) else [old]), *(value if isinstance(value, list) else [value])})
        between = re.search(rf"\b{re.escape(said[key])}\w*\b(.*?)\b{re.escape(word)}", masked, re.I | re.S)
        if between is None or not re.search(r"\bor\b|/", between.group(1), re.I):
            return len(merged) == len(old if isinstance(old, list) else [old])  # the same value again is no conflict
        filters[prop] = merged
        return True

    for w, hits in named:
        on_target = [h for h in hits if not h.on_edge and h.owner == target]
        on_edge = [h for h in hits if h.on_edge and h.owner == edge]
        on_other = [h for h in hits if not h.on_edge and h.owner == other] if other else []
        if on_other and not on_target and not on_edge and len({h.prop for h in on_other}) == 1:
            if not put(other_filters, on_other[0].prop, _one_or_all(on_other), w):  # "the Kafka topics": a value of the other end
                return None
            continue
        # A word may name several values of one property ("read": the value 'read' and 'consume', which the schema
        # says "read" is a word for): the filter accepts any of them.
        if len({h.prop for h in on_target}) == 1 and (not on_edge or re.search(rf"\b{re.escape(w)}\s+{type_re}", masked, re.I)):
            # "Kafka topics": a value just before the target's type word describes the target, even when the edge
            # holds the same value (a `kafka` protocol).
            if not put(node_filters, on_target[0].prop, _one_or_all(on_target), w):
                return None
        elif len({h.prop for h in on_edge}) == 1 and not on_target:
            if not put(edge_filters, on_edge[0].prop, _one_or_all(on_edge), w):
                return None
        elif edge is not None and stem(w) in {stem(x) for x in edge_cues}:
            continue  # the relation word itself ("consume" for DEPENDS_ON) names no further filter
        else:
            return None
    target_forms = type_forms(target) if target else set()
    for props in lexicon.prop_cues(x for x in words if x not in edge_cues and x not in dict(named) and x not in target_forms).values():
        if not set(props) & (set(node_filters) | set(edge_filters)):
            return None
    if _leftover(words, edge_cues, named, schema, lexicon, target, anchor) and (other is None or _leftover(words, edge_cues, named, schema, lexicon, other, anchor)):
        return None
    synonyms = {str(x).lower() for spec in schema.nodes.values() for x in (getattr(spec, "synonyms", None) or [])}
    plain = {f for t in schema.nodes for f in type_forms(t)}
    # "the payments namespace": a value named with its property's word is that value, not a word for a component.
    as_values = {w for w, hs in named if any(stem(h.prop) in {stem(x) for x in words} for h in hs)}
    if anchor is None and any(w in synonyms and w not in plain and w not in as_values for w in words):
        # "Which services does checkout need?" with "checkout" not linked: a word people use for one component.
        return None
    label = f":{target}" if target else ""
    node_where = [f"x.{p} {'IN' if isinstance(v, list) else '='} $v_{p}" for p, v in node_filters.items()]
    params: dict[str, object] = {f"v_{p}": _typed(schema, target, p, v) for p, v in node_filters.items()}
    params |= {f"e_{p}": _typed(schema, edge or "", p, v) for p, v in edge_filters.items()}
    params |= {f"o_{p}": v for p, v in other_filters.items()}
    rel = f"[r:{edge}]" if edge else ""
    if edge is None:
        match = f"MATCH (x{label})"
    elif negated:
        if anchor is not None or edge_filters:
            return None
        pattern = f"(x)-[:{edge}]->()" if forward else f"()-[:{edge}]->(x)"
        match = f"MATCH (x{label})"
        node_where.append(f"NOT {pattern}")
    elif anchor is None:
        o = f"(o:{other})" if other else "()"
        match = f"MATCH (x{label})-{rel}->{o}" if forward else f"MATCH {o}-{rel}->(x{label})"
    else:
        a = f"(a:{anchor.node_type} {{id: $anchor}})"
        direct_only = bool(_DIRECT.search(masked)) and not _THROUGH_OTHERS.search(masked)
        if (spreading and not direct_only) or (_THROUGH_OTHERS.search(masked) and getattr(schema.edges[edge], "dependency", False) and set(froms) & set(tos)):
            # "which datastores does X end up relying on?", "..., directly or not?": the dependency chain followed.
            rel = f"[r:{edge}*1..{SPREAD_HOPS}]"
        match = f"MATCH {a}-{rel}->(x{label})" if forward else f"MATCH (x{label})-{rel}->{a}"
        if bridge is not None:
            match = f"MATCH (x{label})-[:{bridge}]->(s)-{rel}->{a}"
        params["anchor"] = anchor.node_id
    if spreading and edge_filters:
        return None
    where = node_where + [f"r.{p} {'IN' if isinstance(v, list) else '='} $e_{p}" for p, v in edge_filters.items()]
    where += [f"o.{p} {'IN' if isinstance(v, list) else '='} $o_{p}" for p, v in other_filters.items()]
    # The display name is returned too: an answer shows it, so a cached answer goes stale when it changes.
    kinds = [target] if target else (tos if forward else froms) or list(schema.nodes)
    name_props = list(dict.fromkeys(p for t in kinds if t in schema.nodes for p in [schema.nodes[t].name_property] if p and p != "id"))
    name = f", x.{name_props[0]} AS name" if len(name_props) == 1 else f", coalesce({', '.join(f'x.{p}' for p in name_props)}) AS name" if name_props else ""
    ret = "RETURN count(DISTINCT x) AS n" if shape.wants_number else f"RETURN DISTINCT x.id AS id{name}"
    cypher = " ".join([match, ("WHERE " + " AND ".join(where)) if where else "", ret]).replace("  ", " ")
    if not shape.wants_number:
        cypher += " ORDER BY id"
    parts = {"anchor": anchor.node_id if anchor else None, "edge": edge, "bridge": bridge, "forward": forward, "target": target or None,
             "filters": {**node_filters, **{f"edge.{k}": v for k, v in edge_filters.items()}, **{f"{other}.{k}": v for k, v in other_filters.items()}},
             "negated": negated}  # fmt: skip
    # Every content word must be explained by the query built ("Who has had Dune out?" with the one edge that joins
    # books to people: 'out' is no word of it); what is left is named, and the query is not an answer.
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, surfaces=surfaces, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the one-step query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, params, parts, negated=negated)


def _typed(schema: GraphSchema, target: str, prop: str, value: str | list[str]) -> object:
    """A filter value as the property of `target` (a node or edge type) holds it: a boolean property's 'true' is True."""
    spec = schema.nodes.get(target) or schema.edges.get(target)
    pspec = spec.properties.get(prop) if spec is not None else None
    if pspec is not None and pspec.type.value == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _one_or_all(hits: Sequence[ValueHit]) -> str | list[str]:
    """The value the hits name, or every value they name (in a stable order) when they name several."""
    values = sorted({h.value for h in hits})
    return values[0] if len(values) == 1 else values


def _types_named(words: Sequence[str], schema: GraphSchema, anchor: Anchor | None) -> list[str]:
    """Node types whose words the question uses, besides the anchor's (most specific name wins: "external service")."""
    found = [n for n in schema.nodes if (anchor is None or n != anchor.node_type) and any(w in type_forms(n) for w in words)]
    # "external services owned by payments": a type named by all the words of its name is the one meant, not the type
    # its last word also names.
    text = " " + " ".join(words) + " "
    whole = [n for n in found if any(" " in tw and re.search(rf" {re.escape(tw)}(?:e?s)? ", text) for tw in type_words(n))]
    if whole:
        return whole
    # "service" is a word of ExternalService too: keep only the type it names most plainly.
    plain = [n for n in found if any(w in {n.lower(), n.lower() + "s", n.lower() + "es"} or (n.lower() == "person" and w == "people") for w in words)]
    return plain or found


def _leftover(
    words: Sequence[str],
    edge_cues: Mapping[str, object],
    named: Sequence[tuple[str, object]],
    schema: GraphSchema,
    lexicon: Lexicon,
    target: str,
    anchor: Anchor | None,
) -> bool:
    """True when a word names a node type other than the target's and the anchor's ("which services owned by teams
    in London" names Team): the question asks about more than one step."""
    types = {target} | ({anchor.node_type} if anchor else set())

    forms = type_forms
    allowed = {f for t in types if t in schema.nodes for f in forms(t)}
    for name in schema.nodes:
        if name in types:
            continue
        if any(w in forms(name) and w not in allowed for w in words if w not in edge_cues and w not in FILLER):
            return True
    return False
