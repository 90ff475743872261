"""Cue words: what a question's wording says about its query's operators, to rerank retrieved examples.

Sentence embeddings place "Which books were published before 1850?" next to
"Which books have a year above 1955?": they hear the topic, not the direction.
A query's operators (a comparison's direction, an aggregate, an order, a
negation, a count) are what the nearest example most often gets wrong, and
English marks them with a handful of words. `question_cues` reads those words;
`query_cues` reads the same features off a candidate query; `cue_score` adds a
bonus when they agree and a penalty when they contradict, so among examples of
about the same topic, the one with the right operators wins.

The lexicon is English, not estate-specific: nothing here names a type, an
edge or a property.
"""

from __future__ import annotations

import re
from functools import lru_cache

from opsgraph.schema.words import words_of

# feature → phrases that signal it (lower case; matched as whole words).
_CUES: dict[str, tuple[str, ...]] = {
    "gt": (
        "above",
        "over",
        "more than",
        "greater than",
        "higher than",
        "after",
        "later than",
        "newer than",
        "exceeds",
        "exceeding",
        "bigger than",
        "larger than",
        "longer than",
        "at least",
        "or more",
        "or higher",
        "or later",
        "or above",
        "since",
        "no less than",
        "upwards of",
        ">",
        ">=",
    ),
    "lt": (
        "below",
        "under",
        "less than",
        "fewer than",
        "lower than",
        "before",
        "earlier than",
        "older than",
        "smaller than",
        "shorter than",
        "at most",
        "or less",
        "or fewer",
        "or lower",
        "or earlier",
        "or below",
        "up to",
        "no more than",
        "pre",
        "<",
        "<=",
    ),
    "between": ("between", "range"),
    "count": ("how many", "number of", "count", "how far", "distance"),
    "avg": ("average", "mean", "on average", "typical"),
    "sum": ("total", "altogether", "in total", "combined", "sum", "add up", "all together", "overall"),
    "max": (
        "highest",
        "largest",
        "biggest",
        "maximum",
        "max",
        "latest",
        "newest",
        "most recent",
        "longest",
        "greatest",
        "top",
        "most",
        "best",
    ),
    "min": ("lowest", "smallest", "minimum", "min", "earliest", "oldest", "shortest", "least", "fewest", "worst"),
    "not": (
        "no",
        "not",
        "never",
        "without",
        "none",
        "nothing",
        "nobody",
        "no one",
        "don't",
        "doesn't",
        "didn't",
        "hasn't",
        "haven't",
        "isn't",
        "aren't",
        "lack",
        "lacking",
        "missing",
        "n't",
    ),
    "path": ("path", "connected", "connection", "linked", "link between", "related", "hops", "chain", "route"),
    "transitive": (
        "directly or indirectly",
        "transitively",
        "indirectly",
        "all the way",
        "any depth",
        "ultimately",
        "blast radius",
        "down the line",
        "further",
        "every level",
        "recursively",
    ),
}
_OPPOSITE = {"gt": "lt", "lt": "gt", "max": "min", "min": "max"}
CUE_WEIGHT = 0.08
"""Bonus per agreeing feature and penalty per contradicting one (cosine similarities of near examples differ by ~0.05)."""


@lru_cache(maxsize=1)
def _cue_res() -> dict[str, re.Pattern[str]]:
    out = {}
    for feat, words in _CUES.items():
        alts = sorted(words, key=len, reverse=True)
        out[feat] = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in alts) + r")(?![\w'])", re.I)
    return out


def question_cues(text: str) -> frozenset[str]:
    """Features the question's wording signals ("before" → lt, "how many" → count, "never" → not)."""
    text = text.replace("’", "'")
    found = {feat for feat, rx in _cue_res().items() if rx.search(text)}
    # "more than 3" is a comparison, not an order; "the most" without a number is an order.
    if "gt" in found or "lt" in found:
        found.discard("max")
        found.discard("min")
    return frozenset(found)


_AGG = re.compile(r"\b(count|avg|sum|min|max)\s*\(", re.I)


