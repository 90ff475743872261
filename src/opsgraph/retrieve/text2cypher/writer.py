"""Text-to-Cypher: slots ▸ examples ▸ generate (grammar) ▸ extract ▸ check ▸ bound ▸ run ▸ repair.

The question's entity names and categorical values are cut out first
(`slots`) and become `$p0, $p1, ...`; the nearest training pairs
(`examples`) are shown as examples; with a grammar (`grammar`)
the local model can only emit schema-valid, read-only Cypher. The model writes
a query from the live schema and the examples. Before it
runs, the query must (1) be one statement, (2) pass the static read-only
check, (3) carry a LIMIT (one is appended when missing), and it runs (4)
through the store's read-only path, where the engine itself refuses writes,
(5) with a time limit. A query that fails any step, or errors in the engine,
is sent back to the model with the error, a bounded number of times. Values
the model puts in the query stay literals of *its* query; nothing from the
user's text is concatenated into Cypher by this code: slot values reach the
store as parameters.

Without a model, `CypherWriter` reuses the nearest example's query when its
slots have the same kinds and types as the question's and its numbers line up
with the question's (`numbers.adapt_numbers`: "before 1850" runs with
1850, not with the example's 1955), "retrieval only". With `reuse=True` the
writer does that first and lets the model write only when no example fits;
`bench/text2cypher.py` measures each way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from opsgraph.errors import QueryError
from opsgraph.llm import LanguageModel
from opsgraph.retrieve.base import BaseRetriever, Hit
from opsgraph.retrieve.text2cypher.cues import fit_answer_kind, question_cues
from opsgraph.retrieve.text2cypher.examples import ExampleIndex, pair_signature
from opsgraph.retrieve.text2cypher.numbers import adapt_numbers
from opsgraph.retrieve.text2cypher.records import CypherPair
from opsgraph.retrieve.text2cypher.slots import QuestionSlots, Slot, SlotFinder, describe_slots
from opsgraph.store.base import GraphStore
from opsgraph.store.cypher_guard import has_limit, write_clauses

_FENCE = re.compile(r"```(?:cypher|sql)?\s*(.*?)```", re.S | re.I)
# Where a query starts. CREATE and MERGE count (when a pattern follows, so prose like "create the
# query" does not): otherwise `CREATE (n) RETURN n` was cut to `RETURN n`, which failed with a
# misleading error instead of being refused as a write, and the refusal never reached the trace.
_START = re.compile(r"\b(MATCH|OPTIONAL\s+MATCH|WITH|UNWIND|CALL|RETURN)\b|\b(CREATE|MERGE)(?=\s*\()", re.I)


@dataclass(frozen=True)
class CypherExample:
    """A (question, Cypher) pair shown to the model."""

    question: str
    cypher: str


@dataclass(frozen=True)
class CypherAttempt:
    """One generation and what became of it."""

    cypher: str
    error: str | None
    rows: int = 0
    tokens: int = 0
    ms: float = 0.0


def extract_cypher(text: str) -> str:
    """The query in a model's output: a fenced block, else from the first clause keyword on."""
    m = _FENCE.search(text)
    body = m.group(1) if m else text
    start = _START.search(body)
    if not start:
        return ""
    query = body[start.start() :].strip()
    # Prose after the query ("This query finds...") ends at a blank line.
    query = re.split(r"\n\s*\n", query)[0].strip()
    return query.rstrip(";").strip()


def check_cypher(cypher: str, *, row_limit: int) -> str:
    """Return the query to run (bounded), or raise ValueError saying why it cannot run."""
    if not cypher:
        raise ValueError("no Cypher query found in the output; answer with one MATCH ... RETURN query")
    if ";" in cypher:
        raise ValueError("more than one statement; write a single query")
    writes = write_clauses(cypher)
    if writes:
        raise ValueError(f"the query writes ({', '.join(dict.fromkeys(writes))}); only read-only queries are allowed")
    if not re.search(r"\bRETURN\b", cypher, re.I):
        raise ValueError("the query has no RETURN clause")
    if not has_limit(cypher):
        cypher = f"{cypher} LIMIT {int(row_limit)}"
    return cypher


