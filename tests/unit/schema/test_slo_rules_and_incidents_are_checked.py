"""A schema's SLO rules must name declared telemetry; its `incidents` section must name real types, edges and datetimes."""

from __future__ import annotations

import pytest

from opsgraph.schema import SchemaError, parse_schema

BASE = """\
version: 1
name: t
nodes:
  Service:
    properties: {name: string}
    telemetry: [error_rate]
{slo}
  Incident:
    properties: {title: string, started_at: datetime, resolved_at: datetime, note: string}
edges:
  AFFECTED: {from: Incident, to: Service}
{incidents}
"""


def _parse(slo: str = "", incidents: str = "") -> object:
    return parse_schema(BASE.replace("{slo}", slo).replace("{incidents}", incidents))


def test_a_valid_schema_round_trips_rules_and_incidents() -> None:
    schema = _parse("    slo: [{feature: error_rate, above: 0.02, for: 3}]",
                    "incidents: {type: Incident, affected: AFFECTED, caused_by: null, start: started_at, end: resolved_at}")
    assert schema.nodes["Service"].slo[0].for_steps == 3  # type: ignore[attr-defined]
    assert schema.incidents.affected == "AFFECTED"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("slo", "incidents", "message"),
    [
        ("    slo: [{feature: latency, above: 1}]", "", "not a telemetry feature"),
        ("    slo: [{feature: error_rate}]", "", "exactly one of"),
        ("", "incidents: {type: Outage, affected: AFFECTED, caused_by: null}", "unknown node type 'Outage'"),
        ("", "incidents: {type: Incident, affected: HIT, caused_by: null}", "'HIT' is not an edge type from Incident"),
        ("", "incidents: {type: Incident, affected: AFFECTED, caused_by: null, start: note}", "'note' is not a datetime property"),
    ],
)
def test_bad_rules_and_incident_settings_are_refused(slo: str, incidents: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        _parse(slo, incidents)
