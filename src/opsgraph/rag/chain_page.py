"""Who is on call at the end of a chain: "who's on call for the db the cart uses?", "who do I page if whatever caused
INC-7 dies?", "list the on-call people for services that depend on kafka", "how many people are on call for ...".

Why: the paging query (`Answerer.page`) pages for the one entity the question names; when the words after the paging
phrase name other nodes reached from it ("the db the cart uses", "the stuff checkout depends on"), paging for the
entity named answers a different question (a confident wrong answer), and the composers refuse the paging words.

Reading: a paging lead the whole question starts with (`_LEAD`; nothing else may stand before the target), then the
target phrase. A target phrase holding nothing but the entity (and its team or ownership words) is the plain paging
question: `read_target` says so (None) and the paging query answers it. Otherwise the target is asked as a list
question of its own ("list the db the cart uses"; a leading "stuff"/"whatever" becomes "what ...") through the
verified composers (`Answerer.compose`: every content word explained, exactly one reading), and the people on call
for the teams that own the nodes found are read through the schema's on-call and ownership edges. When the target
is a chain that no composer builds, the question is refused here: the paging query must not answer it either.
It reads the schema only through the Answerer; it runs the two queries it builds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.answering import Answerer, Outcome
from opsgraph.rag.lexicon import FILLER, tokens, type_forms
from opsgraph.rag.oncall import any_owner_edge, rotation_values
from opsgraph.rag.render import Rendered
from opsgraph.rag.trace import Trace

_PEOPLE = r"(?:people|folks|engineers|persons|humans|ones)"
_LEAD = re.compile(
    r"^\s*(?:(?:hey|hi|ok|so|btw|quick q)\b[,:]?\s*)*(?:"
    r"(?P<who>who(?:'s| is| are)?(?: currently)?(?: (?P<rot>[a-z]+))? on[- ]?call (?:for|on)"
    r"|who(?:'s| is| are) the on[- ]?call(?: (?:engineers?|persons?|people|folks))? (?:for|on)"
    r"|who (?:do|should|can|would|must) (?:i|we) (?:page|call|ping|wake up|contact|notify|alert|ring|escalate to)(?: (?:for|about|if|when|over))?"
    r"|who to (?:page|call|ping|contact|notify|alert)(?: (?:for|about|if|when))?)"
    r"|(?:list|show|show me|give me)?\s*(?:the |all )?on[- ]?call " + _PEOPLE + r" (?:for|on)"
    r"|(?P<count>how many " + _PEOPLE + r" are on[- ]?call (?:for|on))"
    r")\s+(?P<rest>.+?)\s*[?.!]*\s*$",
    re.I,
)
"""A question that is all a paging lead and its target ("who's on call for" + "the db the cart uses")."""
_FAILS = re.compile(
    r"\s+(?:dies|died|goes down|went down|is down|fails|failed|breaks|broke|crashes|crashed|falls over|blows up|goes dark|is on fire)$",
    re.I,
)
"""The failure a "who do I page if X dies" question puts after its target: paging for X."""
_SOMETHING = re.compile(r"^(?:the\s+)?(?:(?P<whatever>whatever)|stuff|things?|anything|something|everything)\s+", re.I)
"""A target that names no type ("the stuff checkout depends on"): asked as "list everything ..."; "whatever caused X" is
"everything that caused X"."""
_SOMETHING_WORDS = frozenset("stuff thing things whatever anything something everything".split())


@dataclass(frozen=True)
class ChainTarget:
    """The paging question's target read as a list question of its own."""

    sub_question: str
    count: bool
    rotation: str | None = None
    """A word between "who's" and "on call" ("primary"): a value of the on-call edge's rotation, or no reading."""


def read_target(question: str, answerer: Answerer) -> ChainTarget | None:
    """The target of a paging question when it is more than the entity it names (see the module docstring); None for
    a question that is no paging lead plus target, or whose target is the entity alone."""
    m = _LEAD.match(question)
    if m is None:
        return None
    rest = m.group("rest")
    if m.group("who") and re.search(r"\b(?:page|call|ping|wake up|contact|notify|alert|ring|escalate to)\b", m.group("who"), re.I):
        rest = _FAILS.sub("", rest)
    masked = rest
    links = answerer.links(rest)
    for x in links:
        masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
    # "the checkout service": a word of the named entity's own type is part of its name, not a step away from it.
    own = {f for x in links for f in type_forms(x.node_type)}
    words = [w for w in tokens(masked) if w not in FILLER]
    edge = answerer.oncall_edge()
    if edge is None:
        return None
    team_words = type_forms(edge.team)
    person_words = type_forms(edge.person)
    cues = answerer.lexicon.edge_cues(words)
    owns = any_owner_edge(answerer.schema, edge.team)
    chain_words = [
        w
        for w in words
        if w in _SOMETHING_WORDS
        or (any(w in type_forms(t) for t in answerer.schema.nodes) and w not in team_words | person_words | own)
        or (cues.get(w) and not cues[w] <= {edge.name, owns})
    ]
    if not chain_words:
        return None
    something = _SOMETHING.match(rest)
    if something is None:
        sub = "list " + rest
    else:
        sub = "list everything " + ("that " if something.group("whatever") else "") + rest[something.end() :]
    rot = m.group("rot") if m.group("rot") and m.group("rot").lower() not in FILLER else None
    return ChainTarget(sub, bool(m.group("count")), rot)


