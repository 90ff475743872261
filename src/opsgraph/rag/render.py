"""Graph answers rendered from rows by templates: no model writes a word of them.

The template is chosen by the question's shape (`shape.py`): a list, a count,
a person to page, a path, a yes/no, a single value. Every answer opens with one
line saying what was computed, read off the query that ran ("3 services that
depend on Payment Service (paymentservice), directly or through others:"), then
one line per row with display names (the node type's `name_property`; the id
alone only where the node has no name). Every word of a rendered answer is a
template word, a schema word, or a value from the rows or the store: the test
`tests/unit/rag/test_answers_have_no_model_prose.py` holds it to that.
It must not call a language model or write to the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.rag.shape import QuestionShape, type_words
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural
from opsgraph.store.base import GraphStore

MAX_LINES = 50
"""Rows shown; the rest are counted ("... and 12 more")."""

_NODE = re.compile(r"\(\s*(\w*)\s*(?::\s*(\w+))?\s*(\{[^}]*\})?\s*\)")
_REL = re.compile(r"(<?)-\[\s*(\w*)\s*(?::\s*([\w|]+))?\s*(\*[\d.]*)?[^\]]*\]-(>?)")
_ANCHOR = re.compile(r"\bid\s*:\s*(?:\$(\w+)|'([^']*)'|\"([^\"]*)\")")
_RETURN = re.compile(r"\bRETURN\s+(?:DISTINCT\s+)?(.+?)(?:\s+ORDER\s+BY\b|\s+LIMIT\b|\s+SKIP\b|$)", re.I | re.S)
_AGG = re.compile(r"^\s*(count|sum|avg|min|max)\s*\(", re.I)
_PROP = re.compile(r"^\s*(\w+)\.(\w+)")


class NameBook:
    """Display names of nodes (the type's `name_property`), read from the store once per instance.

    Build one per data version (the pipeline is); `display(id)` is "Name (id)", or the id when the node has no other name.
    """

    def __init__(self, store: GraphStore, schema: GraphSchema, *, skip: Sequence[str] = ()) -> None:
        self.store = store
        self.schema = schema
        self.skip = set(skip)
        self._names: dict[str, tuple[str, str | None]] | None = None

    def _load(self) -> dict[str, tuple[str, str | None]]:
        if self._names is None:
            names: dict[str, tuple[str, str | None]] = {}
            for type_name, spec in self.schema.nodes.items():
                if type_name in self.skip:
                    continue
                prop = spec.name_property if spec.name_property not in (None, "id", spec.id_property) else None
                cols = "n.id AS id" + (f", n.{prop} AS name" if prop else "")
                try:
                    rows = self.store.query(f"MATCH (n:{type_name}) RETURN {cols}", limit=1_000_000).rows
                except Exception:  # a type declared but not created yet holds no names
                    continue
                for r in rows:
                    if r.get("id") is not None:
                        names.setdefault(str(r["id"]), (type_name, str(r["name"]) if r.get("name") not in (None, "") else None))
            self._names = names
        return self._names

    def type_of(self, node_id: Any) -> str | None:
        found = self._load().get(str(node_id))
        return found[0] if found else None

    def name_of(self, node_id: Any) -> str | None:
        found = self._load().get(str(node_id))
        return found[1] if found else None

    def is_node(self, value: Any) -> bool:
        return isinstance(value, str) and value in self._load()

    def display(self, node_id: Any) -> str:
        name = self.name_of(node_id)
        return f"{name} ({node_id})" if name and name != str(node_id) else str(node_id)


@dataclass(frozen=True)
class Rendered:
    """An answer's text, split into what the template said and what the rows said."""

    header: str
    """The one line saying what was computed."""
    lines: list[str] = field(default_factory=list)
    """One per row (or per quoted line)."""

    @property
    def text(self) -> str:
        return "\n".join([self.header, *self.lines]) if self.lines else self.header


# -- what the query computed -------------------------------------------------------------
def edge_phrase(edge: str, *, plural_subject: bool, forward: bool, subject: str = "", noun_label: str = "") -> str:
    """Words for walking `edge`: forward "that depend on", backward "that X depends on" (subject X).

    An edge named after the type it leaves (RUNBOOK_FOR from Runbook) drops that name going forward: "runbooks for X",
    not "runbooks runbook for X"."""
    words = edge.lower().split("_")
    label_words = re.sub(r"(?<!^)(?=[A-Z])", "_", noun_label).lower().split("_") if noun_label else []
    if forward and label_words and len(words) > len(label_words) and words[: len(label_words)] == label_words:
        return " ".join(words[len(label_words) :])
    first = words[0]
    # One word (OWNS, WROTE, HOLDS) or a verb first (DEPENDS_ON, RESPONDED_TO) reads as a verb; CAUSED_BY, ON_CALL_FOR,
    # MEMBER_OF read as "is caused by", "is on call for".
    is_verb = len(words) == 1 or (first.endswith("s") and not first.endswith("ss") and len(first) > 3) or (first.endswith("ed") and words[1] != "by")
    if forward:
        if is_verb:
            if plural_subject and first.endswith("s") and not first.endswith("ed"):
                first = first[:-1]
            return "that " + " ".join([first, *words[1:]])
        return " ".join(words)
    if is_verb:
        return f"that {subject} {' '.join(words)}"
    return f"that {subject} is {' '.join(words)}"


def _pattern(cypher: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, bool, bool]]] | None:
    """The first MATCH chain: nodes (var, label, props) and relationships (types, forward, transitive)."""
    m = re.search(r"\bMATCH\s+(?:\w+\s*=\s*)?(.+?)(?=\bWHERE\b|\bRETURN\b|\bWITH\b|\bOPTIONAL\b|\bMATCH\b|$)", cypher, re.I | re.S)
    if not m:
        return None
    body = m.group(1).strip()
    nodes: list[tuple[str, str, str]] = []
    rels: list[tuple[str, bool, bool]] = []
    pos = 0
    while pos < len(body):
        nm = _NODE.match(body, pos)
        if nm is None:
            break
        nodes.append((nm.group(1) or "", nm.group(2) or "", nm.group(3) or ""))
        pos = nm.end()
        rest = body[pos:].lstrip()
        pos = len(body) - len(rest)
        rm = _REL.match(body, pos)
        if rm is None:
            break
        rels.append((rm.group(3) or "", bool(rm.group(5)) and not rm.group(1), rm.group(4) is not None))
        pos = rm.end()
        rest = body[pos:].lstrip()
        pos = len(body) - len(rest)
    if len(nodes) != len(rels) + 1:
        return None
    return nodes, rels


