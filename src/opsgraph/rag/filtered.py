"""A filtered set of one node type, aggregated, negated or compared: what the one-step `compose.py` refuses.

"What's the average SLO of the services the payments team owns?", "lowest
availability SLO among critical services", "how many partitions do our kafka
topics have in total?", "which services have no runbook?", "which datastores
are not critical?", "sev2 incidents that lasted more than 60 minutes" each ask
for the nodes of one type that `compose.py` can select (values named, one
relation to a named entity) with one more operation it does not compute:

- an aggregate of one number property: average / mean (avg), total / sum
  (sum), lowest / minimum (min), highest / maximum (max); min and max return
  the nodes holding the extreme value (ties kept) with that value, avg and sum
  the one number;
- a comparison of one number property with a number (`compare.comparison`:
  "more than 60", "below 99.5", "at least 3");
- a value negated ("not critical", "not written in Go", "non-critical"): the
  nodes that hold another value (a node holding none is not among them);
- the absence of a relation the question names by the other end's type or a
  relation word right after the negation ("no runbook", "without an on-call
  person", "no responders"; "who hasn't responded to any incident" asks for
  people): `NOT (x)-[:E]->()`.

The property is the one number property of the set's type the question names,
read as `compare.py` reads it (name and declared words first, else the words
of its description). The words of these operations are blanked and the rest of
the question is composed by `compose.py` (so the filters are read one way
everywhere); the query built must then explain every word of the whole question
(`explained.py`), the operation's own words included. Only one operation of a
kind is read; anything else (two properties, a negation the query would not
express, a variable-length or two-step base) builds nothing.

An aggregate carries a second query in `parts["missing"]`: how many nodes of
the set hold no value of the property. The answering step refuses when it is
above zero (an average over the values the graph happens to hold is no answer
to the question asked). It builds text only; it runs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.compare import comparison, described_words, named_property
from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.explained import _STATE_VERBS, QueryFacts, unexplained_words
from opsgraph.rag.lexicon import FILLER, Lexicon, inflections, plain_relation_words, tokens, type_forms
from opsgraph.rag.shape import QuestionShape, person_type
from opsgraph.schema import GraphSchema

_FUNCTIONS: Mapping[str, str] = {
    **dict.fromkeys(("average", "avg", "mean"), "avg"),
    **dict.fromkeys(("total", "sum", "combined", "altogether"), "sum"),
    **dict.fromkeys(("minimum", "min", "lowest", "smallest", "least", "shortest", "fewest"), "min"),
    **dict.fromkeys(("maximum", "max", "highest", "largest", "biggest", "longest", "greatest", "peak"), "max"),
}
"""Words naming an aggregate of a number property, and the Cypher function each asks for."""
_SCOPE = frozenset("among amongst across overall far date all every setting settings value values figure".split())
"""Words of an aggregate's scope or of the property's value ("among critical services", "so far", "the max connections
setting"): explained by the aggregate itself."""
_NEGATION = re.compile(r"\b(?:no|not|without|nobody|none|never|lacking|lacks?|missing)\b|\b\w+n't\b|\bnon-(?=\w)", re.I)
_BETWEEN_NEGATION_AND_VALUE = frozenset(
    "a an any the be is are was were in on of tier written deployed running run based located hosted using".split()
)
"""Words that may stand between a negation and the value it negates ("not written in Go", "aren't tier critical")."""
_BEFORE_RELATED = frozenset("a an any single one the".split())
_AFTER_RELATED = frozenset("to by for with from anything anyone anybody ever yet".split())
"""Words after a relation lacked that ask nothing more ("has never borrowed anything", "no one has responded to yet")."""
_NUMBER_TYPES = ("integer", "float")
_GROUPED = re.compile(r"\b(?:per|each|every|broken down|break(?:down| down)|grouped|group by|by (?:team|type|tier|language|kind))\b", re.I)
"""Words asking for one figure per group: not one aggregate over the set."""


def compose_filtered(
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
    """The aggregated, compared or negated filtered-set query of `question`, or None (see the module docstring)."""
    if shape.shape in ("risk", "path", "yesno"):
        return None
    if shape.wants_value:
        if not any(w in _FUNCTIONS for w in tokens(question)):
            return None
        shape = QuestionShape("value", None, True, "how long ... on average: an aggregate")
    if shape.shape == "page":
        if anchors:
            return None
        if any(w in _FUNCTIONS for w in tokens(question)):
            # "the average page count across the catalogue": a property named "pages", nobody to page.
            shape = QuestionShape("value", None, True, "an aggregate, not paging")
        elif _NEGATION.search(question):
            # "teams without an on-call person" names on-call people as what the teams lack, not as whom to page.
            shape = QuestionShape("list", None, False, "a set lacking on-call people")
        else:
            return None
    question = plain_relation_words(question)  # "taken out" → "borrowed" (offsets kept)
    if len({a.node_id for a in anchors}) > 1:
        return None
    masked = question
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), lambda m: " " * len(m.group(0)), masked, flags=re.I)
    compared = comparison(masked)
    # "at least 3" is a comparison, not a minimum: the comparison's words are read first.
    outside = masked if compared is None else masked[: compared[1][0]] + " " * (compared[1][1] - compared[1][0]) + masked[compared[1][1] :]
    words = tokens(outside)
    negations = list(_NEGATION.finditer(masked))
    if not any(w in _FUNCTIONS for w in words) and not negations and compared is None:
        if anchors or shape.shape not in ("list", "count", "person"):
            return None
        return _other_end_filtered(question, masked, shape, schema=schema, lexicon=lexicon, values=values,
                                   present_edges=present_edges, refusals=refusals)  # fmt: skip
    if _GROUPED.search(masked):
        return None  # "average SLO per team" is one figure for each team, not one over every service
    wants_property = compared is not None or any(w in _FUNCTIONS for w in words)
    target, prop, prop_words = _target_and_property(outside, shape, anchors, schema, lexicon, wants_property)
    if target is None:
        return None
    spec = schema.nodes[target]
    blanked = outside
    explained_extra: set[str] = set()
    conditions: list[str] = []
    params: dict[str, Any] = {}
    negated_values: list[tuple[str, str]] = []  # (property, word) of the values negated
    negated_hits: dict[str, set[str]] = {}  # property → the values the negated word names
    parts: dict[str, Any] = {}
    function: str | None = None
    if prop is not None:
        description = spec.properties[prop].description or ""
        # "the average time to resolve": a number computed from two times of the node (its description names them).
        timed = any(q != prop and spec.properties[q].type.value in ("datetime", "date") and q in description for q in spec.properties)
        for w in [*prop_words, *(w for w in words if w in _STATE_VERBS or (timed and w in ("time", "times")))]:
            blanked = _blank(blanked, w)  # "that lasted more than 60 minutes": the verb ties the nodes to the value
        explained_extra |= described_words(outside, spec.properties[prop].description or "")
    # The aggregate: exactly one function, over the property named (a word of the property's own name, such as the
    # "max" of `max_connections`, is the property's, not a function).
    fn_words = [w for w in words if w in _FUNCTIONS and w not in prop_words]
    fns = {_FUNCTIONS[w] for w in fn_words}
    if len(fns) > 1:
        return None
    if fns:
        if prop is None or compared is not None:
            return None
        function = next(iter(fns))
        for w in fn_words:
            blanked = _blank(blanked, w)
        for w in _SCOPE:
            blanked = _blank(blanked, w)
        blanked = re.sub(r"\bin\s+total\b|\bso\s+far\b|\bto\s+date\b", lambda m: " " * len(m.group(0)), blanked, flags=re.I)
        explained_extra |= set(fn_words) | _SCOPE
    elif shape.wants_number and shape.shape != "count":
        return None  # "average", "maximum" of what: no function word read
    if compared is not None:
        if prop is None or spec.properties[prop].type.value not in _NUMBER_TYPES:
            return None
        bounds, _span = compared
        kind = spec.properties[prop].type.value
        for i, (op, number) in enumerate(bounds):
            conditions.append(f"x.{prop} {op} $c{i}")
            params[f"c{i}"] = int(number) if number.is_integer() and kind == "integer" else number
        parts["compared"] = prop
        parts["cypher_where"] = " AND ".join(conditions)
    # Negations: each one negates the value right after it, or names a relation the set's nodes lack.
    absent: list[str] = []
    for m in reversed(negations):
        read = _negated_value(blanked, m, target, values)
        if read is not None:
            prop_negated, span_end, word = read
            negated_values.append((prop_negated, word))
            negated_hits[prop_negated] = {h.value for k in inflections(word) for h in values.get(k, ()) if h.prop == prop_negated}
            blanked = blanked[: m.start()] + " " * (m.end() - m.start()) + blanked[m.end() :]
            continue
        lacked = _lacked_relation(blanked, m, target, schema, lexicon, present_edges)
        if lacked is None:
            return None  # a negation the query would not express
        pattern, span_end, lacked_words = lacked
        if any(a.node_type in _other_ends(schema, pattern, target) for a in anchors):
            # "services not owned by Payments": the relation lacked may be the one to the entity named, which the
            # base would then require; never read as "owned by nobody".
            return None
        absent.append(pattern)
        explained_extra |= set(lacked_words) | _AFTER_RELATED
        blanked = blanked[: m.start()] + " " * (span_end - m.start()) + blanked[span_end:]
    if function is None and compared is None and not negated_values and not absent:
        return None
    if not anchors:
        # The set's type is given to the base; its words may also be relation words ("members" for MEMBER_AT).
        for w in set(tokens(blanked)) & type_forms(target):
            blanked = _blank(blanked, w)
    base_shape = QuestionShape("list", target, False, "filtered set")
    base_why: list[str] = []
    base = compose(blanked, base_shape, anchors, [], schema=schema, lexicon=lexicon, values=values, present_edges=present_edges, refusals=base_why)
    if refusals is not None:
        refusals += [f"the {function or 'filtered'} set: {w}" for w in base_why]
    if base is None or base.negated or base.parts.get("bridge") or base.parts.get("target") != target:
        return None
    if base.parts.get("edge") and base.parts.get("anchor") is None:
        return None  # a relation walked to no entity named: the set is more than a type and its values
    head, sep, _ = base.cypher.partition(" RETURN ")
    if not sep or "*" in head or "(o:" in head or f"(x:{target})" not in head:
        return None
    walked = base.parts.get("edge")
    for p, w in negated_values:
        if walked and any(h.on_edge and h.owner == walked for k in inflections(w) for h in values.get(k, ())):
            return None  # "not critical dependencies of X": the word may negate the relation's own value
        bound = base.params.get(f"v_{p}")
        if not {str(b).lower() for b in (bound if isinstance(bound, list) else [bound])} <= {v.lower() for v in negated_hits.get(p, set())}:
            return None  # the base filters the property on another value too ("high tier, not critical")
        plain = f"x.{p} = $v_{p}"
        listed = f"x.{p} IN $v_{p}"
        if plain in head:
            head = head.replace(plain, f"NOT {plain}", 1)
        elif listed in head:
            head = head.replace(listed, f"NOT {listed}", 1)
        else:
            return None  # the value negated is not what the base filters on
    conditions += [f"NOT {p}" for p in absent]
    if conditions:
        head += (" AND " if " WHERE " in head else " WHERE ") + " AND ".join(conditions)
    all_params = {**base.params, **params}
    name = spec.name_property if spec.name_property and spec.name_property != "id" else None
    shown = f", x.{name} AS name" if name else ""
    if function in ("avg", "sum"):
        cypher = f"{head} RETURN {function}(x.{prop}) AS {function}_{prop}"
        parts["missing"] = f"{head}{' AND ' if ' WHERE ' in head else ' WHERE '}x.{prop} IS NULL RETURN count(DISTINCT x) AS n"
    elif function in ("min", "max"):
        at = f"{head}{' AND ' if ' WHERE ' in head else ' WHERE '}x.{prop} = top"
        cypher = f"{head} WITH {function}(x.{prop}) AS top {at} RETURN DISTINCT x.id AS id{shown}, x.{prop} AS {prop} ORDER BY id"
        parts["missing"] = f"{head}{' AND ' if ' WHERE ' in head else ' WHERE '}x.{prop} IS NULL RETURN count(DISTINCT x) AS n"
    elif shape.wants_number:
        cypher = f"{head} RETURN count(DISTINCT x) AS n"
    elif compared is not None:
        cypher = f"{head} RETURN DISTINCT x.id AS id{shown}, x.{prop} AS {prop} ORDER BY id"
    else:
        cypher = f"{head} RETURN DISTINCT x.id AS id{shown} ORDER BY id"
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, all_params, schema), schema, lexicon=lexicon, surfaces=surfaces,
                             values=value_words, described=explained_extra)  # fmt: skip
    if left:
        if refusals is not None:
            refusals.append(f"the filtered-set query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    negated = bool(negated_values or absent)
    parts = {**base.parts, **parts, "target": target, "aggregate": function, "property": prop, "filtered": True,
             "negated_values": [p for p, _ in negated_values], "absent": absent, "negated": negated}  # fmt: skip
    parts["conditions"] = conditions_text(parts, all_params)
    return Composed(cypher, all_params, parts, negated=negated)


def conditions_text(parts: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """What the set was filtered on and what was computed over it, in schema words ("tier not critical; no RUNBOOK_FOR
    from Runbook"), for the answer's header: a negation or a filter is never left for the reader to guess."""
    out: list[str] = []
    negated = set(parts.get("negated_values") or ())
    for key, value in dict(parts.get("filters") or {}).items():
        shown = " or ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.append(f"{key} {'not ' if key in negated else ''}{shown}")
    prop = parts.get("compared")
    if prop:
        ops = re.findall(rf"x\.{re.escape(str(prop))} ([<>=]+) \$(c\d+)", str(parts.get("cypher_where") or ""))
        out += [f"{prop} {op} {params[name]}" for op, name in ops]
    for pattern in parts.get("absent") or ():
        m = re.fullmatch(r"\((\w*)\)-\[:(\w+)\]->\(:?(\w*)\)|\(:?(\w*)\)-\[:(\w+)\]->\(x\)", str(pattern))
        if m is None:
            continue
        if m.group(2):
            out.append(f"no {m.group(2)} to {m.group(3) or 'any node'}")
        else:
            out.append(f"no {m.group(5)} from {m.group(4) or 'any node'}")
    if parts.get("aggregate"):
        word = {"avg": "average", "sum": "total", "min": "lowest", "max": "highest"}[str(parts["aggregate"])]
        out.append(f"{word} {parts.get('property')}")
    return "; ".join(out)


def _blank(text: str, word: str) -> str:
    """`text` with every whole occurrence of `word` (a token; `oncall` is "on call") replaced by spaces."""
    pattern = r"\bon[- ]?call\b" if word == "oncall" else rf"\b{re.escape(word)}\b"
    return re.sub(pattern, lambda m: " " * len(m.group(0)), text, flags=re.I)


def _target_and_property(
    masked: str, shape: QuestionShape, anchors: Sequence[Anchor], schema: GraphSchema, lexicon: Lexicon, wants_property: bool
) -> tuple[str | None, str | None, list[str]]:
    """The set's node type, the one number property of it the question names (None unless `wants_property`), and the
    words naming it.

    The type is the one asked for ("who" asks for people), else the one type named besides the entity's (the most
    plainly named: "services" is Service before ExternalService), else the one type holding the property named."""
    words = tokens(masked)
    person = person_type(schema)
    anchor_types = {a.node_type for a in anchors}
    negation = _NEGATION.search(masked)
    # "critical services without a runbook": the type named before the negation is the set's; the one after, what
    # its nodes lack.
    before = tokens(masked[: negation.start()]) if negation else words
    named = [t for t in schema.nodes if any(w in type_forms(t) for w in before)]
    plain = [t for t in named if any(w in {t.lower(), t.lower() + "s", t.lower() + "es"} for w in before)]
    named = plain or named
    # "the payments team's services": the entity's own type is the set's only when no other type is named ("the
    # average SLO of the services checkout depends on").
    named = [t for t in named if t not in anchor_types] or named
    candidates: list[str]
    if shape.shape == "person" and person is not None and re.match(r"^\s*who\b", masked, re.I):
        candidates = [person]
    elif shape.wants_type is not None:
        candidates = [shape.wants_type]
    else:
        candidates = named or list(schema.nodes)
    if not wants_property:
        return (candidates[0], None, []) if len(candidates) == 1 else (None, None, [])
    found: list[tuple[str, str]] = []
    phrases, _ = lexicon.phrase_cues(masked)
    for t in candidates:
        props = schema.nodes[t].properties
        kinds = {p: s.type.value for p, s in props.items() if s.type.value in _NUMBER_TYPES}
        by_phrase = {p for ps in phrases.values() for p in ps if p in kinds}
        if len(by_phrase) == 1:
            found.append((t, next(iter(by_phrase))))  # "how long": a phrase the schema declares for the property
            continue
        rest = " ".join(w for w in words if w not in _FUNCTIONS)
        prop = named_property(rest, t, kinds, props, lexicon) if kinds else None
        if prop is not None:
            found.append((t, prop))
    if len(found) == 1:
        t, prop = found[0]
        cue_words = [w for w in words if prop in lexicon.prop_cues([w]).get(w, frozenset())]
        cue_words += [w for phrase, ps in phrases.items() if prop in ps for w in tokens(phrase)]
        if not cue_words:
            # Named by its description's words only: those words are the property's.
            described = described_words(masked, schema.nodes[t].properties[prop].description or "")
            cue_words = [w for w in words if w in described and w not in FILLER and w not in type_forms(t)]
        return t, prop, cue_words
    if len(candidates) == 1:
        return candidates[0], None, []
    return None, None, []


def _negated_value(text: str, m: re.Match[str], target: str, values: Mapping[str, Sequence[ValueHit]]) -> tuple[str, int, str] | None:
    """(property, end, word) of the value of `target` right after the negation `m` ("not critical", "not written in
    Go", "non-critical"), with only the words of `_BETWEEN_NEGATION_AND_VALUE` between; None when there is none."""
    after = text[m.end() :]
    for w in re.finditer(r"[A-Za-z0-9#.+]+", after):
        word = w.group(0).lower().rstrip(".")
        hits = [h for k in inflections(word) for h in values.get(k, ()) if not h.on_edge and h.owner == target]
        if hits and len({h.prop for h in hits}) == 1:
            return hits[0].prop, m.end() + w.end(), word
        if word not in _BETWEEN_NEGATION_AND_VALUE:
            return None
    return None


def _lacked_relation(
    text: str, m: re.Match[str], target: str, schema: GraphSchema, lexicon: Lexicon, present_edges: Sequence[str] | None
) -> tuple[str, int, list[str]] | None:
    """The pattern of the one relation the words right after the negation `m` name, the end of those words, and the
    words: a relation word ("responders", "on-call"), a type word ("runbook"), or both ("an on-call person"), after
    an optional auxiliary and article ("hasn't responded to any incident"). None when they name no single relation
    of `target`'s nodes."""
    after = text[m.end() :]
    toks = list(re.finditer(r"on[- ]?call|[A-Za-z0-9]+", after))
    i = 0
    edge_words: list[str] = []
    type_word: str | None = None
    other: str | None = None
    used: list[str] = []
    end = m.end()
    while i < len(toks) and len(used) < 5:
        raw = toks[i].group(0).lower()
        word = "oncall" if re.fullmatch(r"on[- ]?call", raw) else raw
        kinds = [t for t in schema.nodes if word in type_forms(t)]
        cue = lexicon.edge_cues([word]).get(word)
        if kinds:
            plain = [t for t in kinds if word in {t.lower(), t.lower() + "s", t.lower() + "es"}]
            kinds = plain or kinds
            if len(kinds) != 1:
                return None
            type_word, other = word, kinds[0]
            used.append(word)
            end = m.end() + toks[i].end()
            break
        if cue is not None:
            edge_words.append(word)
            used.append(word)
            end = m.end() + toks[i].end()
        elif word in _BEFORE_RELATED or word in ("have", "has", "had", "got", "to", "by", "for", "with"):
            if edge_words and word not in ("to", "by", "for", "with", "a", "an", "any", "the", "single", "one"):
                break
        else:
            break
        i += 1
    if not edge_words and type_word is None:
        return None
    for t in re.finditer(r"[A-Za-z0-9]+", text[end:]):
        if t.group(0).lower() not in _AFTER_RELATED:
            break
        end += t.end()  # "never borrowed anything", "no runbook yet": words that ask nothing more
        break
    rest = [w for w in tokens(text[end:]) if w not in _BEFORE_RELATED and w not in _AFTER_RELATED]
    if rest and rest[0] not in FILLER:
        return None  # "no incidents last month", "not caused by a deploy": the negation's words go on beyond the relation
    edges = [e for e in schema.edges if present_edges is None or e in present_edges]
    for w in edge_words:
        cue = lexicon.edge_cues([w]).get(w) or frozenset()
        edges = [e for e in edges if e in cue]
    found: list[tuple[str, bool]] = []
    for e in edges:
        spec = schema.edges[e]
        if target in spec.from_types and (other is None or other in spec.to_types):
            found.append((e, True))
        if target in spec.to_types and (other is None or other in spec.from_types):
            found.append((e, False))
    incidents = schema.incidents
    if len(found) > 1 and incidents is not None and incidents.type in (target, other):
        found = [f for f in found if f[0] == incidents.affected]  # an incident of a component is one that affected it
    if len(found) != 1:
        return None
    edge, forward = found[0]
    label = f":{other}" if other else ""
    pattern = f"(x)-[:{edge}]->({label})" if forward else f"({label})-[:{edge}]->(x)"
    return pattern, end, used


def _other_ends(schema: GraphSchema, pattern: str, target: str) -> list[str]:
    """The node types at the other end of the relation `pattern` (built by `_lacked_relation`) from `target`."""
    m = re.search(r"\[:(\w+)\]", pattern)
    if m is None:
        return []
    spec = schema.edges[m.group(1)]
    return list(spec.to_types) if pattern.startswith("(x)") else list(spec.from_types)


def _other_end_filtered(
    question: str,
    masked: str,
    shape: QuestionShape,
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None,
    refusals: list[str] | None,
) -> Composed | None:
    """"Which services were affected by sev1 incidents?", "who responded to sev1s?": the wanted type's nodes joined by
    one relation to nodes of another type the question names, filtered on values of that other type (and the wanted
    type's own values, read by `compose.py`). None unless one other type, one relation joining the two in one
    direction, and values of the other type only."""
    words = tokens(masked)
    person = person_type(schema)
    target = person if shape.shape == "person" and re.match(r"^\s*who\b", masked, re.I) else shape.wants_type
    if target is None or (person is None and shape.shape == "person"):
        return None
    # The values named of another type (never of the wanted type's too): which type, which property.
    other_hits: dict[str, list[ValueHit]] = {}
    for w in words:
        hits = [h for k in inflections(w) for h in values.get(k, ()) if not h.on_edge]
        if not hits or any(h.owner == target for h in hits):
            continue
        other_hits[w] = hits
    owners = {h.owner for hs in other_hits.values() for h in hs}
    if len(owners) > 1:
        # "critical services": the value of the type named with it ('critical' is a tier of several types).
        owners = {t for t in owners if set(words) & type_forms(t)}
        plain = {t for t in owners if set(words) & {t.lower(), t.lower() + "s", t.lower() + "es"}}
        owners = plain or owners  # "services" is Service before ExternalService
        other_hits = {w: [h for h in hs if h.owner in owners] for w, hs in other_hits.items()}
    if len(owners) != 1:
        return None
    other = next(iter(owners))
    if not set(words) & type_forms(other):
        return None  # "which services are managed?": a value of another type, which the question does not name
    props = {h.prop for hs in other_hits.values() for h in hs}
    if len(props) != 1:
        return None
    prop = next(iter(props))
    wanted_values = sorted({h.value for hs in other_hits.values() for h in hs})
    # The relation: the words for it, else the one edge type joining the two types.
    cues = {w: e for w, e in lexicon.edge_cues(words).items() if present_edges is None or e & set(present_edges)}
    edges = [e for e, spec in schema.edges.items() if (present_edges is None or e in present_edges)
             and ((target in spec.from_types and other in spec.to_types) or (other in spec.from_types and target in spec.to_types))]  # fmt: skip
    for e in cues.values():
        edges = [x for x in edges if x in e]
    incidents = schema.incidents
    if len(edges) > 1 and not cues and incidents is not None and incidents.type in (target, other):
        edges = [e for e in edges if e == incidents.affected]  # an incident of a component is one that affected it
    if len(edges) != 1:
        return None
    edge = edges[0]
    spec = schema.edges[edge]
    forward = target in spec.from_types and other in spec.to_types
    backward = other in spec.from_types and target in spec.to_types
    if forward == backward:
        return None  # no direction, or both ("services that depend on critical services")
    blanked = masked
    for w in [*other_hits, *cues, *(f for f in set(words) & type_forms(other))]:
        blanked = _blank(blanked, w)
    for w in set(tokens(blanked)) & type_forms(target):
        blanked = _blank(blanked, w)
    base = compose(blanked, QuestionShape("list", target, False, "filtered set"), [], [], schema=schema, lexicon=lexicon, values=values,
                   present_edges=present_edges)  # fmt: skip
    if base is None or base.negated or base.parts.get("edge") or base.parts.get("target") != target:
        return None
    head, sep, _ = base.cypher.partition(" RETURN ")
    if not sep or not head.startswith(f"MATCH (x:{target})"):
        return None
    step = f"MATCH (x:{target})-[:{edge}]->(o:{other})" if forward else f"MATCH (o:{other})-[:{edge}]->(x:{target})"
    head = step + head[len(f"MATCH (x:{target})") :]
    value: object = wanted_values[0] if len(wanted_values) == 1 else wanted_values
    condition = f"o.{prop} = $o_{prop}" if len(wanted_values) == 1 else f"o.{prop} IN $o_{prop}"
    head += (" AND " if " WHERE " in head else " WHERE ") + condition
    params = {**base.params, f"o_{prop}": value}
    spec_t = schema.nodes[target]
    name = spec_t.name_property if spec_t.name_property and spec_t.name_property != "id" else None
    shown = f", x.{name} AS name" if name else ""
    cypher = f"{head} RETURN count(DISTINCT x) AS n" if shape.wants_number else f"{head} RETURN DISTINCT x.id AS id{shown} ORDER BY id"
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the filtered-set query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    parts: dict[str, Any] = {**base.parts, "edge": edge, "forward": forward, "target": target, "filtered": True,
                             "filters": {**dict(base.parts.get("filters") or {}), f"{other}.{prop}": value}}  # fmt: skip
    parts["conditions"] = conditions_text(parts, params)
    return Composed(cypher, params, parts)
