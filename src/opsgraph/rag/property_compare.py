"""Two components compared on one number property: "is checkout's SLO higher than the ad service's?".

Why: "is A's P higher than B's?", "does A have a lower P than B?" name two components, one number property and a
comparative word; no other step reads a comparison between two named components (`compare.py` compares a type's
nodes with a number the question gives), so these were abstained. The answer is the comparison itself:
`MATCH (a:T {id: $a}), (b:U {id: $b}) WHERE a.p IS NOT NULL AND b.p IS NOT NULL RETURN a.p > b.p AS p`.

Only for a yes/no question with exactly two components, one comparative word followed by "than" (which the query's
comparison explains), no negation, and property words naming exactly one integer or float property that both
components' types hold. Which side is "A": the component named first. Every other word must be explained by the
query (`explained.py` through `Answerer._refused`); an empty property on either side is no answer (abstained).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opsgraph.rag.lexicon import NEGATION, tokens

if TYPE_CHECKING:
    from opsgraph.rag.answering import Answerer, Outcome
    from opsgraph.rag.shape import QuestionShape
    from opsgraph.rag.trace import Trace

_MORE = "higher|greater|bigger|larger|more|longer|stricter|tighter"
_LESS = "lower|smaller|less|fewer|shorter|looser|laxer"
COMPARATIVE = re.compile(rf"\b(?P<word>{_MORE}|{_LESS})\b(?P<mid>(?:\s+[\w-]+){{0,3}}?)\s+than\b", re.I)
"""A comparative word and its "than" ("higher than", "a lower SLO than"), with up to three words between."""


def comparison(question: str) -> tuple[str, str] | None:
    """The operator the question's one comparison asks (">" or "<") and the question with the comparative word and
    "than" blanked (the words between are kept); None without exactly one comparison."""
    found = list(COMPARATIVE.finditer(question))
    if len(found) != 1:
        return None
    m = found[0]
    op = ">" if re.fullmatch(_MORE, m.group("word").lower()) else "<"
    return op, question[: m.start()] + m.group("mid") + question[m.end() :]


def answer_comparison(
    answerer: Answerer, question: str, shape: QuestionShape, trace: Trace, refusals: list[str] | None = None
) -> Outcome | None:
    """ "Is checkout's SLO higher than the ad service's?": the one number property of the two components compared (see
    the module docstring); None when the question is not such a question or a word is left unexplained."""
    if shape.shape != "yesno" or NEGATION.search(question):
        return None
    read = comparison(question)
    if read is None:
        return None
    op, plain = read
    links = answerer.links(question)
    firsts: dict[str, tuple[int, str]] = {}
    for x in links:
        if x.node_id not in firsts or x.start < firsts[x.node_id][0]:
            firsts[x.node_id] = (x.start, x.node_type)
    if len(firsts) != 2:
        return None
    (a, (_, ta)), (b, (_, tb)) = sorted(firsts.items(), key=lambda kv: kv[1][0])
    spec_a, spec_b = answerer.schema.nodes.get(ta), answerer.schema.nodes.get(tb)
    if spec_a is None or spec_b is None:
        return None
    masked = plain
    for x in links:
        masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
    phrases, masked = answerer.lexicon.phrase_cues(masked)
    words = tokens(masked)
    if answerer.lexicon.edge_cues(words):
        return None
    number = {
        p for p, ps in spec_a.properties.items()
        if ps.type.value in ("integer", "float") and p in spec_b.properties and spec_b.properties[p].type.value == ps.type.value
    }  # fmt: skip
    cue_sets = [set(ps) & number for ps in [*phrases.values(), *answerer.lexicon.prop_cues(words).values()]]
    found = set().union(*cue_sets) if cue_sets else set()
    if len(found) != 1 or any(not c for c in cue_sets):
        return None
    prop = next(iter(found))
    cypher = (
        f"MATCH (a:{ta} {{id: $a}}), (b:{tb} {{id: $b}}) WHERE a.{prop} IS NOT NULL AND b.{prop} IS NOT NULL "
        f"RETURN a.{prop} {op} b.{prop} AS {prop}"
    )
    params = {"a": a, "b": b}
    if answerer._refused("comparison", plain, cypher, params, links, trace, refusals):
        return None
    with trace.stage("comparison") as stage:
        rows = list(answerer.store.query(cypher, params, limit=1, timeout_ms=5_000).rows)
        stage.detail = {"cypher": cypher, "params": params, "rows": len(rows)}
    if not rows or not isinstance(rows[0].get(prop), bool):
        return None
    return answerer.render(shape, rows, cypher, params)