def _type_label(label: str, count_plural: bool) -> str:
    if not label:
        return "nodes" if count_plural else "node"
    word = type_words(label)[0]
    return plural(word) if count_plural else word


def describe_query(cypher: str, params: Mapping[str, Any], names: NameBook, *, one: bool = False) -> tuple[str, str | None] | None:
    """(phrase for the returned things, their type) of a one-chain query, e.g.
    ("services that depend on Payment Service (paymentservice), directly or through others", "Service"); None when unreadable."""
    parsed = _pattern(cypher)
    ret = _RETURN.search(cypher)
    if parsed is None or ret is None:
        return None
    nodes, rels = parsed
    first_expr = ret.group(1).split(",")[0]
    agg = _AGG.match(first_expr)
    inner = first_expr[agg.end() :] if agg else first_expr
    var_m = re.match(r"\s*(?:DISTINCT\s+)?(\w+)", inner, re.I)
    if var_m is None:
        return None
    var = var_m.group(1)
    target = next((i for i, n in enumerate(nodes) if n[0] == var), None)
    anchor = next((i for i, n in enumerate(nodes) if _ANCHOR.search(n[2])), None)
    if target is None:
        return None
    if anchor is None or anchor == target:
        label = nodes[target][1]
        return _type_label(label, not one), label or None

    def anchor_text() -> str:
        am = _ANCHOR.search(nodes[anchor][2])
        assert am is not None
        value = params.get(am.group(1)) if am.group(1) else (am.group(2) or am.group(3))
        return names.display(value) if value is not None else "the given node"

    step = 1 if anchor > target else -1
    transitive = False
    phrase = anchor_text()
    # Build from the anchor back to the target: each hop wraps the phrase so far.
    i = anchor
    while i != target:
        j = i - step
        rel_index = min(i, j)
        types, forward_ltr, trans = rels[rel_index]
        transitive = transitive or trans
        edge = types.split("|")[0] if types else "linked"
        # Walking from node j (nearer the target) to node i: is the edge j -> i?
        forward = forward_ltr if j < i else not forward_ltr
        label = nodes[j][1]
        is_target = j == target
        many = not (is_target and one)
        noun = _type_label(label, many) if is_target else ("nodes" if not label else plural(type_words(label)[0]))
        if forward:
            phrase = f"{noun} {edge_phrase(edge, plural_subject=many, forward=True, noun_label=label)} {phrase}"
        else:
            phrase = f"{noun} {edge_phrase(edge, plural_subject=False, forward=False, subject=phrase)}"
        i = j
    if transitive:
        phrase += ", directly or through others"
    return phrase, nodes[target][1] or None


