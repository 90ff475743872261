"""The errors the `llm` layer raises, as one branch of opsgraph's tree.

    OpsGraphError
    └── LLMError                    a language model could not do what was asked
        ├── LLMSetupError           the model cannot be used: extra not installed, file or name unknown
        │   └── ModelIntegrityError the model file's sha256 is not the one pinned for it
        ├── LLMInputError           messages, settings or the JSON schema are invalid (also a ValueError)
        │   └── LLMContextError     the prompt does not fit the model's context window
        ├── LLMConnectionError      the endpoint could not be reached, or did not answer in time
        ├── LLMServerError          the endpoint answered with an HTTP error or a malformed body
        └── StructuredOutputError   JSON mode: the output did not parse, or broke the schema

Engine and transport errors (llama.cpp's `ValueError`s, `urllib` errors) are
mapped to the most specific of these with `raise ... from exc`. Lives here,
not in `opsgraph.errors`, because only this layer raises them; it imports
nothing but `opsgraph.errors`.
"""

from __future__ import annotations

from typing import Any

from opsgraph.errors import OpsGraphError


class LLMError(OpsGraphError):
    """Base of every error the `llm` layer raises on purpose."""

    code = "llm_error"
    status = 500


class LLMSetupError(LLMError):
    """The model cannot be used as configured (missing extra, missing file, unknown name)."""

    code = "llm_setup"
    status = 500


class ModelIntegrityError(LLMSetupError):
    """A model file's sha256 differs from the pinned value; it was not loaded."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"refusing to load {path}: its sha256 is {actual}, expected {expected}. "
            "The file is corrupt, truncated or not the model it claims to be; reinstall or re-download it."
        )


class LLMInputError(LLMError, ValueError):
    """The request was refused before reaching the model. `errors` holds pydantic's details when there are any."""

    code = "llm_input"
    status = 422

    def __init__(self, message: str, errors: list[Any] | None = None) -> None:
        self.errors = errors or []
        super().__init__(message)


class LLMContextError(LLMInputError):
    """The prompt (plus room for the answer) does not fit the model's context window."""

    code = "llm_context_too_long"
    status = 422


class LLMConnectionError(LLMError):
    """The model endpoint could not be reached or did not answer within the timeout."""

    code = "llm_unreachable"
    status = 502


class LLMServerError(LLMError):
    """The endpoint answered with an HTTP error status or a body that is not a chat completion."""

    code = "llm_failed"
    status = 502

    def __init__(self, message: str, *, http_status: int | None = None, body: str = "") -> None:
        self.http_status = http_status
        """The endpoint's own HTTP status (`status` is the one opsgraph's API answers with)."""
        self.body = body
        super().__init__(message)


class StructuredOutputError(LLMError):
    """JSON mode: the model's text did not parse as JSON or did not satisfy the schema.

    `text` is the raw output and `problems` lists each violation, so a caller
    can retry, repair or show them.
    """

    code = "llm_bad_output"
    status = 502

    def __init__(self, message: str, *, text: str, problems: list[str] | None = None) -> None:
        self.text = text
        self.problems = problems or []
        super().__init__(message)
