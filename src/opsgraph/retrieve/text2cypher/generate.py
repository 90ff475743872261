"""Training pairs for text-to-Cypher, generated from the live schema and sampled store values.

A small local model learns to write Cypher for *this* estate from thousands of
(question, Cypher) pairs. Nothing here is written for a particular estate, and
no evaluation question is ever read: every pair comes from

- the schema: node types (split and pluralised: "ExternalService" → "external
  services"), their scalar properties ("slo_availability" → "slo availability"),
  edge types turned into verb phrases by `morphology.py`
  ("DEPENDS_ON" → "depends on" / "depend on" / "does ... depend on",
  "MEMBER_OF" → "is a member of", "CAUSED_BY" → "is caused by", "AFFECTED" →
  "affected" / "did ... affect"), and which edges are dependencies;
- the data: real nodes for entity slots (their surface is the id, the name or
  an alias, chosen with the seed), stored values of `indexed` string
  properties for value slots, and numbers drawn from the stored values for
  ranges and limits.

Entities and categorical values become parameters (`$p0`, `$p1`, ... in order
of appearance in the question), exactly as `slots.SlotFinder` cuts a
real question, so the template "What does $p0 depend on?" is the same string
for every service. Numbers, dates, booleans and edge property values stay
literal in both the question and the query.

Every query is checked read-only (`cypher_guard.write_clauses`), against the
estate's Cypher grammar (`grammar.py`), and run with its
parameters; a pair is kept only when the query runs and returns what its
pattern promises (one non-null value for a lookup, at least one row for a
list, n >= 1 for a count, k rows for a top-k, ...). The questions' wording
comes from `phrasings.py`; `split.split_pairs` holds out
whole phrasings and whole shapes, so the held-out part measures what the
model did not see.

Engine notes (ArcadeDB's Cypher, as checked on the embedded store): NULL sorts
first under `ORDER BY ... DESC`, so top-k queries filter `IS NOT NULL`; a pattern
expression inside `size(...)` in RETURN is refused, so neighbour counts use
`count(DISTINCT x)`; `date()` does not parse stored ISO datetimes, so date ranges
compare the ISO text; `RETURN EXISTS {...}` without a MATCH runs but is outside
the estate grammar, so yes/no questions return a count.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations_with_replacement, pairwise
from typing import Any

from opsgraph.errors import QueryError, QueryTimeoutError
from opsgraph.retrieve.text2cypher.grammar import cypher_grammar
from opsgraph.retrieve.text2cypher.morphology import Noun, article, bool_words, count_noun, edge_verb, type_noun, words_of
from opsgraph.retrieve.text2cypher.phrasings import (
    P_AGGREGATE,
    P_CHAIN_COUNT,
    P_CHAIN_IN,
    P_CHAIN_OUT,
    P_COUNT,
    P_COUNT_FALSE,
    P_COUNT_FILTER,
    P_COUNT_TRUE,
    P_EDGE_FILTER_IN,
    P_EDGE_FILTER_IN_BOOL,
    P_EDGE_FILTER_OUT,
    P_EDGE_FILTER_OUT_BOOL,
    P_EDGE_LOOKUP,
    P_EDGE_LOOKUP_BOOL,
    P_EXISTS_CHECK,
    P_EXISTS_IN,
    P_EXISTS_IN_ANY,
    P_EXISTS_OUT,
    P_EXISTS_OUT_ANY,
    P_FILTER,
    P_FILTER_FALSE,
    P_FILTER_MULTI,
    P_FILTER_TRUE,
    P_GROUP_COUNT,
    P_HOP_COUNT_IN,
    P_HOP_COUNT_IN_ANY,
    P_HOP_COUNT_OUT,
    P_HOP_COUNT_OUT_ANY,
    P_HOP_FILTER_IN,
    P_HOP_FILTER_IN_BOOL,
    P_HOP_FILTER_OUT,
    P_HOP_FILTER_OUT_BOOL,
    P_HOP_GROUP_IN,
    P_HOP_GROUP_OUT,
    P_HOP_IN,
    P_HOP_IN_ANY,
    P_HOP_OUT,
    P_HOP_OUT_ANY,
    P_LIST,
    P_LOOKUP,
    P_LOOKUP_BOOL,
    P_NEG_FILTER_IN,
    P_NEG_FILTER_OUT,
    P_NEG_IN,
    P_NEG_IN_ANY,
    P_NEG_OUT,
    P_NEG_OUT_ANY,
    P_RANGE,
    P_SHORTEST,
    P_SHORTEST_LENGTH,
    P_TOP_DEGREE_IN,
    P_TOP_DEGREE_OUT,
    P_TOP_K,
    P_TRANS_COUNT,
    P_TRANS_IN,
    P_TRANS_IN_ANY,
    P_TRANS_OUT,
    P_TRANS_OUT_ANY,
    TOP_WORDS,
    W_EDGE_FILTER_IN,
    W_EXISTS_OUT,
    W_FILTER,
    W_FILTER_FALSE,
    W_FILTER_MULTI,
    W_FILTER_TRUE,
    W_HOP_IN,
    W_HOP_OUT,
    W_NEG_OUT,
    W_RANGE,
    styles,
)
from opsgraph.retrieve.text2cypher.records import CypherPair, PairSet
from opsgraph.retrieve.text2cypher.slots import Slot
from opsgraph.schema.model import GraphSchema, NodeType, PropertySpec, PropertyType
from opsgraph.store.base import GraphStore
from opsgraph.store.cypher_guard import write_clauses

__all__ = ["generate_pairs"]


# Categorical values the slot finder would not cut out (mirrors `slots.SlotFinder.from_store`):
# generic words, one-character values, e-mail-like values, and properties with too many values.
_GENERIC_VALUES = frozenset(
    "a an and the of to in on at by for with from or is are be it its this that our your via as into yes no true false none".split()
)
_MAX_CATEGORICAL = 200


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return f"{f:.1f}"
    return repr(f)


_KEYWORDS = frozenset(
    "all and as asc ascending by call case contains count create delete desc descending detach distinct else end ends exists false "
    "foreach from in is limit load match merge n not null on optional or order remove return set skip starts then to true union "
    "unwind when where with xor yield".split()
)


def _alias(prop: str) -> str:
    """A column name for a property: the property itself, unless it is a Cypher word (or `n`, the count column)."""
    return "value" if prop.lower() in _KEYWORDS else prop


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"



MAX_HOPS = 6
"""Bound of variable-length and shortest paths."""
TOP_KS = (1, 3, 5, 2, 10)
_MARK = "\x00"
_SLOT_MARK = re.compile(r"\x00([a-z])\x00")
_CYPHER_MARK = re.compile(r"\$@([a-z])\b")


# -- shapes ------------------------------------------------------------------------------------


@dataclass
class _Filling:
    values: dict[str, Any]
    """Slot marker ("a", "b", "v", "w") → parameter value."""
    cypher: str
    """The query with `$@a`-style markers for the slots."""
    lit: dict[str, str] = field(default_factory=dict)
    """Literal words of this filling (numbers, k, agreement) for the phrasings."""


@dataclass
class _Shape:
    pattern: str
    shape: str
    phrasings: list[tuple[str, str]]
    """(phrasing id, text with {a} {b} {v} {w} slot fields)."""
    slots: dict[str, tuple[str, str]]
    """Slot marker → (kind, label)."""
    fillings: list[_Filling]
    expect: str
    """What a valid result is: value | rows | count | one-row | k | negation."""
    words: dict[str, str] = field(default_factory=dict)
    total: int = 0
    """For `negation`: how many nodes the type has."""
    avoid_name: frozenset[str] = frozenset()
    """Slot markers whose surface may not be the node's name (a lookup of the name itself)."""




@dataclass
class _Entity:
    name: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class _Step:
    edge: str
    out: bool
    """True when the chain walks the edge forwards (prev -[edge]-> next)."""
    prev: str
    next: str

    def cypher(self, prev_node: str, next_node: str) -> str:
        return f"{prev_node}-[:{self.edge}]->{next_node}" if self.out else f"{prev_node}<-[:{self.edge}]-{next_node}"

    def key(self) -> str:
        return f"-{self.edge}->{self.next}" if self.out else f"<-{self.edge}-{self.next}"


