"""The investigation's own errors (a leaf of `opsgraph.errors.OpsGraphError`): what the user must change, said plainly."""

from __future__ import annotations

from opsgraph.errors import OpsGraphError


class InvestigationError(OpsGraphError):
    """An investigation cannot run: unknown target, no telemetry, an onset outside the stored data."""


class IncidentRecordError(OpsGraphError):
    """An incident record is invalid (names the file, row or document and the field)."""
