"""The CSV reading span and log tables share: record numbers as errors cite them, header aliases, a clear unreadable-file error."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.errors import SourceError
from opsgraph.sources.csv_table import first_alias, header_index, table_rows


class _TableError(SourceError):
    pass


def test_rows_are_numbered_as_records_and_blank_rows_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("A,B\n1,2\n\n3,\"x\ny\"\n4,5\n")
    assert list(table_rows(path, "table", _TableError)) == [(1, ["A", "B"]), (2, ["1", "2"]), (4, ["3", "x\ny"]), (5, ["4", "5"])]


def test_an_unreadable_file_names_the_file_and_what_it_was_read_as(tmp_path: Path) -> None:
    with pytest.raises(_TableError, match=r"missing\.csv: cannot read the span table"):
        list(table_rows(tmp_path / "missing.csv", "span table", _TableError))


def test_headers_match_case_insensitively_first_alias_and_first_duplicate_win() -> None:
    index = header_index([" TraceID", "PodName", "traceid", "service_name"])
    assert index == {"traceid": 0, "podname": 1, "service_name": 3}
    assert first_alias(index, ("servicename", "service_name", "podname")) == "service_name"
    assert first_alias(index, ("nope",)) is None
    assert first_alias({"level": "LEVEL"}, ("severity", "level")) == "level"