class _Generator:
    def __init__(self, store: GraphStore, schema: GraphSchema, seed: int, per_shape: int, timeout_ms: int) -> None:
        self.store = store
        self.schema = schema
        self.seed = seed
        self.per_shape = max(1, per_shape)
        self.timeout_ms = timeout_ms
        self.queries = 0
        self.nouns = {n: type_noun(n, spec) for n, spec in schema.nodes.items()}
        self.verbs = {e: edge_verb(e) for e in schema.edges}
        self.counts: dict[str, int] = {}
        self.entities: dict[str, dict[str, _Entity]] = {}
        self.categorical: dict[tuple[str, str], list[Any]] = {}
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self.value_re: re.Pattern[str] | None = None
        self.keys: set[tuple[str, str]] = set()

    # -- reading the store ---------------------------------------------------------------------
    def rows(self, cypher: str, limit: int = 5000) -> list[dict[str, Any]]:
        """Rows of a sampling query (labels and properties come from the validated schema, never from text)."""
        if cypher not in self._cache:
            self.queries += 1
            self._cache[cypher] = self.store.query(cypher, None, limit=limit, timeout_ms=self.timeout_ms).rows
        return self._cache[cypher]

    def column(self, cypher: str, col: str = "v", limit: int = 5000) -> list[Any]:
        vals = [r.get(col) for r in self.rows(cypher, limit)]
        return sorted({v for v in vals if v is not None and not isinstance(v, list | dict)}, key=lambda v: (type(v).__name__, v))

    def rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, *parts))))

    def load(self) -> None:
        for name, spec in self.schema.nodes.items():
            self.counts[name] = int(self.rows(f"MATCH (n:{name}) RETURN count(n) AS c")[0]["c"])
            cols = ["n.id AS id"]
            if spec.name_property:
                cols.append(f"n.{spec.name_property} AS name")
            if spec.aliases_property:
                cols.append(f"n.{spec.aliases_property} AS aliases")
            table: dict[str, _Entity] = {}
            for r in self.rows(f"MATCH (n:{name}) RETURN {', '.join(cols)}", limit=20000):
                if r.get("id") is None:
                    continue
                nm = r.get("name")
                al = r.get("aliases") or []
                aliases = tuple(dict.fromkeys(a.strip() for a in al if isinstance(a, str) and len(a.strip()) >= 2 and "$" not in a))
                table[str(r["id"])] = _Entity(str(nm).strip() if isinstance(nm, str) and nm.strip() and "$" not in nm else None, aliases)
            self.entities[name] = table
            for prop, p in self.props(name).items():
                if p.type is PropertyType.STRING and p.indexed and prop != spec.name_property:
                    vals = self.column(f"MATCH (n:{name}) WHERE n.{prop} IS NOT NULL RETURN DISTINCT n.{prop} AS v", limit=_MAX_CATEGORICAL + 1)
                    if len(vals) <= _MAX_CATEGORICAL:
                        self.categorical[(name, prop)] = [v for v in vals if isinstance(v, str) and _categorical_ok(v)]
                        nonnull = len(self.column(f"MATCH (n:{name}) WHERE n.{prop} IS NOT NULL RETURN n.id AS v"))
                        if nonnull >= 10 and len(vals) >= 0.9 * nonnull:
                            self.keys.add((name, prop))  # an alternate key (ISBN, serial): a lookup, not a category
        self.value_re = _word_regex(v for vals in self.categorical.values() for v in vals)

    def category(self, node_type: str, prop: str) -> list[Any]:
        """Stored values of a categorical property, none for an alternate key (no "9780141036144 books")."""
        return [] if (node_type, prop) in self.keys else self.categorical.get((node_type, prop), [])

    def pword(self, prop: str) -> str:
        """A property in words ("slo_availability" → "slo availability"); its raw name when a word is also a stored
        value ("resolved at" holds the status value "resolved", which the slot finder would cut out)."""
        words = " ".join(words_of(prop))
        if self.value_re is not None and self.value_re.search(words) and not self.value_re.search(prop):
            return prop
        return words

    def bword(self, prop: str) -> str:
        words = bool_words(prop)
        if self.value_re is not None and self.value_re.search(words) and not self.value_re.search(prop):
            return prop
        return words

    def props(self, node_type: str) -> dict[str, PropertySpec]:
        """Scalar, non-embedded properties of a node type (the id left out)."""
        out = {}
        for prop, p in self.schema.nodes[node_type].stored_properties().items():
            if prop == "id" or p.embed or p.type in (PropertyType.STRING_LIST, PropertyType.VECTOR):
                continue
            out[prop] = p
        return out

    def live(self) -> list[tuple[str, str, str]]:
        """(from type, edge, to type) triples that exist in the data."""
        seen: dict[str, list[tuple[str, str]]] = {}
        try:
            for live in self.store.describe():
                if live.kind == "edge":
                    seen[live.name] = list(live.endpoints)
        except Exception:  # a backend without `describe`: ask per endpoint pair below
            seen = {}
        out = []
        for e, spec in self.schema.edges.items():
            for f in spec.from_types:
                for t in spec.to_types:
                    if seen.get(e):
                        ok = (f, t) in seen[e]
                    else:
                        ok = bool(self.rows(f"MATCH (:{f})-[r:{e}]->(:{t}) RETURN count(r) AS c")[0]["c"])
                    if ok:
                        out.append((f, e, t))
        return out

    def sample(self, rng: random.Random, items: Sequence[Any], k: int | None = None) -> list[Any]:
        k = self.per_shape if k is None else k
        items = list(items)
        return rng.sample(items, min(k, len(items)))

    def surface(self, node_type: str, node_id: str, rng: random.Random, *, avoid_name: bool = False) -> str:
        ent = self.entities.get(node_type, {}).get(node_id)
        if ent is None:
            return node_id
        name = None if avoid_name else ent.name
        if name is not None and len(name) > 40 and rng.random() < 0.7:
            name = None  # long titles are pasted sometimes, but people mostly write the id
        aliases = [a for a in ent.aliases if a.lower() not in (node_id.lower(), (ent.name or "").lower())]
        r = rng.random()
        if r < 1 / 3 or (name is None and not aliases):
            return node_id
        if (r < 2 / 3 and name is not None) or not aliases:
            return name or node_id
        return rng.choice(aliases)

    # -- words -----------------------------------------------------------------------------------
    def node_words(self, node_type: str) -> dict[str, str]:
        n = self.nouns[node_type]
        return {"L": n.sg, "Ls": n.pl}

    def edge_words(self, f: str, e: str, t: str) -> dict[str, str]:
        v = self.verbs[e]
        fw = self.nouns[f] if f != "*" else Noun("thing", "things", False)
        tw = self.nouns[t] if t != "*" else Noun("thing", "things", False)
        return {
            "F": fw.sg, "Fs": fw.pl, "T": tw.sg, "Ts": tw.pl, "aT": f"{article(tw.sg)} {tw.sg}", "aF": f"{article(fw.sg)} {fw.sg}",
            "s3": v.s3, "pl": v.pl, "aux": v.aux, "auxp": v.auxp, "bare": v.bare, "barep": v.barep, "neg": v.neg, "negp": v.negp,
        }

    # -- patterns on one node type --------------------------------------------------------------
    def node_shapes(self) -> Iterable[_Shape]:
        for L in self.schema.nodes:
            total = self.counts.get(L, 0)
            if not total:
                continue
            nw = self.node_words(L)
            person = self.nouns[L].person
            yield _Shape("list", f"list:{L}", styles("list", P_LIST), {}, [_Filling({}, f"MATCH (x:{L}) RETURN x.id AS id")], "rows", nw)
            yield _Shape("count", f"count:{L}", styles("count", P_COUNT), {}, [_Filling({}, f"MATCH (x:{L}) RETURN count(x) AS n")], "count", nw)
            props = self.props(L)
            spec = self.schema.nodes[L]
            for prop, p in props.items():
                w = {**nw, "P": self.pword(prop), "B": self.bword(prop)}
                yield from self.lookup(L, prop, p, w, spec)
                if p.type is PropertyType.BOOLEAN:
                    yield from self.bool_filters(L, prop, w, person)
                elif p.type in (PropertyType.INTEGER, PropertyType.FLOAT, PropertyType.DATETIME):
                    yield from self.numeric(L, prop, p, w, person)
                if self.categorical.get((L, prop)):
                    vals = self.categorical[(L, prop)]
                    label = f"{L}.{prop}"
                    rng = self.rng("filter", L, prop)
                    fill = [_Filling({"v": v}, f"MATCH (x:{L}) WHERE x.{prop} = $@v RETURN x.id AS id") for v in self.sample(rng, vals)]
                    yield _Shape("filter", f"filter:{label}", styles("filter", P_FILTER, W_FILTER, person), {"v": ("value", label)}, fill, "rows", w)
                    if (L, prop) in self.keys:
                        continue
                    fill = [_Filling({"v": f.values["v"]}, f"MATCH (x:{L}) WHERE x.{prop} = $@v RETURN count(x) AS n") for f in fill]
                    yield _Shape("count-filter", f"count-filter:{label}", styles("count-filter", P_COUNT_FILTER), {"v": ("value", label)}, fill, "count", w)
                    yield _Shape(
                        "group-count", f"group-count:{label}", styles("group-count", P_GROUP_COUNT), {},
                        [_Filling({}, f"MATCH (x:{L}) RETURN x.{prop} AS {_alias(prop)}, count(x) AS n ORDER BY n DESC")], "rows", w,
                    )
            cats = [prop for prop in props if self.category(L, prop)]
            for p1, p2 in ((a, b) for i, a in enumerate(cats) for b in cats[i + 1 :]):
                label1, label2 = f"{L}.{p1}", f"{L}.{p2}"
                ok1, ok2 = set(self.category(L, p1)), set(self.category(L, p2))
                combos = [(r["v"], r["w"]) for r in self.rows(
                    f"MATCH (x:{L}) WHERE x.{p1} IS NOT NULL AND x.{p2} IS NOT NULL RETURN DISTINCT x.{p1} AS v, x.{p2} AS w"
                ) if r["v"] in ok1 and r["w"] in ok2]
                combos.sort()
                fill = [
                    _Filling({"v": v, "w": w}, f"MATCH (x:{L}) WHERE x.{p1} = $@v AND x.{p2} = $@w RETURN x.id AS id")
                    for v, w in self.sample(self.rng("filter-multi", L, p1, p2), combos)
                ]
                words = {**nw, "P": self.pword(p1), "Q": self.pword(p2)}
                yield _Shape("filter-multi", f"filter-multi:{label1}+{p2}", styles("filter-multi", P_FILTER_MULTI, W_FILTER_MULTI, person),
                             {"v": ("value", label1), "w": ("value", label2)}, fill, "rows", words)

    def lookup(self, L: str, prop: str, p: PropertySpec, w: dict[str, str], spec: NodeType) -> Iterable[_Shape]:
        ids = self.column(f"MATCH (n:{L}) WHERE n.{prop} IS NOT NULL RETURN n.id AS v")
        fill = [_Filling({"a": i}, f"MATCH (x:{L} {{id: $@a}}) RETURN x.{prop} AS value") for i in self.sample(self.rng("lookup", L, prop), ids)]
        texts = P_LOOKUP_BOOL if p.type is PropertyType.BOOLEAN else P_LOOKUP
        avoid = frozenset({"a"}) if prop == spec.name_property else frozenset()
        yield _Shape("lookup", f"lookup:{L}.{prop}", styles("lookup", texts), {"a": ("entity", L)}, fill, "value", w, avoid_name=avoid)

    def bool_filters(self, L: str, prop: str, w: dict[str, str], person: bool) -> Iterable[_Shape]:
        vals = self.column(f"MATCH (n:{L}) WHERE n.{prop} IS NOT NULL RETURN DISTINCT n.{prop} AS v")
        for val in (True, False):
            if val not in vals:
                continue
            lit = "true" if val else "false"
            texts, who = (P_FILTER_TRUE, W_FILTER_TRUE) if val else (P_FILTER_FALSE, W_FILTER_FALSE)
            yield _Shape("filter", f"filter:{L}.{prop}={lit}", styles("filter", texts, who, person), {},
                         [_Filling({}, f"MATCH (x:{L}) WHERE x.{prop} = {lit} RETURN x.id AS id")], "rows", w)
            yield _Shape("count-filter", f"count-filter:{L}.{prop}={lit}", styles("count-filter", P_COUNT_TRUE if val else P_COUNT_FALSE), {},
                         [_Filling({}, f"MATCH (x:{L}) WHERE x.{prop} = {lit} RETURN count(x) AS n")], "count", w)

    def numeric(self, L: str, prop: str, p: PropertySpec, w: dict[str, str], person: bool) -> Iterable[_Shape]:
        is_date = p.type is PropertyType.DATETIME
        vals = self.column(f"MATCH (n:{L}) WHERE n.{prop} IS NOT NULL RETURN DISTINCT n.{prop} AS v")
        if is_date:
            vals = sorted({str(v)[:10] for v in vals if isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}", v)})
        else:
            vals = sorted(v for v in vals if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
        if not vals:
            return
        lit = _quote if is_date else _num
        nonnull = len(self.column(f"MATCH (n:{L}) WHERE n.{prop} IS NOT NULL RETURN n.id AS v"))
        # ranges: thresholds from the stored values, so each range holds something
        if len(vals) >= 2:
            ops = {"after": ">", "before": "<", "between": "between"} if is_date else {">": ">", "<": "<", ">=": ">=", "<=": "<=", "between": "between"}
            # A year kept as an integer ("born", "founded": "Year of birth") is also asked about with before/after.
            if not is_date and p.type is PropertyType.INTEGER and re.search(r"\byears?\b", f"{' '.join(words_of(prop))} {p.description or ''}", re.I):
                ops.update({"after": ">", "before": "<"})
            for word, op in ops.items():
                rng = self.rng("range", L, prop, word)
                fill = []
                if op in (">", ">="):
                    picks = [(v, None) for v in self.sample(rng, vals[:-1] if op == ">" else vals)]
                elif op in ("<", "<="):
                    picks = [(v, None) for v in self.sample(rng, vals[1:] if op == "<" else vals)]
                else:
                    pairs = [(vals[i], vals[j]) for i in range(len(vals)) for j in range(i + 1, len(vals))]
                    picks = self.sample(rng, pairs)
                for lo, hi in picks:
                    text_lo = str(lo) if is_date else _num(lo)
                    if hi is None:
                        cy = f"MATCH (x:{L}) WHERE x.{prop} {op} {lit(lo)} RETURN x.id AS id"
                        fill.append(_Filling({}, cy, {"n": text_lo}))
                    else:
                        cy = f"MATCH (x:{L}) WHERE x.{prop} >= {lit(lo)} AND x.{prop} <= {lit(hi)} RETURN x.id AS id"
                        fill.append(_Filling({}, cy, {"n": text_lo, "m": str(hi) if is_date else _num(hi)}))
                yield _Shape("range", f"range:{L}.{prop}{word}", styles("range", P_RANGE[word], W_RANGE[word], person), {}, fill, "rows", w)
        # aggregates
        fns = {"earliest": "min", "latest": "max"} if is_date else {"avg": "avg", "min": "min", "max": "max"}
        if not is_date and p.type is PropertyType.INTEGER:
            fns["sum"] = "sum"
        for word, fn in fns.items():
            yield _Shape("aggregate", f"aggregate:{fn}({L}.{prop})", styles("aggregate", P_AGGREGATE[word]), {},
                         [_Filling({}, f"MATCH (x:{L}) RETURN {fn}(x.{prop}) AS value")], "value", w)
        # top-k
        for order in ("DESC", "ASC"):
            ws = TOP_WORDS[("date" if is_date else "num", order)]
            ks = [k for k in TOP_KS if k <= nonnull]
            fill = []
            for k in sorted(self.sample(self.rng("top-k", L, prop, order), ks)):
                cy = f"MATCH (x:{L}) WHERE x.{prop} IS NOT NULL RETURN x.id AS id, x.{prop} AS value ORDER BY value {order} LIMIT {k}"
                fill.append(_Filling({}, cy, {"k": str(k), "kL": count_noun(k, self.nouns[L]), "have": "has" if k == 1 else "have",
                                              "be": "is" if k == 1 else "are"}))
            words = {**w, **{f"w{i}": x for i, x in enumerate(ws)}}
            yield _Shape("top-k", f"top-k:{L}.{prop}:{order.lower()}", styles("top-k", P_TOP_K), {}, fill, "k", words)

    # -- patterns along one edge ---------------------------------------------------------------
    def edge_shapes(self, triples: list[tuple[str, str, str]]) -> Iterable[_Shape]:
        by_edge: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for f, e, t in triples:
            by_edge[e].append((f, t))
        for e, ends in by_edge.items():
            froms = sorted({f for f, _ in ends})
            tos = sorted({t for _, t in ends})
            # typed triples, plus "any type" on the far side when it can be more than one type
            outs = [(f, t) for f, t in ends] + [(f, "*") for f in froms if len(tos) > 1]
            ins = [(f, t) for f, t in ends] + [("*", t) for t in tos if len(froms) > 1]
            for f, t in outs:
                yield from self.hop_out(f, e, t)
            for f, t in ins:
                yield from self.hop_in(f, e, t)
            for f, t in ends:
                yield from self.edge_pair_shapes(f, e, t)
            if self.schema.edges[e].dependency:
                yield from self.transitive(e, froms, tos)
            else:
                # An edge from a type to itself (SUBGENRE_OF, SEQUEL_OF, REPORTS_TO) chains: ask along it at any depth too.
                loops = sorted({f for f, t in ends if f == t})
                if loops:
                    yield from self.transitive(e, loops, loops, chain=True)

    def anchors(self, f: str, e: str, t: str, side: str) -> list[str]:
        src = f"(a:{f})" if side == "from" else (f"(:{f})" if f != "*" else "()")
        dst = f"(a:{t})" if side == "to" else (f"(:{t})" if t != "*" else "()")
        return [str(v) for v in self.column(f"MATCH {src}-[:{e}]->{dst} RETURN DISTINCT a.id AS v")]

    def hop_out(self, f: str, e: str, t: str) -> Iterable[_Shape]:
        w = self.edge_words(f, e, t)
        person = t != "*" and self.nouns[t].person
        x = f"(x:{t})" if t != "*" else "(x)"
        shape = f"{f}-{e}->{t}"
        ids = self.anchors(f, e, t, "from")
        fill = [_Filling({"a": i}, f"MATCH (:{f} {{id: $@a}})-[:{e}]->{x} RETURN DISTINCT x.id AS id") for i in self.sample(self.rng("hop1-out", shape), ids)]
        texts = P_HOP_OUT_ANY if t == "*" else P_HOP_OUT
        yield _Shape("hop1-out", f"hop1-out:{shape}", styles("hop1-out", texts, W_HOP_OUT, person), {"a": ("entity", f)}, fill, "rows", w)
        fill = [_Filling(dict(fl.values), fl.cypher.replace("RETURN DISTINCT x.id AS id", "RETURN count(DISTINCT x) AS n")) for fl in fill]
        texts = P_HOP_COUNT_OUT_ANY if t == "*" else P_HOP_COUNT_OUT
        yield _Shape("hop-count", f"hop-count:out:{shape}", styles("hop-count", texts), {"a": ("entity", f)}, fill, "count", w)
        if t == "*":
            yield from self.existence_shapes("out", f, e, t, w)
            return
        yield from self.hop_filters("out", f, e, t, w)

    def hop_in(self, f: str, e: str, t: str) -> Iterable[_Shape]:
        w = self.edge_words(f, e, t)
        person = f != "*" and self.nouns[f].person
        x = f"(x:{f})" if f != "*" else "(x)"
        shape = f"{f}-{e}->{t}"
        ids = self.anchors(f, e, t, "to")
        fill = [_Filling({"a": i}, f"MATCH {x}-[:{e}]->(:{t} {{id: $@a}}) RETURN DISTINCT x.id AS id") for i in self.sample(self.rng("hop1-in", shape), ids)]
        texts = P_HOP_IN_ANY if f == "*" else P_HOP_IN
        yield _Shape("hop1-in", f"hop1-in:{shape}", styles("hop1-in", texts, W_HOP_IN, person), {"a": ("entity", t)}, fill, "rows", w)
        fill = [_Filling(dict(fl.values), fl.cypher.replace("RETURN DISTINCT x.id AS id", "RETURN count(DISTINCT x) AS n")) for fl in fill]
        texts = P_HOP_COUNT_IN_ANY if f == "*" else P_HOP_COUNT_IN
        yield _Shape("hop-count", f"hop-count:in:{shape}", styles("hop-count", texts), {"a": ("entity", t)}, fill, "count", w)
        if f == "*":
            yield from self.existence_shapes("in", f, e, t, w)
            return
        yield from self.hop_filters("in", f, e, t, w)

    def hop_filters(self, side: str, f: str, e: str, t: str, w: dict[str, str]) -> Iterable[_Shape]:
        """hop + filter on the far node's property, hop + filter on the edge's property, existence and negation."""
        shape = f"{f}-{e}->{t}"
        anchor, far = (f, t) if side == "out" else (t, f)
        pattern_out = side == "out"

        def match(extra_rel: str = "") -> str:
            rel = f"[{extra_rel}:{e}]"
            return f"MATCH (:{f} {{id: $@a}})-{rel}->(x:{t})" if pattern_out else f"MATCH (x:{f})-{rel}->(:{t} {{id: $@a}})"

        # filter on the far node's categorical or boolean property
        for prop, p in self.props(far).items():
            label = f"{far}.{prop}"
            pw = {**w, "P": self.pword(prop), "B": self.bword(prop)}
            src = f"(a:{f})-[:{e}]->(x:{t})" if pattern_out else f"(x:{f})-[:{e}]->(a:{t})"
            if self.category(far, prop):
                allowed = set(self.category(far, prop))
                combos = sorted({(str(r["a"]), r["v"]) for r in self.rows(
                    f"MATCH {src} WHERE x.{prop} IS NOT NULL RETURN DISTINCT a.id AS a, x.{prop} AS v") if r["v"] in allowed})
                fill = [_Filling({"a": a, "v": v}, f"{match()} WHERE x.{prop} = $@v RETURN DISTINCT x.id AS id")
                        for a, v in self.sample(self.rng("hop-filter", shape, side, prop), combos)]
                texts = P_HOP_FILTER_OUT if pattern_out else P_HOP_FILTER_IN
                yield _Shape("hop-filter", f"hop-filter:{side}:{shape}[{label}]", styles("hop-filter", texts),
                             {"a": ("entity", anchor), "v": ("value", label)}, fill, "rows", pw)
            elif p.type is PropertyType.BOOLEAN:
                for val in (True, False):
                    lit = "true" if val else "false"
                    ids = sorted({str(r["a"]) for r in self.rows(f"MATCH {src} WHERE x.{prop} = {lit} RETURN DISTINCT a.id AS a")})
                    fill = [_Filling({"a": a}, f"{match()} WHERE x.{prop} = {lit} RETURN DISTINCT x.id AS id")
                            for a in self.sample(self.rng("hop-filter", shape, side, prop, lit), ids)]
                    bw = {**pw, "Bx": pw["B"] if val else f"non-{pw['B']}", "By": pw["B"] if val else f"not {pw['B']}"}
                    texts = P_HOP_FILTER_OUT_BOOL if pattern_out else P_HOP_FILTER_IN_BOOL
                    yield _Shape("hop-filter", f"hop-filter:{side}:{shape}[{label}={lit}]", styles("hop-filter", texts),
                                 {"a": ("entity", anchor)}, fill, "rows", bw)
        # filter on the edge's property (values stay literal: the slot finder only knows node values)
        person = self.nouns[f].person and not pattern_out
        for prop, p in self.schema.edges[e].properties.items():
            if p.embed or p.type not in (PropertyType.STRING, PropertyType.BOOLEAN):
                continue
            if p.type is PropertyType.STRING and not p.indexed:
                continue
            pw = {**w, "P": self.pword(prop), "B": self.bword(prop)}
            src = f"(a:{f})-[r:{e}]->(:{t})" if pattern_out else f"(:{f})-[r:{e}]->(a:{t})"
            vals = self.column(f"MATCH ()-[r:{e}]->() WHERE r.{prop} IS NOT NULL RETURN DISTINCT r.{prop} AS v", limit=_MAX_CATEGORICAL + 1)
            if p.type is PropertyType.STRING:
                if len(vals) > _MAX_CATEGORICAL:
                    continue
                combos = sorted({(str(r["a"]), r["v"]) for r in self.rows(f"MATCH {src} WHERE r.{prop} IS NOT NULL RETURN DISTINCT a.id AS a, r.{prop} AS v")
                                 if isinstance(r["v"], str) and _categorical_ok(r["v"]) and "'" not in r["v"] and "\n" not in r["v"]})
                fill = [_Filling({"a": a}, f"{match('r')} WHERE r.{prop} = {_quote(v)} RETURN DISTINCT x.id AS id", {"n": v})
                        for a, v in self.sample(self.rng("hop-edge-filter", shape, side, prop), combos)]
                texts = P_EDGE_FILTER_OUT if pattern_out else P_EDGE_FILTER_IN
                yield _Shape("hop-edge-filter", f"hop-edge-filter:{side}:{shape}[{e}.{prop}]",
                             styles("hop-edge-filter", texts, None if pattern_out else W_EDGE_FILTER_IN, person), {"a": ("entity", anchor)}, fill, "rows", pw)
            else:
                for val in (True, False):
                    if val not in vals:
                        continue
                    lit = "true" if val else "false"
                    ids = sorted({str(r["a"]) for r in self.rows(f"MATCH {src} WHERE r.{prop} = {lit} RETURN DISTINCT a.id AS a")})
                    fill = [_Filling({"a": a}, f"{match('r')} WHERE r.{prop} = {lit} RETURN DISTINCT x.id AS id", {"n": lit})
                            for a in self.sample(self.rng("hop-edge-filter", shape, side, prop, lit), ids)]
                    bw = {**pw, "Bx": pw["B"] if val else f"non-{pw['B']}", "By": pw["B"] if val else f"not {pw['B']}"}
                    texts = P_EDGE_FILTER_OUT_BOOL if pattern_out else P_EDGE_FILTER_IN_BOOL
                    yield _Shape("hop-edge-filter", f"hop-edge-filter:{side}:{shape}[{e}.{prop}={lit}]", styles("hop-edge-filter", texts),
                                 {"a": ("entity", anchor)}, fill, "rows", bw)
        yield from self.existence_shapes(side, f, e, t, w)

    def existence_shapes(self, side: str, f: str, e: str, t: str, w: dict[str, str]) -> Iterable[_Shape]:
        """`Which X have a Y` and `Which X have no Y`, with X on `side` ("out": X is the source), plus negation + filter."""
        shape = f"{f}-{e}->{t}"
        x_type = f if side == "out" else t
        if x_type == "*":
            return
        other = f"(:{t})" if side == "out" and t != "*" else ("()" if side == "out" else (f"(:{f})" if f != "*" else "()"))
        pred = f"(x)-[:{e}]->{other}" if side == "out" else f"(x)<-[:{e}]-{other}"
        anyside = (t if side == "out" else f) == "*"
        person = self.nouns[x_type].person
        if side == "out":
            ex, neg = (P_EXISTS_OUT_ANY, P_NEG_OUT_ANY) if anyside else (P_EXISTS_OUT, P_NEG_OUT)
            who_ex, who_neg = (None, None) if anyside else (W_EXISTS_OUT, W_NEG_OUT)
        else:
            ex, neg = (P_EXISTS_IN_ANY, P_NEG_IN_ANY) if anyside else (P_EXISTS_IN, P_NEG_IN)
            who_ex = who_neg = None
        key = f"(x:{x_type})" + (f"-{e}->{t}" if side == "out" else f"<-{e}-{f}")
        yield _Shape("exists", f"exists:{key}", styles("exists", ex, who_ex, person), {},
                     [_Filling({}, f"MATCH (x:{x_type}) WHERE {pred} RETURN x.id AS id")], "rows", w)
        yield _Shape("negation", f"negation:{key}", styles("negation", neg, who_neg, person), {},
                     [_Filling({}, f"MATCH (x:{x_type}) WHERE NOT {pred} RETURN x.id AS id")], "negation", w, total=self.counts.get(x_type, 0))
        if anyside:
            return
        for prop in self.props(x_type):
            vals = self.category(x_type, prop)
            if not vals:
                continue
            allowed = set(vals)
            have = [v for v in self.column(f"MATCH (x:{x_type}) WHERE x.{prop} IS NOT NULL AND NOT {pred} RETURN DISTINCT x.{prop} AS v") if v in allowed]
            fill = [_Filling({"v": v}, f"MATCH (x:{x_type}) WHERE x.{prop} = $@v AND NOT {pred} RETURN x.id AS id")
                    for v in self.sample(self.rng("negation-filter", shape, side, prop), have)]
            pw = {**w, "P": self.pword(prop)}
            texts = P_NEG_FILTER_OUT if side == "out" else P_NEG_FILTER_IN
            yield _Shape("negation-filter", f"negation-filter:{key}[{x_type}.{prop}]", styles("negation-filter", texts),
                         {"v": ("value", f"{x_type}.{prop}")}, fill, "rows", pw)

    def edge_pair_shapes(self, f: str, e: str, t: str) -> Iterable[_Shape]:
        """Patterns over a whole edge type between two typed ends: group counts, top-degree, edge lookups, yes/no checks."""
        w = self.edge_words(f, e, t)
        shape = f"{f}-{e}->{t}"
        yield _Shape("hop-group-count", f"hop-group-count:out:{shape}", styles("hop-group-count", P_HOP_GROUP_OUT), {},
                     [_Filling({}, f"MATCH (x:{f})-[:{e}]->(y:{t}) RETURN x.id AS id, count(DISTINCT y) AS n ORDER BY n DESC")], "rows", w)
        yield _Shape("hop-group-count", f"hop-group-count:in:{shape}", styles("hop-group-count", P_HOP_GROUP_IN), {},
                     [_Filling({}, f"MATCH (y:{f})-[:{e}]->(x:{t}) RETURN x.id AS id, count(DISTINCT y) AS n ORDER BY n DESC")], "rows", w)
        for side in ("out", "in"):
            n_x = len(self.anchors(f, e, t, "from" if side == "out" else "to"))
            ks = [k for k in TOP_KS if k <= n_x]
            x_noun = self.nouns[f] if side == "out" else self.nouns[t]
            fill = []
            for k in sorted(self.sample(self.rng("top-degree", shape, side), ks)):
                m = f"MATCH (x:{f})-[:{e}]->(y:{t})" if side == "out" else f"MATCH (y:{f})-[:{e}]->(x:{t})"
                lit = {"k": str(k), "kX": count_noun(k, x_noun), "be": "is" if k == 1 else "are", "have": "has" if k == 1 else "have",
                       "vX": w["s3"] if k == 1 else w["pl"], "itX": ("it" if k == 1 else "they") if side == "out" else ("it" if k == 1 else "them")}
                fill.append(_Filling({}, f"{m} RETURN x.id AS id, count(DISTINCT y) AS n ORDER BY n DESC LIMIT {k}", lit))
            texts = P_TOP_DEGREE_OUT if side == "out" else P_TOP_DEGREE_IN
            yield _Shape("top-degree", f"top-degree:{side}:{shape}", styles("top-degree", texts), {}, fill, "k", w)
        # edge property lookups
        for prop, p in self.schema.edges[e].properties.items():
            if p.embed or p.type in (PropertyType.STRING_LIST, PropertyType.VECTOR):
                continue
            pairs = sorted({(str(r["a"]), str(r["b"])) for r in self.rows(
                f"MATCH (a:{f})-[r:{e}]->(b:{t}) WHERE r.{prop} IS NOT NULL RETURN a.id AS a, b.id AS b", limit=2000)})
            fill = [_Filling({"a": a, "b": b}, f"MATCH (:{f} {{id: $@a}})-[r:{e}]->(:{t} {{id: $@b}}) RETURN r.{prop} AS value")
                    for a, b in self.sample(self.rng("edge-lookup", shape, prop), pairs)]
            pw = {**w, "P": self.pword(prop), "B": self.bword(prop)}
            texts = P_EDGE_LOOKUP_BOOL if p.type is PropertyType.BOOLEAN else P_EDGE_LOOKUP
            yield _Shape("edge-lookup", f"edge-lookup:{shape}[{e}.{prop}]", styles("edge-lookup", texts), {"a": ("entity", f), "b": ("entity", t)},
                         fill, "value", pw)
        # yes / no: does a -[e]-> b (half true, half false)
        rng = self.rng("exists-check", shape)
        edges = sorted({(str(r["a"]), str(r["b"])) for r in self.rows(f"MATCH (a:{f})-[:{e}]->(b:{t}) RETURN a.id AS a, b.id AS b", limit=2000)})
        yes = self.sample(rng, edges, (self.per_shape + 1) // 2)
        edge_set = set(edges)
        a_ids, b_ids = sorted(self.entities.get(f, {})), sorted(self.entities.get(t, {}))
        no: list[tuple[str, str]] = []
        for _ in range(20 * self.per_shape):
            if len(no) >= self.per_shape - len(yes) or not a_ids or not b_ids:
                break
            pair = (rng.choice(a_ids), rng.choice(b_ids))
            if pair not in edge_set and pair[0] != pair[1] and pair not in no:
                no.append(pair)
        fill = [_Filling({"a": a, "b": b}, f"MATCH (:{f} {{id: $@a}})-[:{e}]->(x:{t} {{id: $@b}}) RETURN count(x) AS n") for a, b in yes + no]
        yield _Shape("exists-check", f"exists-check:{shape}", styles("exists-check", P_EXISTS_CHECK), {"a": ("entity", f), "b": ("entity", t)},
                     fill, "one-row", w)

    def transitive(self, e: str, froms: list[str], tos: list[str], *, chain: bool = False) -> Iterable[_Shape]:
        """Variable-length paths along a dependency edge (what breaks if X is down, what X needs), or, with `chain`, along
        an edge from a type to itself, in plain "at any depth" words and between typed ends only."""
        rel = f"[:{e}*1..{MAX_HOPS}]"
        p_in, p_count, p_out = (P_CHAIN_IN, P_CHAIN_COUNT, P_CHAIN_OUT) if chain else (P_TRANS_IN, P_TRANS_COUNT, P_TRANS_OUT)
        for t in tos:  # impact: anchors are depended on
            for f in froms if chain else ["*", *froms]:
                src = "()" if f == "*" else f"(:{f})"
                ids = [str(v) for v in self.column(f"MATCH {src}-{rel}->(a:{t}) RETURN DISTINCT a.id AS v", limit=500)]
                w = self.edge_words(f, e, t)
                x = "(x)" if f == "*" else f"(x:{f})"
                sh = f"{f}-{e}*->{t}"
                fill = [_Filling({"a": i}, f"MATCH {x}-{rel}->(:{t} {{id: $@a}}) RETURN DISTINCT x.id AS id")
                        for i in self.sample(self.rng("transitive-in", sh), ids)]
                texts = P_TRANS_IN_ANY if f == "*" else p_in
                yield _Shape("transitive-in", f"transitive-in:{sh}", styles("transitive-in", texts), {"a": ("entity", t)}, fill, "rows", w)
                if f != "*":
                    fill = [_Filling(dict(fl.values), fl.cypher.replace("RETURN DISTINCT x.id AS id", "RETURN count(DISTINCT x) AS n")) for fl in fill]
                    yield _Shape("transitive-count", f"transitive-count:{sh}", styles("transitive-count", p_count), {"a": ("entity", t)}, fill,
                                 "count", w)
        for f in froms:  # what an anchor needs, directly or not
            for t in tos if chain else ["*", *tos]:
                dst = "()" if t == "*" else f"(:{t})"
                ids = [str(v) for v in self.column(f"MATCH (a:{f})-{rel}->{dst} RETURN DISTINCT a.id AS v", limit=500)]
                w = self.edge_words(f, e, t)
                x = "(x)" if t == "*" else f"(x:{t})"
                sh = f"{f}-{e}*->{t}"
                fill = [_Filling({"a": i}, f"MATCH (:{f} {{id: $@a}})-{rel}->{x} RETURN DISTINCT x.id AS id")
                        for i in self.sample(self.rng("transitive-out", sh), ids)]
                texts = P_TRANS_OUT_ANY if t == "*" else p_out
                yield _Shape("transitive-out", f"transitive-out:{sh}", styles("transitive-out", texts), {"a": ("entity", f)}, fill, "rows", w)

    # -- multi-hop chains and paths --------------------------------------------------------------
    def chain_shapes(self, triples: list[tuple[str, str, str]], hops: int, cap: int) -> Iterable[_Shape]:
        steps = [_Step(e, True, f, t) for f, e, t in triples] + [_Step(e, False, t, f) for f, e, t in triples]
        by_start: dict[str, list[_Step]] = defaultdict(list)
        for s in steps:
            by_start[s.prev].append(s)
        chains: list[tuple[_Step, ...]] = [(s,) for s in steps]
        for _ in range(hops - 1):
            chains = [(*c, s) for c in chains for s in by_start[c[-1].next]]

        def backtracks(c: tuple[_Step, ...]) -> int:
            return sum(1 for a, b in pairwise(c) if a.edge == b.edge and a.out != b.out and a.prev == b.next)

        # Seed-independent order, so the set of shapes (and so the split) does not move with the seed:
        # straight chains first, back-and-forth ones ("teammates") after, shuffled within by a fixed key.
        order = random.Random(f"hop{hops}")
        chains.sort(key=lambda c: tuple((s.edge, s.out, s.prev, s.next) for s in c))
        order.shuffle(chains)
        chains.sort(key=backtracks)
        made = 0
        for chain in chains[: 4 * cap]:
            if made >= cap:
                break
            nodes = [f"(a:{chain[0].prev})"] + [f"(:{s.next})" for s in chain]
            body = nodes[0] + "".join(s.cypher("", n) for s, n in zip(chain, nodes[1:], strict=True))
            ids = [str(v) for v in self.column(f"MATCH {body} RETURN DISTINCT a.id AS v", limit=500)]
            if not ids:
                continue
            made += 1
            x_nodes = [f"(:{chain[0].prev} {{id: $@a}})"] + [f"(:{s.next})" for s in chain[:-1]] + [f"(x:{chain[-1].next})"]
            pattern = x_nodes[0] + "".join(s.cypher("", n) for s, n in zip(chain, x_nodes[1:], strict=True))
            sh = chain[0].prev + "".join(s.key() for s in chain)
            fill = [_Filling({"a": i}, f"MATCH {pattern} RETURN DISTINCT x.id AS id") for i in self.sample(self.rng(f"hop{hops}", sh), ids)]
            yield _Shape(f"hop{hops}", f"hop{hops}:{sh}", self.chain_phrasings(f"hop{hops}", chain), {"a": ("entity", chain[0].prev)}, fill, "rows")

    def chain_phrasings(self, pattern: str, chain: tuple[_Step, ...]) -> list[tuple[str, str]]:
        """Nested relative clauses, built from the verb phrases ("the teams that own the services that {a} depends on")."""
        n = len(chain)

        def noun(i: int) -> Noun:
            return self.nouns[chain[i - 1].next] if i > 0 else self.nouns[chain[0].prev]

        def clause(i: int) -> str:  # what the nodes at position i are, relative to position i-1
            s = chain[i - 1]
            v = self.verbs[s.edge]
            prev = "{a}" if i == 1 else np_(i - 1)
            if s.out:
                return f"{prev} {v.s3 if i == 1 else v.pl}"
            return f"{v.pl} {prev}"

        def np_(i: int) -> str:
            return f"the {noun(i).pl} that {clause(i)}"

        last = chain[-1]
        v = self.verbs[last.edge]
        res = noun(n)
        prev = np_(n - 1)
        if last.out:
            s0 = f"Which {res.pl} {v.auxp} {prev} {v.barep}?"
            s2 = f"For {prev}, which {res.pl} {v.auxp} they {v.barep}?"
        else:
            s0 = f"Who {v.s3} {prev}?" if res.person else f"Which {res.pl} {v.pl} {prev}?"
            s2 = f"For {prev}, which {res.pl} {v.pl} them?"
        s1 = f"List the {res.pl} that {clause(n)}."
        parts = []
        for i, s in enumerate(chain, start=1):
            sv = self.verbs[s.edge]
            if s.out:
                parts.append(f"the {noun(i).pl} {'it' if i == 1 else 'they'} {sv.s3 if i == 1 else sv.pl}")
            else:
                parts.append(f"the {noun(i).pl} that {sv.pl} {'it' if i == 1 else 'them'}")
        s3 = "Start at {a}, take " + ", then ".join(parts) + f": which {res.pl} are those?"
        s4 = f"Show me the {res.pl} that {clause(n)}."
        return [(f"{pattern}/{j}", t) for j, t in enumerate((s0, s1, s2, s3, s4))]

    def shortest_shapes(self) -> Iterable[_Shape]:
        types = [t for t in self.schema.nodes if self.entities.get(t)]
        for a_t, b_t in combinations_with_replacement(types, 2):
            a_ids, b_ids = sorted(self.entities[a_t]), sorted(self.entities[b_t])
            rng = self.rng("shortest-path", a_t, b_t)
            picks: list[tuple[str, str]] = []
            for _ in range(20 * self.per_shape):
                if len(picks) >= self.per_shape:
                    break
                pair = (rng.choice(a_ids), rng.choice(b_ids))
                if pair[0] != pair[1] and pair not in picks:
                    picks.append(pair)
            cy = f"MATCH p = shortestPath((a:{a_t} {{id: $@a}})-[*..{MAX_HOPS}]-(b:{b_t} {{id: $@b}})) RETURN [n IN nodes(p) | n.id] AS path"
            fill = [_Filling({"a": a, "b": b}, cy) for a, b in picks]
            w = {"A": self.nouns[a_t].sg, "B2": self.nouns[b_t].sg}
            yield _Shape("shortest-path", f"shortest-path:{a_t}~{b_t}", styles("shortest-path", P_SHORTEST), {"a": ("entity", a_t), "b": ("entity", b_t)},
                         fill, "rows", w)
            length = [_Filling(dict(f.values), f.cypher.replace("RETURN [n IN nodes(p) | n.id] AS path", "RETURN length(p) AS hops")) for f in fill]
            yield _Shape("shortest-length", f"shortest-length:{a_t}~{b_t}", styles("shortest-length", P_SHORTEST_LENGTH),
                         {"a": ("entity", a_t), "b": ("entity", b_t)}, length, "value", w)


def _categorical_ok(v: str) -> bool:
    s = v.strip()
    return s == v and len(s) >= 2 and s.lower() not in _GENERIC_VALUES and "@" not in s and "$" not in s


# -- rendering and validation -------------------------------------------------------------------


def _render(gen: _Generator, shape: _Shape, fi: int, pid: str, text: str) -> CypherPair:
    filling = shape.fillings[fi]
    fields: dict[str, str] = {**shape.words, **filling.lit}
    for m in ("a", "b", "v", "w"):
        fields[m] = f"{_MARK}{m}{_MARK}"
    filled = text.format_map(fields)
    if filled[:1].isalpha():
        filled = filled[0].upper() + filled[1:]
    order = _SLOT_MARK.findall(filled)
    if sorted(order) != sorted(shape.slots) or len(set(order)) != len(order):
        raise AssertionError(f"phrasing {pid!r} of {shape.shape!r} must name each slot once: {text!r}")
    names = {m: f"p{i}" for i, m in enumerate(order)}
    rng = gen.rng("surface", shape.shape, fi, pid)
    slots = []
    template, question = filled, filled
    for m in order:
        kind, label = shape.slots[m]
        value = filling.values[m]
        if kind == "entity":
            surface = gen.surface(label, str(value), rng, avoid_name=m in shape.avoid_name)
        else:
            surface = str(value)
        slots.append(Slot(names[m], kind, label, value, surface))
        template = template.replace(f"{_MARK}{m}{_MARK}", f"${names[m]}")
        question = question.replace(f"{_MARK}{m}{_MARK}", surface)
    cypher = _CYPHER_MARK.sub(lambda mm: f"${names[mm.group(1)]}", filling.cypher)
    params = {names[m]: filling.values[m] for m in order}
    return CypherPair(question, template, cypher, params, tuple(slots), shape.pattern, shape.shape, pid, 0)


def _check(shape: _Shape, rows: list[dict[str, Any]], truncated: bool, k: int | None) -> str | None:
    """Why the result breaks the pattern's promise, or None when it keeps it."""
    e = shape.expect
    if e == "value":
        if len(rows) != 1:
            return "not-one-row" if rows else "empty"
        v = next(iter(rows[0].values()), None)
        return "null-value" if v is None or v == [] else None
    if e in ("count", "one-row"):
        if len(rows) != 1:
            return "not-one-row"
        n = rows[0].get("n")
        if n is None:
            return "null-value"
        return "zero-count" if e == "count" and not n else None
    if not rows:
        return "empty"
    if e == "k":
        return None if k is not None and len(rows) == k else "too-few-rows"
    if e == "negation" and not truncated and len(rows) >= shape.total:
        return "negation-matches-all"
    if e == "rows" and shape.pattern == "shortest-path" and not rows[0].get("path"):
        return "empty"
    return None


def _word_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(r"(?<![\w$.-])(" + "|".join(re.escape(w) for w in ordered) + r")(?![\w-])", re.I)


def _grammar_check(schema: GraphSchema) -> Callable[[str], bool]:
    """The estate's read-only Cypher grammar as a recogniser."""
    grammar = cypher_grammar(schema, params=("p0", "p1", "p2", "p3"), max_hops=MAX_HOPS)
    return grammar.accepts


def _without(schema: GraphSchema, exclude: Iterable[str]) -> GraphSchema:
    """`schema` without the named node and edge types (and without edge ends of an excluded node type)."""
    ex = set(exclude)
    if not ex & (set(schema.nodes) | set(schema.edges)):
        return schema
    data = schema.model_dump(by_alias=True)
    data["nodes"] = {k: v for k, v in data["nodes"].items() if k not in ex}
    edges = {}
    for k, v in data["edges"].items():
        v["from"] = [t for t in v["from"] if t not in ex]
        v["to"] = [t for t in v["to"] if t not in ex]
        if k not in ex and v["from"] and v["to"]:
            edges[k] = v
    data["edges"] = edges
    return GraphSchema.model_validate(data)


def generate_pairs(
    store: GraphStore,
    schema: GraphSchema,
    *,
    seed: int = 0,
    per_shape: int = 4,
    max_pairs: int = 6000,
    progress: Callable[[int, int], None] | None = None,
    hop2_shapes: int = 60,
    hop3_shapes: int = 40,
    timeout_ms: int = 5000,
    grammar: bool = True,
    exclude_types: Iterable[str] = (),
) -> PairSet:
    """(question, Cypher) pairs from the store's schema and values, each validated on the store.

    A *shape* is one instance of a pattern without values ("hop1-in:Service-DEPENDS_ON->Service");
    `per_shape` is how many slot fillings (entities, values, thresholds, k) each shape samples.
    Every phrasing of the shape's pattern is written once, the i-th with the i-th filling (the
    next one when that fails validation), so phrasings see different entities; a shape whose
    fillings differ in literals (numbers, k) also writes every filling once. A pair is kept when
    its query is read-only, inside the estate's Cypher grammar (with `grammar`,
    the default), runs within `timeout_ms` and returns what the pattern
    promises, and when the slot finder would cut its question the same way (no stored
    categorical value among the template's own words). Then duplicates, by (template, cypher)
    and by question, are dropped, and past `max_pairs` pairs are taken round-robin over patterns
    (and within a pattern over its shapes), so a cap keeps every pattern and the first phrasings of most shapes.
    `hop2_shapes` / `hop3_shapes` bound the multi-hop chains (straight chains first, each one
    checked to exist in the data). `exclude_types` names node and edge types to leave out (for
    example the document types opsgraph adds). `progress(done, total)` is called as fillings
    are validated.
    """
    began = time.perf_counter()
    grammar_schema = schema
    schema = _without(schema, exclude_types)
    gen = _Generator(store, schema, seed, per_shape, timeout_ms)
    gen.load()
    triples = gen.live()
    shapes: list[_Shape] = []
    shapes.extend(gen.node_shapes())
    shapes.extend(gen.edge_shapes(triples))
    shapes.extend(gen.chain_shapes(triples, 2, hop2_shapes))
    shapes.extend(gen.chain_shapes(triples, 3, hop3_shapes))
    shapes.extend(gen.shortest_shapes())
    shapes = [s for s in shapes if s.fillings]
    sampling_queries = gen.queries
    accepts = _grammar_check(grammar_schema) if grammar else None

    rejected: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    total_fillings = sum(len(s.fillings) for s in shapes)
    done = 0
    generated = 0
    per_shape_kept: list[list[CypherPair]] = []
    for shape in shapes:
        kept_here: list[CypherPair] = []
        n, m = len(shape.fillings), len(shape.phrasings)
        outcome: dict[int, tuple[str | None, int]] = {}

        def validated(fi: int, pair: CypherPair, shape: _Shape = shape, outcome: dict[int, tuple[str | None, int]] = outcome) -> tuple[str | None, int]:
            nonlocal done
            if fi not in outcome:
                outcome[fi] = _validate(store, shape, shape.fillings[fi], pair, accepts, errors, timeout_ms)
                done += 1
                if progress is not None:
                    progress(done, total_fillings)
            return outcome[fi]

        # Every phrasing once; a shape whose fillings differ in literals (numbers, k) also writes every filling once.
        # Pair i starts at filling i mod n (so phrasings see different fillings) and falls back to the next filling
        # when that one fails validation or reads badly in this phrasing.
        count = max(n, m) if any(f.lit for f in shape.fillings) else m
        for idx in range(count):
            pid, text = shape.phrasings[idx % m]
            generated += 1
            first: tuple[str, CypherPair] | None = None
            for r in range(n):
                fi = (idx + r) % n
                pair = _render(gen, shape, fi, pid, text)
                reason, nrows = validated(fi, pair)
                reason = reason or _text_problem(pair, gen.value_re)
                if reason is None:
                    kept_here.append(_with_rows(pair, nrows))
                    first = None
                    break
                first = first or (reason, pair)
            if first is not None:
                rejected[first[0]] += 1
                if len(examples[first[0]]) < 5:
                    examples[first[0]].append(f"{shape.shape} | {first[1].question}")
        per_shape_kept.append(kept_here)

    # de-duplicate and cap: round-robin over patterns, and within a pattern over its shapes
    by_pattern: dict[str, list[list[CypherPair]]] = {}
    for shape, kept_here in zip(shapes, per_shape_kept, strict=True):
        by_pattern.setdefault(shape.pattern, []).append(kept_here)
    seen_tc: set[tuple[str, str]] = set()
    seen_q: set[str] = set()
    out: list[CypherPair] = []
    for p in _interleave([list(_interleave(groups)) for groups in by_pattern.values()]):
        if (p.template, p.cypher) in seen_tc:
            rejected["duplicate"] += 1
            continue
        if p.question.lower() in seen_q:
            rejected["duplicate-question"] += 1
            continue
        seen_tc.add((p.template, p.cypher))
        seen_q.add(p.question.lower())
        if len(out) >= max_pairs:
            rejected["over-max-pairs"] += 1
            continue
        out.append(p)

    per_pattern: dict[str, dict[str, int]] = {}
    for s in shapes:
        d = per_pattern.setdefault(s.pattern, {"shapes": 0, "kept": 0, "phrasings": 0, "kept_shapes": 0})
        d["shapes"] += 1
        d["phrasings"] = max(d["phrasings"], len(s.phrasings))
    kept_shapes: dict[str, set[str]] = defaultdict(set)
    for p in out:
        per_pattern[p.pattern]["kept"] += 1
        kept_shapes[p.pattern].add(p.shape)
    for pat, d in per_pattern.items():
        d["kept_shapes"] = len(kept_shapes[pat])
    stats: dict[str, Any] = {
        "seed": seed,
        "shapes": len(shapes),
        "generated": generated,
        "ran": done,
        "sampling_queries": sampling_queries,
        "kept": len(out),
        "rejected": dict(sorted(rejected.items())),
        "per_pattern": dict(sorted(per_pattern.items())),
        "errors": dict(errors.most_common(20)),
        "rejected_examples": dict(sorted(examples.items())),
        "seconds": round(time.perf_counter() - began, 3),
    }
    return PairSet(out, stats)


def _interleave(lists: Sequence[Sequence[CypherPair]]) -> Iterator[CypherPair]:
    """First items of every list, then second items, ..."""
    for i in range(max((len(x) for x in lists), default=0)):
        for x in lists:
            if i < len(x):
                yield x[i]


def _with_rows(pair: CypherPair, rows: int) -> CypherPair:
    return CypherPair(pair.question, pair.template, pair.cypher, pair.params, pair.slots, pair.pattern, pair.shape, pair.phrasing, rows)


def _validate(
    store: GraphStore, shape: _Shape, filling: _Filling, pair: CypherPair, accepts: Callable[[str], bool] | None, errors: Counter[str], timeout_ms: int
) -> tuple[str | None, int]:
    if write_clauses(pair.cypher):
        return "writes", 0
    if accepts is not None and not accepts(pair.cypher):
        return "outside-grammar", 0
    limit = max(2000, shape.total + 1)
    try:
        result = store.query(pair.cypher, pair.params, limit=limit, timeout_ms=timeout_ms)
    except QueryTimeoutError:
        return "timeout", 0
    except QueryError as exc:
        errors[str(exc).splitlines()[0][:300]] += 1
        return "error", 0
    k = int(filling.lit["k"]) if "k" in filling.lit else None
    reason = _check(shape, result.rows, result.truncated, k)
    return reason, len(result.rows)


def _text_problem(pair: CypherPair, value_re: re.Pattern[str] | None) -> str | None:
    """A question the slot finder would cut differently, or whose slots cannot be told apart."""
    surfaces = [s.surface for s in pair.slots]
    if any(not s.strip() for s in surfaces) or len({s.lower() for s in surfaces}) != len(surfaces):
        return "ambiguous-surface"
    for s in surfaces:
        if re.search(r"(?<![\w])" + re.escape(s) + r"(?![\w])", pair.template, re.I):
            return "surface-in-template"
    if value_re is not None and value_re.search(pair.template):
        return "value-word-in-template"
    return None