def page_chain(question: str, answerer: Answerer, trace: Trace, refusals: list[str]) -> Outcome | None:
    """The people on call for what the target of `question` reaches (see the module docstring), or None with why in
    `refusals` when the target is a chain no verified query reads, or finds nothing."""
    target = read_target(question, answerer)
    if target is None:
        return None
    edge = answerer.oncall_edge()
    owns = any_owner_edge(answerer.schema, edge.team) if edge is not None else None
    if edge is None or owns is None:
        refusals.append("chain page: the schema has no one on-call and ownership path")
        return None
    rotations = rotation_values(edge, answerer.value_index(), [target.rotation.lower()]) if target.rotation else []
    if target.rotation and not rotations:
        refusals.append(f"chain page: {target.rotation!r} is no rotation of {edge.name}")
        return None
    sub_shape = answerer.shape(target.sub_question)
    why: list[str] = []
    found = answerer.compose(target.sub_question, sub_shape, trace, why) if sub_shape.shape == "list" else None
    rows: Sequence[dict[str, Any]] = (found.rows or []) if found is not None and found.kind == "rows" and not found.abstained else []
    ids = [str(r["id"]) for r in rows if r.get("id") is not None]
    if not ids or len(ids) != len(rows):
        refusals.append(f"chain page: no verified query reads {target.sub_question!r}" + (f" ({'; '.join(why)})" if why else ""))
        return None
    teams = answerer.store.query(f"MATCH (t:{edge.team}) WHERE t.id IN $ids RETURN count(t) AS n", {"ids": ids}, limit=1, timeout_ms=5_000).rows
    if teams and int(teams[0].get("n") or 0):
        refusals.append(f"chain page: {target.sub_question!r} finds teams, not what they own")
        return None
    rot = f", r.{edge.rotation} AS {edge.rotation}" if edge.rotation else ""
    cypher = (
        f"MATCH (t:{edge.team})-[:{owns}]->(n) WHERE n.id IN $ids MATCH (p:{edge.person})-[r:{edge.name}]->(t) "
        f"RETURN p.id AS id, t.id AS team{rot}, collect(DISTINCT n.id) AS via ORDER BY id"
    )
    params: dict[str, Any] = {"ids": ids}
    if rotations:
        # "who's primary on call for the db the cart uses?": only the rotation named.
        cypher = cypher.replace(" RETURN ", f" WHERE r.{edge.rotation} IN $rotations RETURN ", 1)
        params["rotations"] = rotations
    with trace.stage("chain_page") as stage:
        people = [dict(r) for r in answerer.store.query(cypher, params, limit=1000, timeout_ms=5_000).rows]
        stage.detail = {"sub_question": target.sub_question, "found": ids, "cypher": cypher, "params": params, "rows": len(people)}
    if not people:
        refusals.append(f"chain page: nobody is on call for the teams that own {', '.join(ids)}")
        return None
    rank = {"primary": 0, "secondary": 1}
    rotation = edge.rotation or ""
    people.sort(key=lambda r: (rank.get(str(r.get(rotation) or "").lower(), 9), str(r["id"])))
    names = answerer.names
    what = found.rendered.header.rstrip(":.") if found is not None else ""
    n = len({str(r["id"]) for r in people})
    header = f"{n} {'person is' if n == 1 else 'people are'} on call for the teams that own the {what[:1].lower() + what[1:]}:"
    if rotations:
        header = header[:-1] + f" ({edge.rotation} {', '.join(rotations)}):"
    if target.count:
        header = f"{n}: the number of people on call for the teams that own the {what[:1].lower() + what[1:]}:"
    lines = []
    for r in people:
        extras = [f"team: {names.display(str(r['team']))}"]
        if edge.rotation and r.get(edge.rotation):
            extras.insert(0, f"rotation: {r[edge.rotation]}")
        extras.append("for: " + ", ".join(names.display(str(x)) for x in r.get("via") or []))
        lines.append(f"- {names.display(str(r['id']))} ({'; '.join(extras)})")
    return Outcome(Rendered(header, lines), "rows", rows=people, cypher=cypher, params=params)
