"""Text-to-Cypher: generate ▸ extract ▸ check ▸ bound ▸ run ▸ repair.

The model writes a query from the live schema and a few examples. Before it
runs, the query must (1) be one statement, (2) pass the static read-only
check, (3) carry a LIMIT (one is appended when missing), and it runs (4)
through the store's read-only path, where the engine itself refuses writes,
(5) with a time limit. A query that fails any step, or errors in the engine,
is sent back to the model with the error, a bounded number of times. Values
the model puts in the query stay literals of *its* query; nothing from the
user's text is concatenated into Cypher by this code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsgraph.errors import QueryError
from opsgraph.llm import LanguageModel
from opsgraph.retrieve.base import BaseRetriever, Hit
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


class Text2CypherRetriever(BaseRetriever):
    """Rows of a generated, checked, bounded, read-only Cypher query."""

    name = "text2cypher"

    def __init__(
        self,
        store: GraphStore,
        llm: LanguageModel,
        schema_text: str,
        *,
        examples: Sequence[CypherExample] = (),
        max_attempts: int = 3,
        row_limit: int = 50,
        timeout_ms: int = 5_000,
        max_tokens: int = 160,
    ) -> None:
        self.store = store
        self.llm = llm
        self.schema_text = schema_text
        self.examples = list(examples)
        self.max_attempts = max_attempts
        self.row_limit = row_limit
        self.timeout_ms = timeout_ms
        self.max_tokens = max_tokens

    def _messages(self, question: str, history: list[CypherAttempt]) -> list[dict[str, str]]:
        shots = "\n\n".join(f"Question: {e.question}\n```cypher\n{e.cypher}\n```" for e in self.examples)
        user = f"Schema:\n{self.schema_text}\n\n" + (f"Examples:\n{shots}\n\n" if shots else "") + f"Question: {question}"
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        for attempt in history:
            messages.append({"role": "assistant", "content": f"```cypher\n{attempt.cypher}\n```"})
            messages.append({"role": "user", "content": f"That query failed: {attempt.error}\nWrite a corrected query."})
        return messages

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        attempts: list[CypherAttempt] = []
        for _ in range(self.max_attempts):
            completion = self.llm.complete(self._messages(query, attempts), max_tokens=self.max_tokens, temperature=0.0, seed=0)
            tokens = completion.prompt_tokens + completion.completion_tokens
            cypher = extract_cypher(completion.text)
            try:
                bounded = check_cypher(cypher, row_limit=self.row_limit)
            except ValueError as exc:
                attempts.append(CypherAttempt(cypher or completion.text.strip()[:200], str(exc), tokens=tokens, ms=completion.latency_ms))
                continue
            try:
                result = self.store.query(bounded, {}, limit=self.row_limit, timeout_ms=self.timeout_ms)
            except QueryError as exc:
                attempts.append(CypherAttempt(bounded, str(exc).splitlines()[0][:300], tokens=tokens, ms=completion.latency_ms))
                continue
            attempts.append(CypherAttempt(bounded, None, len(result.rows), tokens, completion.latency_ms))
            hits = [
                Hit(f"cypher#{i + 1}", "row", float(len(result.rows) - i), _row_text(row), detail={"cypher": bounded, "row": row})
                for i, row in enumerate(result.rows[:k])
            ]
            return hits, {"cypher": bounded, "columns": result.columns, "attempts": [a.__dict__ for a in attempts]}
        return [], {"cypher": None, "attempts": [a.__dict__ for a in attempts]}


def _row_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())
