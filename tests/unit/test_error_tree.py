"""Every exception class in opsgraph is one tree under `OpsGraphError`, each with a unique name, a code and a status."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import opsgraph
from opsgraph.api.errors import describe_error
from opsgraph.errors import OpsGraphError

ROOT = Path(opsgraph.__file__).parent

# The codes the API answered with before the codes moved onto the classes. Part of the API: never rename one.
API_CODES: dict[str, tuple[int, str]] = {
    "WriteRefusedError": (403, "write_refused"),
    "QueryTimeoutError": (408, "query_timeout"),
    "QueryError": (400, "query_invalid"),
    "StoreLockedError": (503, "store_locked"),
    "BatchError": (500, "write_failed"),
    "StoreError": (500, "store_error"),
    "IngestError": (422, "ingest_invalid"),
    "SchemaError": (422, "schema_invalid"),
    "ConfigError": (500, "config_error"),
    "NothingIngestedError": (409, "nothing_ingested"),
    "TuneError": (409, "not_tunable"),
    "SearchUnavailableError": (409, "search_unavailable"),
    "AskInputError": (422, "ask_input"),
    "RedisBackendError": (503, "cache_unavailable"),
    "NoTelemetryError": (409, "no_telemetry"),
    "NoModelError": (409, "no_model"),
    "UnknownNodeError": (404, "unknown_node"),
    "RiskError": (409, "risk_error"),
    "LLMContextError": (422, "llm_context_too_long"),
    "LLMInputError": (422, "llm_input"),
    "LLMConnectionError": (502, "llm_unreachable"),
    "LLMServerError": (502, "llm_failed"),
    "StructuredOutputError": (502, "llm_bad_output"),
    "LLMSetupError": (500, "llm_setup"),
    "LLMError": (500, "llm_error"),
    "EmbeddingError": (500, "embedding_error"),
    "OpsGraphError": (500, "opsgraph_error"),
}


def _modules() -> list[str]:
    names = ["opsgraph"]
    for info in pkgutil.walk_packages([str(ROOT)], prefix="opsgraph."):
        names.append(info.name)
    return names


@pytest.fixture(scope="module")
def error_classes() -> list[type[BaseException]]:
    """Every exception class defined in a module of the package (each module imported)."""
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return list(found.values())


def _source_error_names() -> dict[str, list[str]]:
    """Class names that look like exceptions in the source (name ends in Error/Exception), with their files."""
    out: dict[str, list[str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                out.setdefault(node.name, []).append(path.relative_to(ROOT).as_posix())
    return out


def test_the_walk_sees_every_exception_class_in_the_source(error_classes: list[type[BaseException]]) -> None:
    imported = {cls.__name__ for cls in error_classes}
    missing = sorted(set(_source_error_names()) - imported)
    assert missing == [], f"classes in the source the import walk did not find: {missing}"
    assert len(error_classes) > 30


def test_every_exception_derives_from_opsgraph_error(error_classes: list[type[BaseException]]) -> None:
    outside = sorted(f"{c.__module__}.{c.__qualname__}" for c in error_classes if not issubclass(c, OpsGraphError))
    assert outside == [], f"derive these from opsgraph.errors.OpsGraphError (or a class of its tree): {outside}"


def test_no_two_exception_classes_share_a_name(error_classes: list[type[BaseException]]) -> None:
    by_name: dict[str, list[str]] = {}
    for cls in error_classes:
        by_name.setdefault(cls.__name__, []).append(cls.__module__)
    assert {n: m for n, m in by_name.items() if len(m) > 1} == {}
    assert {n: f for n, f in _source_error_names().items() if len(f) > 1} == {}


def test_every_exception_has_a_code_and_an_http_status(error_classes: list[type[BaseException]]) -> None:
    for cls in error_classes:
        code, status = getattr(cls, "code", None), getattr(cls, "status", None)
        assert isinstance(code, str) and code.isidentifier() and code.islower(), cls
        assert isinstance(status, int) and 400 <= status <= 599, cls


def test_codes_are_unique_among_classes_that_declare_one(error_classes: list[type[BaseException]]) -> None:
    owners: dict[str, list[str]] = {}
    for cls in error_classes:
        if "code" in vars(cls):
            owners.setdefault(vars(cls)["code"], []).append(cls.__name__)
    assert {c: o for c, o in owners.items() if len(o) > 1} == {}


def test_codes_the_api_answered_with_before_are_kept(error_classes: list[type[BaseException]]) -> None:
    by_name = {cls.__name__: cls for cls in error_classes}
    assert sorted(set(API_CODES) - set(by_name)) == []
    for name, (status, code) in API_CODES.items():
        cls = by_name[name]
        assert (cls.status, cls.code) == (status, code), name
        assert "code" in vars(cls), f"{name} must declare its own code"


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance without running the class's own constructor (some take structured arguments)."""
    exc = cls.__new__(cls)
    BaseException.__init__(exc, f"{cls.__name__} on purpose")
    return exc


def test_the_api_maps_each_class_to_its_code(error_classes: list[type[BaseException]]) -> None:
    from opsgraph.api.errors import ApiError

    for cls in error_classes:
        if issubclass(cls, ApiError):
            continue  # code and status per instance: tests/unit/api/test_error_codes.py
        info = describe_error(_instance(cls))
        assert (info.status, info.code, info.message) == (cls.status, cls.code, f"{cls.__name__} on purpose"), cls  # type: ignore[attr-defined]
