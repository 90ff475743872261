"""Is a cached question the *same* question? Checks after the distance search that distance cannot make.

Embedding distance alone serves "What happened in 2002?" for "What happened in 1992?" and "Which services
depend on X?" for "Which services do not depend on X?". `same_question` refuses a near neighbour when the two
questions differ in:

- `numbers`: the numbers they contain (digits or number words);
- `negation`: one negates (not, no, never, without, n't) and the other does not;
- `entities`: the estate entities they link to differ (when given), or a capitalised name in one is absent
  from the other;
- `comparison`: comparison and ranking words (more/less, before/after, most/least, top, oldest, ...);
- `types`: the estate's type words they name ("services" vs "teams", when given);
- `shape`: the kind of question (why / how / how many / who / when / where / yes-no / what-which);
- `order`: the same content words in another order ("Which services depend on X?" / "Which services does X depend
  on?": the direction of a relation).

A pure function of the two questions (and their linked entities): no I/O, no model. The rules that pass a
candidate are followed in the cache by a learned scorer (`cache_scorer.py`) for what no rule names; which rules stay
hard refusals was judged on the calibration half of `../shared/datasets/qqp_dev_pairs.json`, and `bench/cache.py`
measures rules + scorer on the other half (distance-only vs distance+verifier at the same recall).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RULES = ("numbers", "negation", "entities", "comparison", "types", "shape", "order")
"""Every check, in the order they are tried."""
DEFAULT_RULES = frozenset({"numbers", "negation", "entities", "types", "order"})
"""The checks on by default (hard refusals). On the calibration half of the Quora pairs `numbers` and `entities`
gave the highest precision at recall >= 0.5; `negation` is kept because a negated graph question has the opposite
answer set (Quora's labels disagree often enough to cost it recall there), `types` because Quora has no estate types.
`comparison` and `shape` refused more right hits than wrong ones on Quora and are off as hard rules (the learned
scorer weighs them as features instead). `order` refused 3 wrong and 9 right hits of the 362 the verifier served
on the calibration half; it is on for the direction of estate relations, which nothing else sees."""

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'+#.-]*")
_NUM_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
}  # fmt: skip
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(not|no|never|without|nobody|none|nothing|neither|nor|cannot)\b|n't\b", re.I)
_COMPARISON = frozenset(
    "more less fewer most least better worse best worst before after over under above below higher lower bigger smaller larger "
    "largest biggest smallest cheaper cheapest oldest newest older newer earliest latest first last top bottom max maximum min "
    "minimum than fastest slowest faster slower highest lowest".split()
)
_STOP_CAPS = frozenset(
    "i what why how who when where which is are do does did can could should would will was were the a an in on of to for "
    "and or if my me we you your it its this that these those there".split()
)


@dataclass(frozen=True)
class SameQuestion:
    """The verdict on a cache candidate."""

    ok: bool
    rule: str | None = None
    """The check that refused it (None when served)."""
    detail: str = ""


_STOP = frozenset(
    "a an the of to in on at for by with from into about as and or but if then so than is are was were be been being am do "
    "does did doing have has had having i me my mine we us our you your he him his she her it its they them their this that "
    "these those there here what which who whom whose when where why how can could should would will shall may might must "
    "some any all each every get got one just also very really much many more most such own same other another else ever "
    "s t".split()
)
_LOWER_WORDS = re.compile(r"[a-z0-9]+")


def content_words(text: str) -> list[str]:
    """The question's words in order, stop words dropped and a plural `s` folded ("books" -> "book")."""
    out = []
    for w in _LOWER_WORDS.findall(text.lower()):
        if w not in _STOP:
            out.append(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


def _numbers(text: str) -> set[str]:
    out = {d.replace(",", "") for d in _DIGITS.findall(text)}
    out |= {str(_NUM_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _NUM_WORDS}
    return out


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _capitalised(text: str) -> set[str]:
    words = _WORD.findall(text)
    out = set()
    for i, w in enumerate(words):
        if i == 0 or not w[0].isupper() or w.lower() in _STOP_CAPS:
            continue
        out.add(w.lower().rstrip(".'"))
    return out


def shape_of(text: str) -> str:
    """why / count / how / who / when / where / yesno / what."""
    t = text.strip().lower()
    if re.search(r"\bhow (many|much)\b", t):
        return "count"
    first = re.match(r"[a-z']+", t)
    w = first.group(0) if first else ""
    if w in ("why", "who", "whom", "whose", "when", "where"):
        return {"whom": "who", "whose": "who"}.get(w, w)
    if w == "how":
        return "how"
    if w in ("is", "are", "do", "does", "did", "can", "could", "should", "would", "will", "was", "were", "has", "have", "am"):
        return "yesno"
    return "what"


def same_question(
    a: str,
    b: str,
    *,
    entities_a: Iterable[str] | None = None,
    entities_b: Iterable[str] | None = None,
    type_words: Sequence[str] = (),
    rules: Iterable[str] = DEFAULT_RULES,
) -> SameQuestion:
    """Whether cached question `a` may answer new question `b` (both already within the distance threshold)."""
    on = set(rules)
    unknown = on - set(RULES)
    if unknown:
        raise ValueError(f"unknown cache-verifier rules {sorted(unknown)}; choose from {RULES}")
    if "numbers" in on:
        na, nb = _numbers(a), _numbers(b)
        if na != nb:
            return SameQuestion(False, "numbers", f"{sorted(na)} vs {sorted(nb)}")
    if "negation" in on and _negated(a) != _negated(b):
        return SameQuestion(False, "negation", "one question negates, the other does not")
    if "entities" in on:
        if entities_a is not None and entities_b is not None and set(entities_a) != set(entities_b):
            return SameQuestion(False, "entities", f"{sorted(set(entities_a))} vs {sorted(set(entities_b))}")
        la, lb = a.lower(), b.lower()
        ca, cb = _capitalised(a), _capitalised(b)
        missing = {w for w in ca if not re.search(rf"\b{re.escape(w)}", lb)} | {w for w in cb if not re.search(rf"\b{re.escape(w)}", la)}
        if missing:
            return SameQuestion(False, "entities", f"named in only one: {sorted(missing)}")
    if "comparison" in on:
        wa = {w for w in re.findall(r"[a-z]+", a.lower()) if w in _COMPARISON}
        wb = {w for w in re.findall(r"[a-z]+", b.lower()) if w in _COMPARISON}
        if wa != wb:
            return SameQuestion(False, "comparison", f"{sorted(wa)} vs {sorted(wb)}")
    if "types" in on and type_words:
        ta = {t for t in type_words if re.search(rf"\b{re.escape(t)}", a.lower())}
        tb = {t for t in type_words if re.search(rf"\b{re.escape(t)}", b.lower())}
        if ta and tb and ta != tb:
            return SameQuestion(False, "types", f"{sorted(ta)} vs {sorted(tb)}")
    if "shape" in on and shape_of(a) != shape_of(b):
        return SameQuestion(False, "shape", f"{shape_of(a)} vs {shape_of(b)}")
    if "order" in on:
        sa, sb = content_words(a), content_words(b)
        if len(sa) >= 2 and sa != sb and sorted(sa) == sorted(sb):
            return SameQuestion(False, "order", f"the same words in another order: {' '.join(sa)} / {' '.join(sb)}")
    return SameQuestion(True)
