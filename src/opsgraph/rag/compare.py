"""A type's nodes whose number or date property compares with a number the question gives.

"Which branches opened after 1950?", "Which authors were born in the 1920s?",
"How many books have more than 600 pages?" ask for one node type filtered by a
comparison, which the one-step `compose.py` refuses (its words are an order or
a time). Here the comparison is read from the question's words:

- "before / after / since N", "more than / over / above / under / below /
  fewer than / less than N", "at least / at most N", "N or more / or higher /
  or less", "between N and M", "in the 1920s" (a decade);
- the wanted type (`shape.py`: "which branches") and, of its integer, float or
  date properties, the one the question names: by the property's name or
  declared words (the lexicon), else by the words of its description in the
  schema ("Year the work was first published" for "first published");
- a date property compared with a year compares with the year's first day (the
  schema's dates are ISO-8601 text, so they compare as text).

The comparison's words are what the filter computes; every other word of the
question must still be explained by the query (`explained.py`), where the
words of the compared property's own description count as explained. No entity
may be named (that is another step), and only one comparison is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.compose import Anchor, Composed, ValueHit
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import FILLER, Lexicon, stem, tokens, type_forms
from opsgraph.rag.shape import QuestionShape
from opsgraph.schema import GraphSchema

_WORD_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_N = r"(\d+(?:\.\d+)?|" + "|".join(_WORD_NUMBERS) + r")"
_COMPARISONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), op)
    for p, op in (
        (rf"\b{_N}\s+or\s+(?:more|higher|above|over|greater|later|after)\b", ">="),
        (rf"\b{_N}\s+or\s+(?:less|fewer|lower|below|under|earlier|before)\b", "<="),
        (rf"\b(?:at\s+least|no\s+(?:less|fewer)\s+than)\s+{_N}(?![\w.])", ">="),
        (rf"\b(?:at\s+most|no\s+more\s+than)\s+{_N}(?![\w.])", "<="),
        (rf"\b(?:before|earlier\s+than|prior\s+to)\s+{_N}(?![\w.])", "<"),
        (rf"\b(?:after|later\s+than)\s+{_N}(?![\w.])", ">"),
        (rf"\bsince\s+{_N}(?![\w.])", ">="),
        (rf"\b(?:more\s+than|over|above|greater\s+than|higher\s+than|exceeding)\s+{_N}(?![\w.])", ">"),
        (rf"\b(?:less\s+than|fewer\s+than|under|below|lower\s+than)\s+{_N}(?![\w.])", "<"),
    )
)
_BETWEEN = re.compile(rf"\bbetween\s+{_N}\s+and\s+{_N}(?![\w.])", re.I)
_DECADE = re.compile(r"\bin\s+the\s+(\d{3}0)s\b", re.I)
_NUMBER_TYPES = ("integer", "float")
_DATE_TYPES = ("datetime", "date")


def comparison(question: str) -> tuple[list[tuple[str, float]], tuple[int, int]] | None:
    """The one comparison `question` makes, as (operator, number) bounds and the span of its words; None when it
    makes none or more than one."""
    found: list[tuple[list[tuple[str, float]], tuple[int, int]]] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for m in _BETWEEN.finditer(question):
        lo, hi = _number(m.group(1)), _number(m.group(2))
        if lo <= hi:
            found.append(([(">=", lo), ("<=", hi)], m.span()))
            taken.append(m.span())
    for m in _DECADE.finditer(question):
        if free(m.span()):
            start = float(m.group(1))
            found.append(([(">=", start), ("<=", start + 9)], m.span()))
            taken.append(m.span())
    for pattern, op in _COMPARISONS:
        for m in pattern.finditer(question):
            if free(m.span()):
                found.append(([(op, _number(m.group(1)))], m.span()))
                taken.append(m.span())
    return found[0] if len(found) == 1 else None


def _number(text: str) -> float:
    return float(_WORD_NUMBERS[text.lower()]) if text.lower() in _WORD_NUMBERS else float(text)


def compose_compare(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    refusals: list[str] | None = None,
) -> Composed | None:
    """The "which X have a property compared with N" query of `question` (a count when it asks "how many"), or
    None (see the module docstring)."""
    if anchors or shape.shape in ("risk", "path", "yesno") or shape.wants_value or (shape.wants_number and shape.shape != "count"):
        return None
    target = shape.wants_type
    spec = schema.nodes.get(target or "")
    found = comparison(question)
    if spec is None or target is None or found is None:
        return None
    bounds, (start, end) = found
    rest = question[:start] + " " * (end - start) + question[end:]
    kinds = {p: s.type.value for p, s in spec.properties.items() if s.type.value in _NUMBER_TYPES + _DATE_TYPES}
    prop = named_property(rest, target, kinds, spec.properties, lexicon)
    if prop is None:
        return None
    is_date = kinds[prop] in _DATE_TYPES
    where: list[str] = []
    params: dict[str, Any] = {}
    for i, (op, number) in enumerate(bounds):
        if is_date:
            if not number.is_integer() or not 1000 <= number <= 2999:
                return None  # a date compares with a year only
            year = int(number)
            # A year is a span of days: after 1950 is from 1951 on, up to 1950 is before 1951.
            op, year = {"<": ("<", year), ">=": (">=", year), ">": (">=", year + 1), "<=": ("<", year + 1)}[op]
            value: object = f"{year}-01-01"
        else:
            value = int(number) if number.is_integer() and kinds[prop] == "integer" else number
        where.append(f"x.{prop} {op} $c{i}")
        params[f"c{i}"] = value
    name = spec.name_property if spec.name_property and spec.name_property != "id" else None
    shown = f", x.{name} AS name" if name else ""
    head = f"MATCH (x:{target}) WHERE {' AND '.join(where)}"
    if shape.wants_number:
        cypher = f"{head} RETURN count(DISTINCT x) AS n"
    else:
        cypher = f"{head} RETURN DISTINCT x.id AS id{shown}, x.{prop} AS {prop} ORDER BY id"
    described = described_words(rest, spec.properties[prop].description or "")
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(rest, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, values=value_words, described=described)
    if left:
        if refusals is not None:
            refusals.append(f"the comparison query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, params, {"anchor": None, "edge": None, "target": target, "compared": prop, "bounds": bounds})


def named_property(rest: str, target: str, kinds: Mapping[str, str], properties: Mapping[str, Any], lexicon: Lexicon) -> str | None:
    """The one number or date property of `target` the question's other words name: by the lexicon (name, declared
    words) first, else by the words of its description; None when none or several are named."""
    forms = type_forms(target)
    # Numbers are the comparison's or the cut's, never a word naming a property ("two decimals" of a rating).
    words = [w for w in tokens(rest) if w not in FILLER and w not in forms and len(w) >= 3 and not w.isdigit() and w not in _WORD_NUMBERS]
    cued = {p for props in lexicon.prop_cues(words).values() for p in props if p in kinds}
    if len(cued) == 1:
        return next(iter(cued))
    if cued:
        return None
    stems = {s for w in words for s in _stems(w)}
    scores = {p: len(stems & {stem(w) for w in tokens(properties[p].description or "") if w not in FILLER}) for p in kinds}
    best = max(scores.values(), default=0)
    top = [p for p, s in scores.items() if s == best]
    return top[0] if best > 0 and len(top) == 1 else None


def described_words(question: str, description: str) -> set[str]:
    """The question's words that are words of a property's description, inflections too ("rate" and "rated" for
    "rating"): what reading that property explains."""
    stems = {stem(w) for w in tokens(description) if w not in FILLER}
    return {w for w in tokens(question) if _stems(w) & stems} | {w for w in tokens(description) if w not in FILLER}


def _stems(word: str) -> set[str]:
    """`word`'s stem, and without a final 'e' ("rate" → "rat", the stem of "rating" and "rated")."""
    return {stem(word)} | ({word[:-1]} if word.endswith("e") and len(word) >= 4 else set())
