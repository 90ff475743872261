"""A read-only Cypher grammar built from the live schema, for grammar-constrained decoding.

`cypher_grammar(schema)` writes a llama.cpp GBNF grammar (start rule `root`) of
a small, read-only Cypher subset whose node labels, relationship types,
node-map keys and property names all come from the schema, so a local model
sampled under it can only emit a query that parses, names things that exist
and does not write. `opsgraph.llm.gbnf.gbnf_to_regex` inlines the same GBNF into one Python
regex, the recogniser behind `CypherGrammar.accepts` (for tests, and for cheap
validation of text from models that were not constrained): one grammar text,
one language.

The language (keywords upper case; one space suffices, a little extra
whitespace and single line breaks are allowed, blank lines are not):

    query   := (MATCH ws){1,4} (WITH ws (MATCH-after-WITH ws){0,3}){0,2} RETURN
    MATCH   := [OPTIONAL] MATCH pattern (, [p =] chain){0,3} [WHERE cond]
    pattern := [p =] chain | p = shortestPath|allShortestPaths(node rel* node)
    chain   := node (rel node){0,4}                     (up to 4 hops)
    node    := ( [var] [:Label [{key: value, ...}]] )   keys: that label's properties and `id`
             | ( [var] {key: value, ...} )              keys: any node property
    rel     := -[d]->  <-[d]-  -[d]-  -->  <--  --      d := [var] [:T|U...] [*range]
    range   := *  *n  *a..  *..b  *a..b                 (a written bound is at most max_hops)
    cond    := cterm ((AND|OR|XOR) cterm){0,5}
    cterm   := [NOT] (atom | pattern-predicate | EXISTS { [MATCH] pattern-predicate [WHERE flat] } | ( flat ))
    flat    := [NOT] (atom | pattern-predicate), joined by AND|OR|XOR, up to 6
    atom    := term (= <> < > <= >= value|term | CONTAINS|STARTS WITH|ENDS WITH text
                     | IN [list]|$param|term | IS [NOT] NULL)  |  value IN term
    term    := var | var.prop | f(var[.prop]) | labels(var)[i]     f: toLower, size, length, type, nodes, ...
    WITH    := WITH [DISTINCT] item [AS var], ... [ORDER BY ..] [SKIP n] [LIMIT n] [WHERE flat]
    RETURN  := RETURN [DISTINCT] item [AS alias], ... [ORDER BY item [ASC|DESC], ...] [SKIP n] [LIMIT n]
    item    := term | count(*) | count|collect|sum|avg|min|max([DISTINCT] term) | [x IN nodes(p) | x.prop]
    value   := 'string' | "string" | number | true | false | null | $param (only the given names)

Nothing that writes is in the language: no CREATE, MERGE, SET, DELETE, DETACH,
REMOVE, CALL, LOAD CSV, FOREACH, and no `;`.

Limits, by design:

- Context-free means a variable's label is unknown where it is used: `s.prop`
  admits any property name declared in the schema (or `id`). Label-specific
  property checks for variables are left to the engine and to the schema shown
  in the prompt. Node maps in MATCH patterns are checked per label
  (`(:Service {engine: 'x'})` is refused when `engine` is not a Service
  property), as are labels and relationship types everywhere.
- Not recursive (bounded repetition instead of nesting), so `gbnf_to_regex` can
  inline it: one level of parentheses in WHERE, EXISTS one level deep. Every
  use of a rule is a copy in the regex, so the costly forms appear once: nodes
  in pattern predicates, in EXISTS and in MATCH clauses after a WITH are
  `( [var] [:Label] [{id: value}] )`, and WITH ... WHERE takes a flat condition.
- A variable-length relationship with no upper bound (`*`, `*1..`) is admitted
  (Cypher writers use it, e.g. with shortestPath; the engine's time limit bounds
  it); a written bound is at most `max_hops`. LIMIT and SKIP are checked by
  digit count only.
- Variables match `[a-z][a-zA-Z0-9_]{0,15}`. Keywords here are upper case, so
  they never read as variables, but a lower-case spelling of a keyword (`or`,
  `order`) is not excluded: excluding a word list context-free would multiply
  the size of the inlined regex. The engine refuses such a query.
- Vector properties are left out (they are for vector search, not answers).
- `accepts` matches the text exactly as given: strip it and remove code fences
  first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from opsgraph.llm.gbnf import alternatives, gbnf_to_regex, literal
from opsgraph.schema.model import GraphSchema, PropertyType

__all__ = ["CypherGrammar", "cypher_grammar"]

_FUNCTIONS = (
    "toLower",
    "toUpper",
    "trim",
    "toString",
    "toInteger",
    "toFloat",
    "size",
    "length",
    "type",
    "id",
    "nodes",
    "relationships",
    "keys",
)
"""One-argument functions a term may apply to `var` or `var.prop`."""
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


@dataclass(frozen=True)
class CypherGrammar:
    """A schema's read-only Cypher grammar, as GBNF and as a recogniser."""

    gbnf: str
    """llama.cpp GBNF text; the start rule is `root`."""
    labels: tuple[str, ...]
    """Node labels the grammar admits."""
    rel_types: tuple[str, ...]
    """Relationship types the grammar admits."""
    params: tuple[str, ...]
    """Parameter names (without `$`) the grammar admits wherever a literal may stand."""

    def accepts(self, cypher: str) -> bool:
        """True when `cypher` (exactly, whitespace included) is in the grammar's language."""
        return _compiled(self.gbnf).fullmatch(cypher) is not None


