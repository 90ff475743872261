"""Coercing input values to declared property types."""

from __future__ import annotations

import pytest

from opsgraph.ingest.coerce import CoercionError, coerce
from opsgraph.schema import PropertySpec, PropertyType


def spec(t: PropertyType) -> PropertySpec:
    return PropertySpec(type=t)


@pytest.mark.parametrize(
    ("t", "raw", "text", "expected"),
    [
        (PropertyType.INTEGER, "42", True, 42),
        (PropertyType.INTEGER, 42.0, False, 42),
        (PropertyType.FLOAT, "0.5", True, 0.5),
        (PropertyType.BOOLEAN, "yes", True, True),
        (PropertyType.BOOLEAN, "false", True, False),
        (PropertyType.STRING, 8080, False, "8080"),
        (PropertyType.STRING_LIST, "a; b;", True, ["a", "b"]),
        (PropertyType.STRING_LIST, ["a", 1], False, ["a", "1"]),
        (PropertyType.DATETIME, "2026-03-01T12:00:00Z", True, "2026-03-01T12:00:00Z"),
        (PropertyType.DATETIME, "2026-03-01T13:00:00+01:00", True, "2026-03-01T12:00:00Z"),
    ],
)
def test_values_coerce(t: PropertyType, raw: object, text: bool, expected: object) -> None:
    assert coerce(raw, spec(t), from_text=text) == expected


def test_csv_and_yaml_give_the_same_stored_value() -> None:
    assert coerce("8080", spec(PropertyType.INTEGER), from_text=True) == coerce(8080, spec(PropertyType.INTEGER), from_text=False)


@pytest.mark.parametrize(
    ("t", "raw", "needle"),
    [
        (PropertyType.INTEGER, "8o80", "expected an integer"),
        (PropertyType.INTEGER, True, "boolean"),
        (PropertyType.FLOAT, "fast", "expected a number"),
        (PropertyType.FLOAT, "nan", "finite"),
        (PropertyType.BOOLEAN, "maybe", "true or false"),
        (PropertyType.DATETIME, "yesterday", "ISO-8601"),
        (PropertyType.STRING, {"a": 1}, "expected text"),
    ],
)
def test_bad_values_say_what_was_expected(t: PropertyType, raw: object, needle: str) -> None:
    with pytest.raises(CoercionError, match=needle):
        coerce(raw, spec(t), from_text=isinstance(raw, str))
