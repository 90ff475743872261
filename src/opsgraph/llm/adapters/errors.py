"""Errors of LoRA adapters, kept in their own module so training, export and the registry all import downwards."""

from __future__ import annotations

from pathlib import Path

from opsgraph.llm.errors import LLMError

__all__ = ["AdapterError", "AdapterManifestError"]


class AdapterError(LLMError):
    """An adapter cannot be trained, exported, registered or found as asked."""


class AdapterManifestError(AdapterError):
    """A manifest or `active.json` on disk is missing, unreadable or malformed; `path` names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}")