# -- building the grammar -----------------------------------------------------------


def cypher_grammar(schema: GraphSchema, *, params: Sequence[str] = (), max_hops: int = 6, max_limit: int = 1000) -> CypherGrammar:
    """The read-only Cypher grammar of `schema` (memoised on the schema's content and the options).

    `params` are the parameter names (`"p0"` for `$p0`) a query may use wherever
    a literal value may stand; any other `$name` is refused. A bound written in
    a variable-length relationship (`*1..N`, `*..N`, `*N`) is at most `max_hops`
    (an omitted upper bound, `*` or `*1..`, is admitted); LIMIT and SKIP take at
    most as many digits as `max_limit` has.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be >= 1, got {max_hops}")
    if max_limit < 1:
        raise ValueError(f"max_limit must be >= 1, got {max_limit}")
    names = tuple(dict.fromkeys(params))
    for name in names:
        if not _PARAM.match(name):
            raise ValueError(f"parameter name {name!r} must match {_PARAM.pattern}")
    digest = hashlib.sha256(schema.model_dump_json(by_alias=True).encode()).hexdigest()
    return _build(digest, schema, names, max_hops, max_limit)


def _build(digest: str, schema: GraphSchema, names: tuple[str, ...], max_hops: int, max_limit: int) -> CypherGrammar:
    key = (digest, names, max_hops, max_limit)
    hit = _GRAMMARS.get(key)
    if hit is None:
        hit = _Builder(schema, names, max_hops, max_limit).grammar()
        if len(_GRAMMARS) >= 64:
            _GRAMMARS.pop(next(iter(_GRAMMARS)))
        _GRAMMARS[key] = hit
    return hit


_GRAMMARS: dict[tuple[str, tuple[str, ...], int, int], CypherGrammar] = {}




def _rule_suffix(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "t"
    out, i = base, 1
    while out in taken:
        i += 1
        out = f"{base}-{i}"
    taken.add(out)
    return out


class _Builder:
    def __init__(self, schema: GraphSchema, params: tuple[str, ...], max_hops: int, max_limit: int) -> None:
        self.schema = schema
        self.params = params
        self.max_hops = max_hops
        self.limit_digits = len(str(max_limit))

    def _node_keys(self, label: str) -> list[str]:
        props = self.schema.nodes[label].stored_properties()
        keys = ["id", *(k for k, v in props.items() if k != "id" and v.type is not PropertyType.VECTOR)]
        return keys

    def grammar(self) -> CypherGrammar:
        schema = self.schema
        labels = tuple(schema.nodes)
        rel_types = tuple(schema.edges)
        node_props = {k for label in labels for k in self._node_keys(label)}
        edge_props = {k for e in schema.edges.values() for k, v in e.properties.items() if v.type is not PropertyType.VECTOR}
        all_props = sorted(node_props | edge_props | {"id"})

        rules: list[tuple[str, str]] = []

        def rule(name: str, body: str) -> None:
            rules.append((name, body))

        has_params = bool(self.params)
        param = " | param" if has_params else ""
        hop = alternatives([str(i) for i in range(1, self.max_hops + 1)])
        hop0 = alternatives([str(i) for i in range(0, self.max_hops + 1)])

        # -- query structure (MATCH clauses after a WITH, and the WITH's own WHERE, take the lighter forms)
        rule("root", "(match ws){1,4} (with ws (mlite ws){0,3}){0,2} return")
        rule("match", '("OPTIONAL" ws)? "MATCH" ws pattern (sp "," sp (var sp "=" sp)? chain){0,3} (ws where)?')
        rule("pattern", '(var sp "=" sp)? (chain | shortest)')
        rule("chain", "node (rel node){0,4}")
        rule(
            "shortest",
            '("shortestPath" | "allShortestPaths") "(" sp node ("<-[" spath-body "]-" | "-[" spath-body "]-" ">"?) node sp ")"',
        )
        typed = '(":" types sp)? ' if rel_types else ""
        rule("spath-body", f'sp (var sp)? {typed}"*" hops? sp')
        rule("mlite", '("OPTIONAL" ws)? "MATCH" ws lchain (sp "," sp lchain){0,3} (ws "WHERE" ws flat)?')
        rule("lchain", "pnode (rel pnode){0,4}")
        rule("with", '"WITH" (ws "DISTINCT")? ws witem (sp "," sp witem){0,7} (ws order)? (ws skip)? (ws limit)? (ws "WHERE" ws flat)?')
        rule("witem", 'rexpr (ws "AS" ws var)?')
        rule("return", '"RETURN" (ws "DISTINCT")? ws ritem (sp "," sp ritem){0,11} (ws order)? (ws skip)? (ws limit)?')
        rule("ritem", 'rexpr (ws "AS" ws alias)?')
        rule("order", '"ORDER" ws "BY" ws oitem (sp "," sp oitem){0,3}')
        rule("oitem", '(agg | term | alias) (ws ("DESC" | "ASC"))?')
        rule("skip", '"SKIP" ws int')
        rule("limit", '"LIMIT" ws int')
        rule("int", f"[0-9]{{1,{self.limit_digits}}}")

        # -- patterns
        rule("rel", '"<-" detail? "-" | "-" detail? ("->" | "-")')
        rule("detail", f'"[" sp (var sp)? {typed}("*" hops? sp)? "]"')
        if rel_types:
            rule("types", 'type (sp "|" sp ":"? type){0,3}')
            rule("type", alternatives(rel_types))
        rule("hops", 'hop0 (".." hop?)? | ".." hop?')
        rule("hop", hop)
        rule("hop0", hop0)
        rule("node", '"(" sp (nbody sp)? ")"')
        rule("nbody", "(var sp)? ntail | var")
        rule("ntail", '":" label | nmap')
        taken: set[str] = set()
        label_alts = []
        map_rules: list[tuple[str, str]] = []
        for label in labels:
            suffix = _rule_suffix(label, taken)
            label_alts.append(f"{literal(label)} (sp map-{suffix})?")
            map_rules.append((f"map-{suffix}", f'"{{" sp ent-{suffix} (sp "," sp ent-{suffix}){{0,5}} sp "}}"'))
            map_rules.append((f"ent-{suffix}", f'key-{suffix} sp ":" sp value'))
            map_rules.append((f"key-{suffix}", alternatives(self._node_keys(label))))
        rule("label", " | ".join(label_alts))
        rules.extend(map_rules)
        rule("nmap", '"{" sp nentry (sp "," sp nentry){0,5} sp "}"')
        rule("nentry", 'nkey sp ":" sp value')
        rule("nkey", alternatives(sorted(node_props)))
        # Nodes inside WHERE and after WITH: a variable, a label, and at most an `id` map.
        rule("pnode", '"(" sp (var sp)? (":" lname sp)? (idmap sp)? ")"')
        rule("lname", alternatives(labels))
        rule("idmap", '"{" sp "id" sp ":" sp value sp "}"')

        # -- conditions
        rule("where", '"WHERE" ws cond')
        rule("cond", "cterm (ws bool ws cterm){0,5}")
        rule("cterm", '("NOT" ws)? (atom | pred | exists | "(" sp flat sp ")")')
        rule("flat", "fterm (ws bool ws fterm){0,5}")
        rule("fterm", '("NOT" ws)? (atom | pred)')
        rule("bool", '"AND" | "OR" | "XOR"')
        rule("atom", 'term rest | value ws "IN" ws term')
        rule(
            "rest",
            'sp cmp sp (value | term) | ws strop ws strrhs | ws "IN" ws (list | term' + param + ') | ws "IS" ws ("NOT" ws)? "NULL"',
        )
        rule("cmp", '"<>" | "<=" | ">=" | "=" | "<" | ">"')
        rule("strop", '"CONTAINS" | "STARTS" ws "WITH" | "ENDS" ws "WITH"')
        rule("strrhs", 'string | term | ("toLower" | "toUpper") "(" sp (string' + param + ') sp ")"' + param)
        rule("pred", "pnode (rel pnode){1,3}")
        rule("exists", '"EXISTS" sp "{" sp ("MATCH" ws)? pred (ws "WHERE" ws flat)? sp "}"')

        # -- expressions
        rule(
            "term",
            'fn "(" sp var ("." prop)? sp ")" | "labels(" sp var sp ")" ("[" [0-9] "]")? | var ("." prop)?',
        )
        rule("fn", alternatives(_FUNCTIONS))
        rule("prop", alternatives(all_props))
        rule("rexpr", "agg | lcomp | term")
        rule("agg", '"count(*)" | aggfn "(" sp ("DISTINCT" ws)? term sp ")"')
        rule("aggfn", alternatives(["count", "collect", "sum", "avg", "min", "max"]))
        rule("lcomp", '"[" sp var ws "IN" ws ("nodes" | "relationships") "(" sp var sp ")" sp "|" sp term sp "]"')

        # -- literals and names
        rule("value", 'string | number | "true" | "false" | "null"' + param)
        if has_params:
            rule("param", '"$" (' + alternatives(self.params) + ")")
        rule("list", '"[" sp (value (sp "," sp value){0,31} sp)? "]"')
        rule("string", r'''"'" ([^'\\\n\r] | "\\" [^\n\r])* "'" | "\"" ([^"\\\n\r] | "\\" [^\n\r])* "\""''')
        rule("number", '"-"? [0-9]{1,15} ("." [0-9]{1,15})?')
        rule("var", "[a-z] [a-zA-Z0-9_]{0,15}")
        # Lower-case first, so an alias never reads as a keyword (`AS LIMIT`); or a property's own name (`AS ISBN`).
        upper = [p for p in all_props if not (p[0].islower() or p[0] == "_")]
        rule("alias", "[a-z_] [a-zA-Z0-9_]{0,31}" + (" | " + alternatives(upper) if upper else ""))
        # No blank lines: a model that wants to start a new paragraph must stop instead.
        rule("ws", '[ \\t]{1,4} | "\\n" [ \\t]{0,4}')
        rule("sp", '[ \\t]{0,2} | "\\n" [ \\t]{0,4}')

        gbnf = "".join(f"{name} ::= {body}\n" for name, body in rules)
        return CypherGrammar(gbnf=gbnf, labels=labels, rel_types=rel_types, params=self.params)


# -- the recogniser ------------------------------------------------------------------


@lru_cache(maxsize=32)
def _compiled(gbnf: str) -> re.Pattern[str]:
    return gbnf_to_regex(gbnf)
