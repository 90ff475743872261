"""Integration fixtures: a real embedded ArcadeDB store per test (one JVM per test process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings


@pytest.fixture
def og(tmp_path: Path) -> Iterator[OpsGraph]:
    """An opened facade on a fresh home."""
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as graph:
        yield graph