SYSTEM = (
    "You translate questions about an IT service estate into one read-only Cypher query. "
    "Use only the node labels, relationship types, directions and properties in the schema. "
    "Nodes are matched by their `id` property. Answer with the query only, in a ```cypher block."
)
"""The instruction when the question has no slots and no examples (the zero-shot baseline)."""

SYSTEM_SLOTS = (
    "Write one read-only Cypher query that answers the question. "
    "Use the $parameters listed with the question for the values they stand for; never write their values. "
    "Answer with the query only."
)
"""The instruction with slots and examples: short, because every token of prompt costs a small model's attention."""

REUSE_CANDIDATES = 10
"""Nearest distinct queries searched for one to reuse (same slot signature, numbers that line up)."""

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class PromptStyle:
    """How a question is put to the model; chosen per estate by execution accuracy on held-out pairs."""

    k: int = 3
    """Retrieved examples shown (0 = none)."""
    format: Literal["turns", "qa"] = "turns"
    """`turns`: each example is an earlier user/assistant exchange; `qa`: all examples in one user message."""
    schema: bool = True
    """Whether the schema text is in the prompt (an adapter trained on the estate may not need it)."""
    grammar: bool = True
    """Whether decoding is constrained by the estate's Cypher grammar (when the model supports grammars)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (kept with the estate, shown in traces)."""
        return asdict(self)


def user_turn(template: str, slots: Sequence[Slot]) -> str:
    """The user message for one question: its template and what each parameter is."""
    text = f"Question: {template}"
    return text + ("\nParameters:\n" + describe_slots(slots) if slots else "")


def cypher_messages(
    question: QuestionSlots, examples: Sequence[CypherPair], schema_text: str | None, style: PromptStyle
) -> list[dict[str, str]]:
    """The chat messages for a question (also what adapters are trained on, so train and serve prompts match)."""
    system = SYSTEM_SLOTS + (f"\n\nSchema:\n{schema_text}" if schema_text and style.schema else "")
    messages = [{"role": "system", "content": system}]
    if style.format == "turns":
        for ex in examples:
            messages.append({"role": "user", "content": user_turn(ex.template, ex.slots)})
            messages.append({"role": "assistant", "content": ex.cypher})
        messages.append({"role": "user", "content": user_turn(question.template, question.slots)})
    else:
        shots = "\n\n".join(f"{user_turn(ex.template, ex.slots)}\nCypher: {ex.cypher}" for ex in examples)
        body = (f"Examples:\n{shots}\n\n" if shots else "") + user_turn(question.template, question.slots)
        messages.append({"role": "user", "content": body})
    return messages


@dataclass
class CypherOutcome:
    """What writing one question's query came to."""

    question: QuestionSlots
    cypher: str | None = None
    """The query that ran (bounded), or None when every attempt failed."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    attempts: list[CypherAttempt] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    """Templates of the examples shown."""
    source: str = "model"
    """`model`, or `example` when the nearest example's query was reused (no model, or `reuse` first)."""
    reused: str | None = None
    """Template of the example whose query was reused."""
    params: dict[str, Any] = field(default_factory=dict)
    """The parameters the query ran with: the slots', plus the question's numbers (`$n0`...) when an example was reused."""
    ms: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    """What the estate's tuning chose (style, adapter, stale or not), when the app built the writer."""

    @property
    def ok(self) -> bool:
        """True when a query ran."""
        return self.cypher is not None

    def trace(self) -> dict[str, Any]:
        """What the trace shows: the slots (names, kinds, types, surfaces), examples, attempts and the query."""
        return {
            "cypher": self.cypher,
            "params": self.params or self.question.params,
            "template": self.question.template,
            "slots": [{"name": s.name, "kind": s.kind, "label": s.label, "surface": s.surface} for s in self.question.slots],
            "examples": self.examples,
            "source": self.source,
            **({"reused": self.reused} if self.reused else {}),
            "columns": self.columns,
            "attempts": [a.__dict__ for a in self.attempts],
            "ms": round(self.ms, 1),
            **({"tuning": self.info} if self.info else {}),
        }


