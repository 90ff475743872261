"""Integration fixtures: the real SmolLM2 GGUF under llama.cpp, loaded once for the session.

Skipped only when `llama_cpp` cannot be imported (CI installs it, so these run
there). Small `n_ctx`, two threads and short answers keep the suite fast.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pytest

from opsgraph.llm import LlamaCppModel, ModelFile, resolve_model

THREADS = 2
N_CTX = 1024


@pytest.fixture(autouse=True)
def _needs_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'opsgraph[llm]'")


@pytest.fixture(scope="session")
def smollm2_file() -> ModelFile:
    return resolve_model("smollm2-135m-instruct")


@pytest.fixture(scope="module")
def smollm2(smollm2_file: ModelFile) -> Iterator[LlamaCppModel]:
    """SmolLM2 loaded for one module (a second or two); released with the module's other models when it ends."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    with smollm2_file.to_model(n_ctx=N_CTX, n_threads=THREADS) as model:
        yield model


@pytest.fixture(autouse=True, scope="session")
def _close_llama_cpp_devnull() -> Iterator[None]:
    """llama_cpp opens two /dev/null files at import and never closes them; under `-W error` that prints a
    ResourceWarning at exit. Close them once the session is over (no Llama is constructed after that)."""
    yield
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None:
            handle.close()
