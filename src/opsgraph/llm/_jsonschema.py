"""A small JSON Schema checker for JSON mode: enough to trust a model's structured output.

The subset is the one llama.cpp's grammar converter and OpenAI-style
`response_format` understand (types, properties, required, enum/const,
items, lengths, bounds, pattern, anyOf/oneOf/allOf/not, local `$ref`).
`check_schema` refuses any other constraining keyword up front instead of
ignoring it, so "valid" always means "checked". It must stay dependency-free
and never fetch remote `$ref`s.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from opsgraph.llm.errors import LLMInputError

_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
# Keywords that describe but never constrain (JSON Schema 2020-12 treats `format` as an annotation by default).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples", "format", "readOnly", "writeOnly", "deprecated"}
)
_CONTAINERS = frozenset({"$defs", "definitions"})
_CHECKED = frozenset(
    {
        "type", "enum", "const", "properties", "required", "additionalProperties", "minProperties", "maxProperties",
        "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "anyOf", "oneOf", "allOf", "not", "$ref",
    }
)  # fmt: skip


def check_schema(schema: object) -> None:
    """Raise `LLMInputError` unless `schema` is a JSON-serialisable schema made only of the checked subset."""
    if not isinstance(schema, Mapping):
        raise LLMInputError(f"json_schema must be a mapping (a JSON object), got {type(schema).__name__}")
    try:
        json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise LLMInputError(f"json_schema is not JSON-serialisable: {exc}") from exc
    problems: list[str] = []
    _check_node(schema, "#", schema, problems)
    if problems:
        raise LLMInputError("json_schema is not usable: " + "; ".join(problems))


def _check_node(node: object, where: str, root: Mapping[str, Any], problems: list[str]) -> None:
    if isinstance(node, bool):
        return
    if not isinstance(node, Mapping):
        problems.append(f"{where} must be an object or a boolean")
        return
    for key, value in node.items():
        at = f"{where}/{key}"
        if key in _ANNOTATIONS:
            continue
        if key in _CONTAINERS:
            if not isinstance(value, Mapping):
                problems.append(f"{at} must map names to schemas")
            else:
                for name, sub in value.items():
                    _check_node(sub, f"{at}/{name}", root, problems)
        elif key not in _CHECKED:
            problems.append(f"{at}: keyword {key!r} is not supported (supported: {', '.join(sorted(_CHECKED))})")
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            bad = [n for n in names if n not in _TYPES]
            if bad or not names:
                problems.append(f"{at}: unknown type(s) {bad or names}; use {sorted(_TYPES)}")
        elif key == "enum":
            if not isinstance(value, list) or not value:
                problems.append(f"{at} must be a non-empty list")
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{at} must be a list of property names")
        elif key == "properties":
            if not isinstance(value, Mapping):
                problems.append(f"{at} must map property names to schemas")
            else:
                for name, sub in value.items():
                    _check_node(sub, f"{at}/{name}", root, problems)
        elif key in ("additionalProperties", "items", "not"):
            _check_node(value, at, root, problems)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            if not isinstance(value, list) or not value:
                problems.append(f"{at} must be a non-empty list of schemas")
            else:
                for i, sub in enumerate(value):
                    _check_node(sub, f"{at}/{i}", root, problems)
        elif key in ("minProperties", "maxProperties", "minItems", "maxItems", "minLength", "maxLength"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{at} must be a non-negative integer")
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            if isinstance(value, bool) or not isinstance(value, int | float) or (key == "multipleOf" and value <= 0):
                problems.append(f"{at} must be a number" + (" > 0" if key == "multipleOf" else ""))
        elif key == "uniqueItems":
            if not isinstance(value, bool):
                problems.append(f"{at} must be true or false")
        elif key == "pattern":
            try:
                re.compile(value)
            except (re.error, TypeError) as exc:
                problems.append(f"{at}: not a regular expression ({exc})")
        elif key == "$ref":
            try:
                _resolve(value, root)
            except LLMInputError as exc:
                problems.append(f"{at}: {exc}")


def _resolve(ref: object, root: Mapping[str, Any]) -> object:
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise LLMInputError(f"only local references ('#/...') are supported, got {ref!r}")
    node: object = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise LLMInputError(f"reference {ref!r} does not resolve")
        node = node[part]
    return node


def validate(instance: object, schema: Mapping[str, Any]) -> list[str]:
    """Every way `instance` breaks `schema` (already passed through `check_schema`), as `$.path: problem` lines."""
    problems: list[str] = []
    _validate(instance, schema, "$", schema, problems, 0)
    return problems


def _is_type(value: object, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _equal(a: object, b: object) -> bool:
    # JSON equality: 1 == 1.0, but true != 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{path}[{json.dumps(key)}]"


def _validate(value: object, schema: object, path: str, root: Mapping[str, Any], out: list[str], depth: int) -> None:
    if depth > 64:
        out.append(f"{path}: schema nests too deeply (recursive $ref?)")
        return
    if schema is True:
        return
    if schema is False:
        out.append(f"{path}: no value is allowed here")
        return
    if not isinstance(schema, Mapping):
        return
    s = schema
    if "$ref" in s:
        _validate(value, _resolve(s["$ref"], root), path, root, out, depth + 1)
    if "type" in s:
        names = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(_is_type(value, n) for n in names):
            out.append(f"{path}: expected {' or '.join(names)}, got {_json_type(value)}")
            return
    if "enum" in s and not any(_equal(value, e) for e in s["enum"]):
        out.append(f"{path}: {json.dumps(value)} is not one of {json.dumps(s['enum'])}")
    if "const" in s and not _equal(value, s["const"]):
        out.append(f"{path}: expected {json.dumps(s['const'])}")
    for key, keyword in (("allOf", "allOf"), ("anyOf", "anyOf"), ("oneOf", "oneOf")):
        if key not in s:
            continue
        results = []
        for sub in s[key]:
            sub_out: list[str] = []
            _validate(value, sub, path, root, sub_out, depth + 1)
            results.append(sub_out)
        passed = sum(1 for r in results if not r)
        if keyword == "allOf":
            for r in results:
                out.extend(r)
        elif keyword == "anyOf" and passed == 0:
            out.append(f"{path}: matches none of anyOf ({'; '.join(r[0] for r in results)})")
        elif keyword == "oneOf" and passed != 1:
            out.append(f"{path}: matches {passed} of oneOf, expected exactly 1")
    if "not" in s:
        sub_out = []
        _validate(value, s["not"], path, root, sub_out, depth + 1)
        if not sub_out:
            out.append(f"{path}: must not match the 'not' schema")
    if isinstance(value, dict):
        _validate_object(value, s, path, root, out, depth)
    elif isinstance(value, list):
        _validate_array(value, s, path, root, out, depth)
    elif isinstance(value, str):
        if "minLength" in s and len(value) < s["minLength"]:
            out.append(f"{path}: shorter than {s['minLength']} characters")
        if "maxLength" in s and len(value) > s["maxLength"]:
            out.append(f"{path}: longer than {s['maxLength']} characters")
        if "pattern" in s and re.search(s["pattern"], value) is None:
            out.append(f"{path}: does not match pattern {s['pattern']!r}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _validate_number(value, s, path, out)


def _validate_object(value: dict[str, Any], s: Mapping[str, Any], path: str, root: Mapping[str, Any], out: list[str], depth: int) -> None:
    for name in s.get("required", []):
        if name not in value:
            out.append(f"{_child(path, name)}: required property is missing")
    props: Mapping[str, Any] = s.get("properties", {})
    extra = s.get("additionalProperties", True)
    for name, item in value.items():
        if name in props:
            _validate(item, props[name], _child(path, name), root, out, depth + 1)
        elif extra is False:
            out.append(f"{_child(path, name)}: property is not allowed")
        else:
            _validate(item, extra, _child(path, name), root, out, depth + 1)
    if "minProperties" in s and len(value) < s["minProperties"]:
        out.append(f"{path}: fewer than {s['minProperties']} properties")
    if "maxProperties" in s and len(value) > s["maxProperties"]:
        out.append(f"{path}: more than {s['maxProperties']} properties")


def _validate_array(value: list[Any], s: Mapping[str, Any], path: str, root: Mapping[str, Any], out: list[str], depth: int) -> None:
    prefix: list[Any] = s.get("prefixItems", [])
    for i, item in enumerate(value):
        sub = prefix[i] if i < len(prefix) else s.get("items", True)
        _validate(item, sub, f"{path}[{i}]", root, out, depth + 1)
    if "minItems" in s and len(value) < s["minItems"]:
        out.append(f"{path}: fewer than {s['minItems']} items")
    if "maxItems" in s and len(value) > s["maxItems"]:
        out.append(f"{path}: more than {s['maxItems']} items")
    if s.get("uniqueItems"):
        for i in range(len(value)):
            if any(_equal(value[i], value[j]) for j in range(i)):
                out.append(f"{path}[{i}]: repeats an earlier item")


def _validate_number(value: float, s: Mapping[str, Any], path: str, out: list[str]) -> None:
    if "minimum" in s and value < s["minimum"]:
        out.append(f"{path}: below the minimum {s['minimum']}")
    if "maximum" in s and value > s["maximum"]:
        out.append(f"{path}: above the maximum {s['maximum']}")
    if "exclusiveMinimum" in s and value <= s["exclusiveMinimum"]:
        out.append(f"{path}: must be greater than {s['exclusiveMinimum']}")
    if "exclusiveMaximum" in s and value >= s["exclusiveMaximum"]:
        out.append(f"{path}: must be less than {s['exclusiveMaximum']}")
    if "multipleOf" in s:
        q = value / s["multipleOf"]
        if not math.isclose(q, round(q), rel_tol=0, abs_tol=1e-9):
            out.append(f"{path}: not a multiple of {s['multipleOf']}")


def _json_type(value: object) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__
