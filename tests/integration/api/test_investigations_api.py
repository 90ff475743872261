"""Investigations over HTTP: `POST /v1/investigations` runs one as a job with progress, the result is kept and listed,
and the root-cause endpoint carries the investigation; the MCP tool answers the same. Real store, sample estate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opsgraph.api.http.app import sse_events


@pytest.fixture(scope="module")
def client(api: Any) -> Iterator[Any]:
    with api.client(api.home("investigations"), mcp=False) as (c, _):
        yield c


def _wait(client: Any, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_an_investigation_job_reports_progress_and_its_result_is_kept_and_listed(client: Any) -> None:
    r = client.post("/v1/investigations", json={"target": "checkoutservice", "at": "2026-01-02T10:00:00Z", "window": "30m"})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    events = sse_events(client.get(f"/v1/jobs/{job_id}/events").text)
    assert any(e == "progress" for e, _ in events)
    job = _wait(client, job_id)
    assert job["state"] == "succeeded", job["error"]
    result = job["result"]
    assert result["symptom"] == "checkoutservice" and result["onset"] == "2026-01-02T10:00:00Z" and result["onset_source"] == "given"
    assert result["candidates"] and all(c["reason"] for c in result["candidates"])
    assert result["data_age"].startswith("computed on telemetry up to 2026-01-02T11:59:00Z")
    listed = client.get("/v1/investigations").json()
    assert listed[0]["id"] == job_id and listed[0]["result"]["target"] == "checkoutservice"


def test_a_bad_target_fails_the_job_with_a_clear_message(client: Any) -> None:
    job = _wait(client, client.post("/v1/investigations", json={"target": "no-such-service"}).json()["id"])
    assert job["state"] == "failed" and "no-such-service" in job["error"]["message"]
    assert client.post("/v1/investigations", json={"target": ""}).status_code == 422


def test_the_root_cause_endpoint_carries_the_investigation(client: Any) -> None:
    rc = client.get("/v1/risk/root-cause/checkoutservice").json()
    assert rc["summary"].startswith("checkoutservice") and "investigation" in rc
    if rc["investigation"] is None:  # nothing left its normal range in the sample's last hours: said, not hidden
        assert "normal range" in rc["investigation_note"]
    else:
        assert rc["investigation"]["candidates"][0]["node"] == rc["anchor"]
