"""The public surface of `opsgraph.llm` and what importing it pulls in."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import opsgraph.llm as llm


def test_all_is_pinned() -> None:
    assert llm.__all__ == [
        "BUNDLED_MODELS", "DEFAULT_MODEL", "LANGUAGE_MODELS", "BaseLanguageModel", "BundledModel", "ChatMessage", "Completion", "FakeCall",
        "FakeLanguageModel", "GenerationSettings", "HTTPClient", "HTTPResponse", "JsonSchema", "LLMConnectionError", "LLMContextError",
        "LLMError", "LLMInputError", "LLMServerError", "LLMSetupError", "LanguageModel", "LlamaCppModel", "Messages",
        "ModelFile", "ModelIntegrityError", "OpenAICompatibleModel", "RawCompletion", "StructuredOutputError",
        "UrllibClient", "create_language_model", "file_sha256", "loaded_models", "resolve_model", "unload_models",
    ]  # fmt: skip
    for name in llm.__all__:
        assert getattr(llm, name) is not None


def test_importing_the_package_does_not_import_llama_cpp() -> None:
    code = "import sys, opsgraph.llm; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_layer_imports_only_schema_and_errors() -> None:
    allowed = ("opsgraph.llm", "opsgraph.errors", "opsgraph._files", "opsgraph._registry", "opsgraph.schema")
    for path in Path(llm.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name == "opsgraph" or name.startswith("opsgraph."):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_layer_reads_no_environment_or_config_files() -> None:
    src = Path(llm.__file__).parent
    for path in src.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"os\.environ|getenv|opsgraph\.app|\.yaml", text), path.name


def test_errors_belong_to_the_opsgraph_tree() -> None:
    from opsgraph.errors import OpsGraphError

    for name in ("LLMSetupError", "ModelIntegrityError", "LLMInputError", "LLMContextError", "LLMConnectionError", "LLMServerError", "StructuredOutputError"):
        assert issubclass(getattr(llm, name), llm.LLMError)
    assert issubclass(llm.LLMError, OpsGraphError)
    assert issubclass(llm.LLMInputError, ValueError)
