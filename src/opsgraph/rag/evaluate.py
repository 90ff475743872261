"""`opsgraph eval`: how often `ask` is right, how often it says "I don't know", and how fast, on a question file.

A question file is YAML: a list of questions, or `{questions: [...]}` (or bench/rag_questions.yaml's `graph` and
`sample_docs` lists). Each question has `q` and one kind of gold:

- `gold` (read-only Cypher) and/or `rows` (the gold rows, values in RETURN order), optional `ordered` and `pattern`:
  right when the answer's rows are the gold rows (all columns; or, for a one-column gold, one column of the answer's
  rows as a set, or as a list when `ordered`; a count question's gold number also matches a listing of that many);
- `source: {document, section}`: right when the answer quotes that document (path or file name) and, if given,
  a section whose heading path contains `section`;
- `answerable: false`: right when the answer abstains;
- `answer: risk` with optional `entities`: right when the risk scores answered and name every entity.

Reported: answered share, accuracy of answered, accuracy overall, abstention on unanswerable questions, latency
p50/p95, and the same by pattern; `why_abstained` counts the reasons answerable questions were abstained for, and
`wrong_kinds` how the wrongly answered ones were answered. A reason is the answer's "Why:" clause with every word of
the question masked (`reason_of`), so the counts of a blind set can be read without reading its questions. It runs `ask` (passed in) and the gold queries (passed in); it reads no settings.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsgraph.errors import OpsGraphError
from opsgraph.retrieve.text2cypher.eval import normalise, rows_match

_COUNT = re.compile(r"\b(how many|number of|count)\b", re.I)


class EvalFileError(OpsGraphError):
    """A question file that cannot be read: names the file, the question's index and the field."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question of a file, with its gold."""

    q: str
    pattern: str = "-"
    gold: str | None = None
    rows: list[Any] | None = None
    ordered: bool = False
    source: dict[str, str] | None = None
    answerable: bool = True
    risk: bool = False
    entities: tuple[str, ...] = ()


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """Read and check a question file; errors name the file, the question index and the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise EvalFileError(f"{path}: not valid YAML: {exc}") from exc
    items = data.get("questions") if isinstance(data, dict) else data
    if items is None and isinstance(data, dict) and ("graph" in data or "sample_docs" in data):
        # bench/rag_questions.yaml: `graph` questions with gold Cypher, `sample_docs` with the gold document.
        items = list(data.get("graph") or []) + [
            {"q": d.get("q"), "source": {"document": d.get("doc"), **({"section": d["section"]} if d.get("section") else {})}, "pattern": "docs"}
            for d in data.get("sample_docs") or []
            if isinstance(d, dict)
        ]
    if not isinstance(items, list) or not items:
        raise EvalFileError(f"{path}: expected a list of questions (or a mapping with `questions:`)")
    out = []
    for i, raw in enumerate(items):
        where = f"{path}: question {i}"
        if not isinstance(raw, dict):
            raise EvalFileError(f"{where}: expected a mapping with `q`")
        q = raw.get("q")
        if not isinstance(q, str) or not q.strip():
            raise EvalFileError(f"{where}: field `q` must be a non-empty string")
        source = raw.get("source")
        if source is not None and (not isinstance(source, dict) or not source.get("document")):
            raise EvalFileError(f"{where}: field `source` must be a mapping with `document` (and optionally `section`)")
        rows = raw.get("rows")
        if rows is not None and not isinstance(rows, list):
            raise EvalFileError(f"{where}: field `rows` must be a list of rows")
        gold = raw.get("gold")
        if gold is not None and not isinstance(gold, str):
            raise EvalFileError(f"{where}: field `gold` must be a Cypher string")
        answerable = raw.get("answerable", True)
        risk = raw.get("answer") == "risk"
        if answerable is not False and not (gold or rows is not None or source or risk):
            raise EvalFileError(f"{where}: give a gold: `gold`/`rows`, `source`, `answer: risk`, or `answerable: false`")
        pattern = str(raw.get("pattern") or ("unanswerable" if answerable is False else "risk" if risk else "docs" if source else "-"))
        out.append(
            EvalQuestion(
                q=q.strip(), pattern=pattern, gold=gold, rows=rows, ordered=bool(raw.get("ordered")),
                source={k: str(v) for k, v in source.items()} if source else None, answerable=answerable is not False,
                risk=risk, entities=tuple(str(e) for e in raw.get("entities") or ()),
            )
        )  # fmt: skip
    return out


@dataclass
class Judged:
    """One question's outcome."""

    q: str
    pattern: str
    answerable: bool
    answered: bool
    correct: bool
    ms: float
    kind: str
    error: str | None = None
    reasons: tuple[str, ...] = ()
    """For an abstention: why, with the question's words masked (`reason_of`)."""


