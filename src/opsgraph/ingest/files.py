"""Read node, edge and telemetry files (YAML, JSON, CSV) into rows that remember where they came from.

Every row keeps its file and line (YAML, CSV) or item number (JSON) so a
validation error can point at it. Nothing here knows the schema.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opsgraph.errors import Issue

TABLE_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


@dataclass(frozen=True)
class SourceRow:
    """One input row and where it was read."""

    file: str
    """Path shown in messages (relative to the estate folder)."""
    line: int | None
    """1-based line (YAML, CSV) or item number (JSON)."""
    data: dict[str, Any]
    """Field → value as read (CSV values are strings; empty cells are dropped)."""
    from_csv: bool = False
    """CSV values are text and need coercion; YAML/JSON values keep their types."""


def list_tables(folder: Path) -> list[Path]:
    """Table files in a folder, sorted so ingestion order is deterministic."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)


def read_table(path: Path, shown: str, issues: list[Issue]) -> list[SourceRow]:
    """Rows of one file; problems are appended to `issues` and the bad rows skipped."""
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(Issue(shown, None, "", f"cannot read file: {exc}"))
        return []
    if suffix == ".csv":
        return list(_csv_rows(text, shown, issues))
    if suffix == ".json":
        return _json_rows(text, shown, issues)
    return _yaml_rows(text, shown, issues)


def _csv_rows(text: str, shown: str, issues: list[Issue]) -> Iterator[SourceRow]:
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        issues.append(Issue(shown, 1, "", f"malformed CSV header: {exc}"))
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        issues.append(Issue(shown, 1, ",".join(dup), "column names repeat in the header"))
        return
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                issues.append(Issue(shown, line, "", f"expected {len(header)} cells as in the header, found {len(cells)}"))
                continue
            data = {h: c.strip() for h, c in zip(header, cells, strict=True) if c.strip() != ""}
            yield SourceRow(shown, line, data, from_csv=True)
    except csv.Error as exc:
        issues.append(Issue(shown, reader.line_num, "", f"malformed CSV: {exc}"))


def _json_rows(text: str, shown: str, issues: list[Issue]) -> list[SourceRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        issues.append(Issue(shown, exc.lineno, "", f"not valid JSON: {exc.msg} (column {exc.colno})"))
        return []
    if not isinstance(data, list):
        issues.append(Issue(shown, 1, "", "expected a JSON list of objects, one per row"))
        return []
    rows = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            issues.append(Issue(shown, i, "", f"item {i} is a {type(item).__name__}, expected an object"))
            continue
        rows.append(SourceRow(shown, i, item))
    return rows


def _yaml_rows(text: str, shown: str, issues: list[Issue]) -> list[SourceRow]:
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issues.append(Issue(shown, mark.line + 1 if mark else None, "", f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return []
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        issues.append(Issue(shown, 1, "", "expected a YAML list of mappings, one per row"))
        return []
    rows = []
    for node, item in zip(root.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            issues.append(Issue(shown, line, "", f"expected a mapping, found {type(item).__name__}"))
            continue
        rows.append(SourceRow(shown, line, {str(k): v for k, v in item.items()}))
    return rows
