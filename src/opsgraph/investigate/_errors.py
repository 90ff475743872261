"""The investigation's own errors (a leaf of `opsgraph.errors.OpsGraphError`): what the user must change, said plainly."""

from __future__ import annotations

from opsgraph.errors import OpsGraphError


class InvestigationError(OpsGraphError):
    """An investigation cannot run: unknown target, no telemetry, an onset outside the stored data."""

    code = "investigation_impossible"
    status = 422


class IncidentRecordError(OpsGraphError):
    """An incident record is invalid (names the file, row or document and the field)."""

    code = "incident_invalid"
    status = 422
