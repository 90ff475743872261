"""Citation checking: citations outside the context are dropped, numbers absent from the rows are found."""

from __future__ import annotations

from opsgraph.rag.pipeline import _citations, _invented_numbers, _strip_citations


def test_citations_outside_the_context_are_dropped() -> None:
    valid, dropped = _citations("Payment depends on the gateway [1][3, 9] and ledger [12].", 4)
    assert valid == [1, 3]
    assert dropped == [9, 12]
    assert _strip_citations("a [3, 9] b [12].", dropped) == "a [3] b ."


def test_invented_numbers_are_found() -> None:
    rows = "[1] Service checkoutservice\n[2] Service frontend"
    assert _invented_numbers("2 services depend on payment.", rows, 2) == []
    assert _invented_numbers("5 services depend on payment.", rows, 2) == ["5"]
