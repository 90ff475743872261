"""One JSON error shape for every shell: `{"error": {"code": ..., "message": ...}}`.

Each opsgraph error class carries its stable `code` and HTTP `status` as
class attributes (`opsgraph.errors` draws the tree), so a new subclass
inherits its parent's pair until it declares its own, and the shells need
not import the layers that define them. The message is the exception's own
text, which opsgraph writes for a person to act on; unexpected exceptions
get a generic message (details go to the log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgraph.errors import OpsGraphError


class ApiError(OpsGraphError):
    """An error a shell raises itself (unknown job, path outside the allowed roots, ...); code and status per instance."""

    code = "api_error"
    status = 400

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
    if isinstance(exc, OpsGraphError):
        details: Any = None
        issues = getattr(exc, "issues", None)
        if isinstance(issues, list) and issues:
            details = [str(i) for i in issues[:200]]
        cypher = getattr(exc, "cypher", None)
        if cypher:
            details = {"cypher": cypher}
        return ErrorInfo(exc.status, exc.code, str(exc) or type(exc).__name__, details)
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("torch", "torch_geometric"):
        return ErrorInfo(503, "risk_unavailable", "the risk model needs PyTorch on the server: pip install 'opsgraph[risk]'")
    return ErrorInfo(500, "internal", f"unexpected {type(exc).__name__} on the server; the server log has the details")


def _declared_codes(root: type[OpsGraphError] = OpsGraphError) -> dict[str, type[OpsGraphError]]:
    """Code → the class of the tree (as imported so far) that declares it."""
    out: dict[str, type[OpsGraphError]] = {}
    stack = [root]
    while stack:
        cls = stack.pop()
        if "code" in vars(cls) and cls is not ApiError:
            out.setdefault(vars(cls)["code"], cls)
        stack.extend(cls.__subclasses__())
    return out


def error_from_body(status: int, body: Any) -> OpsGraphError:
    """The error a client raises for an error body (`{"error": {"code", "message"}}`): the class of the tree
    that declares that code, else an `ApiError` with the server's status, code and message."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return ApiError(status, "server_error", f"the server answered {status} without an error body")
    code = error["code"]
    message = str(error.get("message") or code)
    cls = _declared_codes().get(code)
    if cls is not None:
        try:
            return cls(message)
        except TypeError:  # a class whose constructor wants structured arguments
            pass
    return ApiError(status, code, message, error.get("details"))
