"""In which order the pipeline tries its structured retrievers: the policy, from settings values passed in.

Tuned, the text-to-Cypher writer runs even without a model (it reuses the
tuned pairs' queries) and runs before the schema-path planner:
bench/text2cypher.py, sample estate, 0.78 (writer first) vs 0.66 (planner
first), its blind set 0.49 vs 0.41. Untuned, the planner answers first and the
writer with the plain schema prompt is the fallback, only when a model is
configured and text-to-Cypher is switched on explicitly (`True`, not `"auto"`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from opsgraph.retrieve.base import Retriever

__all__ = ["Placement", "structured_retrievers", "text2cypher_placement"]

Placement = Literal["first", "last"] | None
"""Where the text-to-Cypher retriever goes relative to the planner; None: not used."""


def text2cypher_placement(setting: bool | Literal["auto"], *, tuned: bool, has_llm: bool) -> Placement:
    """Where text-to-Cypher runs for the `ask.text2cypher` setting, a tuned estate or not, and a model or not."""
    if setting in (True, "auto") and tuned:
        return "first"
    if has_llm and setting is True:
        return "last"
    return None


def structured_retrievers(
    planner: Retriever, text2cypher: Callable[[], Retriever], *, setting: bool | Literal["auto"], tuned: bool, has_llm: bool
) -> list[Retriever]:
    """The structured retrievers in the order they are tried; `text2cypher` is built only when it is used."""
    placement = text2cypher_placement(setting, tuned=tuned, has_llm=has_llm)
    if placement is None:
        return [planner]
    writer = text2cypher()
    return [writer, planner] if placement == "first" else [planner, writer]
