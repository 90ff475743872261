"""One JSON error shape for every shell: `{"error": {"code": ..., "message": ...}}`.

Each opsgraph error class has a stable `code` and an HTTP status, found by
walking the exception's class hierarchy (so a new subclass inherits its
parent's code until it gets its own). Classes are matched by name: the
shells must not import the layers below `app` that define some of them.
The message is the exception's own text, which opsgraph writes for a person
to act on; unexpected exceptions get a generic message (details go to the log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# class name -> (HTTP status, stable code). Codes are part of the API: never rename one.
ERROR_CODES: dict[str, tuple[int, str]] = {
    # store
    "StoreUnavailableError": (503, "store_unavailable"),
    "StoreCorruptError": (500, "store_corrupt"),
    "DocumentTooLargeError": (413, "document_too_large"),
    "LimitExceededError": (413, "too_large"),
    "WriteRefusedError": (403, "write_refused"),
    "QueryTimeoutError": (408, "query_timeout"),
    "QueryError": (400, "query_invalid"),
    "StoreLockedError": (503, "store_locked"),
    "BatchError": (500, "write_failed"),
    "StoreError": (500, "store_error"),
    # inputs
    "IngestError": (422, "ingest_invalid"),
    "SchemaError": (422, "schema_invalid"),
    "ConfigError": (500, "config_error"),
    # asking and searching
    "NothingIngestedError": (409, "nothing_ingested"),
    "TuneError": (409, "not_tunable"),
    "SearchUnavailableError": (409, "search_unavailable"),
    "AskInputError": (422, "ask_input"),
    "RedisBackendError": (503, "cache_unavailable"),
    # risk
    "NoTelemetryError": (409, "no_telemetry"),
    "NoModelError": (409, "no_model"),
    "UnknownNodeError": (404, "unknown_node"),
    "RiskError": (409, "risk_error"),
    # models
    "LLMContextError": (422, "llm_context_too_long"),
    "LLMInputError": (422, "llm_input"),
    "LLMConnectionError": (502, "llm_unreachable"),
    "LLMServerError": (502, "llm_failed"),
    "StructuredOutputError": (502, "llm_bad_output"),
    "LLMSetupError": (500, "llm_setup"),
    "LLMError": (500, "llm_error"),
    "EmbeddingError": (500, "embedding_error"),
    "OpsGraphError": (500, "opsgraph_error"),
}


class ApiError(Exception):
    """An error a shell raises itself (unknown job, path outside the allowed roots, ...)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class ErrorInfo:
    """What a shell reports for an exception."""

    status: int
    code: str
    message: str
    details: Any = field(default=None)

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            err["details"] = self.details
        return {"error": err}


def describe_error(exc: BaseException) -> ErrorInfo:
    """Status, code and message for any exception; unknown ones are a 500 `internal` error."""
    if isinstance(exc, ApiError):
        return ErrorInfo(exc.status, exc.code, exc.message, exc.details)
    for cls in type(exc).__mro__:
        if cls.__name__ in ERROR_CODES:
            status, code = ERROR_CODES[cls.__name__]
            details: Any = None
            issues = getattr(exc, "issues", None)
            if isinstance(issues, list) and issues:
                details = [str(i) for i in issues[:200]]
            cypher = getattr(exc, "cypher", None)
            if cypher:
                details = {"cypher": cypher}
            return ErrorInfo(status, code, str(exc) or cls.__name__, details)
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("torch", "torch_geometric"):
        return ErrorInfo(503, "risk_unavailable", "the risk model needs PyTorch on the server: pip install 'opsgraph[risk]'")
    return ErrorInfo(500, "internal", f"unexpected {type(exc).__name__} on the server; the server log has the details")