@lru_cache(maxsize=65536)
def query_cues(cypher: str) -> frozenset[str]:
    """The same features, read off a query: its comparisons, aggregates, order, negation, paths."""
    found: set[str] = set()
    where = re.split(r"\bRETURN\b", cypher, maxsplit=1, flags=re.I)[0]
    has_ge = bool(re.search(r">=", where))
    has_le = bool(re.search(r"<=", where))
    if has_ge and has_le:
        found.add("between")
    else:
        if re.search(r"(?<![-<])>(?!\s*\()", where.replace("->", "")):
            found.add("gt")
        if re.search(r"<(?![-])", where.replace("<-", "")):
            found.add("lt")
    returned = cypher[len(where) :]
    for fn in _AGG.findall(returned):
        found.add(fn.lower())
    if re.search(r"\blength\s*\(", returned, re.I):
        found.add("count")  # a path's length answers "how many hops", like a count
    order = re.search(r"\bORDER\s+BY\b[^\n]*?\b(DESC|ASC)\b", cypher, re.I)
    if order:
        found.add("max" if order.group(1).upper() == "DESC" else "min")
    if re.search(r"\bNOT\b", re.sub(r"\bIS\s+NOT\s+NULL\b", "", cypher, flags=re.I), re.I):
        found.add("not")
    if re.search(r"shortestPath", cypher, re.I):
        found.add("path")
    if re.search(r"\*\s*\d*\s*\.\.", cypher):
        found.add("transitive")
    return frozenset(found)


def cue_score(q: frozenset[str], c: frozenset[str]) -> float:
    """+CUE_WEIGHT per feature both have, -CUE_WEIGHT per feature one has and the other contradicts or lacks.

    A feature the question signals and the query lacks costs half (wording is loose: "the total" may be a count); a
    direction the query has opposite to the question's costs in full, as does a query feature the question does not
    signal for count, negation and aggregates (they change the answer's kind).
    """
    score = 0.0
    for feat in q:
        if feat in c:
            score += CUE_WEIGHT
        elif _OPPOSITE.get(feat) in c:
            score -= CUE_WEIGHT
        else:
            score -= CUE_WEIGHT / 2
    for feat in c - q:
        if feat in ("count", "not", "avg", "sum", "path", "transitive") or (feat in _OPPOSITE and _OPPOSITE[feat] not in q):
            score -= CUE_WEIGHT / 2
    return score


_RETURNED_PROPERTY = re.compile(r"\bRETURN\s+(?:DISTINCT\s+)?\w+\.(\w+)\s+AS\s+\w+\s*$", re.I)
_SKIP_WORDS = frozenset("id at is of the on in by to".split())
UNASKED_PENALTY = 0.1
"""Cost of an example whose query answers with a property the question never names (see `unasked_property`)."""


def unasked_property(template: str, cypher: str) -> bool:
    """True when the query's answer is one property's value and no word of that property's name is in the question.

    "What did $p0 write?" is close, by embedding, to "What is the name of $p0?"; but a question that wants a
    property's value names the property ("When does $p0 close?" → closes_at). Words match on their first four
    letters, so "closes" finds "close" and "published" finds "publisher".
    """
    words = _returned_words(cypher)
    return bool(words) and not any(w in _asked(template) for w in words)


@lru_cache(maxsize=65536)
def _returned_words(cypher: str) -> tuple[str, ...]:
    m = _RETURNED_PROPERTY.search(cypher.strip())
    if not m:
        return ()
    words = re.findall(r"[a-z]+", " ".join(words_of(m.group(1))))
    return tuple(w[:4] for w in words if w not in _SKIP_WORDS)


@lru_cache(maxsize=256)
def _asked(template: str) -> frozenset[str]:
    return frozenset(w[:4] for w in re.findall(r"[a-z]+", template.lower()))


_LIST_RETURN = re.compile(r"\bRETURN\s+(DISTINCT\s+)?(\w+)\.id\s+AS\s+id\s*$", re.I)


def fit_answer_kind(cypher: str, wanted: frozenset[str]) -> str:
    """The query with its answer turned into a count when the question asks "how many" of what the query lists.

    Only a query that returns one node column (`RETURN [DISTINCT] x.id AS id`) is rewritten, to
    `RETURN count(DISTINCT x) AS n`; anything else comes back unchanged.
    """
    if "count" not in wanted or "count" in query_cues(cypher):
        return cypher
    m = _LIST_RETURN.search(cypher.strip())
    if not m:
        return cypher
    return cypher.strip()[: m.start()] + f"RETURN count(DISTINCT {m.group(2)}) AS n"
