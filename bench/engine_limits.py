"""What the embedded engine refuses: index key sizes, integers, NaN, control characters (measured, not assumed).

    .venv/bin/python bench/engine_limits.py

For each index kind (LSM UNIQUE, LSM NOTUNIQUE, FULL_TEXT) it finds, by
bisection to 64 bytes, the longest string a one-row transaction commits
with, then writes 40 keys of that size into one index and forces a
compaction (the engine compacts keys into pages of its own). It also writes
a 2**63 integer, NaN and infinity into LONG/DOUBLE properties and a NUL byte
into an indexed string, and prints what the engine said. The figures behind
`opsgraph/store/limits.py` (arcadedb-embedded 26.10.2.post1, this machine,
2026-12-04): UNIQUE and NOTUNIQUE commit keys up to 262,080-262,112 bytes
(one 256 KiB page; fails from 262,120); a UNIQUE index holding 40 keys
compacts them up to 210,892 bytes and fails from 211,916; NOTUNIQUE compacted
40 keys of 262,080; FULL_TEXT took a 1 MiB word; 2**63 into LONG is refused
("int too big to convert"); NaN, infinity and NUL are stored as given.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from opsgraph.errors import QueryError
from opsgraph.store.transport import EmbeddedTransport

STEP = 64
KEYS = 40


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opsgraph-limits-") as tmp:
        t = EmbeddedTransport(Path(tmp) / "db")
        t.open()
        counter = [0]

        def new_type(kind: str, prop_type: str = "STRING") -> str:
            counter[0] += 1
            name = f"T{counter[0]}"
            t.command("sql", f"CREATE VERTEX TYPE {name}")
            t.command("sql", f"CREATE PROPERTY {name}.p {prop_type}")
            if kind != "NONE":
                t.command("sql", f"CREATE INDEX ON {name} (p) {kind}")
            return name

        def write(name: str, value: object) -> str:
            try:
                with t.transaction():
                    t.command("cypher", f"CREATE (n:{name}) SET n.p = $v", {"v": value})
            except QueryError as exc:
                return str(exc)[:160]
            return ""

        def compact(name: str) -> str:
            jdb = t.db.get_java_database()
            for index in jdb.getSchema().getType(name).getAllIndexes(False):
                for sub in index.getIndexesOnBuckets():
                    try:
                        sub.scheduleCompaction()
                        sub.compact()
                    except Exception as exc:  # the engine's own exception, shown as it is
                        return str(exc)[:160]
            return ""

        for kind in ("UNIQUE", "NOTUNIQUE", "FULL_TEXT"):
            began = time.perf_counter()
            lo, hi, err = 0, 1 << 20, ""
            if write(new_type(kind), "a" * hi) == "":
                print(f"{kind:<10} a {hi:,}-byte key commits", flush=True)
                continue
            while hi - lo > STEP:
                mid = (lo + hi) // 2
                e = write(new_type(kind), "a" * mid)
                lo, hi, err = (mid, hi, err) if e == "" else (lo, mid, e)
            print(f"{kind:<10} longest key that commits: {lo:,} bytes (fails at {hi:,}: {err})", flush=True)

            def compacts(size: int, kind: str = kind) -> str:
                name = new_type(kind)
                refused = [e for e in (write(name, f"{i:08d}" + "a" * (size - 8)) for i in range(KEYS)) if e]
                return refused[0] if refused else compact(name)

            if kind == "FULL_TEXT" or compacts(lo) == "":
                print(f"{kind:<10} {KEYS} keys of {lo:,} bytes compact fine ({time.perf_counter() - began:.0f} s)", flush=True)
                continue
            clo, chi, cerr = 0, lo, ""
            while chi - clo > STEP * 16:
                mid = (clo + chi) // 2
                e = compacts(mid)
                clo, chi, cerr = (mid, chi, cerr) if e == "" else (clo, mid, e)
            print(
                f"{kind:<10} longest key an index still compacts ({KEYS} keys): {clo:,} bytes (fails at {chi:,}: {cerr[:90]}) "
                f"({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
        for label, prop_type, value in (
            ("2**63 into LONG", "LONG", 2**63),
            ("NaN into DOUBLE", "DOUBLE", math.nan),
            ("inf into DOUBLE", "DOUBLE", math.inf),
            ("NUL in an indexed STRING", "STRING", "a\x00b"),
        ):
            name = new_type("NOTUNIQUE", prop_type)
            err = write(name, value)
            back = t.query("cypher", f"MATCH (n:{name}) RETURN n.p AS p", None, 1)[0] if not err else []
            print(f"{label:<26} {'refused: ' + err if err else 'stored, read back as ' + repr(back[0]['p'] if back else None)}", flush=True)
        t.close()


if __name__ == "__main__":
    main()
