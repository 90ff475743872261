"""Where text-to-Cypher runs among the structured retrievers: first when tuned, last as an explicit fallback, else not at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from opsgraph.rag.order import structured_retrievers, text2cypher_placement
from opsgraph.retrieve import Retrieval


class Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def retrieve(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None) -> Retrieval:
        raise AssertionError("not called")


@pytest.mark.parametrize(
    ("setting", "tuned", "has_llm", "expected"),
    [
        ("auto", True, False, "first"),  # tuned: reuse works without a model
        (True, True, True, "first"),
        (False, True, True, None),  # switched off wins over tuning
        ("auto", False, True, None),  # untuned and only "auto": the planner alone
        (True, False, True, "last"),  # untuned, switched on, a model: the plain-schema fallback
        (True, False, False, None),  # untuned and no model: nothing could write
    ],
)
def test_placement_follows_setting_tuning_and_model(setting: Any, tuned: bool, has_llm: bool, expected: str | None) -> None:
    assert text2cypher_placement(setting, tuned=tuned, has_llm=has_llm) == expected


def test_order_puts_the_writer_where_placed_and_builds_it_only_when_used() -> None:
    planner, writer = Named("planner"), Named("text2cypher")
    built: list[str] = []

    def make() -> Named:
        built.append("writer")
        return writer

    first = structured_retrievers(planner, make, setting="auto", tuned=True, has_llm=False)
    last = structured_retrievers(planner, make, setting=True, tuned=False, has_llm=True)
    assert [r.name for r in first] == ["text2cypher", "planner"]
    assert [r.name for r in last] == ["planner", "text2cypher"]
    assert built == ["writer", "writer"]
    assert structured_retrievers(planner, make, setting=False, tuned=True, has_llm=True) == [planner]
    assert built == ["writer", "writer"]  # not built when unused
