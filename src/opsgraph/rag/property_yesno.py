"""Yes/no on one value of one component: "is the ad service java?", "is checkout critical?", "is INC-7 still open?".

Why: the question names a component and a value, never the property ("is X's language Java?" was answered, "is X
java?" was not): the property is the one of the component's type that holds, or whose description quotes, that value.
The answer reads that property of that component and compares: `MATCH (n:T {id: $id}) WHERE n.p IS NOT NULL
RETURN n.p = $v_p AS p`, so "is the recommendation service critical?" is "No" (it is 'medium'), which the plain
lookup cannot say (it abstains when the component does not hold the value).

Only when the question is a yes/no question, names exactly one component, no negation, no relation word, and its
words name exactly one value of exactly one string property of that component's type (a stored value from the value
index, or one the property's description quotes: 'open' of "'resolved' or 'open'" is a status even when no incident
is open now), and any property word it uses names that property. An empty property is no answer (abstained). The
query is checked word by word like any other (`explained.py` through `Answerer._refused`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opsgraph.rag.lexicon import NEGATION, tokens

if TYPE_CHECKING:
    from opsgraph.rag.answering import Answerer, Outcome
    from opsgraph.rag.shape import QuestionShape
    from opsgraph.rag.trace import Trace
    from opsgraph.schema import NodeType

_QUOTED = re.compile(r"'([^']+)'")


def quoted_values(spec: NodeType) -> dict[str, set[tuple[str, str]]]:
    """Lower-case value → (property, value) for the one-word values a string property's description quotes."""
    out: dict[str, set[tuple[str, str]]] = {}
    for name, prop in spec.properties.items():
        if prop.type.value != "string" or name == "id":
            continue
        for v in _QUOTED.findall(prop.description or ""):
            if re.fullmatch(r"[A-Za-z0-9][\w.+#-]*", v):
                out.setdefault(v.lower(), set()).add((name, v))
    return out


def value_asked(words: Sequence[str], node_type: str, spec: NodeType, values: Mapping[str, Sequence[object]]) -> tuple[str, str] | None:
    """The one (property, value) of `node_type`'s string properties that `words` name, or None when none or several."""
    quoted = quoted_values(spec)
    found: set[tuple[str, str]] = set()
    for w in dict.fromkeys(words):
        for h in values.get(w, ()):
            owner, prop, value, on_edge = (getattr(h, a) for a in ("owner", "prop", "value", "on_edge"))
            if owner == node_type and not on_edge and prop in spec.properties and spec.properties[prop].type.value == "string":
                found.add((str(prop), str(value)))
        found |= quoted.get(w, set())
    by_prop = {p for p, _ in found}
    if len(found) != 1 and not (len(by_prop) == 1 and len({v.lower() for _, v in found}) == 1):
        return None
    return sorted(found)[0]


def answer_value_yesno(
    answerer: Answerer, question: str, shape: QuestionShape, trace: Trace, refusals: list[str] | None = None
) -> Outcome | None:
    """ "Is the ad service java?": whether the one component the question names holds the one value it names (see the
    module docstring); None when the question is not such a question or the query leaves a word unexplained."""
    if shape.shape != "yesno" or NEGATION.search(question):
        return None
    links = answerer.links(question)
    if len({x.node_id for x in links}) != 1:
        return None
    anchor = links[0]
    spec = answerer.schema.nodes.get(anchor.node_type)
    if spec is None:
        return None
    masked = question
    for x in links:
        masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
    phrases, masked = answerer.lexicon.phrase_cues(masked)
    words = tokens(masked)
    if answerer.lexicon.edge_cues(words):
        return None
    asked = value_asked(words, anchor.node_type, spec, answerer.value_index())
    if asked is None:
        return None
    prop, value = asked
    cues = [set(ps) for ps in [*phrases.values(), *answerer.lexicon.prop_cues(words).values()]]
    if any(prop not in c and c & set(spec.properties) for c in cues):
        return None  # "is X's language critical?" names another property
    cypher = f"MATCH (n:{anchor.node_type} {{id: $id}}) WHERE n.{prop} IS NOT NULL RETURN n.{prop} = $v_{prop} AS {prop}"
    params = {"id": anchor.node_id, f"v_{prop}": value}
    # "is INC-7 still open?": "still" before the value asks whether it holds now, which is what the graph holds.
    checked = re.sub(rf"\bstill\s+(?={re.escape(value)}\b)", "", question, flags=re.I)
    if answerer._refused("value yes/no", checked, cypher, params, links, trace, refusals):
        return None
    with trace.stage("value yes/no") as stage:
        rows = list(answerer.store.query(cypher, params, limit=1, timeout_ms=5_000).rows)
        stage.detail = {"cypher": cypher, "params": params, "rows": len(rows)}
    if not rows or not isinstance(rows[0].get(prop), bool):
        return None
    return answerer.render(shape, rows, cypher, params)
