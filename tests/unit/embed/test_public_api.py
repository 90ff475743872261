import subprocess
import sys

import pytest

import opsgraph.embed as embed
from opsgraph.errors import ConfigError


def test_all_is_pinned() -> None:
    assert embed.__all__ == [
        "EMBEDDERS", "MINILM_DIMS", "MINILM_NAME", "MINILM_SHA256", "BaseEmbedder", "EmbedProgress", "Embedder",
        "EmbeddingCache", "EmbeddingError", "EmbeddingIntegrityError", "HTTPStatusError", "HashingEmbedder", "JsonClient",
        "OpenAIEmbedder", "SentenceTransformerEmbedder", "UrllibClient", "create_embedder", "minilm_path", "text_key",
    ]
    for name in embed.__all__:
        assert getattr(embed, name) is not None


def test_create_embedder_by_name() -> None:
    e = embed.create_embedder("hashing", dims=16)
    assert isinstance(e, embed.HashingEmbedder) and isinstance(e, embed.Embedder) and e.dims == 16
    st = embed.create_embedder("sentence-transformers", threads=1)
    assert isinstance(st, embed.SentenceTransformerEmbedder) and st.name == "all-MiniLM-L6-v2"
    oa = embed.create_embedder("openai", base_url="http://127.0.0.1:9/v1", model="m", dims=8)
    assert isinstance(oa, embed.OpenAIEmbedder) and oa.dims == 8  # no request: constructors do no I/O


def test_unknown_embedder_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'nope'; choose one of: sentence-transformers"):
        embed.create_embedder("nope")


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, opsgraph.embed; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
