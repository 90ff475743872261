"""Errors of the risk layer that more than one of its modules raises (kept low so no module imports upwards for them)."""

from __future__ import annotations

from opsgraph.errors import RiskError

__all__ = ["RegistryError"]


class RegistryError(RiskError, RuntimeError):
    """A version does not exist, or there is nothing to roll back to."""
