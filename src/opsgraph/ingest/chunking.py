"""Cut a document's text into chunks: fixed, recursive, markdown or semantic.

Every chunker returns `TextChunk`s that are spans of the original text
(`text == source[start:end]`, whitespace trimmed at both ends), in order, and
together they cover every non-whitespace character of the source: nothing is
lost, whatever the strategy. Sizes are in characters.

- `fixed`: windows of at most `size` characters cut on whitespace, each
  starting up to `overlap` characters before the previous one ended.
- `recursive`: split by the coarsest separator that gives pieces no longer
  than `size` (blank lines, then lines, then sentences, then words, then
  characters), then pack neighbouring pieces into chunks of at most `size`,
  repeating whole trailing pieces of up to `overlap` characters.
- `markdown`: one chunk per section (ATX headings outside code fences), each
  keeping its heading path, e.g. "Payment service: elevated 5xx > Diagnosis";
  a section longer than `size` is split recursively and every piece keeps
  the path. A heading with no body joins the section after it.
- `semantic`: split into sentence-like units, embed them, and break where the
  cosine distance between neighbours is above the `percentile`-th percentile
  of all neighbour distances; a group longer than `size` is split
  recursively. It needs an embedder.

This module does no I/O and knows nothing of the store.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from opsgraph.embed.base import Embedder
from opsgraph.errors import OpsGraphError
from opsgraph.schema import ChunkingSettings

HEADING_SEPARATOR = " > "
"""Joins the titles of a heading path."""

Span = tuple[int, int]


@dataclass(frozen=True)
class TextChunk:
    """A span of a document's text."""

    text: str
    """The chunk's text: `source[start:end]`."""
    start: int
    """Offset of the first character in the source."""
    end: int
    """Offset after the last character."""
    heading_path: str = ""
    """Titles of the enclosing markdown headings, outermost first, joined by " > "."""


class ChunkingError(OpsGraphError, ValueError):
    """Chunking settings cannot be applied (e.g. `semantic` without an embedder)."""

    code = "chunking_invalid"
    status = 422


# -- spans -------------------------------------------------------------------

def _trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _make(text: str, spans: Iterable[Span], heading_path: str = "") -> list[TextChunk]:
    out = []
    for s, e in spans:
        s, e = _trim(text, s, e)
        if e > s:
            out.append(TextChunk(text[s:e], s, e, heading_path))
    return out


# -- fixed ---------------------------------------------------------------------

def chunk_fixed(text: str, size: int, overlap: int) -> list[TextChunk]:
    """Windows of at most `size` characters, cut at whitespace where there is any."""
    _check_sizes(size, overlap)
    n = len(text)
    spans: list[Span] = []
    pos, _ = _trim(text, 0, n)
    while pos < n:
        end = min(pos + size, n)
        if end < n and not text[end].isspace():
            # Cut at the last whitespace inside the window; a single longer word is cut hard.
            cut = max(text.rfind(" ", pos + 1, end), text.rfind("\n", pos + 1, end), text.rfind("\t", pos + 1, end))
            if cut > pos:
                end = cut
        s, e = _trim(text, pos, end)
        if e > s:
            spans.append((s, e))
        if end >= n:
            break
        nxt = max(e - overlap, pos + 1)
        # Start the overlap on a word boundary, never before the previous start.
        while nxt < e and nxt > pos and not text[nxt - 1].isspace():
            nxt += 1
        if nxt >= e:
            nxt = end
        nxt, _ = _trim(text, nxt, n)
        if nxt >= n:
            break
        pos = nxt
    return _make(text, spans)


# -- recursive ---------------------------------------------------------------------

_BLANK = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_WORD = re.compile(r"\s+")
_SEPARATORS: tuple[re.Pattern[str], ...] = (_BLANK, _LINE, _SENTENCE, _WORD)
"""Coarsest first: paragraphs, lines, sentences, words; characters after that."""


def _cuts(pattern: re.Pattern[str], text: str, s: int, e: int) -> list[int]:
    """Offsets where a new piece starts: right after each separator inside (s, e)."""
    return [m.end() for m in pattern.finditer(text, s, e) if s < m.end() < e]


