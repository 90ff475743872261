"""Right or "I don't know": which of a question's words the query about to answer it leaves unexplained.

A query may run and return rows that answer a narrower or another question:
"Who has had Dune out?" answered by Dune's authors (the only edge joining books
to people, although the question never says "wrote"), "How many e-books do we
have?" by the number of all books, "pre-1900 books" by every book. The rule
here is one for every query, composed, reused or generated: each content word
of the question must be explained by the query, as

- part of an entity the question names and the linker matched (blanked out
  before the words are read);
- a word of a node type the query matches or reaches through an edge it walks;
- a relation word (the schema lexicon of `lexicon.py`: edge names, declared
  synonyms, everyday words) of an edge type the query walks;
- a property word or phrase (name or declared synonym) of a property the query
  reads or compares;
- a value of the estate the query filters on (also its declared words and
  inflections: "reads" for 'consume'), a number the query uses;
- a negation word when the query negates, an order word ("latest", "most") when
  it orders or takes a maximum, an aggregate word ("average") when it
  aggregates, a failure word ("goes down") when it walks a dependency edge, a
  time ("last week") when it reads a date;
- a word that asks nothing of the graph by itself (`FILLER`: wh- and function
  words, auxiliaries).

A hyphenated word is read whole ("e-books", "pre-1900", "24-hour"): it is
explained only as a whole or when every part is (a one-letter qualifier is a
part). `unexplained_words` returns what is left; a query that leaves anything
is not shown as an answer (`verify.py` and `compose.py` both ask here), and
the abstention names the words. `unknown_words` is the weaker, query-free test
(words the schema has no meaning for at all) used where no query exists yet.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.rag.lexicon import (
    FAILURE,
    FILLER,
    NEGATION,
    NOW_PERIOD,
    QUERY_NEGATION,
    TIME_QUALIFIER,
    TRANSITIVE,
    VARIABLE_LENGTH,
    Lexicon,
    build_lexicon,
    currently_described,
    inflections,
    plain_relation_words,
    stem,
    tokens,
    type_forms,
)
from opsgraph.rag.numeronym import described_word_explained
from opsgraph.rag.provenance import come_from_value
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import words_of

_ORDER_WORDS = frozenset(
    "most fewest highest lowest largest smallest biggest longest shortest top latest last first newest oldest recent "
    "recently earliest busiest worst best".split()
)
"""Words asking for an order or an extreme: explained by ORDER BY, max() or min()."""
_AGGREGATE_WORDS = frozenset("average mean total sum overall combined altogether across each per times".split())
"""Words asking for an aggregate ("how many times", "per team", "in total"): explained by avg(), sum() or count()."""
_NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_DECIMAL = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_FUNCTION_WORDS = frozenset("when where about else whether some someone something anyone anything everyone everything whoever".split())
"""Wh- and function words `FILLER` leaves out: they ask nothing of the graph by themselves."""
_NODE_WORDS = frozenset("component components thing things node nodes entity entities item items".split())
"""Words for a node of any type ("What components did INC-7 affect?"): explained by any query that returns nodes."""
_STATE_VERBS = frozenset("written deployed listen listens listening running based located hosted lives live last lasted take took taken address".split())
"""Verbs that tie an entity to a value it holds ("written in Python", "deployed in", "listen on"; the 'address' of an
e-mail address): explained by a query that reads or compares a property besides the id."""
_TIME_WORDS = frozenset("time times date dates".split())
"""Words asking for a point in time ("what time does the shift end?"): explained by a query that reads a date or time."""
_TRANSITIVE_WORDS = frozenset({"indirectly", "transitively"})
_NEGATION_WORDS = frozenset("not never without nobody none nothing neither nor unowned missing".split())
_COMPOUND = re.compile(r"(?<![\w-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![\w-])")
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+(.*?)(?=\bLIMIT\b|\bSKIP\b|\bRETURN\b|\bWITH\b|\bUNION\b|$)", re.I | re.S)
_PRESENTATION_KEYS = frozenset({"id", "name"})


def _orders(cypher: str) -> bool:
    """Whether the query orders by something or takes a maximum: a sort on the id or name alone, with no LIMIT, only
    lists the rows alphabetically and answers no "worst", "first" or "most" ("what was the worst incident?" listed
    every incident, explained by `ORDER BY id`)."""
    if re.search(r"\b(?:max|min)\s*\(", cypher, re.I):
        return True
    for m in _ORDER_BY.finditer(cypher):
        keys = [re.sub(r"\s+(?:ASC|DESC)$", "", k.strip(), flags=re.I).split(".")[-1].lower() for k in m.group(1).split(",")]
        if re.match(r"\s*(?:SKIP\b|LIMIT\b)", cypher[m.end():], re.I) or any(k not in _PRESENTATION_KEYS for k in keys):
            return True
    return False
_AGGREGATES = re.compile(r"\b(?:avg|sum|count|max|min)\s*\(", re.I)
_LABEL = re.compile(r"\(\s*\w*\s*((?::\s*\w+\s*)+)")


@dataclass(frozen=True)
class QueryFacts:
    """What a query names: edge types walked, node types matched, properties read, values used, and its operations."""

    cypher: str
    edges: frozenset[str]
    labels: frozenset[str]
    props: frozenset[str]
    values: frozenset[str]
    """Literals and parameter values (list items too), lower case."""
    negates: bool
    orders: bool
    aggregates: bool
    variable_length: bool

    @classmethod
    def of(cls, cypher: str, params: Mapping[str, Any], schema: GraphSchema) -> QueryFacts:
        values: set[str] = {a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", cypher)}
        for v in params.values():
            for x in v if isinstance(v, list | tuple | set | frozenset) else [v]:
                if x is False:
                    # A yes/no filter on false: 'noncritical' names it (a true one is explained by the property's word,
                    # and only where that property is meant: not by any true filter).
                    values.add("false")
                elif isinstance(x, str | int | float) and not isinstance(x, bool):
                    values.add(str(x))
        labels = {x.strip() for m in _LABEL.finditer(cypher) for x in m.group(1).split(":") if x.strip()}
        return cls(
            cypher=cypher,
            edges=frozenset(query_edges(cypher, schema)),
            labels=frozenset(x for x in labels if x in schema.nodes),
            props=frozenset(_with_described(query_props(cypher), schema)),
            values=frozenset(v.lower() for v in values),
            negates=bool(QUERY_NEGATION.search(cypher)),
            orders=_orders(cypher),
            aggregates=bool(_AGGREGATES.search(cypher)),
            variable_length=bool(VARIABLE_LENGTH.search(cypher)),
        )

    def uses_number(self, number: str) -> bool:
        if re.search(rf"(?<![\w.]){re.escape(number)}(?![\w.])", self.cypher):
            return True
        return any(_same_number(number, v) for v in self.values)

    def walks(self, edge: str) -> int:
        """How many steps of `edge` the query walks (a pattern `[:A|B]` is one step of each)."""
        return len(re.findall(rf"[:|]\s*{re.escape(edge)}\b", self.cypher))

    def reaches(self, schema: GraphSchema) -> set[str]:
        """Node types the query matches by label or reaches through an edge type it walks."""
        out = set(self.labels)
        for e in self.edges:
            out |= set(schema.edges[e].from_types) | set(schema.edges[e].to_types)
        return out


def query_edges(cypher: str, schema: GraphSchema) -> set[str]:
    """Edge types `cypher` names (`[:OWNS]`, `[:A|B]`)."""
    return {e for e in schema.edges if re.search(rf"[:|]\s*{re.escape(e)}\b", cypher)}


def query_props(cypher: str) -> set[str]:
    """Properties `cypher` reads or compares (`x.tier`, `{id: ...}`)."""
    return set(re.findall(r"\.\s*([A-Za-z_]\w*)", cypher)) | set(re.findall(r"\{\s*([A-Za-z_]\w*)\s*:", cypher)) | set(
        re.findall(r",\s*([A-Za-z_]\w*)\s*:", cypher)
    )


def _with_described(props: set[str], schema: GraphSchema) -> set[str]:
    """`props` and the properties their descriptions are computed from: `duration_minutes`, "Minutes from started_at
    to resolved_at", explains "how long did it take to resolve" as well as `resolved_at` would."""
    out = set(props)
    for spec in [*schema.nodes.values(), *schema.edges.values()]:
        for prop in props & set(spec.properties):
            text = spec.properties[prop].description or ""
            out |= {q for q in spec.properties if q != prop and "_" in q and re.search(rf"\b{re.escape(q)}\b", text)}
    return out


