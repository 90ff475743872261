"""Splitting pairs into training and held-out parts, and keeping them on disk.

The held-out part holds whole phrasings and whole shapes out, so it measures
what the model never saw. Pairs are saved as JSON lines with sorted keys, and
`pairs_sha256` hashes that form: the hash an adapter is registered with.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from opsgraph._files import atomic_write_text
from opsgraph.retrieve.text2cypher.records import CypherPair
from opsgraph.retrieve.text2cypher.slots import Slot

__all__ = ["load_pairs", "pairs_sha256", "save_pairs", "split_pairs"]


def _portion(n: int, fraction: float) -> int:
    return max(0, min(n - 1, round(n * fraction)))


def split_pairs(pairs: Sequence[CypherPair], *, held_out: float = 0.2, seed: int = 0) -> tuple[list[CypherPair], list[CypherPair]]:
    """(train, held-out): about `held_out` of each pattern's phrasings and of its shapes are held out whole.

    A pair is held out when its phrasing or its shape is; the train part contains
    neither, so the held-out part measures phrasings and shapes the model never saw.
    Every pattern keeps at least one phrasing and one shape in train. Deterministic for a seed.
    """
    phrasings: dict[str, set[str]] = defaultdict(set)
    shapes: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        phrasings[p.pattern].add(p.phrasing)
        shapes[p.pattern].add(p.shape)
    held_ph: set[str] = set()
    held_sh: set[str] = set()
    for pattern in sorted(phrasings):
        rng = random.Random(f"{seed}|split|{pattern}")
        ph = sorted(phrasings[pattern])
        held_ph.update(rng.sample(ph, _portion(len(ph), held_out)))
        sh = sorted(shapes[pattern])
        held_sh.update(rng.sample(sh, _portion(len(sh), held_out)))
    train = [p for p in pairs if p.phrasing not in held_ph and p.shape not in held_sh]
    held = [p for p in pairs if p.phrasing in held_ph or p.shape in held_sh]
    return train, held


def _to_json(p: CypherPair) -> dict[str, Any]:
    return {
        "question": p.question,
        "template": p.template,
        "cypher": p.cypher,
        "params": p.params,
        "slots": [{"name": s.name, "kind": s.kind, "label": s.label, "value": s.value, "surface": s.surface} for s in p.slots],
        "pattern": p.pattern,
        "shape": p.shape,
        "phrasing": p.phrasing,
        "rows": p.rows,
    }


def _from_json(d: Mapping[str, Any]) -> CypherPair:
    return CypherPair(
        question=d["question"],
        template=d["template"],
        cypher=d["cypher"],
        params=dict(d["params"]),
        slots=tuple(Slot(s["name"], s["kind"], s["label"], s["value"], s["surface"]) for s in d["slots"]),
        pattern=d["pattern"],
        shape=d["shape"],
        phrasing=d["phrasing"],
        rows=int(d["rows"]),
    )


def _line(p: CypherPair) -> str:
    return json.dumps(_to_json(p), ensure_ascii=False, sort_keys=True)


def save_pairs(pairs: Iterable[CypherPair], path: Path) -> None:
    """Write pairs as JSON lines (one pair per line, keys sorted)."""
    atomic_write_text(path, "".join(_line(p) + "\n" for p in pairs))


def load_pairs(path: Path) -> list[CypherPair]:
    """Read pairs written by `save_pairs`."""
    out = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(_from_json(json.loads(line)))
    return out


def pairs_sha256(pairs: Iterable[CypherPair]) -> str:
    """A stable hash of the training data (order matters)."""
    h = hashlib.sha256()
    for p in pairs:
        h.update(_line(p).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
