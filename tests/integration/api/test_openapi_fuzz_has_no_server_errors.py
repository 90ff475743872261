"""Schemathesis against the API's own OpenAPI spec: generated requests (valid and not) never get a 5xx.

A bounded number of examples per operation keeps it well under a minute. Model
training is left out (each call would train for seconds); ingest is fuzzed with
the server limited to an empty folder, so no generated path can load anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance


@pytest.fixture(scope="module")
def fuzz_app(api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from opsgraph.api.http.app import create_app
    from opsgraph.api.service import Served
    from opsgraph.app import OpsGraph

    roots = tmp_path_factory.mktemp("no-estates")
    with OpsGraph(api.settings(api.home("fuzz"))) as og:
        served = Served(og, ingest_roots=[roots])
        yield create_app(served)
        served.close()


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_generated_requests_never_get_a_server_error(fuzz_app: Any) -> None:
    # schemathesis' pytest integration (`from_fixture`) does not run on pytest 9 (it reads a private
    # node attribute that is gone), so each operation's strategy is driven by hypothesis here.
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app).exclude(path="/v1/risk/train")
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=6, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