def schema_prop_is_time(schema: GraphSchema, prop: str) -> bool:
    """Whether some node or edge type holds `prop` as a date or time."""
    specs = [*schema.nodes.values(), *schema.edges.values()]
    return any(prop in spec.properties and spec.properties[prop].type.value in ("datetime", "date", "time") for spec in specs)


def words_of_type(name: str) -> set[str]:
    """The single words of a type's name and their plurals ("external" of `ExternalService`)."""
    return {f for w in words_of(name) for f in (w.lower(), w.lower() + "s")}


def unknown_words(words: Iterable[str], lexicon: Lexicon, schema: GraphSchema, values: Mapping[str, Any] | None = None) -> list[str]:
    """Content words that are no relation, property, type, value of the estate nor filler, whatever the query: what a
    question asks about that the graph does not hold at all ("TLS certificate", "git commit", "vacation")."""
    types = {f for n in schema.nodes for f in type_forms(n)}
    out = []
    for w in words:
        if len(w) < 3 or w in FILLER or w in types or w.isdigit() or (values and w in values):
            continue
        if lexicon.edge_cues([w]) or lexicon.prop_cues([w]):
            continue
        out.append(w)
    return out


def unexplained_words(
    question: str,
    facts: QueryFacts,
    schema: GraphSchema,
    *,
    lexicon: Lexicon | None = None,
    surfaces: Sequence[str] = (),
    values: Mapping[str, Collection[str] | str] | None = None,
    described: Collection[str] = (),
) -> list[str]:
    """The content words (or hyphenated words, property phrases, failure and time phrases) of `question` that the
    query described by `facts` does not explain (see the module docstring), in question order, each once.
    `surfaces`: the text of the entities the question names (matched by the linker); `values`: words of the estate's
    values → the stored value(s) each names (lower case), so "critical" is explained by a filter on 'critical' and
    "reads" by one on 'consume' when the schema declares "read" a word for it. `described`: words of the values the
    entities bound hold, which describe them ("the Postgres orders database")."""
    lexicon = lexicon or build_lexicon(schema)
    value_words = {k.lower(): ({v.lower()} if isinstance(v, str) else {x.lower() for x in v}) for k, v in (values or {}).items()}
    text = plain_relation_words(question)
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            text = re.sub(re.escape(surface), " ", text, flags=re.I)
    out: list[str] = []
    reached = facts.reaches(schema)
    # "Who was IC on INC-7?": a two-letter word in capitals is an acronym that asks for something (incident
    # commander), not a short word like "on" — unless the whole question is written in capitals.
    letters = re.sub(r"[^A-Za-z]", "", text)
    shouted = sum(c.isupper() for c in letters) > len(letters) / 2
    acronyms = set() if shouted else {m.group(0).lower() for m in re.finditer(r"\b[A-Z]{2}\b", text)} - _PLAIN_ACRONYMS

    text = re.sub(r"n't\b", " not", text, flags=re.I)  # "doesn't" → "does not"
    phrases, text = lexicon.phrase_cues(text)
    out += [p for p, props in phrases.items() if not props & facts.props]
    bound_words = {w for v in facts.values for w in re.split(r"[^a-z0-9]+", v) if len(w) >= 3}
    m = FAILURE.search(text)
    failing = m is not None
    if m:
        dependency = {e for e, spec in schema.edges.items() if getattr(spec, "dependency", False)}
        if not (dependency & facts.edges or facts.variable_length):
            out.append(m.group(0).lower())
        text = FAILURE.sub(" ", text)
    m = TIME_QUALIFIER.search(text)
    if m and NOW_PERIOD.fullmatch(m.group(0)) and currently_described(schema, facts.edges):
        text = NOW_PERIOD.sub(" ", text)  # "who is primary this week?" over an edge the schema says holds the current state
        m = TIME_QUALIFIER.search(text)
    if m:
        if not any(schema_prop_is_time(schema, p) for p in facts.props):
            out.append(m.group(0).lower())
        text = TIME_QUALIFIER.sub(" ", text)

    mentions: dict[str, int] = {}
    last_at: dict[str, int] = {}

    def value_used(word: str) -> bool:
        forms = inflections(word)
        return any(v in facts.values for f in forms for v in value_words.get(f, ())) or any(f in facts.values for f in forms)

    text = come_from_value(text, value_used)  # "which vendors come from Google Cloud?" (`provenance.py`)

    def explained(word: str, *, whole: bool = True, at: int = -99) -> bool:
        if word.isdigit() or re.fullmatch(r"\d+(?:\.\d+)?", word):
            return facts.uses_number(word)
        if word in _NEGATION_WORDS or NEGATION.fullmatch(word):
            return facts.negates
        if TRANSITIVE.fullmatch(word) or word in _TRANSITIVE_WORDS:
            if facts.variable_length or failing:
                return True  # "what is affected if X goes down": the walk through dependents explains 'affected'
            cue = lexicon.edge_cues([word]).get(word)
            return bool(cue and cue & facts.edges)  # 'affected' may also name an AFFECTED edge; "indirectly" no single hop
        if word in FILLER or word in _FUNCTION_WORDS:
            return True
        if whole and len(word) < 3 and word not in acronyms and not (word in value_words and word.isalpha()):
            return True  # a short word asks nothing of the graph, unless it is a value of the estate ("Go services")
        if word in _NODE_WORDS:
            return bool(reached) or "(" in facts.cypher
        if word in _STATE_VERBS and facts.props - {"id"}:
            return True
        if word in _TIME_WORDS and any(schema_prop_is_time(schema, p) for p in facts.props):
            return True
        if word in bound_words or word in described:
            return True  # "the ECB rates feed" linked as 'ecb-rates-feed' by its other words: a word of an entity bound
        if word in _ORDER_WORDS:
            return facts.orders
        if word in _AGGREGATE_WORDS:
            return facts.aggregates
        if word in _NUMBER_WORDS and word != "one":
            return facts.uses_number(_NUMBER_WORDS[word])
        if value_used(word):
            return True
        kinds = [n for n in schema.nodes if word in type_forms(n) or (whole and word in words_of_type(n))]
        if any(k in reached for k in kinds):
            return True  # "members" names Member, also a word of the MEMBER_AT relation
        cue = lexicon.edge_cues([word]).get(word)
        if cue is not None:
            if stem(word) in facts.values:
                return True
            walked = sorted(cue & facts.edges)
            if not walked:
                return False
            # Each mention of a relation needs a walk of it: "What do the dependencies of X depend on?" names two
            # steps of DEPENDS_ON, which one step does not explain (a walk through others explains any number).
            # Words next to each other are one mention ("root cause").
            edge = walked[0]
            if at - last_at.get(edge, -9) == 1:
                last_at[edge] = at
                return True
            last_at[edge] = at
            if facts.variable_length or mentions.get(edge, 0) < facts.walks(edge):
                mentions[edge] = mentions.get(edge, 0) + 1
                return True
            return False
        if kinds:
            return False
        props = lexicon.prop_cues([word]).get(word)
        if props is not None:
            return bool(props & facts.props)
        return described_word_explained(word, facts.props, reached, facts.edges, schema)  # "k8s", "Kubernetes" namespace

    for m in _COMPOUND.finditer(text):
        compound = m.group(0).lower()
        if compound in ("on-call", "e-mail"):
            continue
        # "e-books" names the value 'ebook' when the query filters on it; by itself it is no word of the type "books".
        if not (value_used(compound) or value_used(compound.replace("-", "")) or any(compound in type_forms(n) for n in schema.nodes)):
            if not all(explained(p, whole=False) for p in compound.split("-")):
                out.append(compound)
    text = _COMPOUND.sub(lambda x: " " if x.group(0).lower() not in ("on-call", "e-mail") else x.group(0), text)
    for m in _DECIMAL.finditer(text):
        if not facts.uses_number(m.group(0)):
            out.append(m.group(0))
    text = _DECIMAL.sub(" ", text)
    words = tokens(text)
    for i, w in enumerate(words):
        if explained(w, at=i):
            continue
        if i + 1 < len(words) and value_used(f"{w}-{words[i + 1]}"):
            continue  # "incident commander" names the value 'incident-commander'
        if i > 0 and value_used(f"{words[i - 1]}-{w}"):
            continue
        out.append(w)
    return list(dict.fromkeys(out))


_PLAIN_ACRONYMS = frozenset({"id", "ok", "db", "us", "eu", "am", "pm"})
"""Two capital letters that ask nothing more of the graph than their words do ("the ID", "OK", "the orders DB", "9 AM")."""


def _same_number(number: str, value: str) -> bool:
    try:
        return float(number) == float(value)
    except ValueError:
        return False
