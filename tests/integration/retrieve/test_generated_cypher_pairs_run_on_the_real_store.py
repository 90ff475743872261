"""Training pairs for text-to-Cypher, generated from the live schema and store values of a real embedded store:
every query is read-only and returns rows with its parameters, slots and templates agree, generation is
seeded, the split holds out whole phrasings and shapes, and a second, unrelated schema works too."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.retrieve.text2cypher import (
    CypherPair,
    PairSet,
    edge_verb,
    generate_pairs,
    load_pairs,
    pairs_sha256,
    save_pairs,
    split_pairs,
    type_noun,
)
from opsgraph.store.cypher_guard import write_clauses

LIBRARY = Path(__file__).resolve().parents[2] / "fixtures" / "library_estate"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def _open(home: Path, estate: Path) -> OpsGraph:
    og = OpsGraph(Settings(home=home, embed={"provider": "none"})).open()
    og.ingest(estate, documents=False)
    return og


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpsGraph, PairSet]]:
    """The sample estate in a real store and the pairs generated from it with seed 0 (shared: the tests only read)."""
    og = _open(tmp_path_factory.mktemp("pairs") / "home", sample_estate_path())
    try:
        schema = og.schema()
        assert schema is not None
        calls: list[tuple[int, int]] = []
        pair_set = generate_pairs(og.store, schema, seed=0, progress=lambda d, t: calls.append((d, t)))
        assert calls and calls[-1][0] == calls[-1][1], "progress ends at its total"
        yield og, pair_set
    finally:
        og.close()


def check_pairs(og: OpsGraph, pairs: Sequence[CypherPair]) -> None:
    """Every invariant a single pair must keep, on the store it came from."""
    labels = {t.name for t in og.describe() if t.kind == "node"}
    for p in pairs:
        assert write_clauses(p.cypher) == [], p.cypher
        names = [s.name for s in p.slots]
        assert names == [f"p{i}" for i in range(len(p.slots))], p
        assert set(p.params) == set(names), p
        assert set(_PARAM.findall(p.cypher)) == set(names), f"every $name is a slot and every slot is used: {p.cypher}"
        question = p.template
        for s in reversed(p.slots):  # $p10 before $p1
            assert p.params[s.name] == s.value
            assert p.template.count(f"${s.name}") == 1, p.template
            assert s.surface and not re.search(r"(?<!\w)" + re.escape(s.surface) + r"(?!\w)", p.template, re.I), (s.surface, p.template)
            question = question.replace(f"${s.name}", s.surface)
            if s.kind == "entity":
                assert s.label in labels and f"{{id: ${s.name}}}" in p.cypher, p
            else:
                assert s.kind == "value" and f"= ${s.name}" in p.cypher, p
                assert s.label.split(".")[0] in labels, p
        assert question == p.question
        assert p.phrasing.startswith(p.pattern + "/") and p.shape.startswith(p.pattern + ":")
        rows = og.store.query(p.cypher, p.params, limit=5000, timeout_ms=10_000).rows
        assert rows, f"no rows: {p.question} -> {p.cypher} {p.params}"
        assert len(rows) == p.rows, p
    assert len({(p.template, p.cypher) for p in pairs}) == len(pairs), "(template, cypher) repeats"
    assert len({p.question.lower() for p in pairs}) == len(pairs), "a question repeats"


def test_sample_estate_gives_thousands_of_valid_pairs(sample: tuple[OpsGraph, PairSet]) -> None:
    og, pair_set = sample
    pairs, stats = pair_set.pairs, pair_set.stats
    assert len(pairs) >= 1000, stats
    patterns = Counter(p.pattern for p in pairs)
    assert len(patterns) >= 10, patterns
    for name in ("lookup", "filter", "range", "count", "aggregate", "group-count", "top-k", "hop1-out", "hop1-in", "hop2", "hop3",
                 "exists", "negation", "shortest-path", "hop-filter", "hop-count", "transitive-in"):
        assert patterns[name] > 0, name
    phrasings: Counter[str] = Counter()
    for pattern in patterns:
        phrasings[pattern] = len({p.phrasing for p in pairs if p.pattern == pattern})
    assert all(n >= 3 for n in phrasings.values()), phrasings
    assert stats["kept"] == len(pairs) and stats["ran"] > 0 and stats["generated"] >= len(pairs)
    assert stats["errors"] == {}, stats["errors"]
    assert sum(stats["per_pattern"][k]["kept"] for k in patterns) == len(pairs)
    assert stats["seconds"] < 120, stats["seconds"]
    check_pairs(og, pairs)


def test_entity_and_value_slots_come_from_the_store(sample: tuple[OpsGraph, PairSet]) -> None:
    og, pair_set = sample
    entity = [s for p in pair_set.pairs for s in p.slots if s.kind == "entity"]
    value = [s for p in pair_set.pairs for s in p.slots if s.kind == "value"]
    assert entity and value
    for s in entity[:: max(1, len(entity) // 100)]:
        row = og.query(f"MATCH (n:{s.label} {{id: $id}}) RETURN n.name AS name, n.aliases AS aliases, n.title AS title", {"id": s.value}).rows
        assert len(row) == 1, s
        allowed = {s.value, row[0]["name"], row[0]["title"], *(row[0]["aliases"] or [])}
        assert s.surface in allowed, s
    surfaces = Counter("id" if s.surface == s.value else "other" for s in entity)
    assert surfaces["id"] and surfaces["other"], "surfaces mix ids with names and aliases"
    for s in value[:: max(1, len(value) // 50)]:
        node, prop = s.label.split(".")
        assert og.query(f"MATCH (n:{node}) WHERE n.{prop} = $v RETURN count(n) AS c", {"v": s.value}).rows[0]["c"] >= 1, s


def test_same_seed_same_pairs_another_seed_others(sample: tuple[OpsGraph, PairSet], tmp_path: Path) -> None:
    og, pair_set = sample
    schema = og.schema()
    assert schema is not None
    again = generate_pairs(og.store, schema, seed=0)
    assert again.pairs == pair_set.pairs
    assert pairs_sha256(again.pairs) == pairs_sha256(pair_set.pairs)
    other = generate_pairs(og.store, schema, seed=1)
    assert pairs_sha256(other.pairs) != pairs_sha256(pair_set.pairs)
    assert {p.question for p in other.pairs} != {p.question for p in pair_set.pairs}
    # round trip through JSONL keeps every field, so the hash too
    path = tmp_path / "pairs.jsonl"
    save_pairs(pair_set.pairs, path)
    loaded = load_pairs(path)
    assert loaded == pair_set.pairs
    assert pairs_sha256(loaded) == pairs_sha256(pair_set.pairs)


def test_max_pairs_caps_and_keeps_every_pattern(sample: tuple[OpsGraph, PairSet]) -> None:
    og, pair_set = sample
    schema = og.schema()
    assert schema is not None
    capped = generate_pairs(og.store, schema, seed=0, max_pairs=300)
    assert len(capped.pairs) == 300
    assert capped.stats["rejected"]["over-max-pairs"] > 0
    assert {p.pattern for p in capped.pairs} == {p.pattern for p in pair_set.pairs}


def test_split_holds_out_whole_phrasings_and_shapes(sample: tuple[OpsGraph, PairSet]) -> None:
    _, pair_set = sample
    pairs = pair_set.pairs
    train, held = split_pairs(pairs, held_out=0.2, seed=0)
    assert train and held and len(train) + len(held) == len(pairs)
    held_phrasings = {p.phrasing for p in pairs} - {p.phrasing for p in train}
    held_shapes = {p.shape for p in pairs} - {p.shape for p in train}
    assert held_phrasings and held_shapes
    for p in held:
        assert p.phrasing in held_phrasings or p.shape in held_shapes, p
    for p in train:
        assert p.phrasing not in held_phrasings and p.shape not in held_shapes
    assert {p.pattern for p in train} == {p.pattern for p in pairs}, "every pattern keeps a phrasing and a shape in train"
    assert 0.15 <= len(held) / len(pairs) <= 0.6, len(held) / len(pairs)
    assert split_pairs(pairs, held_out=0.2, seed=0) == (train, held)
    assert split_pairs(pairs, held_out=0.2, seed=1) != (train, held)
    assert split_pairs(pairs, held_out=0.0, seed=0) == (list(pairs), [])


@pytest.mark.parametrize("estate", ["small", "library"])
def test_another_schema_works_too(estate: str, small_estate: Path, tmp_path: Path) -> None:
    if estate == "library" and not (LIBRARY / "schema.yaml").is_file():
        pytest.skip("no library estate fixture")
    og = _open(tmp_path / "home", small_estate if estate == "small" else LIBRARY)
    try:
        schema = og.schema()
        assert schema is not None
        pair_set = generate_pairs(og.store, schema, seed=3)
        pairs = pair_set.pairs
        patterns = Counter(p.pattern for p in pairs)
        assert len(pairs) >= (40 if estate == "small" else 1000), pair_set.stats
        assert len(patterns) >= (8 if estate == "small" else 15), patterns
        if estate == "library":
            # Self-edges chain at any depth (not only dependency edges), paths have lengths, ranges have >= and <=.
            assert any("[:SEQUEL_OF*1.." in p.cypher for p in pairs if p.pattern.startswith("transitive")), patterns
            assert patterns["shortest-length"] > 0 and any("length(p) AS hops" in p.cypher for p in pairs), patterns
            ranges = [p.cypher for p in pairs if p.pattern == "range"]
            assert any(" >= " in c and " <= " not in c for c in ranges) and any(" <= " in c and " >= " not in c for c in ranges)
        names = set(schema.nodes) | set(schema.edges)
        for p in pairs:
            used = set(re.findall(r":(\w+)", p.cypher)) - {"p0", "p1", "p2"}
            assert used <= names, (used, p.cypher)
        check_pairs(og, pairs)
    finally:
        og.close()


def test_verbs_and_nouns_come_from_names_alone() -> None:
    cases = {
        "DEPENDS_ON": ("depends on", "depend on", "does", "depend on"),
        "OWNS": ("owns", "own", "does", "own"),
        "MEMBER_OF": ("is a member of", "are members of", "is", "a member of"),
        "ON_CALL_FOR": ("is on call for", "are on call for", "is", "on call for"),
        "CAUSED_BY": ("is caused by", "are caused by", "is", "caused by"),
        "AFFECTED": ("affected", "affected", "did", "affect"),
        "RESPONDED_TO": ("responded to", "responded to", "did", "respond to"),
        "RUNBOOK_FOR": ("is a runbook for", "are runbooks for", "is", "a runbook for"),
        "WROTE": ("wrote", "wrote", "did", "write"),
        "BORROWED": ("borrowed", "borrowed", "did", "borrow"),
        "PUBLISHED_BY": ("is published by", "are published by", "is", "published by"),
        "IN_GENRE": ("is in", "are in", "is", "in"),
        "LOCATED_IN": ("is located in", "are located in", "is", "located in"),
        "HAS_PART": ("has part", "have part", "does", "have part"),
        "USES": ("uses", "use", "does", "use"),
    }
    for name, (s3, pl, aux, bare) in cases.items():
        v = edge_verb(name)
        assert (v.s3, v.pl, v.aux, v.bare) == (s3, pl, aux, bare), name
    assert edge_verb("MEMBER_OF").negp == "are not members of"
    assert (type_noun("ExternalService").sg, type_noun("ExternalService").pl) == ("external service", "external services")
    assert type_noun("Person").pl == "people" and type_noun("Person").person
    assert type_noun("Staff").pl == "staff" and not type_noun("Incident").person