def _pieces(text: str, s: int, e: int, size: int, level: int = 0) -> list[Span]:
    """Contiguous spans covering [s, e), each at most `size` long (separators stay with the piece before)."""
    if e - s <= size:
        return [(s, e)]
    if level >= len(_SEPARATORS):
        return [(i, min(i + size, e)) for i in range(s, e, size)]
    cuts = _cuts(_SEPARATORS[level], text, s, e)
    if not cuts:
        return _pieces(text, s, e, size, level + 1)
    out: list[Span] = []
    bounds = [s, *cuts, e]
    for a, b in itertools.pairwise(bounds):
        out.extend(_pieces(text, a, b, size, level + 1) if b - a > size else [(a, b)])
    return out


def _pack(pieces: list[Span], size: int, overlap: int) -> list[Span]:
    """Join neighbouring pieces into spans of at most `size`, repeating trailing pieces up to `overlap`."""
    spans: list[Span] = []
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and pieces[j + 1][1] - pieces[i][0] <= size:
            j += 1
        spans.append((pieces[i][0], pieces[j][1]))
        if j + 1 >= len(pieces):
            break
        # The next chunk starts with whole pieces from the end of this one, if they fit the overlap.
        k = j + 1
        while k - 1 > i and pieces[j][1] - pieces[k - 1][0] <= overlap and pieces[j + 1][1] - pieces[k - 1][0] <= size:
            k -= 1
        i = k
    return spans


def chunk_recursive(text: str, size: int, overlap: int, *, span: Span | None = None, heading_path: str = "") -> list[TextChunk]:
    """Split `text[span]` (default: all of it) by separators, then pack pieces with overlap."""
    _check_sizes(size, overlap)
    s, e = span if span is not None else (0, len(text))
    s, e = _trim(text, s, e)
    if e <= s:
        return []
    return _make(text, _pack(_pieces(text, s, e, size), size, overlap), heading_path)


# -- markdown ---------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """A markdown heading and its body, up to the next heading of any level."""

    start: int
    end: int
    heading_path: str
    level: int
    """Heading level (1-6); 0 for text before the first heading."""
    body_start: int
    """Offset after the heading line."""


def markdown_sections(text: str) -> list[Section]:
    """Sections of a markdown text, in order; headings inside code fences are ignored."""
    heads: list[tuple[int, int, int, str]] = []  # (start, body_start, level, title)
    fenced = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            m = _HEADING.match(line.rstrip("\r\n"))
            if m:
                title = re.sub(r"\s+", " ", m.group(2)).strip()
                heads.append((offset, offset + len(line), len(m.group(1)), title))
        offset += len(line)
    sections: list[Section] = []
    if not heads or heads[0][0] > 0:
        first = heads[0][0] if heads else len(text)
        sections.append(Section(0, first, "", 0, 0))
    stack: list[tuple[int, str]] = []
    for idx, (start, body, level, title) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        end = heads[idx + 1][0] if idx + 1 < len(heads) else len(text)
        sections.append(Section(start, end, HEADING_SEPARATOR.join(t for _, t in stack), level, body))
    return sections


def chunk_markdown(text: str, size: int, overlap: int) -> list[TextChunk]:
    """One chunk per section with its heading path; long sections split recursively."""
    _check_sizes(size, overlap)
    out: list[TextChunk] = []
    carry: int | None = None  # start of a heading whose body was empty
    for sec in markdown_sections(text):
        start = sec.start if carry is None else carry
        if not text[sec.body_start : sec.end].strip() and sec.level > 0:
            carry = start
            continue
        carry = None
        s, e = _trim(text, start, sec.end)
        if e <= s:
            continue
        if e - s <= size:
            out.append(TextChunk(text[s:e], s, e, sec.heading_path))
        else:
            out.extend(chunk_recursive(text, size, overlap, span=(s, e), heading_path=sec.heading_path))
    if carry is not None:
        # Trailing headings with nothing under them still belong to the document.
        s, e = _trim(text, carry, len(text))
        if e > s:
            last_path = markdown_sections(text)[-1].heading_path
            out.append(TextChunk(text[s:e], s, e, last_path))
    return out


def heading_path_at(sections: list[Section], offset: int) -> str:
    """Heading path of the section containing `offset`."""
    path = ""
    for sec in sections:
        if sec.start <= offset:
            path = sec.heading_path
        else:
            break
    return path


# -- semantic ---------------------------------------------------------------------