# -- templates --------------------------------------------------------------------------------
def _cell(value: Any, names: NameBook) -> str:
    if isinstance(value, list):
        return ", ".join(_cell(v, names) for v in value if v not in (None, "", []))
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return names.display(value) if names.is_node(value) else str(value)


def _node_column(rows: Sequence[Mapping[str, Any]], names: NameBook) -> str | None:
    """The column whose values are node ids (the planner's `id`, a writer's `d.id AS dep`)."""
    if not rows:
        return None
    for col in rows[0]:
        values = [r.get(col) for r in rows if r.get(col) is not None]
        if values and all(names.is_node(v) for v in values):
            return col
    return None


def row_lines(rows: Sequence[Mapping[str, Any]], names: NameBook) -> list[str]:
    """One line per row: the node's display name first, other columns as `column: value`."""
    node_col = _node_column(rows, names)
    lines: list[str] = []
    for r in rows[:MAX_LINES]:
        parts: list[str] = []
        if node_col is not None:
            parts.append(names.display(r[node_col]))
        for k, v in r.items():
            if k == node_col or (node_col is not None and k == "name" and names.name_of(r[node_col]) == v):
                continue
            if v in (None, "", []):
                continue
            parts.append(f"{k}: {_cell(v, names)}")
        lines.append("- " + ("; ".join(parts[:1]) + (" (" + "; ".join(parts[1:]) + ")" if parts[1:] else "") if node_col else "; ".join(parts)))
    if len(rows) > MAX_LINES:
        lines.append(f"... and {len(rows) - MAX_LINES} more")
    return lines


def _single_value(rows: Sequence[Mapping[str, Any]]) -> Any:
    if len(rows) == 1 and len(rows[0]) == 1:
        return next(iter(rows[0].values()))
    return None


def distinct_nodes(rows: Sequence[Mapping[str, Any]], names: NameBook) -> list[str]:
    col = _node_column(rows, names)
    if col is None:
        return []
    return list(dict.fromkeys(str(r[col]) for r in rows if r.get(col) is not None))


