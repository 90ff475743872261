"""GBNF, llama.cpp's grammar format: writing literals, and compiling a grammar to one Python regex.

A grammar that constrains a model's sampling is also the cheapest check of
text a model wrote without it: `gbnf_to_regex` inlines a non-recursive GBNF
grammar into one regex that recognises exactly the same language, so one
grammar text defines one language for both. Generic: nothing here knows Cypher
(`retrieve/text2cypher/grammar.py` writes the Cypher grammar).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["alternatives", "gbnf_to_regex", "literal"]

_RULE_NAME = re.compile(r"[a-zA-Z0-9-]+")
_RULE_START = re.compile(r"[a-zA-Z0-9-]+[ \t]*::=")
_REPEAT = re.compile(r"\{\s*(\d*)\s*(,?)\s*(\d*)\s*\}")


def literal(text: str) -> str:
    """A GBNF string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def alternatives(words: Sequence[str]) -> str:
    """`"a" | "b" | ...`, longest first (the language does not depend on the order)."""
    return " | ".join(literal(w) for w in sorted(dict.fromkeys(words), key=lambda w: (-len(w), w)))


# The escapes llama.cpp's GBNF parser knows (besides \x.., \u...., \U........).
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "[": "[", "]": "]"}


@dataclass(frozen=True)
class _Re:
    regex: str
    atom: bool
    """One character or character class: a quantifier may follow it directly."""


@dataclass(frozen=True)
class _Ref:
    name: str


@dataclass(frozen=True)
class _Group:
    alts: list[list[_Item]]


@dataclass(frozen=True)
class _Rep:
    item: _Item
    quant: str


_Item = _Re | _Ref | _Group | _Rep


_ATOM, _SEQ, _ALT = 0, 1, 2


