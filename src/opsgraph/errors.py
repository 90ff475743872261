"""The exceptions opsgraph raises, as one tree.

    OpsGraphError
    ├── ConfigError           opsgraph.yaml / environment is wrong
    ├── SchemaError           schema.yaml is invalid (also a ValueError; every issue has a line)
    ├── IngestError           estate files are invalid (every issue names file, line/row, field)
    ├── SourceError           a source (manifests, compose, catalog) cannot be read (names file, document, field)
    └── StoreError            the store failed
        ├── StoreLockedError  another process holds the embedded store
        ├── BatchError        a write batch failed and was rolled back
        └── QueryError        a query did not parse or failed in the engine
            ├── WriteRefusedError  a read-only query tried to write
            └── QueryTimeoutError  a query ran past its time limit

Low-level engine errors are mapped to the most specific of these with
`raise ... from exc`, so a user sees what to do rather than a Java stack.
This module is a leaf: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass


class OpsGraphError(Exception):
    """Base of every error opsgraph raises on purpose."""


class ConfigError(OpsGraphError):
    """Configuration (file or environment) is missing or invalid."""


@dataclass(frozen=True)
class Issue:
    """One problem in an input file."""

    file: str
    """Path of the file, relative to the estate folder where possible."""
    line: int | None
    """1-based line (YAML, CSV) or item number (JSON), when known."""
    field: str
    """Field or column the problem is in; empty for whole-row or file problems."""
    message: str
    """What is wrong and what was expected."""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        fld = f" [{self.field}]" if self.field else ""
        return f"{where}{fld}: {self.message}"


class IngestError(OpsGraphError):
    """Estate files were refused; nothing was written. `issues` lists every problem found."""

    def __init__(self, issues: list[Issue], *, limit: int = 50) -> None:
        self.issues = issues
        shown = "\n".join(f"  {i}" for i in issues[:limit])
        more = f"\n  ... and {len(issues) - limit} more" if len(issues) > limit else ""
        super().__init__(f"{len(issues)} problem(s) in the estate; nothing was written:\n{shown}{more}")


class StoreError(OpsGraphError):
    """The store could not do what was asked."""


class StoreLockedError(StoreError):
    """The embedded store is open in another process (one writer per store)."""


class BatchError(StoreError):
    """A write batch failed; its transaction was rolled back, earlier batches stand."""


class QueryError(StoreError):
    """A query failed to parse or run."""

    def __init__(self, message: str, *, cypher: str | None = None) -> None:
        self.cypher = cypher
        super().__init__(message)


class WriteRefusedError(QueryError):
    """A query that writes was run read-only."""


class QueryTimeoutError(QueryError):
    """A query ran longer than its time limit and was stopped by the engine."""


class SourceError(OpsGraphError):
    """A source's input cannot be read at all (unreadable file, malformed or unrendered document, missing folder).

    The message names the file, the 1-based document index within it, the field and what was expected.
    """

    def __init__(self, message: str, *, file: str | None = None, document: int | None = None, field: str = "") -> None:
        self.file = file
        self.document = document
        self.field = field
        where = "" if file is None else (file if document is None else f"{file} document {document}")
        fld = f" [{field}]" if field else ""
        super().__init__(f"{where}{fld}: {message}" if where or fld else message)
