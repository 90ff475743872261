"""`OpenAIEmbedder`: any OpenAI-compatible `POST {base_url}/embeddings` (vLLM, Ollama, llama.cpp server, OpenAI).

The HTTP call goes through a small `JsonClient` passed in (httpx's habit:
`Client(transport=...)`); the default uses the standard library's urllib,
so there is no extra dependency. Constructing the embedder does no I/O.
Rate limits (429) and server errors (5xx) are retried with back-off; other
HTTP errors fail at once with the server's message. The API key is sent as a
bearer token and never appears in an error message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from opsgraph.embed.base import BaseEmbedder, EmbeddingError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class HTTPStatusError(EmbeddingError):
    """The endpoint answered with an HTTP error status."""

    def __init__(self, http_status: int, message: str) -> None:
        self.http_status = http_status
        """The endpoint's own HTTP status (`status` is the one opsgraph's API answers with)."""
        super().__init__(message)


class JsonClient(Protocol):
    """Posts a JSON body and returns the decoded JSON answer; raises `HTTPStatusError` on an error status."""

    def post_json(self, url: str, payload: Mapping[str, Any], headers: Mapping[str, str], timeout: float) -> Any: ...


class UrllibClient:
    """`JsonClient` on the standard library."""

    def post_json(self, url: str, payload: Mapping[str, Any], headers: Mapping[str, str], timeout: float) -> Any:
        body = json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise HTTPStatusError(exc.code, f"{url} answered HTTP {exc.code}: {_server_message(detail)}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise EmbeddingError(f"cannot reach the embeddings endpoint {url}: {reason}") from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise EmbeddingError(f"{url} did not answer JSON: {raw[:120]!r}") from exc


def _server_message(detail: str) -> str:
    try:
        data = json.loads(detail)
    except ValueError:
        return detail.strip() or "(no body)"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return detail.strip()


class OpenAIEmbedder(BaseEmbedder):
    """Embeddings from an OpenAI-compatible endpoint.

    Args:
        base_url: e.g. "http://127.0.0.1:8000/v1"; `/embeddings` is appended.
        model: the model name the server knows.
        api_key: sent as `Authorization: Bearer ...` when given.
        client: a `JsonClient` (default: `UrllibClient`).
        dims: vector length, when known; otherwise one probe request finds it on first use.
        timeout: seconds per request (default 30).
        retries: extra attempts after a 429/5xx or a dropped connection (default 2; back-off 0.5 s, 1 s, ...).
        name: model name in cache keys (default `model`).
        batch_size, cache, cache_size, cache_dir: see `BaseEmbedder`.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        client: JsonClient | None = None,
        dims: int | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        name: str | None = None,
        backoff: float = 0.5,
        **base: Any,
    ) -> None:
        base.setdefault("batch_size", 64)
        super().__init__(**base)
        if not base_url.startswith(("http://", "https://")):
            raise EmbeddingError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self._api_key = api_key
        self.client: JsonClient = client or UrllibClient()
        self._dims = dims
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._name = name or model

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        if self._dims is None:
            self._dims = int(self._request(["dimension probe"]).shape[1])
        return self._dims

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _request(self, batch: list[str]) -> np.ndarray:
        payload = {"model": self.model, "input": batch, "encoding_format": "float"}
        attempt = 0
        while True:
            try:
                answer = self.client.post_json(self.url, payload, self._headers(), self.timeout)
                break
            except HTTPStatusError as exc:
                if exc.http_status not in RETRY_STATUSES or attempt >= self.retries:
                    raise
            except EmbeddingError:
                if attempt >= self.retries:
                    raise
            time.sleep(self.backoff * (2**attempt))
            attempt += 1
        return self._parse(answer, len(batch))

    def _parse(self, answer: Any, n: int) -> np.ndarray:
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or len(data) != n:
            got = len(data) if isinstance(data, list) else "no `data` list"
            raise EmbeddingError(f"{self.url}: expected {n} embeddings, got {got}")
        # The API allows any order; `index` says which input each vector belongs to.
        try:
            ordered = sorted(data, key=lambda d: int(d.get("index", 0)))
            return np.asarray([d["embedding"] for d in ordered], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbeddingError(f"{self.url}: malformed embeddings answer ({exc})") from exc

    def _embed(self, batch: list[str]) -> np.ndarray:
        return self._request(batch)

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(url={self.url!r}, model={self.model!r})"
