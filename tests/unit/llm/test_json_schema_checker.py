"""The JSON Schema subset JSON mode checks, and the schemas it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.llm import LLMInputError
from opsgraph.llm._jsonschema import check_schema, validate

SERVICES = {
    "type": "object",
    "properties": {
        "services": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 3, "uniqueItems": True},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "tier": {"enum": ["critical", "high", "low"]},
        "count": {"type": "integer", "exclusiveMinimum": 0},
        "id": {"type": "string", "pattern": "^[a-z-]+$"},
        "note": {"type": ["string", "null"]},
    },
    "required": ["services"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "value",
    [
        {"services": ["cartservice"]},
        {"services": ["a", "b"], "confidence": 0.5, "tier": "high", "count": 2, "id": "redis-cart", "note": None},
        {"services": ["a"], "count": 3.0},  # 3.0 is an integer in JSON
    ],
)
def test_valid_values_pass(value: Any) -> None:
    assert validate(value, SERVICES) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([], "$: expected object, got array"),
        ({}, "$.services: required property is missing"),
        ({"services": []}, "$.services: fewer than 1 items"),
        ({"services": ["a", "b", "c", "d"]}, "$.services: more than 3 items"),
        ({"services": ["a", "a"]}, "$.services[1]: repeats an earlier item"),
        ({"services": [""]}, "$.services[0]: shorter than 1 characters"),
        ({"services": [1]}, "$.services[0]: expected string, got integer"),
        ({"services": ["a"], "confidence": 1.5}, "$.confidence: above the maximum 1"),
        ({"services": ["a"], "confidence": True}, "$.confidence: expected number, got boolean"),
        ({"services": ["a"], "tier": "medium"}, '$.tier: "medium" is not one of ["critical", "high", "low"]'),
        ({"services": ["a"], "count": 0}, "$.count: must be greater than 0"),
        ({"services": ["a"], "count": 1.5}, "$.count: expected integer, got number"),
        ({"services": ["a"], "id": "Redis Cart"}, "$.id: does not match pattern '^[a-z-]+$'"),
        ({"services": ["a"], "other": 1}, "$.other: property is not allowed"),
        ({"services": ["a"], "note": 3}, "$.note: expected string or null, got integer"),
    ],
)
def test_each_violation_is_named_with_its_path(value: Any, problem: str) -> None:
    assert problem in validate(value, SERVICES)


def test_local_refs_and_combinators() -> None:
    schema = {
        "$defs": {"svc": {"type": "string", "enum": ["a", "b"]}},
        "type": "object",
        "properties": {"x": {"$ref": "#/$defs/svc"}, "y": {"anyOf": [{"type": "integer"}, {"const": "none"}]}, "z": {"not": {"const": 0}}},
    }
    check_schema(schema)
    assert validate({"x": "a", "y": "none", "z": 1}, schema) == []
    problems = validate({"x": "c", "y": "some", "z": 0}, schema)
    assert any(p.startswith("$.x:") for p in problems)
    assert any(p.startswith("$.y: matches none of anyOf") for p in problems)
    assert "$.z: must not match the 'not' schema" in problems


def test_odd_property_names_are_quoted_in_paths() -> None:
    schema = {"type": "object", "properties": {"a b": {"type": "string"}}}
    assert validate({"a b": 1}, schema) == ['$["a b"]: expected string, got integer']


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ("not a schema", "must be a mapping"),
        ({"type": "text"}, "unknown type"),
        ({"type": "object", "properties": {"a": {"if": {}}}}, "'if' is not supported"),
        ({"$ref": "https://example.com/schema.json"}, "only local references"),
        ({"$ref": "#/$defs/missing"}, "does not resolve"),
        ({"required": "answer"}, "list of property names"),
        ({"type": "string", "pattern": "("}, "not a regular expression"),
        ({"type": "array", "minItems": -1}, "non-negative integer"),
        ({"enum": []}, "non-empty list"),
        ({"default": {1, 2}}, "not JSON-serialisable"),
    ],
)
def test_unusable_schemas_are_refused(schema: Any, fragment: str) -> None:
    with pytest.raises(LLMInputError, match=fragment):
        check_schema(schema)


def test_annotations_are_allowed() -> None:
    check_schema({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "description": "d", "type": "string", "format": "date", "examples": ["x"]})
