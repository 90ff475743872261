"""Load `schema.yaml` into a `GraphSchema`, pointing every error at its line.

PyYAML's composed node tree keeps the position of every key and value; we
walk it alongside pydantic's error locations so a user reads
`schema.yaml:14: nodes.Service.properties.port.type: ...` rather than a
nested dictionary path they must count by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from opsgraph.errors import OpsGraphError
from opsgraph.schema.model import GraphSchema

_LEADING_LOC = re.compile(r"^([A-Za-z_][\w]*(?:\.[\w]+)+): (.*)$", re.S)

# pydantic field aliases whose YAML key differs from the attribute name.
_ALIASES = {"from_types": "from", "to_types": "to", "id_property": "id"}


@dataclass(frozen=True)
class SchemaIssue:
    """One problem found in a schema file."""

    path: str
    """File the problem is in."""
    line: int | None
    """1-based line, when known."""
    location: str
    """Dotted path of the field, e.g. `nodes.Service.properties.port`."""
    message: str
    """What is wrong and what was expected."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        loc = f" {self.location}:" if self.location else ""
        return f"{where}:{loc} {self.message}"


class SchemaError(OpsGraphError, ValueError):
    """A schema file could not be read or is not valid; carries every issue."""

    code = "schema_invalid"
    status = 422

    def __init__(self, issues: list[SchemaIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow `loc` down a composed YAML tree; the deepest node found gives the line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if node is None:
            break
        part = _ALIASES.get(str(part), part)
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    nxt = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = node.value[part]
                line = nxt.start_mark.line + 1
        node = nxt
    return line


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts validator names (e.g. "function-after[...]") in locations.
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p))


def parse_schema(text: str, path: str = "schema.yaml") -> GraphSchema:
    """Parse schema text; raise `SchemaError` listing every problem with its line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SchemaError([SchemaIssue(path, line, "", f"not valid YAML: {problem}")]) from exc
    if not isinstance(data, dict):
        raise SchemaError([SchemaIssue(path, 1, "", "expected a mapping with version, name, nodes")])
    try:
        return GraphSchema.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            if not loc:
                # Cross-field checks name their field at the start of the message.
                m = _LEADING_LOC.match(msg)
                if m:
                    loc, msg = tuple(m.group(1).split(".")), m.group(2)
            dotted = ".".join(str(_ALIASES.get(str(p), p)) for p in loc)
            if err["type"] == "extra_forbidden":
                msg = "unknown field (check its spelling)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            issues.append(SchemaIssue(path, _line_of(root, loc), dotted, msg))
        raise SchemaError(issues) from exc


def load_schema(path: str | Path) -> GraphSchema:
    """Read and validate a schema file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError([SchemaIssue(str(p), None, "", f"cannot read file: {exc.strerror}")]) from exc
    return parse_schema(text, str(p))


def dump_schema(schema: GraphSchema) -> str:
    """Serialise a schema back to YAML (aliases as written in files)."""
    data = schema.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["version"] = schema.version
    return yaml.safe_dump(data, sort_keys=False)