@dataclass
class EvalReport:
    """Figures over a question file."""

    items: list[Judged] = field(default_factory=list)

    def _share(self, part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def summary(self, items: Sequence[Judged] | None = None) -> dict[str, Any]:
        items = self.items if items is None else items
        answerable = [i for i in items if i.answerable]
        unanswerable = [i for i in items if not i.answerable]
        answered = [i for i in items if i.answered]
        ms = sorted(i.ms for i in items)
        return {
            "total": len(items),
            "answerable": len(answerable),
            "answered_share": self._share(sum(i.answered for i in answerable), len(answerable)),
            "accuracy_of_answered": self._share(sum(i.correct for i in answered), len(answered)),
            "accuracy_overall": self._share(sum(i.correct for i in items), len(items)),
            "abstention_on_unanswerable": self._share(sum(not i.answered for i in unanswerable), len(unanswerable)),
            "errors": sum(i.error is not None for i in items),
            "p50_ms": round(_percentile(ms, 50), 1),
            "p95_ms": round(_percentile(ms, 95), 1),
        }

    def by_pattern(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[Judged]] = {}
        for i in self.items:
            groups.setdefault(i.pattern, []).append(i)
        return {k: self.summary(v) for k, v in sorted(groups.items())}

    def why_abstained(self) -> dict[str, int]:
        """How many answerable questions were abstained for each reason (a question may give several), most frequent first."""
        counts = Counter(r for i in self.items if i.answerable and not i.answered for r in i.reasons)
        return dict(counts.most_common())

    def wrong_kinds(self) -> dict[str, int]:
        """How the answered-but-wrong questions were answered (`rows`, `quote`, `page`, ...), by pattern."""
        counts = Counter(f"{i.pattern}: {i.kind}" for i in self.items if i.answered and not i.correct)
        return dict(counts.most_common())

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "by_pattern": self.by_pattern(), "why_abstained": self.why_abstained(), "wrong_kinds": self.wrong_kinds()}


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_QUOTED = re.compile(r"'.*?'(?=[\s,;:)]|$)|\"[^\"]*\"|`[^`]*`")
_NUMBER = re.compile(r"\b\d+(\.\d+)?\b")
_SCHEMA_NAME = re.compile(r"\b(?:[A-Z][A-Za-z]*[a-z][A-Za-z]*|[A-Z_]{2,}|[a-z]+_[a-z_]+)(?:/(?:[A-Z][A-Za-z]*|[A-Z_]{2,}))*\b")
"""Type, edge and property names in a reason (Person, DEPENDS_ON/CALLS, pager_schedule): they say what was asked about."""
_FUNCTION_WORDS = frozenset(
    "a an the is are was were be been of to for in on at by with from and or not no it its this that these those "
    "what which who whom whose how when where why do does did has have had any all some one".split()
)
"""Words a reason keeps although the question has them too: they say nothing of what was asked."""


def reason_of(question: str, text: str, stages: Sequence[str] = ()) -> tuple[str, ...]:
    """The clauses of an abstention's "Why:" line, each with quoted text, numbers and every word of the question masked
    (a clause listing quoted words says how many); without a "Why:" line, the last stages the question went through.
    Masking keeps a set's questions unread while its refusal reasons are counted."""
    why = next((line[len("Why:"):].strip() for line in text.splitlines() if line.startswith("Why:")), None)
    if why is None:
        return (f"(no reason given; last stages: {' > '.join(stages[-2:]) or '-'})",)
    asked = {w.lower().strip(".-") for w in _WORD.findall(question)} - _FUNCTION_WORDS
    out: list[str] = []
    for clause in why.replace(question, "…").replace("question's", "question").split("; "):
        step, sep, rest = clause.partition(": ") if re.match(r"[\w:-]+: ", clause) else ("", "", clause)
        quoted = len(_QUOTED.findall(rest.rpartition("question")[2]))
        masked = _QUOTED.sub("'…'", rest)
        masked = _SCHEMA_NAME.sub("‹schema›", masked)
        masked = step + sep + _WORD.sub(lambda m: "…" if m.group(0).lower().strip(".-") in asked else m.group(0), masked)
        masked = re.sub(r"'…'(, '…')+", f"'…' ({quoted} words)", _NUMBER.sub("N", masked))
        out.append(re.sub(r"…(\s*…)+", "…", masked)[:160])
    return tuple(dict.fromkeys(out))


