"""Fixtures for the risk layer: one torch thread, tiny hand-built graphs, one small trained model.

The trained model is session-scoped: training is the slow part, and several
behaviours (metrics, explanations, drift, registry, monitor) read it without
changing it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: no spinning pools

from collections.abc import Iterator

import pytest

from opsgraph.risk import RiskConfig, SimulatedEstate, TrainedRiskModel, simulate_estate, train_model

from ._sim import ESTATE_SEED

TRAIN_CONFIG = RiskConfig(epochs=20, threads=1, seed=0)


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> Iterator[None]:
    import torch

    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def estate() -> SimulatedEstate:
    """12 services, 600 one-minute steps."""
    return simulate_estate(12, 600, seed=ESTATE_SEED)


@pytest.fixture(scope="session")
def trained(estate: SimulatedEstate) -> TrainedRiskModel:
    return train_model(estate.to_frame(), estate.edges, TRAIN_CONFIG, schema_name="shop", node_type="Service")

