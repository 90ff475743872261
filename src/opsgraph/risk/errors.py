"""Errors of the risk layer that more than one of its modules raises (kept low so no module imports upwards for them)."""

from __future__ import annotations

__all__ = ["RegistryError"]


class RegistryError(RuntimeError):
    """A version does not exist, or there is nothing to roll back to."""
