"""Log lines reduced to what an investigation weighs: which service wrote it, when, and whether it reports an error.

Reads two layouts:

- log tables (CSV): one line per row with a time (``TimeUnixNano`` in Unix nanoseconds, or an ISO
  ``Timestamp``), the pod or service that wrote it, and either a severity column or the line itself
  (``Log``/``message``/``body``). This is the layout of the Nezha log files (``Timestamp,
  TimeUnixNano, Node, PodName, Container, TraceID, SpanID, Log``, where ``Log`` is the container
  runtime's JSON wrapper around the service's own JSON line).
- JSON lines: one object per line with the same keys (``time_unix_nano``/``timestamp``, ``service``
  or ``pod``, ``severity``/``level``, ``message``/``log``/``body``).

Severity: the severity column or key when present; else the ``severity``/``level`` field of a JSON
line (unwrapped from a runtime's ``{"log": "..."}`` wrapper); else the words ERROR, FATAL, CRITICAL,
PANIC or a ``Traceback``/``Exception`` in the text. Pod names become their workload
(`traces.service_of_pod`).

As a source (``kind: logs``, `path` a file or folder) it asserts no facts: investigations read the
lines around an onset (`app`). This module reads files; it never writes to a store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import Facts, KnownIds, SourceConfig, register_reader
from opsgraph.sources.csv_table import first_alias, header_index, table_rows
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.traces import service_of_pod


class LogFormatError(SourceError):
    """A log file could not be read: the message names the file, the line and the field."""

    code = "log_invalid"
    status = 400


@dataclass(frozen=True)
class LogLine:
    """One log line: who wrote it, when, and whether it reports an error."""

    service: str
    """Workload that wrote it (a pod name's Kubernetes suffixes stripped)."""
    time_ns: int
    """Unix nanoseconds."""
    error: bool
    """Severity error or worse (module docstring)."""


ERROR_LEVELS = {"error", "err", "fatal", "critical", "crit", "panic", "alert", "emerg", "emergency", "severe"}
_ERROR_WORDS = re.compile(r"\b(ERROR|FATAL|CRITICAL|PANIC)\b|Traceback \(most recent call last\)|\bException\b")
_ALIASES = {
    "time_ns": ("timeunixnano", "time_unix_nano", "time_ns"),
    "time_iso": ("timestamp", "time", "ts"),
    "pod": ("podname", "pod_name", "pod"),
    "service": ("service", "servicename", "service_name"),
    "severity": ("severity", "level", "severitytext", "severity_text", "loglevel"),
    "text": ("log", "message", "msg", "body", "line"),
}


def _severity_error(value: Any) -> bool:
    return str(value).strip().lower() in ERROR_LEVELS


def _text_error(text: str) -> bool:
    """Severity from the line itself: a JSON line's severity/level field (unwrapped), else error words."""
    body = text.strip()
    for _ in range(3):  # a runtime wrapper ({"log": "<the service's JSON>"}) around the service's own line
        if not body.startswith("{"):
            break
        try:
            doc = json.loads(body)
        except json.JSONDecodeError:
            break
        if not isinstance(doc, dict):
            break
        for key in ("severity", "level", "severityText", "loglevel"):
            if key in doc:
                return _severity_error(doc[key])
        inner = doc.get("log", doc.get("message"))
        if not isinstance(inner, str):
            break
        body = inner.strip()
    return bool(_ERROR_WORDS.search(body))


def _iso_ns(text: str) -> int:
    value = text.strip().replace("Z", "+00:00")
    frac = ""
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", value)
    if m:  # Python parses at most microseconds: keep the nanoseconds by hand
        value, frac = m.group(1) + m.group(3), m.group(2)
    whole = datetime.fromisoformat(value)
    if whole.tzinfo is None:
        raise ValueError("no time zone")
    return int(whole.timestamp()) * 1_000_000_000 + int((frac + "000000000")[:9] or 0)


def _pick(keys: dict[str, int] | dict[str, Any], kind: str) -> str | None:
    return first_alias(keys, _ALIASES[kind])


def read_log_table(path: str | Path) -> Iterator[LogLine]:
    """Log lines from a CSV log table (Nezha's layout or the same columns under other common names)."""
    path = Path(path)
    rows = table_rows(path, "log table", LogFormatError)
    first = next(rows, None)
    if first is None:
        return
    header = first[1]
    cols = header_index(header)
    t_ns, t_iso = _pick(cols, "time_ns"), _pick(cols, "time_iso")
    who = _pick(cols, "service") or _pick(cols, "pod")
    sev, text = _pick(cols, "severity"), _pick(cols, "text")
    if (t_ns is None and t_iso is None) or who is None or (sev is None and text is None):
        raise LogFormatError(f"{path}: line 1: a log table needs a time (TimeUnixNano or Timestamp), a service or "
                             "pod column, and a severity or the line (Log/message)")
    from_pods = who in _ALIASES["pod"]
    for line, row in rows:
        try:
            when = int(row[cols[t_ns]]) if t_ns is not None else _iso_ns(row[cols[t_iso]])  # type: ignore[index]
            name = row[cols[who]].strip()
            error = _severity_error(row[cols[sev]]) if sev is not None else _text_error(row[cols[text]])  # type: ignore[index]
        except IndexError:
            raise LogFormatError(f"{path}: line {line}: expected {len(header)} columns, found {len(row)}") from None
        except ValueError:
            field = t_ns or t_iso
            raise LogFormatError(f"{path}: line {line}: field {field!r} must be Unix nanoseconds or an ISO time with a "
                                 "zone") from None
        yield LogLine(service_of_pod(name) if from_pods else name, when, error)


def read_log_jsonl(path: str | Path) -> Iterator[LogLine]:
    """Log lines from a JSON-lines file (module docstring)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LogFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LogFormatError(f"{path}: line {line}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(doc, dict):
            raise LogFormatError(f"{path}: line {line}: expected an object")
        keys = {k.lower(): k for k in doc}
        t_ns, t_iso = _pick(keys, "time_ns"), _pick(keys, "time_iso")
        who = _pick(keys, "service") or _pick(keys, "pod")
        sev, text = _pick(keys, "severity"), _pick(keys, "text")
        if (t_ns is None and t_iso is None) or who is None or (sev is None and text is None):
            raise LogFormatError(f"{path}: line {line}: a log line needs a time (time_unix_nano or timestamp), a service "
                                 "or pod, and a severity or a message")
        try:
            when = int(doc[keys[t_ns]]) if t_ns is not None else _iso_ns(str(doc[keys[t_iso]]))  # type: ignore[index]
        except (TypeError, ValueError):
            raise LogFormatError(f"{path}: line {line}: field {t_ns or t_iso!r} must be Unix nanoseconds or an ISO time "
                                 "with a zone") from None
        name = str(doc[keys[who]]).strip()
        error = _severity_error(doc[keys[sev]]) if sev is not None else _text_error(str(doc[keys[text]]))  # type: ignore[index]
        yield LogLine(service_of_pod(name) if who in _ALIASES["pod"] else name, when, error)


def read_logs(path: str | Path) -> Iterator[LogLine]:
    """Log lines from a file or every log file in a folder (``*.csv`` tables, ``*.jsonl``/``*.json`` lines)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".jsonl", ".json"))
    elif path.exists():
        files = [path]
    else:
        raise LogFormatError(f"{path}: no such file or folder")
    for f in files:
        yield from (read_log_table(f) if f.suffix.lower() == ".csv" else read_log_jsonl(f))


@register_reader("logs")
def read_log_source(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None,
                    cache: DocumentCache | None = None) -> Facts:
    """A log source asserts no nodes or edges: investigations read its lines around an onset."""
    return Facts(source=config.name, kind=config.kind)
