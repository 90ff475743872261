"""`health.check_database`: the engine's findings name Java exceptions that depend on the damaged bytes; the report
says them in plain words, so a damaged store is reported in one plain line whatever the bytes were."""

from __future__ import annotations

from typing import Any

from opsgraph.store.health import check_database


class _Transport:
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def command(self, language: str, text: str) -> list[dict[str, Any]]:
        assert (language, text) == ("sql", "CHECK DATABASE")
        return [self.row]


def test_exception_names_in_findings_become_words() -> None:
    row = {
        "totalErrors": 2,
        "totalCorruptedRecords": 1,
        "warnings": "{'vertex #6:16947 cannot be loaded (error: IndexOutOfBoundsException)', "
        "'record #7:1 (error: java.lang.NullPointerException)'}",
    }
    report = check_database(_Transport(row), None)
    assert not report.ok
    text = report.summary()
    assert "Exception" not in text and "java." not in text
    assert "cannot be loaded (error: index out of bounds)" in text
    # Near miss: a finding without an exception name is kept as the engine said it.
    plain = check_database(_Transport({"totalErrors": 1, "warnings": "{'bucket Service_0 has 3 records missing'}"}), None)
    assert plain.warnings == ["bucket Service_0 has 3 records missing"]