class CypherWriter:
    """Writes, checks and runs one read-only query per question.

    Args:
        store: where the query runs (read-only path, row bound, time limit).
        llm: the model; `None` reuses the nearest example's query (retrieval only).
        schema_text: the live schema as shown to the model.
        slots: cuts entity names and values out of the question; `None` leaves the question whole.
        examples: the pairs to retrieve examples from; `None` shows none.
        grammar: the Cypher grammar for a tuple of parameter names (GBNF text), or `None`.
        style: k, format, schema and grammar switches.
        fixed_examples: examples shown to every question (the zero-shot baseline's optional few-shot).
        reuse: before generating, reuse the nearest same-signature example's query when its numbers line up with the
            question's; the model writes only when none does. Without a model, reuse is all there is.
    """

    def __init__(
        self,
        store: GraphStore,
        llm: LanguageModel | None,
        schema_text: str,
        *,
        slots: SlotFinder | None = None,
        examples: ExampleIndex | None = None,
        grammar: Callable[[tuple[str, ...]], str] | None = None,
        style: PromptStyle | None = None,
        fixed_examples: Sequence[CypherExample] = (),
        max_attempts: int = 2,
        row_limit: int = 50,
        timeout_ms: int = 5_000,
        max_tokens: int = 160,
        reuse: bool = False,
    ) -> None:
        self.store = store
        self.llm = llm
        self.reuse = reuse
        self.schema_text = schema_text
        self.slots = slots
        self.examples = examples
        self.grammar = grammar
        self.style = style or PromptStyle()
        self.fixed_examples = list(fixed_examples)
        self.max_attempts = max_attempts
        self.row_limit = row_limit
        self.timeout_ms = timeout_ms
        self.max_tokens = max_tokens

    @property
    def legacy(self) -> bool:
        """No slots and no retrieved examples: the plain schema prompt of issue 4."""
        return self.slots is None and self.examples is None

    def write(self, question: str) -> CypherOutcome:
        """Slots ▸ examples ▸ generate ▸ check ▸ run ▸ repair, up to `max_attempts` generations."""
        started = time.perf_counter()
        q = self.slots.find(question) if self.slots is not None else QuestionSlots(question, question)
        reusing = self.llm is None or self.reuse
        # One search serves both: the first k of the nearest REUSE_CANDIDATES are the nearest k (same order, same de-duplication).
        want = max(self.style.k, REUSE_CANDIDATES) if reusing else self.style.k
        near = self.examples.nearest(q.template, q.signature, want) if self.examples is not None else []
        shots = near[: self.style.k]
        outcome = CypherOutcome(q, examples=[p.template for p in shots])
        if self.llm is None or self.reuse:
            if self._reuse(outcome, near) or self.llm is None:
                outcome.ms = (time.perf_counter() - started) * 1000
                return outcome
        grammar = self.grammar(tuple(s.name for s in q.slots)) if self.grammar is not None and self.style.grammar else None
        for _ in range(self.max_attempts):
            messages = self._messages(q, shots, outcome.attempts)
            completion = self.llm.complete(messages, max_tokens=self.max_tokens, temperature=0.0, seed=0, grammar=grammar)
            tokens = completion.prompt_tokens + completion.completion_tokens
            cypher = completion.text.strip() if grammar is not None else extract_cypher(completion.text)
            if self._run(
                outcome, cypher.rstrip(";").strip() if cypher else "", tokens=tokens, ms=completion.latency_ms, raw=completion.text
            ):
                break
        outcome.ms = (time.perf_counter() - started) * 1000
        return outcome

    def _reuse(self, outcome: CypherOutcome, candidates: Sequence[CypherPair]) -> bool:
        """Run the nearest same-signature example's query with the question's parameters and numbers; True when one ran.

        `candidates`: the nearest `REUSE_CANDIDATES` distinct queries, best first. The first whose slots have the
        question's kinds and types and whose numbers line up with the question's (`adapt_numbers`) is run. No candidate: False.
        """
        q = outcome.question
        for pair in candidates:
            if pair_signature(pair) != q.signature:
                continue
            adapted = adapt_numbers(fit_answer_kind(pair.cypher, question_cues(q.template)), pair.template, q.template)
            if adapted is None:
                continue
            outcome.source = "example"
            outcome.reused = pair.template
            return self._run(outcome, adapted[0], tokens=0, ms=0.0, extra=adapted[1])
        return False

    def _messages(self, q: QuestionSlots, shots: Sequence[CypherPair], history: list[CypherAttempt]) -> list[dict[str, str]]:
        if self.legacy:
            few = "\n\n".join(f"Question: {e.question}\n```cypher\n{e.cypher}\n```" for e in self.fixed_examples)
            user = f"Schema:\n{self.schema_text}\n\n" + (f"Examples:\n{few}\n\n" if few else "") + f"Question: {q.question}"
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        else:
            messages = cypher_messages(q, shots, self.schema_text, self.style)
        for attempt in history:
            messages.append({"role": "assistant", "content": f"```cypher\n{attempt.cypher}\n```"})
            messages.append({"role": "user", "content": f"That query failed: {attempt.error}\nWrite a corrected query."})
        return messages

    def _run(
        self, outcome: CypherOutcome, cypher: str, *, tokens: int, ms: float, raw: str = "", extra: dict[str, Any] | None = None
    ) -> bool:
        params = {**outcome.question.params, **(extra or {})}
        try:
            bounded = check_cypher(cypher, row_limit=self.row_limit)
            unknown = sorted(set(_PARAM.findall(bounded)) - set(params))
            if unknown:
                raise ValueError(
                    f"unknown parameters {', '.join('$' + u for u in unknown)}; use only {', '.join('$' + p for p in params) or 'none'}"
                )
        except ValueError as exc:
            outcome.attempts.append(CypherAttempt(cypher or raw.strip()[:200], str(exc), tokens=tokens, ms=ms))
            return False
        try:
            result = self.store.query(bounded, params, limit=self.row_limit, timeout_ms=self.timeout_ms)
        except QueryError as exc:
            outcome.attempts.append(CypherAttempt(bounded, str(exc).splitlines()[0][:300], tokens=tokens, ms=ms))
            return False
        outcome.attempts.append(CypherAttempt(bounded, None, len(result.rows), tokens, ms))
        outcome.cypher, outcome.rows, outcome.columns = bounded, list(result.rows), list(result.columns)
        outcome.params = params
        return True


