"""Coerce an estate file's values for storing: the schema's type coercion, then what the engine would refuse.

The type coercion is the schema layer's (`opsgraph.schema.coerce`, shared with
the source readers). Here a coerced value is also checked against what the
engine would refuse (`opsgraph.store.limits`): 64-bit integers, finite floats
unless the property says `allow_nan`, no control characters in text (removed
instead where the property says `strip_control`), indexed text within the
index key limit. The message shows the value, shortened, and the limit.
"""

from __future__ import annotations

from typing import Any

from opsgraph.schema import PropertySpec
from opsgraph.schema.coerce import CoercionError, coerce_type, parse_datetime, shorten
from opsgraph.store.limits import strip_control, value_problem

__all__ = ["CoercionError", "check_id", "coerce", "parse_datetime"]


def coerce(value: Any, spec: PropertySpec, *, from_text: bool) -> Any:
    """The stored form of `value` for `spec`; raise `CoercionError` if it does not fit or the engine would refuse it."""
    out = coerce_type(value, spec, from_text=from_text)
    if spec.strip_control:
        out = [strip_control(v) for v in out] if isinstance(out, list) else strip_control(out) if isinstance(out, str) else out
    problem = value_problem(out, index="notunique" if spec.indexed else None, allow_nan=spec.allow_nan)
    if problem is not None:
        raise CoercionError(f"{shorten(value)} {problem}")
    return out


def check_id(value: str) -> str | None:
    """Why a node id cannot be stored (control characters, longer than the id limit), or None."""
    problem = value_problem(value, index="id")
    return None if problem is None else f"id {shorten(value)} {problem}"
