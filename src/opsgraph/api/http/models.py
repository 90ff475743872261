"""Request and response bodies of the HTTP API (they are its OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str
    """Stable machine-readable code, one per opsgraph error class (e.g. `query_invalid`, `no_model`)."""
    message: str
    """What went wrong and what to do, for a person."""
    details: Any = None
    """Extra facts: every problem of an estate, the Cypher that failed, the request fields that were wrong."""


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: ErrorDetail


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000, examples=["What breaks if the payment service is down?"])
    """A question about the estate, in plain words."""
    session: str | None = Field(None, min_length=1, max_length=200, examples=["tab-4f2c"])
    """Conversation id: a follow-up ("and who owns it?") is rewritten from this session's earlier questions."""
    user: str | None = Field(None, min_length=1, max_length=200)
    """Whose cached answers may be reused (never another user's)."""
    use_cache: bool = True
    """False: answer afresh, bypassing the semantic cache."""


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cypher: str = Field(min_length=1, max_length=20_000, examples=["MATCH (s:Service) WHERE s.tier = $tier RETURN s.id AS id"])
    """Read-only Cypher; put values in `params`, never inline them."""
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"tier": "critical"}])
    """Query parameters (`$name` in the Cypher)."""
    limit: int = Field(1000, ge=1, le=10_000)
    """Most rows returned; `truncated` says when there were more."""


class QueryResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    elapsed_ms: float


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096, examples=["/srv/estates/shop"])
    """An estate folder on the server (schema.yaml, nodes/, edges/, docs/, telemetry/)."""
    documents: bool = True
    """Also chunk, embed and link the folder's docs/ (needs an embedder on the server)."""


class InvestigationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1, max_length=500, examples=["checkoutservice"])
    """A component (the symptom) or an incident id."""
    at: str | None = Field(None, max_length=100)
    """Onset: ISO time or a span back (90m); default: detected from the symptom's telemetry."""
    window: str = Field("30m", max_length=20)
    """Telemetry read either side of the onset, and changes before it."""


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    epochs: int | None = Field(None, ge=1, le=500)
    """Override the configured number of epochs (e.g. a quick model)."""


class JobInfo(BaseModel):
    """A long-running job (ingest, training): poll it at `/v1/jobs/{id}` or stream `/v1/jobs/{id}/events`."""

    id: str
    kind: str
    params: dict[str, Any]
    state: Literal["queued", "running", "succeeded", "failed"]
    created: str
    started: str | None = None
    finished: str | None = None
    progress: dict[str, dict[str, int]]
    """Per task: `{"done": n, "total": m}`."""
    result: Any = None
    error: dict[str, Any] | None = None
    worker: int | None = None
    """The pid of the server process that runs it (`serve --workers N`: any worker answers for it)."""


class SearchHit(BaseModel):
    id: str
    """Node id or chunk id (`docs/x.md#3`)."""
    kind: str
    score: float | None = None
    found_by: str
    text: str
    doc_id: str | None = None
    type: str | None = None
    index: str | None = None


class SearchResponse(BaseModel):
    query: str
    mode: str
    hits: list[SearchHit]
    searched: list[str]
    notes: list[str]


class Health(BaseModel):
    status: str


class PromoteResponse(BaseModel):
    current: str | None
