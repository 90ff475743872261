"""`OpenAICompatibleModel`: any server speaking OpenAI's chat-completions API (vLLM, Ollama, llama.cpp server).

One POST to `{base_url}/chat/completions` per call, through a small
`HTTPClient` (the stdlib `urllib` one by default; tests and users may pass
their own, like httpx's transports). Sampling settings map to the request
body; `top_k`, `min_p` and the repetition penalty are not in OpenAI's API but
vLLM and llama.cpp server read them as extra fields (others ignore them).
JSON mode sends `response_format: {"type": "json_schema", ...}`; the base
class still parses and validates what comes back, because servers differ in
how strictly they enforce it.

Must not: read environment variables (no proxy from the environment either:
proxies are passed in), do I/O in the constructor, or put the API key in
any message.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from opsgraph.llm.base import BaseLanguageModel, ChatMessage, GenerationSettings, JsonSchema, RawCompletion
from opsgraph.llm.errors import LLMConnectionError, LLMInputError, LLMServerError

_EXCERPT = 300


@dataclass(frozen=True)
class HTTPResponse:
    """A response as the model needs it: status and raw body."""

    status: int
    """HTTP status code."""
    body: bytes
    """Response body, unparsed."""


class HTTPClient(Protocol):
    """Sends one POST; the only thing `OpenAICompatibleModel` needs from a network library."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> HTTPResponse:
        """Return the response whatever its status; raise `LLMConnectionError` when there is none."""


class UrllibClient:
    """`HTTPClient` on the standard library. Proxies only when given: the environment is not read."""

    def __init__(self, proxies: Mapping[str, str] | None = None) -> None:
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies or {})))

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> HTTPResponse:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return HTTPResponse(response.status, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return HTTPResponse(exc.code, exc.read())
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ConnectionRefusedError):
                raise LLMConnectionError(f"cannot reach {url}: connection refused (is the server running?)") from exc
            if isinstance(reason, TimeoutError):
                raise LLMConnectionError(f"{url} did not answer within {timeout:g} s") from exc
            raise LLMConnectionError(f"cannot reach {url}: {reason}") from exc
        except TimeoutError as exc:
            raise LLMConnectionError(f"{url} did not answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise LLMConnectionError(f"connection to {url} failed: {type(exc).__name__}: {exc}") from exc


class OpenAICompatibleModel(BaseLanguageModel):
    """A chat model behind an OpenAI-compatible HTTP endpoint.

    Args:
        base_url: the API root, e.g. `http://127.0.0.1:8000/v1` (vLLM),
            `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8080/v1` (llama.cpp server).
        model: the model name the server expects in the body.
        api_key: sent as `Authorization: Bearer ...` when given. Default `None`.
        timeout: seconds to wait for the whole answer. Default 60.
        client: how to send requests; default `UrllibClient()`.
        name: name reported in `Completion.model` when the server reports none; default `model`.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60,
        client: HTTPClient | None = None,
        name: str | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise LLMInputError(f"base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {base_url!r}")
        if not model:
            raise LLMInputError("model must name the model the server serves")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise LLMInputError(f"timeout must be a positive number of seconds, got {timeout!r}")
        super().__init__(name or model)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = float(timeout)
        self._api_key = api_key
        self._client: HTTPClient = client if client is not None else UrllibClient()

    @property
    def url(self) -> str:
        """The chat-completions endpoint this model posts to."""
        return f"{self.base_url}/chat/completions"

    def request_body(self, messages: list[ChatMessage], settings: GenerationSettings, json_schema: JsonSchema | None) -> dict[str, Any]:
        """The JSON body for one call (public so callers can log or inspect what would be sent)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump() for m in messages],
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "stream": False,
        }
        optional = {
            "top_p": settings.top_p,
            "presence_penalty": settings.presence_penalty,
            "frequency_penalty": settings.frequency_penalty,
            "seed": settings.seed,
            "stop": list(settings.stop) if settings.stop else None,
            # Not OpenAI parameters: vLLM and llama.cpp server read them, other servers ignore them.
            "top_k": settings.top_k,
            "min_p": settings.min_p,
            "repeat_penalty": settings.repeat_penalty,  # llama.cpp server's name
            "repetition_penalty": settings.repeat_penalty,  # vLLM's name for the same thing
            "grammar": settings.grammar,  # llama.cpp server's GBNF field
            "guided_grammar": settings.grammar,  # vLLM's name for the same thing
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "response", "schema": dict(json_schema), "strict": True}}
        return body

    def _complete(self, messages: list[ChatMessage], settings: GenerationSettings, json_schema: JsonSchema | None) -> RawCompletion:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        payload = json.dumps(self.request_body(messages, settings, json_schema)).encode("utf-8")
        response = self._client.post(self.url, payload, headers, self.timeout)
        text = response.body.decode("utf-8", errors="replace")
        if response.status >= 400:
            raise LLMServerError(f"{self.url} answered HTTP {response.status}: {_error_excerpt(text)}", http_status=response.status, body=text)
        try:
            data = json.loads(text)
            choice = data["choices"][0]
            content = choice["message"].get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMServerError(f"{self.url} did not return a chat completion: {_excerpt(text)}", http_status=response.status, body=text) from exc
        if not isinstance(content, str):
            raise LLMServerError(f"{self.url} returned no text (finish_reason={choice.get('finish_reason')!r})", http_status=response.status, body=text)
        usage = data.get("usage") or {}
        return RawCompletion(
            text=content,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=choice.get("finish_reason") or "stop",
            model=data.get("model") or None,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatibleModel({self.base_url!r}, {self.model!r}, timeout={self.timeout:g})"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT] + "..."


def _error_excerpt(text: str) -> str:
    # Servers wrap the reason as {"error": {"message": ...}} (OpenAI, vLLM, llama.cpp) or {"error": "..."} (Ollama).
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        return _excerpt(text)
    message = error.get("message") if isinstance(error, dict) else error
    return _excerpt(message) if isinstance(message, str) and message else _excerpt(text)
