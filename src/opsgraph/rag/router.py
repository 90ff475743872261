"""Decide whether a question needs the graph (queries), the documents, or both.

A small, explainable rule set rather than a model call: the bundled models
are too small to classify reliably, and a rule's reason can be shown in the
trace. Graph cues are relationship and inventory words ("depends", "owns",
"on call", "which", "how many", "list") and the names of the estate's own
node and edge types; document cues are procedure words ("how do I",
"mitigate", "runbook", "steps", "why", "what should"). A question with
neither, or with both, goes to both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsgraph.rag.lexicon import asks_to_reach
from opsgraph.schema import GraphSchema

_GRAPH = re.compile(
    r"\b(which|who|how many|count|list|depend\w*|own\w*|on[- ]call|team|owner|caused|affect\w*|connected|"
    r"upstream|downstream|break\w*|impact\w*|relationship|neighbou?rs?|path|incidents?)\b",
    re.I,
)
_DOCS = re.compile(
    r"\b(how (do|can|should|to)|mitigat\w*|runbook|steps?|procedure|diagnos\w*|troubleshoot\w*|why|what should|"
    r"symptoms?|fix|recover\w*|restart|rollback|roll back|escalat\w*|command|kubectl|playbook|explain)\b",
    re.I,
)


PROCEDURE = re.compile(
    r"\b(how (?:do|can|should|to|would|does one)|what (?:should|do|can|must) (?:i|we)|what now|what next|steps?|procedure|"
    r"mitigat\w*|fix\w*|diagnos\w*|troubleshoot\w*|restart\w*|rollback|roll(?:ing)? back|recover\w*|handle|deal with|resolve)\b",
    re.I,
)
"""Words asking for something to do (a runbook's steps), not for a fact: a fact question ("What is the disk size of
X?") is not answered by quoting a runbook that merely mentions X's disk."""


HOW_TO = re.compile(
    r"\b(how (?:do|can|should|would|could) (?:i|we|you|one)|how to|what (?:should|do|can|must) (?:i|we) do|what now|what next|"
    r"what are the steps|what steps)\b(?! (?:reach|contact|page|call|find|get hold|email|ping|know|tell|see))",
    re.I,
)
"""Asks for steps to take: documents answer it, whatever relationship words it also uses."""


@dataclass(frozen=True)
class Route:
    """Where a question goes, and why."""

    graph: bool
    docs: bool
    reason: str


class Router:
    """Rule-based router, aware of the estate's own type names."""

    def __init__(self, schema: GraphSchema | None = None) -> None:
        names = []
        if schema is not None:
            names += [n.lower() for n in schema.nodes]
            names += [w for e in schema.edges for w in e.lower().split("_") if len(w) > 3]
        self._schema_words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(set(names)))) + r")s?\b", re.I) if names else None

    def route(self, question: str) -> Route:
        how = HOW_TO.search(question)
        if how is not None and not asks_to_reach(question) and not re.match(r"^\s*(which|who|list|how many)\b", question, re.I):
            # ("Which runbook explains how to restart X?" asks the graph for runbooks too.)
            # "What do I do when the ECB feed fails?" asks for steps, not for what depends on the feed.
            return Route(False, True, f"asks what to do: {how.group(0).lower()!r}")
        graph_hits = [m.group(0).lower() for m in _GRAPH.finditer(question)]
        if asks_to_reach(question):  # "how do I get hold of X?" asks the graph for X's contact, not for steps
            graph_hits.append("reach")
        if self._schema_words is not None:
            graph_hits += [m.group(0).lower() for m in self._schema_words.finditer(question)]
        doc_hits = [m.group(0).lower() for m in _DOCS.finditer(question)]
        if graph_hits and not doc_hits:
            return Route(True, False, f"graph cues: {', '.join(dict.fromkeys(graph_hits))}")
        if doc_hits and not graph_hits:
            return Route(False, True, f"document cues: {', '.join(dict.fromkeys(doc_hits))}")
        if graph_hits and doc_hits:
            return Route(True, True, f"graph cues ({', '.join(dict.fromkeys(graph_hits))}) and document cues ({', '.join(dict.fromkeys(doc_hits))})")
        return Route(True, True, "no clear cue: using both")
