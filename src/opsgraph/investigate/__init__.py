"""Incident investigation: ranked root causes with their evidence, recent changes, similar past incidents and runbooks.

Layer: may import `schema`, `store`, `risk`, `retrieve`, `embed` and the leaf `errors`; the change
log comes from `app` as plain data.
"""

from __future__ import annotations

from opsgraph.investigate._errors import IncidentRecordError, InvestigationError
from opsgraph.investigate.incidents import close_incident, import_incidents, open_incident
from opsgraph.investigate.rank import Candidate, Ranking, rank_candidates
from opsgraph.investigate.report import Investigation
from opsgraph.investigate.run import investigate

__all__ = [
    "Candidate",
    "IncidentRecordError",
    "Investigation",
    "InvestigationError",
    "Ranking",
    "close_incident",
    "import_incidents",
    "investigate",
    "open_incident",
    "rank_candidates",
]
