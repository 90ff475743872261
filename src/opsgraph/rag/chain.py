"""Two relations in a row from one named entity: "which team owns the datastore the cart service uses?".

Why: on-call questions often follow a chain of two facts: "who owns the services checkout depends on?",
"which incidents affected services owned by the storefront team?", "what runbooks cover the services payments
owns?". `compose.py` builds one step and refuses a second relation word; the schema-path planner walks any path but
is verified strictly on its own wording. This reads the one shape those questions share:

    <wanted type> <relation 1> <middle type, or "something"> <relation 2 with the named entity>

- exactly one named entity (the anchor), exactly two relation words (the lexicon's edge cues), the first before the
  middle type's word and the second after it; no negation, order, comparison or time;
- each relation's direction from the types its edge joins; where both ends could be meant (DEPENDS_ON from a
  service to a service), from word order as `compose.py` reads it ("services that checkout depends on": the anchor
  before the word is its subject; "owned by" flips it);
- "who" wants people only when the first relation reaches people ("who owns ..." wants the owning team);
- a middle word that names no type ("something", "stuff") is the one type both relations can join, or nothing.

Exactly one reading must fit; the query built must explain every content word of the question (`explained.py`),
else None (and why, in `refusals`). It builds text only; it runs nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opsgraph.rag.compose import SUPERLATIVE, Anchor, Composed, ValueHit
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import NOW_PERIOD, Lexicon, plain_relation_words, tokens, type_forms
from opsgraph.rag.shape import QuestionShape, person_type
from opsgraph.schema import GraphSchema

_NEGATION = re.compile(r"\b(no|not|without|nobody|none|never|lack\w*|unowned|missing)\b|n't\b", re.I)
_SOMETHING = frozenset("something anything stuff things thing ones whatever".split())
"""Middle words that name no type: the type is the one both relations can join."""


@dataclass(frozen=True)
class _Step:
    edge: str
    near: str
    far: str
    near_is_subject: bool
    """True when the edge goes from the near end (the wanted nodes, or the middle ones) to the far one."""


def _positions(masked: str) -> list[tuple[str, int]]:
    """Tokens of `masked` (as `tokens` makes them) with their character offsets."""
    out: list[tuple[str, int]] = []
    at = 0
    for tok in tokens(masked):
        pattern = r"on[\s-]*call" if tok == "oncall" else re.escape(tok)
        m = re.compile(pattern, re.I).search(masked, at)
        if m is None:
            return []
        out.append((tok, m.start()))
        at = m.end()
    return out


def _directions(schema: GraphSchema, edge: str, near: str | None, far: str | None) -> list[tuple[str, str, bool]]:
    """(near type, far type, near is the subject) readings of `edge` between the two ends (None: any type)."""
    spec = schema.edges[edge]
    out = []
    for subject, obj in itertools.product(spec.from_types, spec.to_types):
        if (near in (None, subject)) and (far in (None, obj)):
            out.append((subject, obj, True))
        if (near in (None, obj)) and (far in (None, subject)):
            out.append((obj, subject, False))
    return list(dict.fromkeys(out))


def compose_chain(
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
    """The two-step query `question` asks for (see the module docstring), or None."""
    if shape.shape in ("risk", "path", "yesno") or shape.wants_value or (shape.wants_number and shape.shape != "count"):
        return None
    ids = list(dict.fromkeys(a.node_id for a in anchors))
    if len(ids) != 1:
        return None
    anchor = next(a for a in anchors if a.node_id == ids[0])
    question = plain_relation_words(question)
    masked = question
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), lambda m: " " * len(m.group(0)), masked, flags=re.I)
    masked = NOW_PERIOD.sub(lambda m: " " * len(m.group(0)), masked)
    if _NEGATION.search(masked) or SUPERLATIVE.search(masked):
        return None
    placed = _positions(masked)
    cues = lexicon.edge_cues(w for w, _ in placed)
    if present_edges is not None:
        cues = {w: frozenset(e for e in es if e in present_edges) for w, es in cues.items()}
    relation = [(w, at, cues[w]) for w, at in placed if cues.get(w)]
    if len(relation) != 2:
        return None
    (w1, at1, edges1), (w2, at2, edges2) = relation
    between = [w for w, at in placed if at1 < at < at2]
    middle_named = [t for t in schema.nodes if any(w in type_forms(t) for w in between)]
    plain = [t for t in middle_named if any(w in {t.lower(), t.lower() + "s", t.lower() + "es"} for w in between)]
    middle_named = plain or middle_named  # "services" is a word of ExternalService too: the type it names plainly
    generic = any(w in _SOMETHING for w in between)
    if len(middle_named) > 1 or (not middle_named and not generic):
        return None
    middle = middle_named[0] if middle_named else None
    person = person_type(schema)
    want = shape.wants_type
    anchor_first = anchor.start < at2
    passive = bool(re.match(r"\w*\s+by\b", masked[at2:], re.I))
    anchor_is_subject = anchor_first != passive
    readings: list[tuple[_Step, _Step]] = []
    for e1, e2 in itertools.product(sorted(edges1), sorted(edges2)):
        for mid, anchor_type, mid_is_subject in _directions(schema, e2, middle, anchor.node_type):
            both = mid in schema.edges[e2].from_types and mid in schema.edges[e2].to_types and anchor_type in schema.edges[e2].from_types
            if both and mid_is_subject == anchor_is_subject:
                continue  # a same-type edge is read by word order
            second = _Step(e2, mid, anchor_type, mid_is_subject)
            wanted = want
            if shape.shape == "person" and person is not None and person not in {*schema.edges[e1].from_types, *schema.edges[e1].to_types}:
                wanted = None  # "who owns ...": the owning team, not people
            for near, far, near_is_subject in _directions(schema, e1, wanted, mid):
                same = near == far
                passive1 = bool(re.match(r"\w*\s+by\b", masked[at1:], re.I))
                if same and near_is_subject == passive1:
                    continue  # "services that depend on services ...": the wanted ones are the subject
                readings.append((_Step(e1, near, far, near_is_subject), second))
    readings = list(dict.fromkeys(readings))
    if middle is None and len(readings) > 1:
        # "something checkout calls": readings that differ only in the middle type are one reading over any type.
        kinds = {(f.edge, f.near, f.near_is_subject, s.edge, s.far, s.near_is_subject) for f, s in readings}
        if len(kinds) == 1:
            f, s = readings[0]
            readings = [(_Step(f.edge, f.near, "", f.near_is_subject), _Step(s.edge, "", s.far, s.near_is_subject))]
    if len(readings) != 1:
        if len(readings) > 1 and refusals is not None:
            refusals.append(f"the two relations {w1!r} and {w2!r} can be read {len(readings)} ways")
        return None
    first, second = readings[0]
    m = f"(m:{first.far})" if first.far else "(m)"
    hop1 = f"(x:{first.near})-[:{first.edge}]->{m}" if first.near_is_subject else f"(x:{first.near})<-[:{first.edge}]-{m}"
    a = f"(a:{anchor.node_type} {{id: $anchor}})"
    hop2 = f"-[:{second.edge}]->{a}" if second.near_is_subject else f"<-[:{second.edge}]-{a}"
    name_prop = schema.nodes[first.near].name_property if first.near in schema.nodes else None
    name = f", x.{name_prop} AS name" if name_prop and name_prop != "id" else ""
    ret = "RETURN count(DISTINCT x) AS n" if shape.wants_number else f"RETURN DISTINCT x.id AS id{name} ORDER BY id"
    cypher = f"MATCH {hop1}{hop2} WHERE x.id <> $anchor {ret}"
    params: dict[str, object] = {"anchor": anchor.node_id}
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    checked = question
    if middle is None:
        # The middle word that names no type ("something", "stuff") is what the unlabelled middle node stands for.
        checked = re.sub(r"\b(?:" + "|".join(sorted(_SOMETHING)) + r")\b", lambda x: " " * len(x.group(0)), question, flags=re.I)
    left = unexplained_words(checked, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, surfaces=surfaces, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the two-step query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    parts = {"anchor": anchor.node_id, "edge": first.edge, "bridge": second.edge, "target": first.near, "middle": first.far, "chain": True}
    return Composed(cypher, params, parts)
