"""Coerce input values to a property's declared type, or say why not.

CSV gives text; YAML and JSON give typed values; source readers give what their
files hold. All end as the same stored value so the content hash, and therefore
idempotence, does not depend on where a row came from. Estate ingest
(`opsgraph.ingest.coerce`, which adds the engine's limits) and the source
readers (`opsgraph.sources.base`) both coerce here.

A pure module of the schema layer: it imports nothing of opsgraph but the
schema model and the error tree.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from opsgraph.errors import OpsGraphError
from opsgraph.schema.model import PropertySpec, PropertyType

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
"""An INTEGER property holds a 64-bit signed integer (the engine stores Java `long`s and refuses the whole batch beyond)."""
_TRUE = {"true", "yes", "1", "y", "on"}
_FALSE = {"false", "no", "0", "n", "off"}


class CoercionError(OpsGraphError, ValueError):
    """A value does not fit its declared type; the message says what was expected."""

    code = "value_invalid"
    status = 422


def parse_datetime(value: Any) -> datetime:
    """ISO-8601 text (a trailing Z allowed), a date, or epoch seconds → aware UTC datetime."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), tz=UTC)
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise CoercionError(f"expected an ISO-8601 datetime such as 2026-03-01T12:00:00Z, got {value!r}") from exc
    else:
        raise CoercionError(f"expected a datetime, got {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def shorten(value: Any, width: int = 40) -> str:
    """`repr` of a value cut to about `width` characters, saying how long it really was."""
    text = repr(value)
    if len(text) <= width:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} characters as text"
    return f"{text[: width - 4]}...' ({size})"


def coerce_type(value: Any, spec: PropertySpec, *, from_text: bool) -> Any:
    """The stored form of `value` for `spec`'s type (`from_text`: a CSV cell, where a list is `a;b`); `CoercionError` if it does not fit."""
    t = spec.type
    if t is PropertyType.STRING:
        if isinstance(value, (dict, list)):
            raise CoercionError(f"expected text, got a {type(value).__name__}")
        if isinstance(value, bool) or not isinstance(value, str):
            return str(value).lower() if isinstance(value, bool) else str(value)
        return value
    if t is PropertyType.INTEGER:
        if isinstance(value, bool):
            raise CoercionError("expected an integer, got a boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise CoercionError(f"expected an integer ({INT_MIN:,} to {INT_MAX:,}), got {shorten(value)}")
    if t is PropertyType.FLOAT:
        if isinstance(value, bool):
            raise CoercionError("expected a number, got a boolean")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise CoercionError(f"expected a number, got {shorten(value)}") from None
        except OverflowError:
            raise CoercionError(f"expected a number within the 64-bit float range, got {shorten(value)}") from None
        if (math.isnan(out) or math.isinf(out)) and not spec.allow_nan:
            raise CoercionError(f"expected a finite number, got {shorten(value)} (NaN and infinity need `allow_nan: true` on the property)")
        return out
    if t is PropertyType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise CoercionError(f"expected true or false, got {value!r}")
    if t is PropertyType.DATETIME:
        return parse_datetime(value).isoformat().replace("+00:00", "Z")
    if t is PropertyType.STRING_LIST:
        if isinstance(value, str):
            items = [v.strip() for v in value.split(";")] if from_text else [value]
            return [v for v in items if v]
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            return [str(v) for v in value]
        raise CoercionError(f"expected a list of strings, got {value!r}")
    raise CoercionError(f"unsupported type {t}")  # pragma: no cover - enum is closed
