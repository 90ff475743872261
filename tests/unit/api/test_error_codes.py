"""Every opsgraph error class has a stable code and status; unknown exceptions never leak their text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import opsgraph
from opsgraph.api.errors import ERROR_CODES, ApiError, describe_error
from opsgraph.app.ask import NothingIngestedError
from opsgraph.app.risk import NoModelError, NoTelemetryError, RiskError, UnknownNodeError
from opsgraph.errors import (
    BatchError,
    ConfigError,
    IngestError,
    Issue,
    OpsGraphError,
    QueryError,
    QueryTimeoutError,
    StoreLockedError,
    WriteRefusedError,
)


@pytest.mark.parametrize(("exc", "status", "code"), [
    (WriteRefusedError("writes", cypher="MATCH (n) SET n.x = 1"), 403, "write_refused"),
    (QueryTimeoutError("too slow"), 408, "query_timeout"),
    (QueryError("does not parse"), 400, "query_invalid"),
    (StoreLockedError("held"), 503, "store_locked"),
    (BatchError("rolled back"), 500, "write_failed"),
    (ConfigError("bad yaml"), 500, "config_error"),
    (NothingIngestedError("ingest first"), 409, "nothing_ingested"),
    (NoModelError("train first"), 409, "no_model"),
    (NoTelemetryError("no telemetry"), 409, "no_telemetry"),
    (UnknownNodeError("no node"), 404, "unknown_node"),
    (RiskError("cannot train"), 409, "risk_error"),
    (OpsGraphError("something"), 500, "opsgraph_error"),
])
def test_each_error_class_has_its_status_and_code(exc: Exception, status: int, code: str) -> None:
    info = describe_error(exc)
    assert (info.status, info.code, info.message) == (status, code, str(exc))
    assert info.body()["error"]["code"] == code


def test_ingest_errors_carry_every_issue() -> None:
    exc = IngestError([Issue("nodes/Service.csv", 3, "port", "not an integer"), Issue("edges/X.csv", 2, "to", "unknown node")])
    info = describe_error(exc)
    assert info.status == 422 and info.code == "ingest_invalid"
    assert info.details == ["nodes/Service.csv:3 [port]: not an integer", "edges/X.csv:2 [to]: unknown node"]


def test_query_errors_carry_the_cypher() -> None:
    assert describe_error(QueryError("bad", cypher="MATC (n)")).details == {"cypher": "MATC (n)"}


def test_unexpected_exceptions_are_internal_and_do_not_leak_their_text() -> None:
    info = describe_error(KeyError("secret-internal-detail"))
    assert info.status == 500 and info.code == "internal" and "secret" not in info.message


def test_shell_errors_keep_their_own_code() -> None:
    info = describe_error(ApiError(404, "job_not_found", "no job"))
    assert (info.status, info.code, info.message) == (404, "job_not_found", "no job")


def test_every_error_class_in_the_package_is_mapped_and_codes_are_unique() -> None:
    # Read the classes from the source (importing every module would load torch and the models: seconds).
    bases: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    root = Path(opsgraph.__file__).parent
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("api/", "cli/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                where[node.name] = rel

    def chain(name: str) -> list[str]:
        out = [name]
        for b in bases.get(name, []):
            out += chain(b)
        return out

    errors = [name for name in bases if name != "OpsGraphError" and "OpsGraphError" in chain(name)]
    assert len(errors) > 15
    unmapped = [f"{where[n]}:{n}" for n in errors if not any(k in ERROR_CODES for k in chain(n) if k != "OpsGraphError")]
    assert unmapped == [], f"give these a code in opsgraph.api.errors.ERROR_CODES: {unmapped}"
    codes = [code for _, code in ERROR_CODES.values()]
    assert len(codes) == len(set(codes))
