"""The API reports each error with its class's stable code and status; unknown exceptions never leak their text.

That every class in the package has a code and status: tests/unit/test_error_tree.py.
"""

from __future__ import annotations

import pytest

from opsgraph.api.errors import ApiError, describe_error
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
