"""Agent mode of an investigation: a model behind an OpenAI-compatible endpoint calls read-only tools in a loop.

The deterministic investigation runs first: it is the evidence, and the answer when the agent fails.
The model then gets the symptom, that investigation's summary and the read-only tools the MCP server
offers (`investigate`, `query` with read-only Cypher, `neighbours`, `describe_schema`) plus
`final_answer`, in OpenAI's chat-completions tool-call format. It calls tools until it calls
`final_answer` or a budget runs out (`max_steps` tool calls, `budget_s` seconds). Every call, its
arguments, its time and an excerpt of its result are in the trace.

The answer is checked, never trusted: the cause it names must be a candidate with metric or change
evidence in an investigation this run made. A cause outside the evidence is refused (said, with the
model's words kept), and the deterministic top candidate stands. The offline default
(`og.investigate`) never goes through here.

Must not: write (the tools are read-only: Cypher runs with the store's read-only guard), read
configuration (the facade passes the endpoint in), or put the API key in a message.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsgraph.investigate import Investigation, InvestigationError
from opsgraph.llm.errors import LLMConnectionError, LLMServerError
from opsgraph.llm.openai_compat import HTTPClient, UrllibClient

RESULT_CHARS = 4000
"""A tool result is cut to this many characters before the model sees it."""

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "investigate", "description": "Ranked root-cause candidates of a symptom with their metric changes, recent "
        "changes, dependency paths, similar past incidents and runbooks.",
        "parameters": {"type": "object", "properties": {
            "target": {"type": "string", "description": "a component id (the symptom) or an incident id"},
            "at": {"type": "string", "description": "onset, ISO time; omit to detect it"},
            "window": {"type": "string", "description": "telemetry either side of the onset, e.g. 30m"}},
            "required": ["target"]}}},
    {"type": "function", "function": {
        "name": "query", "description": "Run read-only Cypher on the estate graph (values as $params); at most 50 rows.",
        "parameters": {"type": "object", "properties": {"cypher": {"type": "string"}, "params": {"type": "object"}},
                       "required": ["cypher"]}}},
    {"type": "function", "function": {
        "name": "neighbours", "description": "The nodes one edge away from a node, with the edge types and directions.",
        "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}},
    {"type": "function", "function": {
        "name": "describe_schema", "description": "The estate's node and edge types with their properties and counts.",
        "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {
        "name": "final_answer", "description": "The root cause (a node id from the evidence) and why, citing the evidence.",
        "parameters": {"type": "object", "properties": {"cause": {"type": "string"}, "reason": {"type": "string"}},
                       "required": ["cause", "reason"]}}},
]

SYSTEM = ("You investigate incidents in a service estate. Use the tools to gather evidence, then call final_answer with the "
          "node id of the most likely root cause and a reason that cites the evidence (metric changes, changes, paths, past "
          "incidents). Name only a cause the evidence supports.")


@dataclass(frozen=True)
class AgentStep:
    """One tool call of the model, as made and as answered."""

    step: int
    tool: str
    arguments: dict[str, Any]
    seconds: float
    result: str
    """What the model was given back (cut to `RESULT_CHARS`), or the error."""
    error: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AgentInvestigation:
    """The agent's answer, whether the evidence supports it, and every call it made."""

    investigation: Investigation
    """The deterministic investigation (the evidence, and the answer when the agent's is refused)."""
    cause: str | None
    """The accepted cause: the model's when the evidence supports it, else the deterministic top candidate."""
    reason: str
    accepted: bool
    """The model named a cause through `final_answer` and the evidence supports it."""
    note: str
    """Why the model's answer was refused or the run stopped ("" when accepted)."""
    model_cause: str | None
    model_reason: str
    steps: list[AgentStep] = field(default_factory=list)
    model: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "reason": self.reason, "accepted": self.accepted, "note": self.note,
                "model_cause": self.model_cause, "model_reason": self.model_reason, "model": self.model,
                "seconds": round(self.seconds, 3), "trace": [s.as_dict() for s in self.steps],
                "investigation": self.investigation.as_dict()}