def _percentile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _column(rows: Sequence[Mapping[str, Any]], col: str) -> list[str]:
    return [normalise(r.get(col)) for r in rows]


def rows_right(question: str, predicted: Sequence[Mapping[str, Any]] | None, gold: Sequence[Any], *, ordered: bool) -> bool:
    """Whether an answer's rows are the gold rows (see the module docstring for the leniencies)."""
    if not predicted:
        return not gold and predicted is not None
    if rows_match(predicted, gold, ordered=ordered):
        return True
    gold_rows = [list(g.values()) if isinstance(g, Mapping) else list(g) if isinstance(g, list | tuple) else [g] for g in gold]
    if gold_rows and all(len(g) == 1 for g in gold_rows):
        want = [normalise(g[0]) for g in gold_rows]
        for col in predicted[0]:
            got = _column(predicted, col)
            if (got == want) if ordered else (set(got) == set(want) and len(set(got)) == len(set(want))):
                return True
        if len(gold_rows) == 1 and _COUNT.search(question):
            try:
                count = float(gold_rows[0][0])
            except (TypeError, ValueError):
                return False
            first = next(iter(predicted[0]))
            return len(set(_column(predicted, first))) == count and not (len(predicted) == 1 and len(predicted[0]) == 1)
    return False


def _doc_matches(want: str, got: str) -> bool:
    a, b = want.strip("/").lower(), got.strip("/").lower()
    return a == b or a.endswith("/" + b) or b.endswith("/" + a) or Path(a).name == Path(b).name


def judge(item: EvalQuestion, answer: Any, gold_rows: list[Any] | None) -> tuple[bool, bool]:
    """(answered, correct) for one answer."""
    answered = not bool(getattr(answer, "abstained", False))
    if not item.answerable:
        return answered, not answered
    if not answered:
        return False, False
    if item.risk:
        ids = {str(r.get("id")) for r in answer.rows or []}
        return True, answer.kind == "risk" and set(item.entities) <= ids
    if item.source is not None:
        sections = answer.sections or []
        if answer.kind != "quote" or not sections:
            return True, False
        top = sections[0]
        section = item.source.get("section")
        ok = _doc_matches(item.source["document"], str(top.get("document"))) and (not section or section.lower() in str(top.get("section", "")).lower())
        return True, ok
    return True, rows_right(item.q, answer.rows, gold_rows or [], ordered=item.ordered)


def run_eval(
    ask: Callable[[str], Any],
    items: Sequence[EvalQuestion],
    *,
    gold_query: Callable[[str], list[dict[str, Any]]] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> EvalReport:
    """Ask every question, judge it against its gold, time it."""
    report = EvalReport()
    for n, item in enumerate(items):
        gold_rows = item.rows
        if gold_rows is None and item.gold and gold_query is not None:
            gold_rows = gold_query(item.gold)
        started = time.perf_counter()
        error = None
        try:
            answer = ask(item.q)
        except OpsGraphError as exc:
            answer, error = None, str(exc)
        ms = (time.perf_counter() - started) * 1000
        reasons: tuple[str, ...] = ()
        if answer is None:
            answered, correct, kind = False, False, "error"
        else:
            answered, correct = judge(item, answer, gold_rows)
            kind = str(getattr(answer, "kind", ""))
            if not answered:
                trace = getattr(answer, "trace", None)
                stages = [s.name for s in getattr(trace, "stages", ())]
                reasons = reason_of(item.q, str(getattr(answer, "text", "")), stages)
        report.items.append(Judged(item.q, item.pattern, item.answerable, answered, correct, ms, kind, error, reasons))
        if progress is not None:
            progress(n + 1, len(items), item.pattern)
    return report