def render_rows(
    shape: QuestionShape, rows: Sequence[Mapping[str, Any]], cypher: str | None, params: Mapping[str, Any], names: NameBook
) -> Rendered:
    """The answer for `rows` of `cypher`, by the question's shape."""
    single = _single_value(rows)
    nodes = distinct_nodes(rows, names)
    n = len(nodes) if nodes else len(rows)
    described = describe_query(cypher, params, names, one=n == 1 and not isinstance(single, int | float)) if cypher else None
    what = described[0] if described else None
    if shape.shape == "count" or (shape.wants_number and isinstance(single, int | float) and not isinstance(single, bool)):
        if isinstance(single, int | float) and not isinstance(single, bool):
            value = _cell(single, names)
            ret = _RETURN.search(cypher or "")
            agg = _AGG.match(ret.group(1)) if ret else None
            word = {"count": "the number of", "sum": "the total over", "avg": "the average over", "min": "the lowest of", "max": "the highest of"}
            if what and agg is not None:
                return Rendered(f"{value}: {word[agg.group(1).lower()]} {what}.")
            return Rendered(value + (f" ({what})." if what else ""))
        header = f"{n} {what}:" if what else f"{n} results:"
        return Rendered(header, row_lines(rows, names))
    if shape.shape == "yesno":
        if isinstance(single, bool):
            return Rendered(("Yes" if single else "No") + (f" ({what})." if what else "."))
        if not rows:
            return Rendered("No" + (f": no {what}." if what else ": the query found nothing."))
        return Rendered(f"Yes: {n} {what}:" if what else f"Yes: {n} results:", row_lines(rows, names))
    if not rows:
        # "0 services:" over an empty list reads like a cut-off answer: say plainly that the query found none.
        return Rendered(f"None: the query found no {what}." if what else "None: the query found nothing.")
    if n == 1 and not what and single is None:
        return Rendered("1 result:", row_lines(rows, names))
    if shape.shape == "path":
        return Rendered(f"Path{' (' + what + ')' if what else ''}:", row_lines(rows, names))
    if single is not None and not nodes:
        returned = _RETURN.search(cypher) if cypher else None
        prop = _PROP.match(returned.group(1)) if returned else None
        if prop is not None and described is not None:
            owner = _anchor_display(cypher or "", params, names)
            label = prop.group(2).replace("_", " ")
            return Rendered(f"{owner}: {label} = {_cell(single, names)}" if owner else f"{label} = {_cell(single, names)}")
        return Rendered(_cell(single, names))
    if len(rows) == 1 and not nodes and cypher and _ANCHOR.search(cypher) and _reads_properties_only(cypher):
        # "How do I reach the payments team?": several properties of the one node named, said with its name.
        owner = _anchor_display(cypher, params, names)
        values = "; ".join(f"{k.replace('_', ' ')} = {_cell(v, names)}" for k, v in rows[0].items() if v not in (None, "", []))
        if owner and values:
            return Rendered(f"{owner}: {values}")
    if what:
        return Rendered(f"{n} {what}:", row_lines(rows, names))
    return Rendered(f"{n} results:", row_lines(rows, names))


def _reads_properties_only(cypher: str) -> bool:
    """Whether every column `cypher` returns is a property read ("n.email AS email"), none an aggregate or a node."""
    returned = _RETURN.search(cypher)
    if returned is None:
        return False
    columns = [c.strip() for c in returned.group(1).split(",")]
    return all(_PROP.match(c) and not c.split(" AS ")[0].strip().endswith(".id") for c in columns)


def _anchor_display(cypher: str, params: Mapping[str, Any], names: NameBook) -> str | None:
    m = _ANCHOR.search(cypher)
    if m is None:
        return None
    value = params.get(m.group(1)) if m.group(1) else (m.group(2) or m.group(3))
    return names.display(value) if value is not None else None


def render_page(anchor: str, rows: Sequence[Mapping[str, Any]], names: NameBook) -> Rendered:
    """Who to page for `anchor`: rows of (person, team, rotation, contact...), primary first."""
    if not rows:
        return Rendered(f"Nobody is on call for the team that owns {names.display(anchor)} (no on-call edge found).")
    teams = list(dict.fromkeys(str(r["team"]) for r in rows if r.get("team")))
    first = rows[0]
    owner = ", ".join(names.display(t) for t in teams)
    via = f" (owned by {owner})" if owner and owner != names.display(anchor) else ""
    header = f"Page {names.display(first['person'])} first for {names.display(anchor)}{via}:"
    lines = []
    for r in rows:
        extras = [f"{k}: {_cell(v, names)}" for k, v in r.items() if k not in ("person", "team") and v not in (None, "", [])]
        lines.append(f"- {names.display(r['person'])}" + (f" ({'; '.join(extras)})" if extras else ""))
    return Rendered(header, lines)