class ToolChat:
    """One chat-completions call with tools to an OpenAI-compatible endpoint; returns the assistant message."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 60,
                 client: HTTPClient | None = None) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvestigationError(f"agent mode needs an http(s) endpoint such as http://127.0.0.1:8000/v1, got {base_url!r}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self._api_key = api_key
        self._client: HTTPClient = client or UrllibClient()

    def __call__(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = {"model": self.model, "messages": messages, "tools": TOOLS, "tool_choice": "auto", "temperature": 0, "stream": False}
        response = self._client.post(self.url, json.dumps(body).encode("utf-8"), headers, self.timeout)
        text = response.body.decode("utf-8", errors="replace")
        if response.status >= 400:
            raise LLMServerError(f"{self.url} answered HTTP {response.status}: {text[:300]}", http_status=response.status, body=text)
        try:
            message = json.loads(text)["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMServerError(f"{self.url} did not return a chat completion: {text[:300]}", http_status=response.status, body=text) from exc
        if not isinstance(message, dict):
            raise LLMServerError(f"{self.url} returned a message that is not an object", http_status=response.status, body=text)
        return message


Tool = Callable[..., Any]


def _summary(inv: Investigation, k: int = 5) -> dict[str, Any]:
    """What the model reads of an investigation: the ranked candidates with reasons, the confidence, the timeline."""
    d = inv.as_dict(k=k)
    return {"symptom": d["symptom"], "onset": d["onset"], "confidence": d["confidence"], "data_age": d["data_age"],
            "candidates": [{"node": c["node"], "score": c["score"], "reason": c["reason"],
                            "path": (c.get("path") or {}).get("nodes")} for c in d["candidates"]],
            "timeline": d["timeline"][:20], "similar": [{"id": s["id"], "title": s["title"], "causes": s["causes"], "fix": s["fix"]}
                                                        for s in d["similar"]],
            "runbooks": [{"node": r["node"], "title": r["title"], "path": r["path"]} for r in d["runbooks"]]}


def supported_causes(investigations: list[Investigation]) -> set[str]:
    """Nodes an investigation of this run ranked with metric or change evidence of their own."""
    return {c.node for inv in investigations for c in inv.candidates if c.metrics or c.changes}


def run_agent(
    chat: Callable[[list[dict[str, Any]]], Mapping[str, Any]], investigate: Callable[..., Investigation],
    tools: Mapping[str, Tool], target: str, *, at: str | None = None, window: str = "30m", max_steps: int = 8,
    budget_s: float = 120.0, model: str = "",
) -> AgentInvestigation:
    """Investigate `target` deterministically, then let the model call `tools` (module docstring)."""
    began = time.perf_counter()
    base = investigate(target, at=at, window=window)
    seen = [base]
    top = base.candidates[0] if base.candidates else None
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Symptom on {target}" + (f" from {at}" if at else "") + ". The deterministic investigation found:\n"
                                    + json.dumps(_summary(base), default=str)[:RESULT_CHARS]},
    ]
    steps: list[AgentStep] = []

    def finish(cause: str | None, reason: str, note: str) -> AgentInvestigation:
        accepted = not note
        fallback = top.node if top else None
        return AgentInvestigation(base, cause if accepted else fallback, reason if accepted else (top.reason if top else ""),
                                  accepted, note, cause, reason, steps, model, time.perf_counter() - began)

    while True:
        if len(steps) >= max_steps:
            return finish(None, "", f"the step budget ({max_steps} tool calls) ran out before a final answer")
        if time.perf_counter() - began > budget_s:
            return finish(None, "", f"the time budget ({budget_s:g} s) ran out before a final answer")
        try:
            message = chat(messages)
        except (LLMConnectionError, LLMServerError) as exc:
            return finish(None, "", f"the model endpoint failed: {exc}")
        calls = message.get("tool_calls") or []
        if not calls:
            said = str(message.get("content") or "").strip()
            return finish(None, said, "the model answered without calling final_answer, so it named no cause to check")
        messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": calls})
        for call in calls:
            fn = call.get("function") or {}
            name = str(fn.get("name") or "")
            t0 = time.perf_counter()
            try:
                args = json.loads(fn.get("arguments") or "{}")
                if not isinstance(args, dict):
                    raise ValueError("arguments are not a JSON object")
            except ValueError as exc:
                args, result, failed = {}, f"error: the arguments are not JSON: {exc}", True
            else:
                if name == "final_answer":
                    steps.append(AgentStep(len(steps) + 1, name, args, time.perf_counter() - t0, "checked against the evidence"))
                    cause, reason = str(args.get("cause") or "").strip(), str(args.get("reason") or "").strip()
                    if cause not in supported_causes(seen):
                        return finish(cause, reason, f"the model named {cause or 'nothing'}, which no investigation of this run "
                                                     "supports with metric or change evidence: refused")
                    return finish(cause, reason, "")
                result, failed = _call(name, args, tools, seen)
            steps.append(AgentStep(len(steps) + 1, name, args, time.perf_counter() - t0, result, failed))
            messages.append({"role": "tool", "tool_call_id": str(call.get("id") or ""), "content": result})
            if len(steps) >= max_steps:
                break


def _call(name: str, args: dict[str, Any], tools: Mapping[str, Tool], seen: list[Investigation]) -> tuple[str, bool]:
    """Run one tool; (result text for the model, failed)."""
    from opsgraph.errors import OpsGraphError

    tool = tools.get(name)
    if tool is None:
        return f"error: no tool named {name!r}; the tools are {', '.join(sorted([*tools, 'final_answer']))}", True
    try:
        out = tool(**args)
    except TypeError as exc:
        return f"error: wrong arguments for {name}: {exc}", True
    except OpsGraphError as exc:
        return f"error: {exc}", True
    if isinstance(out, Investigation):
        seen.append(out)
        out = _summary(out)
    return json.dumps(out, default=str)[:RESULT_CHARS], False


def investigate_with_agent(og: Any, target: str, *, at: str | None = None, window: str = "30m", max_steps: int = 8,
                           budget_s: float = 120.0, client: HTTPClient | None = None) -> AgentInvestigation:
    """Agent mode on the facade `og`: its configured OpenAI-compatible endpoint and its read-only operations as tools."""
    llm = og.settings.llm
    if llm.provider != "openai" or not llm.base_url:
        raise InvestigationError("agent mode needs an OpenAI-compatible endpoint: set llm.provider to openai and llm.base_url "
                                 "(e.g. http://127.0.0.1:8000/v1) in opsgraph.yaml; without --agent the investigation runs offline")
    chat = ToolChat(llm.base_url, llm.model, api_key=llm.api_key.get_secret_value() if llm.api_key else None, client=client)

    def query(cypher: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        result = og.query(cypher, dict(params or {}), limit=50)  # read-only: the store's guard refuses writes
        return {"columns": list(result.columns), "rows": result.rows, "truncated": result.truncated}

    def neighbours(id: str) -> dict[str, Any]:  # the tool's argument is named `id`
        out = og.query("MATCH (n {id: $id})-[r]->(m) RETURN type(r) AS edge, m.id AS node LIMIT 50", {"id": id}).rows
        into = og.query("MATCH (n {id: $id})<-[r]-(m) RETURN type(r) AS edge, m.id AS node LIMIT 50", {"id": id}).rows
        return {"out": out, "in": into}

    tools: dict[str, Tool] = {
        "investigate": lambda target, at=None, window="30m": og.investigate(target, at=at, window=window),
        "query": query, "neighbours": neighbours, "describe_schema": lambda: og.describe_text(),
    }
    return run_agent(chat, og.investigate, tools, target, at=at, window=window, max_steps=max_steps, budget_s=budget_s,
                     model=llm.model)