def sentence_units(text: str) -> list[Span]:
    """Sentence-like units: paragraphs split into lines, lines into sentences; fenced code stays whole."""
    units: list[Span] = []
    blocks: list[tuple[Span, bool]] = []
    fenced = False
    offset = 0
    block_start: int | None = None
    for line in text.splitlines(keepends=True):
        is_fence = bool(_FENCE.match(line))
        if is_fence and not fenced:
            if block_start is not None:
                blocks.append(((block_start, offset), False))
            block_start, fenced = offset, True
        elif is_fence and fenced:
            blocks.append(((block_start if block_start is not None else offset, offset + len(line)), True))
            block_start, fenced = None, False
        elif not fenced and not line.strip():
            if block_start is not None:
                blocks.append(((block_start, offset), False))
                block_start = None
        elif block_start is None:
            block_start = offset
        offset += len(line)
    if block_start is not None:
        blocks.append(((block_start, len(text)), fenced))
    for (s, e), code in blocks:
        if code:
            units.append((s, e))
            continue
        line_cuts = [s, *_cuts(_LINE, text, s, e), e]
        for a, b in itertools.pairwise(line_cuts):
            sent = [a, *_cuts(_SENTENCE, text, a, b), b]
            units.extend(itertools.pairwise(sent))
    return [u for u in (_trim(text, s, e) for s, e in units) if u[1] > u[0]]


def chunk_semantic(
    text: str,
    size: int,
    embedder: Embedder,
    *,
    percentile: float = 90.0,
    markdown: bool = True,
    min_size: int | None = None,
) -> list[TextChunk]:
    """Break between units whose embeddings diverge; groups over `size` are split recursively.

    Args:
        percentile: a break goes where the neighbour distance is above this percentile (default 90).
        markdown: give each chunk the heading path where it starts.
        min_size: a group shorter than this joins the one before it (default `size // 8`).
    """
    if not 0 < percentile < 100:
        raise ChunkingError(f"percentile must be in (0, 100), got {percentile}")
    units = sentence_units(text)
    if not units:
        return []
    min_size = size // 8 if min_size is None else min_size
    groups: list[list[Span]] = [[units[0]]]
    if len(units) > 1:
        vectors = embedder.embed([text[s:e] for s, e in units])
        dist = 1.0 - np.sum(vectors[:-1] * vectors[1:], axis=1)
        threshold = float(np.percentile(dist, percentile))
        for unit, d in zip(units[1:], dist, strict=True):
            if d > threshold:
                groups.append([unit])
            else:
                groups[-1].append(unit)
    spans: list[Span] = []
    for g in groups:
        span = (g[0][0], g[-1][1])
        if spans and span[1] - span[0] < min_size and span[1] - spans[-1][0] <= size:
            spans[-1] = (spans[-1][0], span[1])
        else:
            spans.append(span)
    sections = markdown_sections(text) if markdown else []
    out: list[TextChunk] = []
    for s, e in spans:
        pieces = [TextChunk(text[s:e], s, e)] if e - s <= size else chunk_recursive(text, size, 0, span=(s, e))
        for p in pieces:
            out.append(replace(p, heading_path=heading_path_at(sections, p.start)) if sections else p)
    return out


# -- dispatch ---------------------------------------------------------------------

def chunk_text(text: str, settings: ChunkingSettings, *, markdown: bool = True, embedder: Embedder | None = None) -> list[TextChunk]:
    """Chunk `text` with the schema's strategy. Plain text under `markdown` strategy is split recursively."""
    size, overlap = settings.size, settings.overlap
    strategy = settings.strategy
    if strategy == "fixed":
        return chunk_fixed(text, size, overlap)
    if strategy == "recursive" or (strategy == "markdown" and not markdown):
        return chunk_recursive(text, size, overlap)
    if strategy == "markdown":
        return chunk_markdown(text, size, overlap)
    if strategy == "semantic":
        if embedder is None:
            raise ChunkingError("the semantic strategy needs an embedder to compare sentences")
        return chunk_semantic(text, size, embedder, markdown=markdown)
    raise ChunkingError(f"unknown chunking strategy {strategy!r}")


CHUNKERS: dict[str, Callable[..., list[TextChunk]]] = {
    "fixed": chunk_fixed,
    "recursive": chunk_recursive,
    "markdown": chunk_markdown,
    "semantic": chunk_semantic,
}
"""Strategy name → chunker (see each function for its arguments)."""


def _check_sizes(size: int, overlap: int) -> None:
    if size < 1:
        raise ChunkingError(f"size must be >= 1, got {size}")
    if not 0 <= overlap < size:
        raise ChunkingError(f"overlap must be in [0, size), got {overlap} with size {size}")
