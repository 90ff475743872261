"""Numbers in questions: found, and carried from a retrieved example's query into the question's.

Entity names and categorical values become slots (`slots`), but
numbers stay in the question text: "top 5", "more than 3", "before 1850" are
part of the query's shape, and the model copies them. Reusing a retrieved
example's query without a model ("retrieval only") would copy the *example's*
numbers instead: "Which books have a year below 1955?" answers "... before
1850?" with 1955. `adapt_numbers` maps the example template's numbers, in
order, onto the question's and rewrites the query's matching literals as
parameters (`$n0`, `$n1`, ...), so the question's values reach the store as
parameters, never as text spliced into Cypher.

Numbers are digits ("1850", "4.5", "1,000"), ISO dates ("2023-06-06", matched
against quoted date literals) and the number words one to twenty plus the tens
("three", "twelve", "forty"). A `$p0` placeholder is not a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
        "eighteen nineteen twenty".split()
    )
}
_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100})
_TOKEN = re.compile(
    r"(?<![\w$.-])(?:(?P<date>\d{4}-\d{2}-\d{2})|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)|(?P<word>"
    + "|".join(sorted(_WORDS, key=len, reverse=True))
    + r"))(?![\w-])",
    re.I,
)
# A numeric literal in Cypher outside strings, parameters, identifiers and `*1..6` hop bounds.
_CYPHER_NUM = re.compile(r"(?<![\w$.*'])(\d+(?:\.\d+)?)(?![\w.'])")
_CYPHER_DATE = re.compile(r"'(\d{4}-\d{2}-\d{2})'")


@dataclass(frozen=True)
class Number:
    """One number in a text."""

    value: int | float | str
    """The value (an ISO date stays text, as the store keeps datetimes)."""
    surface: str
    start: int
    end: int

    @property
    def kind(self) -> str:
        """`date` or `number`: a date maps only onto a date."""
        return "date" if isinstance(self.value, str) else "number"


def find_numbers(text: str) -> list[Number]:
    """The numbers in a text, in order."""
    out: list[Number] = []
    for m in _TOKEN.finditer(text):
        value: int | float | str
        if m.group("date"):
            value = m.group("date")
        elif m.group("num"):
            raw = m.group("num").replace(",", "")
            value = float(raw) if "." in raw else int(raw)
        else:
            value = _WORDS[m.group("word").lower()]
        out.append(Number(value, m.group(0), m.start(), m.end()))
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def adapt_numbers(cypher: str, example_template: str, question_template: str) -> tuple[str, dict[str, Any]] | None:
    """The example's query with its numbers replaced by the question's, as parameters; None when they do not line up.

    The k-th number of the example's template becomes the k-th number of the
    question's. Each query literal equal to an example number becomes `$nK`.
    Returns None when the two texts hold different counts or kinds of numbers,
    or an example number does not appear in the query (then the query cannot
    be adapted and should not be reused as is).
    """
    ex, q = find_numbers(example_template), find_numbers(question_template)
    if len(ex) != len(q) or any(a.kind != b.kind for a, b in zip(ex, q, strict=True)):
        return None
    if not ex:
        return cypher, {}
    params: dict[str, Any] = {}
    out = cypher
    for k, (a, b) in enumerate(zip(ex, q, strict=True)):
        name = f"n{k}"
        if a.kind == "date":

            def swap_date(m: re.Match[str], date: object = a.value, name: str = name) -> str:
                return f"${name}" if m.group(1) == date else m.group(0)

            new = _CYPHER_DATE.sub(swap_date, out)
        else:
            assert isinstance(a.value, int | float)

            def swap(m: re.Match[str], target: float = float(a.value), name: str = name) -> str:
                return f"${name}" if _same(float(m.group(1)), target) else m.group(0)

            new = _CYPHER_NUM.sub(swap, out)
        if new == out:
            return None
        out = new
        params[name] = b.value
    return out, params
