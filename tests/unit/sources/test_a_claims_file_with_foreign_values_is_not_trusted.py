"""`load_known`: the claims file kept in the home is trusted only when every key and hash is a string."""

from __future__ import annotations

import marshal
from pathlib import Path

from opsgraph.ingest.source_sync import CLAIMS_FORMAT, load_known


def _write(path: Path, hashes: dict[object, object]) -> Path:
    path.write_bytes(marshal.dumps({"format": CLAIMS_FORMAT, "source": "k8s", "mark": "run-1", "hashes": hashes}))
    return path


def test_string_hashes_are_loaded(tmp_path: Path) -> None:
    known = load_known(_write(tmp_path / "k8s.claims", {"k8s|node|Service|a|": "h1", "k8s|node|Service|b|": "h2"}), "k8s")
    assert known is not None and known.mark == "run-1" and dict(known.hashes) == {"k8s|node|Service|a|": "h1", "k8s|node|Service|b|": "h2"}


def test_a_non_string_key_or_hash_makes_the_file_untrusted(tmp_path: Path) -> None:
    assert load_known(_write(tmp_path / "v.claims", {"k8s|node|Service|a|": "h1", "k8s|node|Service|b|": 7}), "k8s") is None
    assert load_known(_write(tmp_path / "k.claims", {"k8s|node|Service|a|": "h1", 3: "h2"}), "k8s") is None
    assert load_known(_write(tmp_path / "o.claims", {"k8s|node|Service|a|": "h1"}), "other") is None
