"""Coercion refuses values the engine would refuse, showing the value (shortened) and the limit."""

from __future__ import annotations

import math
import re

import pytest

from opsgraph.ingest.coerce import CoercionError, check_id, coerce
from opsgraph.schema import PropertySpec, PropertyType
from opsgraph.store.limits import ID_MAX_BYTES, INDEXED_STRING_MAX_BYTES, INT_MAX, INT_MIN


@pytest.mark.parametrize("raw", [str(INT_MAX + 1), INT_MAX + 1, INT_MIN - 1, 1e30])
def test_integers_beyond_64_bits_are_refused(raw: object) -> None:
    with pytest.raises(CoercionError, match="64-bit integer range"):
        coerce(raw, PropertySpec(type=PropertyType.INTEGER), from_text=isinstance(raw, str))


def test_64_bit_bounds_are_accepted() -> None:
    spec = PropertySpec(type=PropertyType.INTEGER)
    assert coerce(str(INT_MAX), spec, from_text=True) == INT_MAX
    assert coerce(INT_MIN, spec, from_text=False) == INT_MIN


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", math.nan, 10**400])
def test_non_finite_floats_are_refused_unless_allowed(raw: object) -> None:
    with pytest.raises(CoercionError, match=r"finite|float range"):
        coerce(raw, PropertySpec(type=PropertyType.FLOAT), from_text=isinstance(raw, str))


def test_allow_nan_keeps_nan_and_infinity() -> None:
    spec = PropertySpec(type=PropertyType.FLOAT, allow_nan=True)
    assert math.isnan(coerce("nan", spec, from_text=True))
    assert coerce("inf", spec, from_text=True) == math.inf


def test_allow_nan_is_only_for_floats() -> None:
    with pytest.raises(ValueError, match="allow_nan"):
        PropertySpec(type=PropertyType.INTEGER, allow_nan=True)


@pytest.mark.parametrize(("raw", "name"), [("a\x00b", "NUL"), ("a\x1bb", "ESC"), ("\x7f", "DEL"), ("x\x01", "U+0001")])
def test_control_characters_are_refused_with_their_position(raw: str, name: str) -> None:
    with pytest.raises(CoercionError, match=re.escape(name)):
        coerce(raw, PropertySpec(), from_text=True)


def test_tab_newline_and_carriage_return_are_text() -> None:
    assert coerce("a\tb\r\nc", PropertySpec(), from_text=True) == "a\tb\r\nc"


def test_strip_control_removes_them_where_the_schema_says_so() -> None:
    assert coerce("a\x00b\x07c", PropertySpec(strip_control=True), from_text=True) == "abc"
    assert coerce("x\x00;y", PropertySpec(type=PropertyType.STRING_LIST, strip_control=True), from_text=True) == ["x", "y"]


def test_control_characters_in_list_items_are_refused() -> None:
    with pytest.raises(CoercionError, match="item 1 contains NUL"):
        coerce(["ok", "b\x00d"], PropertySpec(type=PropertyType.STRING_LIST), from_text=False)


def test_indexed_text_over_the_key_limit_is_refused_and_shortened() -> None:
    value = "é" * (INDEXED_STRING_MAX_BYTES // 2 + 1)  # two bytes each in UTF-8
    with pytest.raises(CoercionError) as info:
        coerce(value, PropertySpec(indexed=True), from_text=True)
    message = str(info.value)
    assert f"{INDEXED_STRING_MAX_BYTES + 2:,} bytes long" in message and f"{INDEXED_STRING_MAX_BYTES:,} bytes" in message
    assert f"({len(value):,} characters)" in message and len(message) < 300
    assert coerce(value, PropertySpec(), from_text=True) == value  # not indexed: no key limit


def test_ids_have_a_length_limit_and_no_control_characters() -> None:
    assert check_id("svc-1") is None
    assert "1,024 bytes" in (check_id("x" * (ID_MAX_BYTES + 1)) or "")
    assert "NUL" in (check_id("a\x00") or "")
