"""Shared simulation helpers for the risk tests."""

from __future__ import annotations

from typing import Literal

from opsgraph.risk import SimulatedEstate, simulate_estate

ESTATE_SEED = 0


def later(estate: SimulatedEstate, n_steps: int, run_seed: int,
          mode: Literal["normal", "drift"] = "normal") -> SimulatedEstate:
    """Fresh telemetry of the same estate, starting right after `estate`."""
    return simulate_estate(len(estate.node_ids), n_steps, seed=ESTATE_SEED, run_seed=run_seed,
                           start=int(estate.timestamps[-1]) + 60, mode=mode)
