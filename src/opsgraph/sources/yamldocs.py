"""Read YAML files as numbered documents, refusing what cannot be trusted.

Shared by the readers: a malformed document, an unreadable file or an
unrendered Helm template is a `SourceError` naming the file and the 1-based
document index, so a sync never half-reads a source. Files are listed in
sorted order so facts (and ids chosen on collisions) do not depend on the
file system's order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from opsgraph.errors import SourceError
from opsgraph.sources.doc_cache import DocumentCache

YAML_SUFFIXES = (".yaml", ".yml")

# libyaml's loader when PyYAML was built with it (about 10x faster on large manifest folders); same results.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$|^---[ \t]+", re.MULTILINE)
# Template actions only a Helm chart (never a rendered manifest) contains. A bare `{{`, or Go template
# control flow (`if`, `range`, `template`, `end`), is not enough: rendered ConfigMaps legitimately carry
# Prometheus, Alertmanager and Grafana templates such as `{{ range .Alerts }}` or `{{ $labels.instance }}`.
# An unrendered document that is not even valid YAML is caught by the parser (with a hint).
_HELM = re.compile(
    r"\{\{-?\s*(?:[^}]*?\.(?:Values|Release|Chart|Capabilities|Files)\b|include\s|tpl\s|toYaml\b|\.Template\.)"
)


def yaml_files(root: Path, *, pattern: re.Pattern[str] | None = None) -> list[Path]:
    """`root` itself if it is a file, else every YAML file below it (recursive, sorted, hidden folders skipped)."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise SourceError("no such file or folder (expected a file or a folder of YAML files)", file=str(root))
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file() and p.suffix.lower() in YAML_SUFFIXES and (pattern is None or pattern.search(p.name)):
            out.append(p)
    return out


def display(path: Path, root: Path, base: Path | None = None) -> str:
    """Path shown in evidence and errors: relative to the source root when inside it.

    `base`: `display_base(root)`, resolved once by a caller showing many files of one root."""
    if base is None:
        base = display_base(root)
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


def display_base(root: Path) -> Path:
    """The resolved folder `display` shows paths relative to."""
    return (root if root.is_dir() else root.parent).resolve()


def _starts(lines: list[str]) -> list[int]:
    """0-based first line of each document, counted the way `yaml.safe_load_all` counts them.

    Every `---` line starts a document; text before the first `---` is a document only
    when it holds content (blank and comment lines do not make one).
    """
    starts: list[int] = []
    for n, line in enumerate(lines):
        if _DOC_SPLIT.match(line):
            starts.append(n)
        elif not starts and line.strip() and not line.lstrip().startswith(("#", "%")):
            starts.append(0)
    return starts or [0]


def _document_texts(text: str) -> list[str]:
    """Raw text of each document (for template checks)."""
    lines = text.splitlines()
    starts = _starts(lines)
    return ["\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _document_of_line(text: str, line0: int) -> int:
    """1-based index of the document that contains 0-based line `line0`."""
    return max(1, sum(1 for s in _starts(text.splitlines()) if s <= line0))


def read_documents(path: Path, shown: str, cache: DocumentCache | None = None) -> Iterator[tuple[int, Any]]:
    """Yield `(1-based document index, parsed document)` for every non-empty document of `path`.

    With a `cache`, a file whose bytes are unchanged since it was last parsed is not parsed again."""
    if cache is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read the file ({exc.__class__.__name__}: {exc})", file=shown) from exc
        yield from _parse(text, shown)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the file ({exc.__class__.__name__}: {exc})", file=shown) from exc

    def parse() -> Iterator[tuple[int, Any]]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"cannot read the file ({exc.__class__.__name__}: {exc})", file=shown) from exc
        return _parse(text.replace("\r\n", "\n").replace("\r", "\n"), shown)  # as read_text's newline translation

    def chunked(previous: dict[str, Any]) -> tuple[list[tuple[int, Any]], list[str] | None, int] | None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None  # parse() raises the error
        return _parse_by_document(text.replace("\r\n", "\n").replace("\r", "\n"), shown, previous)

    yield from cache.documents(path, data, parse, chunked=chunked)


_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_DIRECTIVE_OR_END = re.compile(r"^(?:%|\.\.\.)", re.MULTILINE)


def _parse_by_document(text: str, shown: str, previous: dict[str, Any]) -> tuple[list[tuple[int, Any]], list[str] | None, int] | None:
    """Documents of `text` with the text hash of each: those whose hash is in `previous` taken from there, the others parsed.

    Each document's text is what lies between its `---` and the next; YAML scopes anchors to a document, so a
    document parses alone as it does in its file. Whatever could make that untrue (directives, `...` end
    markers, line breaks other than newline, a document that does not parse alone into exactly one) returns
    None: the caller parses the whole file as before, with its errors. Returns (documents, hashes or None when
    they do not line up with the parser's documents, documents parsed)."""
    if _OTHER_BREAKS.search(text) or _DIRECTIVE_OR_END.search(text):
        return None
    lines = text.split("\n")
    starts = _starts(lines)
    texts = ["\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]
    if "\n".join(["\n".join(lines[: starts[0]]), *texts] if starts[0] else texts) != text:
        return None
    digests = [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in texts]
    if not previous:
        docs: list[tuple[int, Any]] = []
        total = 0
        for index, doc in _parse(text, shown, counted=True):
            total = index
            if doc is not None:
                docs.append((index, doc))
        return docs, (digests if total == len(texts) else None), len(docs)
    out: list[tuple[int, Any]] = []
    used: set[str] = set()
    parsed = 0
    for index, (chunk, digest) in enumerate(zip(texts, digests, strict=True), start=1):
        if digest in previous and digest not in used:
            used.add(digest)  # a repeated document is parsed again: each document must be its own object
            doc = previous[digest]
        else:
            if _HELM.search(chunk):
                return None
            try:
                alone = list(yaml.load_all(chunk, Loader=_LOADER))
            except yaml.YAMLError:
                return None
            if len(alone) != 1:
                return None
            doc = alone[0]
            parsed += 1
        if doc is not None:
            out.append((index, doc))
    return out, digests, parsed


def _parse(text: str, shown: str, *, counted: bool = False) -> Iterator[tuple[int, Any]]:
    """`(index, document)` of each non-empty document; with `counted`, empty ones too (as None)."""
    raw = _document_texts(text)
    starts = _starts(text.splitlines())
    for i, chunk in enumerate(raw, start=1):
        m = _HELM.search(chunk)
        if m:
            line = starts[i - 1] + chunk[: m.start()].count("\n") + 1
            raise SourceError(
                f"unrendered Helm template {m.group(0)!r}... at line {line}; "
                "render the chart first (`helm template ...`) and read its output",
                file=shown,
                document=i,
            )
    index = 0
    try:
        for doc in yaml.load_all(text, Loader=_LOADER):
            index += 1
            if doc is not None or counted:
                yield index, doc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and context_mark is not None:
            problem += f" ({context} at line {context_mark.line + 1})"
        doc_no = index + 1
        # The failing document is the one holding the construct being parsed (the context),
        # else the one holding the failing line.
        anchor = context_mark if context_mark is not None else mark
        if anchor is not None:
            doc_no = _document_of_line(text, anchor.line)
        hint = "; it looks like an unrendered template" if "{{" in (raw[doc_no - 1] if doc_no <= len(raw) else "") else ""
        raise SourceError(
            f"malformed YAML{where}: {problem} (expected a valid YAML document){hint}", file=shown, document=doc_no
        ) from exc
