"""The CSV tables telemetry readers share: rows numbered as the error messages cite them, headers matched by alias.

Span tables (`traces`) and log tables (`logs`) are CSV exports whose column names vary by tool (Nezha's
``TraceID``/``PodName``, OpenTelemetry's ``trace_id``/``service_name``): both open the file with an error naming
it, read the header, look each wanted column up under its aliases (case-insensitively) and number the rows as
the file's records so a bad cell is reported as ``<file>: line N``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from opsgraph.errors import SourceError


def table_rows(path: Path, what: str, error: type[SourceError]) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) of a CSV file: the header as record 1, then every non-empty row.

    An unreadable file raises `error` naming the file and `what` it was read as (e.g. "span table").
    """
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc
    with handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if row or line == 1:
                yield line, row


def header_index(header: Iterable[str]) -> dict[str, int]:
    """Lower-cased, stripped column name → its position (the first of duplicates wins)."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name.strip().lower(), i)
    return index


def first_alias(keys: Mapping[str, object], aliases: Iterable[str]) -> str | None:
    """The first of `aliases` that is a key of `keys` (a header index or a JSON object's lower-cased keys)."""
    for name in aliases:
        if name in keys:
            return name
    return None
