"""The engine's read-only path refuses the corpus too: each guard holds without the other.

The static check is bypassed here (statements go straight to the transport's
read-only `query`); the allow-listed procedures must run there without a refusal.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, sample_estate_path
from opsgraph.errors import QueryError
from opsgraph.store.cypher_guard import is_read_only
from server_backends import BACKENDS, backend_og
from unit.store.test_static_guard_holds_alone import CORPUS, ISSUE_STATEMENTS  # type: ignore[import-not-found]


@pytest.fixture(scope="module", params=BACKENDS)
def og(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsGraph]:
    """The sample estate on each backend (the server's read-only endpoint is its engine's guard)."""
    home: Path = tmp_path_factory.mktemp("guards")
    server = request.getfixturevalue("arcadedb_server") if request.param == "server" else None
    with backend_og(request.param, home, server, embed={"provider": "hashing"}, llm={"provider": "none"}) as og:
        og.ingest(sample_estate_path(), documents=False)
        yield og


def test_the_engine_refuses_what_the_static_check_refuses(og: OpsGraph) -> None:
    sample = ISSUE_STATEMENTS + random.Random(20).sample(CORPUS, 150)
    fingerprint = "MATCH (n) RETURN labels(n)[0] AS t, n.id AS id, properties(n) AS p ORDER BY t, id"
    before = og.query(fingerprint).rows
    ran = []
    for cypher in sample:
        try:
            og.store.transport.query("cypher", cypher, None, 10)  # type: ignore[attr-defined]
        except QueryError:  # refused as a write, or did not parse
            continue
        ran.append(cypher)
    # What the engine ran, it read as a comment (it ends `//` only at some line breaks; the static check at all of them).
    assert all("//" in c for c in ran), [c for c in ran if "//" not in c][:5]
    assert og.query(fingerprint).rows == before


@pytest.mark.parametrize("cypher", ["CALL db.labels()", "CALL db.relationshipTypes()", "CALL db.propertyKeys()",
                                    "CALL db.schema.visualization()"])
def test_allow_listed_procedures_run_in_the_engines_read_only_path(og: OpsGraph, cypher: str) -> None:
    assert is_read_only(cypher)
    assert og.query(cypher).rows
