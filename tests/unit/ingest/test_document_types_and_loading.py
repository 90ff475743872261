"""Document types added to an estate schema, and how document files are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SMALL_SCHEMA, write
from opsgraph.app import sample_estate_path
from opsgraph.errors import IngestError
from opsgraph.ingest.documents import DOCUMENT_TYPES, list_documents, load_document, read_documents, with_document_types
from opsgraph.schema import PropertyType, SchemaError, load_schema, parse_schema


def test_document_types_are_added() -> None:
    schema = load_schema(sample_estate_path() / "schema.yaml")
    full = with_document_types(schema, 384)
    assert set(full.nodes) == set(schema.nodes) | {"Document", "Chunk"}
    chunk = full.nodes["Chunk"].properties
    assert chunk["embedding"].type is PropertyType.VECTOR and chunk["embedding"].dimensions == 384
    assert chunk["text"].fulltext and chunk["doc_id"].indexed and chunk["position"].type is PropertyType.INTEGER
    assert set(full.nodes["Document"].properties) >= {"title", "content_hash", "chunk_count"}
    assert full.edges["HAS_CHUNK"].from_types == ["Document"] and full.edges["HAS_CHUNK"].to_types == ["Chunk"]
    mentions = full.edges["MENTIONS"]
    assert mentions.from_types == ["Chunk"] and mentions.to_types == list(schema.nodes)
    assert set(mentions.properties) == {"method", "score", "surface"}
    assert full.name == schema.name and full.edges["DEPENDS_ON"] == schema.edges["DEPENDS_ON"]


def test_adding_twice_is_harmless() -> None:
    full = with_document_types(parse_schema(SMALL_SCHEMA), 8)
    assert with_document_types(full, 8) == full


def test_an_estate_that_declares_the_names_is_refused() -> None:
    text = SMALL_SCHEMA.replace("  Team:\n", "  Chunk:\n    properties: {body: string}\n  Team:\n")
    with pytest.raises(SchemaError, match="'Chunk' is a type opsgraph adds for documents"):
        with_document_types(parse_schema(text), 8)
    with pytest.raises(SchemaError, match=r"nodes\.Chunk"):
        with_document_types(with_document_types(parse_schema(SMALL_SCHEMA), 8), 16)  # other dims: not ours


def test_documents_are_listed_recursively_without_hidden_files(tmp_path: Path) -> None:
    for name in ("a.md", "b.markdown", "sub/c.txt", "d.pdf", ".hidden.md", ".git/e.md", "README"):
        write(tmp_path / "docs" / name, "x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_documents(tmp_path / "docs")] == ["docs/a.md", "docs/b.markdown", "docs/sub/c.txt"]
    assert list_documents(tmp_path / "nope") == []


def test_a_document_has_a_path_id_a_title_and_a_hash(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "runbook.md"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbfIntro\r\n\r\n# The Title\r\nbody\r\n")
    doc = load_document(path, tmp_path)
    assert (doc.id, doc.title, doc.kind) == ("docs/runbook.md", "The Title", "markdown")
    assert doc.text == "Intro\n\n# The Title\nbody\n"
    txt = write(tmp_path / "docs" / "notes.txt", "\n\nFirst line here\nmore")
    assert load_document(txt, tmp_path).title == "First line here"
    assert load_document(write(tmp_path / "docs" / "empty.txt", ""), tmp_path).title == "empty"


def test_unreadable_documents_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path / "schema.yaml", SMALL_SCHEMA)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bad.md").write_bytes(b"caf\xe9")
    (tmp_path / "docs" / "worse.txt").write_bytes(b"\xff\xfe\x00")
    write(tmp_path / "docs" / "good.md", "# fine")
    with pytest.raises(IngestError, match="2 problem") as info:
        read_documents(tmp_path, parse_schema(SMALL_SCHEMA))
    assert [i.file for i in info.value.issues] == ["docs/bad.md", "docs/worse.txt"]
    assert "not UTF-8" in info.value.issues[0].message


def test_the_type_names_are_reserved_together() -> None:
    assert DOCUMENT_TYPES == {"Document", "Chunk", "HAS_CHUNK", "MENTIONS"}