class _Parser:
    """A GBNF reader that turns each rule body into a regex fragment (rule references left symbolic)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> ValueError:
        line = self.text.count("\n", 0, self.pos) + 1
        return ValueError(f"GBNF line {line}: {message}")

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            else:
                break

    def at_rule_start(self) -> bool:
        return _RULE_START.match(self.text, self.pos) is not None

    def rules(self) -> dict[str, list[list[_Item]]]:
        """Rule name -> alternatives -> items."""
        out: dict[str, list[list[_Item]]] = {}
        self.skip_space()
        while self.pos < len(self.text):
            m = _RULE_NAME.match(self.text, self.pos)
            if not m:
                raise self.error(f"expected a rule name at {self.text[self.pos : self.pos + 20]!r}")
            name = m.group()
            self.pos = m.end()
            self.skip_space()
            if not self.text.startswith("::=", self.pos):
                raise self.error(f"expected '::=' after {name!r}")
            self.pos += 3
            if name in out:
                raise self.error(f"rule {name!r} is defined twice")
            out[name] = self.alternates(nested=False)
            self.skip_space()
        if not out:
            raise ValueError("empty GBNF grammar")
        return out

    def alternates(self, *, nested: bool) -> list[list[_Item]]:
        alts = [self.sequence(nested=nested)]
        while True:
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == "|":
                self.pos += 1
                alts.append(self.sequence(nested=nested))
            else:
                return alts

    def sequence(self, *, nested: bool) -> list[_Item]:
        items: list[_Item] = []
        text = self.text
        while True:
            self.skip_space()
            if self.pos >= len(text):
                return items
            ch = text[self.pos]
            if ch == "|" or (ch == ")" and nested):
                return items
            if not nested and self.at_rule_start():
                return items
            if ch == '"':
                self.pos += 1
                chars = []
                while True:
                    if self.pos >= len(text):
                        raise self.error("unterminated string literal")
                    if text[self.pos] == '"':
                        self.pos += 1
                        break
                    chars.append(self.char())
                items.append(_Re(re.escape("".join(chars)), len(chars) == 1))
            elif ch == "[":
                items.append(_Re(self.char_class(), True))
            elif ch == ".":
                self.pos += 1
                items.append(_Re("(?s:.)", True))
            elif ch == "(":
                self.pos += 1
                alts = self.alternates(nested=True)
                self.skip_space()
                if self.pos >= len(text) or text[self.pos] != ")":
                    raise self.error("expected ')'")
                self.pos += 1
                items.append(_Group(alts))
            elif ch in "*+?":
                if not items:
                    raise self.error(f"{ch!r} with nothing before it")
                self.pos += 1
                items[-1] = _Rep(items[-1], ch)
            elif ch == "{":
                if not items:
                    raise self.error("'{' with nothing before it")
                m = _REPEAT.match(text, self.pos)
                if not m or (not m.group(1) and not m.group(2)):
                    raise self.error("bad repetition {m,n}")
                self.pos = m.end()
                lo = m.group(1) or "0"
                quant = "{" + lo + ("," + m.group(3) if m.group(2) else "") + "}"
                if m.group(2) and m.group(3) and int(m.group(3)) < int(lo):
                    raise self.error(f"bad repetition {quant}")
                items[-1] = _Rep(items[-1], quant)
            else:
                m = _RULE_NAME.match(text, self.pos)
                if not m:
                    raise self.error(f"unexpected {ch!r} (token references and other newer syntax are not supported)")
                self.pos = m.end()
                items.append(_Ref(m.group()))

    def char(self) -> str:
        text = self.text
        ch = text[self.pos]
        if ch != "\\":
            self.pos += 1
            return ch
        if self.pos + 1 >= len(text):
            raise self.error("dangling backslash")
        esc = text[self.pos + 1]
        widths = {"x": 2, "u": 4, "U": 8}
        if esc in widths:
            digits = text[self.pos + 2 : self.pos + 2 + widths[esc]]
            if len(digits) != widths[esc] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise self.error(f"bad \\{esc} escape")
            self.pos += 2 + widths[esc]
            return chr(int(digits, 16))
        if esc in _ESCAPES:
            self.pos += 2
            return _ESCAPES[esc]
        raise self.error(f"unknown escape \\{esc}")

    def char_class(self) -> str:
        text = self.text
        self.pos += 1
        negated = self.pos < len(text) and text[self.pos] == "^"
        if negated:
            self.pos += 1
        parts: list[str] = []
        while True:
            if self.pos >= len(text):
                raise self.error("unterminated character class")
            if text[self.pos] == "]":
                self.pos += 1
                break
            lo = self.char()
            if self.pos + 1 < len(text) and text[self.pos] == "-" and text[self.pos + 1] != "]":
                self.pos += 1
                hi = self.char()
                if ord(hi) < ord(lo):
                    raise self.error(f"bad range {lo!r}-{hi!r}")
                parts.append(f"{_class_char(lo)}-{_class_char(hi)}")
            else:
                parts.append(_class_char(lo))
        if not parts:
            return "[^\\s\\S]" if not negated else "(?s:.)"
        return "[" + ("^" if negated else "") + "".join(parts) + "]"


def _class_char(ch: str) -> str:
    if ch.isascii() and ch.isalnum():
        return ch
    if ch in "\n\t\r":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch]
    if ch.isascii() and ch.isprintable():
        return "\\" + ch
    return f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


def gbnf_to_regex(gbnf: str) -> re.Pattern[str]:
    """One regex for a non-recursive GBNF grammar (start rule `root`), every rule inlined.

    Raises ValueError when the grammar is malformed, refers to an undefined rule,
    has no `root`, or is recursive (a regex cannot express recursion).
    """
    rules = _Parser(gbnf).rules()
    if "root" not in rules:
        raise ValueError("GBNF grammar has no 'root' rule")
    # Each fragment carries its kind, so groups are added only where needed (the inlined regex of a
    # big grammar is long: every use of a rule is a copy). ATOM: a quantifier may follow it; SEQ: a
    # concatenation; ALT: has a top-level `|`.
    done: dict[str, tuple[str, int]] = {}
    active: list[str] = []

    def group(frag: tuple[str, int], kind_ok: int) -> str:
        text, kind = frag
        return text if kind <= kind_ok else f"(?:{text})"

    def item_re(item: _Item) -> tuple[str, int]:
        if isinstance(item, _Re):
            return item.regex, _ATOM if item.atom else _SEQ
        if isinstance(item, _Ref):
            return rule_re(item.name)
        if isinstance(item, _Group):
            return alts_re(item.alts)
        # A quantified fragment is not an atom: `x*?` or `x*+` would mean something else.
        return group(item_re(item.item), _ATOM) + item.quant, _SEQ

    def seq_re(seq: list[_Item]) -> tuple[str, int]:
        if len(seq) == 1:
            return item_re(seq[0])
        return "".join(group(item_re(i), _SEQ) for i in seq), _SEQ

    def alts_re(alts: list[list[_Item]]) -> tuple[str, int]:
        if len(alts) == 1:
            return seq_re(alts[0])
        return "|".join(seq_re(seq)[0] for seq in alts), _ALT

    def rule_re(name: str) -> tuple[str, int]:
        if name in done:
            return done[name]
        if name in active:
            cycle = " -> ".join([*active[active.index(name) :], name])
            raise ValueError(f"GBNF grammar is recursive ({cycle}); a regex cannot express it")
        if name not in rules:
            raise ValueError(f"GBNF rule {name!r} is used but not defined")
        active.append(name)
        out = alts_re(rules[name])
        active.pop()
        done[name] = out
        return out

    pattern = rule_re("root")[0]
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValueError(f"the GBNF grammar does not make a usable regex: {exc}") from exc