class Text2CypherRetriever(BaseRetriever):
    """Rows of a generated, checked, bounded, read-only Cypher query (a `CypherWriter` as a retriever)."""

    name = "text2cypher"

    def __init__(
        self,
        store: GraphStore,
        llm: LanguageModel | None,
        schema_text: str,
        *,
        examples: Sequence[CypherExample] = (),
        max_attempts: int = 3,
        row_limit: int = 50,
        timeout_ms: int = 5_000,
        max_tokens: int = 160,
        slots: SlotFinder | None = None,
        example_index: ExampleIndex | None = None,
        grammar: Callable[[tuple[str, ...]], str] | None = None,
        style: PromptStyle | None = None,
    ) -> None:
        self.writer = CypherWriter(
            store, llm, schema_text, slots=slots, examples=example_index, grammar=grammar, style=style,
            fixed_examples=examples, max_attempts=max_attempts, row_limit=row_limit, timeout_ms=timeout_ms, max_tokens=max_tokens,
        )  # fmt: skip
        self.info: dict[str, Any] = {}

    @classmethod
    def from_writer(cls, writer: CypherWriter, info: dict[str, Any] | None = None) -> Text2CypherRetriever:
        """A retriever around a writer built elsewhere (the app's tuned one); `info` (tuning status) joins every trace."""
        self = cls.__new__(cls)
        self.writer = writer
        self.info = dict(info or {})
        return self

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        outcome = self.writer.write(query)
        rows = outcome.rows
        hits = [
            Hit(f"cypher#{i + 1}", "row", float(len(rows) - i), _row_text(row), detail={"cypher": outcome.cypher, "row": row})
            for i, row in enumerate(rows[:k])
        ]
        outcome.info = self.info
        return hits, outcome.trace()


def _row_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())
