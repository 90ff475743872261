"""What `tune` keeps on disk is read back from explicit folders: the choice, its staleness, the pairs; bad files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import SMALL_SCHEMA
from opsgraph.errors import OpsGraphError
from opsgraph.retrieve import text2cypher
from opsgraph.retrieve.text2cypher import (
    CypherPair,
    ServeOptions,
    Slot,
    TuneError,
    choice_status,
    read_choice,
    save_pairs,
    schema_hash,
    tuned_pairs,
    tuned_writer,
)
from opsgraph.schema.loader import parse_schema

PAIR = CypherPair(
    question="What does checkout depend on?",
    template="What does $p0 depend on?",
    cypher="MATCH (s:Service {id: $p0})-[:DEPENDS_ON]->(t) RETURN t.id AS id",
    params={"p0": "checkout"},
    slots=(Slot("p0", "entity", "Service", "checkout", "checkout"),),
    pattern="hop1-out",
    shape="hop1-out:Service-DEPENDS_ON->Service",
    phrasing="hop1-out/0",
    rows=2,
)


def test_untuned_folder_reads_as_not_tuned(tmp_path: Path) -> None:
    assert read_choice(tmp_path) is None
    assert choice_status(None, parse_schema(SMALL_SCHEMA)) == {"tuned": False}
    assert tuned_pairs(tmp_path) == []


def test_unreadable_choice_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "choice.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TuneError, match=r"choice\.json: unreadable") as err:
        read_choice(tmp_path)
    assert isinstance(err.value, OpsGraphError)


def test_a_choice_made_under_another_schema_is_stale(tmp_path: Path) -> None:
    schema = parse_schema(SMALL_SCHEMA)
    choice = {"schema_hash": schema_hash(schema), "style": {"k": 2}, "adapter": None, "metrics": {"held_out_accuracy": 0.5}}
    (tmp_path / "choice.json").write_text(json.dumps(choice), encoding="utf-8")
    fresh = choice_status(read_choice(tmp_path), schema)
    assert fresh == {"tuned": True, "stale": False, "style": {"k": 2}, "adapter": None, "metrics": {"held_out_accuracy": 0.5}}
    changed = parse_schema(SMALL_SCHEMA.replace("port: integer", "port: float"))
    stale = choice_status(read_choice(tmp_path), changed)
    assert stale["stale"] is True and "opsgraph tune" in stale["warning"]


def test_tuned_pairs_are_the_training_and_held_out_files(tmp_path: Path) -> None:
    held = CypherPair(**{**PAIR.__dict__, "question": "What does cart depend on?", "params": {"p0": "cart"}})
    save_pairs([PAIR], tmp_path / "train.jsonl")
    save_pairs([held], tmp_path / "held_out.jsonl")
    assert tuned_pairs(tmp_path) == [PAIR, held]


def test_untuned_writer_uses_the_plain_schema_prompt(tmp_path: Path) -> None:
    writer, info = tuned_writer(object(), parse_schema(SMALL_SCHEMA), None, "SCHEMA TEXT", root=tmp_path, llm=None,  # type: ignore[arg-type]
                                embedder=None, options=ServeOptions(max_attempts=3))
    assert info == {"tuned": False}
    assert writer.schema_text == "SCHEMA TEXT" and writer.max_attempts == 3 and writer.examples is None


def test_the_package_exports_what_it_lists() -> None:
    assert sorted(text2cypher.__all__) == sorted(set(text2cypher.__all__))
    for name in text2cypher.__all__:
        assert getattr(text2cypher, name) is not None
    for module in ("slots", "numbers", "cues", "records", "morphology", "phrasings", "grammar", "generate", "split",
                   "examples", "writer", "eval", "tune"):
        assert __import__(f"opsgraph.retrieve.text2cypher.{module}", fromlist=["_"]).__name__.endswith(module)
