"""`AdapterRegistry`: versions on disk, promotion, staleness, and errors that name the broken file. No model needed."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from opsgraph.llm import ModelIntegrityError
from opsgraph.llm.adapters import (
    AdapterError,
    AdapterManifestError,
    AdapterRegistry,
    AdapterVersion,
    LoraSettings,
    SFTExample,
    TrainResult,
    data_sha256,
    is_stale,
)
from opsgraph.llm.errors import LLMInputError

BASE_SHA = "b" * 64
SETTINGS = LoraSettings(max_steps=3, seed=7)


def _result(tmp_path: Path, payload: bytes = b"GGUF fake adapter") -> TrainResult:
    adapter = tmp_path / "run" / "adapter.gguf"
    adapter.parent.mkdir(parents=True, exist_ok=True)
    adapter.write_bytes(payload)
    return TrainResult(
        adapter_gguf=adapter, peft_dir=tmp_path / "run" / "peft", steps=3, seconds=1.5, losses=[2.0, 1.0, 0.5], examples=12, data_sha256="d" * 64, tokens=900
    )


def _register(reg: AdapterRegistry, result: TrainResult, schema: str = "schema-1", **kw: object) -> AdapterVersion:
    return reg.register(
        result,
        estate="prod",
        task="text2cypher",
        base_model="smollm2-135m-instruct",
        base_sha256=BASE_SHA,
        schema_hash=schema,
        settings=SETTINGS,
        metrics={"exact_match": 0.75},
        **kw,  # type: ignore[arg-type]
    )


def test_register_round_trips_through_versions_and_get(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path / "adapters")
    v1 = _register(reg, _result(tmp_path), extra={"note": "first"})
    assert v1.version == "v0001" and v1.number == 1
    assert v1.path == tmp_path / "adapters" / "prod" / "text2cypher" / "v0001" / "adapter.gguf"
    assert v1.path.read_bytes() == b"GGUF fake adapter", "the adapter is copied in"
    assert v1.manifest["base_model"] == {"name": "smollm2-135m-instruct", "sha256": BASE_SHA}
    assert v1.manifest["data"] == {"sha256": "d" * 64, "examples": 12}
    assert v1.manifest["hyperparameters"]["seed"] == 7 and v1.manifest["hyperparameters"]["target_modules"] == list(SETTINGS.target_modules)
    assert v1.manifest["training"]["steps"] == 3 and v1.manifest["training"]["losses"] == [2.0, 1.0, 0.5]
    assert v1.manifest["metrics"] == {"exact_match": 0.75} and v1.manifest["extra"] == {"note": "first"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", v1.manifest["created"])

    again = AdapterRegistry(tmp_path / "adapters")  # a fresh registry reads the same thing back from disk
    assert again.versions("prod", "text2cypher") == [v1]
    assert again.get("prod", "text2cypher", "v0001") == v1
    assert again.get("prod", "text2cypher", 1) == v1
    assert json.loads((v1.folder / "manifest.json").read_text()) == v1.manifest
    v1.verify()


def test_versions_are_numbered_in_order_and_tasks_are_separate(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    made = [_register(reg, _result(tmp_path, f"adapter {i}".encode())) for i in range(3)]
    assert [v.version for v in made] == ["v0001", "v0002", "v0003"]
    assert [v.version for v in reg.versions("prod", "text2cypher")] == ["v0001", "v0002", "v0003"]
    assert reg.latest("prod", "text2cypher") == made[-1]
    assert reg.versions("prod", "other-task") == [] and reg.versions("staging", "text2cypher") == []
    other = reg.register(
        _result(tmp_path), estate="prod", task="summaries", base_model="m", base_sha256=BASE_SHA, schema_hash="s", settings=SETTINGS, metrics={}
    )
    assert other.version == "v0001"


def test_concurrent_registrations_get_distinct_versions(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    result = _result(tmp_path)
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(_register(reg, result).version)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == [f"v{i:04d}" for i in range(1, 7)]
    assert not [p for p in (tmp_path / "prod" / "text2cypher").iterdir() if p.name.startswith(".")], "no staging folder is left behind"


def test_promote_and_active(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    assert reg.active("prod", "text2cypher") is None
    v1 = _register(reg, _result(tmp_path))
    assert reg.active("prod", "text2cypher") is None, "registering does not promote unless asked"
    v2 = _register(reg, _result(tmp_path), promote=True)
    assert reg.active("prod", "text2cypher") == v2
    assert reg.promote("prod", "text2cypher", "v0001") == v1
    assert reg.active("prod", "text2cypher") == v1
    pointer = json.loads((tmp_path / "prod" / "text2cypher" / "active.json").read_text())
    assert pointer["version"] == "v0001"
    with pytest.raises(AdapterError, match=r"no adapter v0009 .* known: v0001, v0002"):
        reg.promote("prod", "text2cypher", 9)
    assert reg.active("prod", "text2cypher") == v1, "a failed promotion changes nothing"


def test_manifest_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = AdapterRegistry(tmp_path)
    v1 = _register(reg, _result(tmp_path))
    reg.promote("prod", "text2cypher", v1.version)
    before = (tmp_path / "prod" / "text2cypher" / "active.json").read_text()

    import opsgraph._files as files_module

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    # A crash at the moment of the rename leaves no half-written version and the old pointer intact.
    monkeypatch.setattr(files_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        _register(reg, _result(tmp_path))
    with pytest.raises(OSError, match="disk full"):
        reg.promote("prod", "text2cypher", "v0001")
    monkeypatch.undo()
    task_dir = tmp_path / "prod" / "text2cypher"
    assert sorted(p.name for p in task_dir.iterdir()) == ["active.json", "v0001"], "no temporary file or partial version remains"
    assert (task_dir / "active.json").read_text() == before
    assert reg.versions("prod", "text2cypher") == [v1]


def test_stale_when_the_schema_or_base_model_changes(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    v = _register(reg, _result(tmp_path), schema="schema-1")
    assert not is_stale(v, "schema-1") and not v.is_stale("schema-1")
    assert is_stale(v, "schema-2") and v.is_stale("schema-2")
    assert not v.is_stale("schema-1", base_sha256=BASE_SHA.upper())
    assert v.is_stale("schema-1", base_sha256="c" * 64)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"version": "v0001"}', "lacks format, estate"),
    ],
)
def test_a_corrupt_manifest_is_reported_with_its_path(tmp_path: Path, content: str, problem: str) -> None:
    reg = AdapterRegistry(tmp_path)
    v = _register(reg, _result(tmp_path))
    manifest = v.folder / "manifest.json"
    manifest.write_text(content)
    for call in (lambda: reg.versions("prod", "text2cypher"), lambda: reg.get("prod", "text2cypher", "v0001")):
        with pytest.raises(AdapterManifestError, match=problem) as info:
            call()
        assert info.value.path == manifest
        assert str(manifest) in str(info.value)


def test_a_missing_adapter_or_bad_active_pointer_names_the_file(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    v = _register(reg, _result(tmp_path), promote=True)
    active = tmp_path / "prod" / "text2cypher" / "active.json"
    active.write_text('{"version": "v0042"}')
    with pytest.raises(AdapterManifestError, match="v0042 does not exist") as info:
        reg.active("prod", "text2cypher")
    assert info.value.path == active
    active.write_text("")
    with pytest.raises(AdapterManifestError, match=r"active\.json: the active-version pointer is not valid JSON"):
        reg.active("prod", "text2cypher")
    v.path.unlink()
    with pytest.raises(AdapterManifestError, match=r"manifest.json: the adapter file .*adapter.gguf it describes is missing"):
        reg.get("prod", "text2cypher", 1)


def test_a_tampered_adapter_fails_verification(tmp_path: Path) -> None:
    v = _register(AdapterRegistry(tmp_path), _result(tmp_path))
    v.path.write_bytes(b"something else")
    with pytest.raises(ModelIntegrityError, match=r"adapter\.gguf"):
        v.verify()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"estate": "../escape"}, "estate must be"),
        ({"task": ""}, "task must be"),
        ({"base_sha256": "abc"}, "base_sha256 must be 64 hex digits"),
        ({"metrics": {"acc": float("nan")}}, "finite numbers"),
        ({"extra": {"when": object()}}, "plain JSON"),
    ],
)
def test_bad_registrations_are_refused_and_leave_nothing(tmp_path: Path, change: dict[str, object], message: str) -> None:
    reg = AdapterRegistry(tmp_path / "reg")
    kwargs: dict[str, object] = {
        "estate": "prod",
        "task": "t",
        "base_model": "m",
        "base_sha256": BASE_SHA,
        "schema_hash": "s",
        "settings": SETTINGS,
        "metrics": {},
        **change,
    }
    with pytest.raises(AdapterError, match=message):
        reg.register(_result(tmp_path), **kwargs)  # type: ignore[arg-type]
    assert not list((tmp_path / "reg").rglob("v0*"))


def test_unknown_version_names_are_refused(tmp_path: Path) -> None:
    reg = AdapterRegistry(tmp_path)
    with pytest.raises(AdapterError, match="like 'v0001'"):
        reg.get("prod", "t", "latest")
    with pytest.raises(AdapterError, match="known: none"):
        reg.get("prod", "t", 1)


def test_examples_settings_and_data_hash_are_validated() -> None:
    ex = SFTExample(({"role": "user", "content": "q"},), "a")
    assert data_sha256([ex]) == data_sha256([SFTExample(({"role": "user", "content": "q"},), "a")])
    assert data_sha256([ex]) != data_sha256([SFTExample(({"role": "user", "content": "q"},), "b")])
    with pytest.raises(LLMInputError, match="completion"):
        SFTExample(({"role": "user", "content": "q"},), " ")
    with pytest.raises(LLMInputError, match="role"):
        SFTExample(({"role": "tool", "content": "q"},), "a")
    with pytest.raises(LLMInputError, match="q_proj"):
        LoraSettings(target_modules=("q_proj", "v_proj"))
    with pytest.raises(LLMInputError, match="lr must be"):
        LoraSettings(lr=0)
    with pytest.raises(LLMInputError, match="checkpoint_every"):
        LoraSettings(checkpoint_every=-1)
    assert LoraSettings().to_json()["checkpoint_every"] == 1  # recorded in every adapter's manifest
