"""Words a schema's descriptions and an everyday ops vocabulary give its properties ("hostname" is `endpoint`).

Why: people name a property by what it is, not by its column name: `Datastore.endpoint` is described "Host name
clients connect to.", so "what's the hostname of the orders db?" asks for it; `tier` "Business criticality" is asked
as "how critical" or "criticality"; a `repo` "URL of the source repository" as "git" or "source code". Issue 14 says
the per-schema lexicon is built from names, descriptions and the synonyms a schema declares; `lexicon.py` reads names
and synonyms, this module the descriptions:

- the head phrase of a property's description (its words up to the first ':' ',' ';' '(' '.' "e.g.", preposition
  other than "of", relative word, or article that opens a clause: "Container image the deployment runs" → "Container
  image"), its content words and each pair of adjacent ones as a phrase and as one word ("host name", "hostname");
- `EVERYDAY_FAMILIES`: a small table of everyday ops words, each family mapped to a property only when that property's
  name or description holds the family's anchor word ("git" → the property whose description says "repository").

They are weak cues: one maps only when, on every node or edge type, it points to at most one property (else it
explains nothing: "connect" of both `endpoint` and `port`); a word the lexicon already knows (a name, a declared
synonym, a relation word, a type word), a generic word ("number", "name", "clients", "main", units), a value the
schema quotes in a description, or a state verb never becomes one. `lexicon.build_lexicon` adds what is returned
after its own cues, never over them, so `verify.py`, `explained.py` and `compose.py` all see them. Pure functions
over the schema and strings; the caller passes its stemmer and what it already knows (no import of `lexicon.py`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from opsgraph.rag.property_words import PROPERTY_FAMILIES
from opsgraph.schema import EdgeType, GraphSchema, NodeType
from opsgraph.schema.words import looks_plural, plural, singular, type_words

_WORD = re.compile(r"[a-z0-9]+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_HEAD_END = re.compile(r"[:,;(.]|\be\.g\b|\bi\.e\b")
_PREPOSITIONS = frozenset(
    "in on at to for from with by over besides since per after before during as into than via through about within "
    "without across between under above".split()
)
"""Words that end a head phrase ("Availability SLO target | in percent"); "of" does not ("URL of the source repository")."""
_CLAUSE = frozenset("that which who whose when where if whether while because so".split())
"""Words that open a clause and end a head phrase ("Environment variable | that holds ...")."""
_ARTICLES = frozenset("the a an this these those its their his her our your".split())
"""Determiners: after a noun they open a clause without "that" ("Number of copies | this branch owns")."""
_OPENERS = frozenset("what when where how why who which whom the a an".split())
"""Words a description may open with that start no head phrase ("When impact began", "What shoppers experienced")."""
_CONJUNCTIONS = frozenset("or and".split())
_ACTORS = frozenset("client clients user users people customer customers".split())
"""Nouns that, after the head noun, are the subject of a clause without "that" ("Host name | clients connect to")."""
GENERIC = frozenset(
    "number numbers name names value values kind kinds type types main other others one ones client clients user users "
    "source thing things way ways true false yes no none null empty used use uses using set given current "
    "first last new old long short same own each every all any some such this that those these it its their there "
    "percent percentage days day hours hour minutes minute seconds second milliseconds millisecond ms utc time times "
    "date dates count total maximum minimum max min average mean failure failures error errors issue issues problem "
    "problems list lists id ids text human full component components node nodes entity entities item items back out "
    "up down off away still also only just yet again once late early recent high low big small large good bad two three "
    "four five ten".split()
)
"""Words that never cue a property alone: they name no one thing (units, counts, roles like "source"/"target")."""
OPERATORS = frozenset(
    "average mean median total sum count number maximum minimum max min first last latest earliest most least top "
    "highest lowest".split()
)
"""Words that ask for an operation (an aggregate, an order): never part of a phrase that names a property ("average
rating" of a rating described "Average rating readers gave" still asks for an average when said of several books)."""
STATE_VERBS = frozenset(
    "written deployed listen listens listening running runs run based located hosted lives live take takes took taken "
    "last lasted".split()
)
"""Verbs `explained.py` already explains by any property read ("written in", "deployed in", "listens on")."""


@dataclass(frozen=True)
class Family:
    """Everyday ops words (single words and phrases) for a property whose name or description holds an anchor word."""

    anchors: tuple[str, ...]
    words: tuple[str, ...]


EVERYDAY_FAMILIES: tuple[Family, ...] = (
    Family(("repository", "repo"), ("repo", "repository", "repos", "git", "codebase", "source code", "git repo", "code repo")),
    # Pods and instances only where the description says pods: a database's "replicas besides the primary" are one
    # fewer than its instances.
    Family(("pods",), ("pods", "pod", "instances")),
    Family(("host",), ("hostname", "hostnames", "fqdn", "host name", "dns name")),
    Family(("criticality",), ("criticality", "importance", "how critical", "how important")),
    Family(("tag",), ("tag", "image tag")),
    Family(("postmortem",), ("writeup", "write up", "retro", "retrospective", "rca", "post mortem")),
    Family(("availability",), ("uptime",)),
    Family(("environment",), ("env", "envvar", "env var", "environment var")),
    Family(("slack",), ("chat", "chat channel")),
    Family(("paging", "pager"), ("pagerduty", "opsgenie")),
    Family(("timezone", "zone"), ("tz",)),
    Family(("vendor", "company"), ("supplier", "provider")),
    Family(("implementation",), ("programming", "lang")),
    Family(("contract",), ("contract", "contracted", "guarantee", "guaranteed", "promise", "promised")),
    Family(("postmortem",), ("pir", "post incident review")),
    Family(("mailing",), ("distribution list",)),
    Family(("city",), ("town", "office")),
    Family(("maximum",), ("limit", "cap")),
    Family(("engine",), ("technology", "tech")),
)
"""The curated everyday-ops table: word families and the anchor word a property's name or description must hold for
the family to name it (`Family.anchors`). Schema-generic: no estate's ids or values."""


@dataclass(frozen=True)
class DescribedCues:
    """Description-derived cues: single-word stems and several-word phrases → the properties they name."""

    words: Mapping[str, frozenset[str]]
    phrases: Mapping[str, frozenset[str]]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("e-mail", "email"))


def head_phrase(description: str, subjects: Collection[str] = ()) -> list[str]:
    """The words of the head phrase of a property's description (lower case): "URL of the source repository." →
    [url, of, the, source, repository]; "Container image the deployment runs, e.g. ..." → [container, image]; "Host
    name clients connect to." → [host, name]. `subjects`: words of the schema's node types, which after a content word
    open a clause ("Average rating | members gave the book")."""
    text = _QUOTED.sub(" ", description or "")
    text = _HEAD_END.split(text, maxsplit=1)[0]
    ws = words(text)
    while ws and ws[0] in _OPENERS:
        ws = ws[1:]
    out: list[str] = []
    for w in ws:
        if w in _PREPOSITIONS or w in _CLAUSE:
            break
        content = bool(out) and out[-1] not in _CONJUNCTIONS and out[-1] != "of" and out[-1] not in _ARTICLES
        if content and (w in _ARTICLES or w in _ACTORS or w in subjects):
            break  # "Container image | the deployment runs": a clause without "that"
        out.append(w)
    return out


def _forms(word: str) -> set[str]:
    """The word and its plain plural or singular ("pods", "pod"): keys are whole words, so a description word matches
    no longer word it begins ("shoppers" is no cue for "shopping")."""
    if looks_plural(word):
        return {word, singular(word)}
    if word.endswith("ed") and len(word) > 5:
        return {word, word[:-1], word[:-2]}  # "experienced": "experience", "noticed": "notice", "started": "start"
    if word.endswith("ing") or word in ("kept", "began"):
        return {word}
    return {word, plural(word)}


def _quoted_values(schema: GraphSchema) -> set[str]:
    """Words of the values the schema's descriptions quote ("'critical', 'high'"): values, not property words."""
    out: set[str] = set()
    for spec in [*schema.nodes.values(), *schema.edges.values()]:
        for prop in spec.properties.values():
            for m in _QUOTED.finditer(prop.description or ""):
                out |= set(words(m.group(0)))
            for syns in (getattr(prop, "value_synonyms", None) or {}).values():
                out |= {w for s in syns for w in words(str(s))}
    return out


def description_cues(
    schema: GraphSchema,
    *,
    skip_types: Collection[str] = (),
    skip_props: Collection[str] = (),
    known: Callable[[str], bool],
    known_phrase: Callable[[str], bool],
    filler: Collection[str] = (),
    name_aliases: Mapping[str, Collection[str]] | None = None,
) -> DescribedCues:
    """The weak cues of `schema`'s property descriptions and of `EVERYDAY_FAMILIES` (see the module docstring).
    `known(word)`: the lexicon already gives the word a meaning (name, synonym, relation or type word); `known_phrase`:
    it already has the phrase. Word keys are whole words and their plain plural or singular. `name_aliases`: the
    lexicon's everyday words for words of property names ("link" for "url"): a head phrase's word that names other
    properties ("URL of the source repository") names this one next to another of its words ("git url", "repo link"),
    where no other property of its type has it."""
    names = {w for spec in [*schema.nodes.values(), *schema.edges.values()] for p in spec.properties for w in p.lower().split("_")}
    barred = GENERIC | STATE_VERBS | set(filler) | _quoted_values(schema) | names
    subjects = {w for phrase in type_words(schema) for w in phrase.split()}
    plain = STATE_VERBS | set(filler) | subjects | OPERATORS | {"of"}

    def usable(w: str) -> bool:
        return len(w) >= 3 and not w.isdigit() and w not in barred and not known(w)

    # (key, is_phrase) → holder → properties of that holder the key names; `muted`: free text that competes for a
    # word (makes it ambiguous on its type) but is never named by it; `weak`: an everyday family's property whose
    # anchor is only in its description or a non-head word of its name (yields to one whose name ends in the anchor).
    found: dict[tuple[str, bool], dict[str, set[str]]] = {}
    weak: dict[tuple[str, bool], dict[str, set[str]]] = {}
    also: dict[str, dict[str, set[str]]] = {}

    def add(key: str, phrase: bool, holder: str, prop: str, into: dict[tuple[str, bool], dict[str, set[str]]] = found) -> None:
        for k in [key] if phrase else _forms(key):
            into.setdefault((k, phrase), {}).setdefault(holder, set()).add(prop)

    muted: set[tuple[str, str]] = set()
    holders: list[tuple[str, NodeType | EdgeType]] = [(f"node:{n}", s) for n, s in schema.nodes.items() if n not in skip_types]
    holders += [(f"edge:{n}", s) for n, s in schema.edges.items() if n not in skip_types]
    for holder, spec in holders:
        for name in spec.properties:
            for w in name.lower().split("_"):
                for alias in (w, *(name_aliases or {}).get(w, ())):
                    also.setdefault(alias, {}).setdefault(holder, set()).add(name)
        for prop, pspec in spec.properties.items():
            if prop in skip_props:
                continue
            description = pspec.description or ""
            own = set(prop.lower().split("_"))
            opening = words(description)[:1]
            if opening and opening[0] in ("true", "false"):
                continue  # a flag's condition ("true when ..."): no name of the flag
            head = head_phrase(description, subjects)
            if pspec.embed and opening and opening[0] in _OPENERS:
                muted.add((holder, prop))  # free text about the thing ("What messages flow through it")
            for w in head:
                if usable(w):
                    add(w, False, holder, prop)
                elif w in names and w not in own and w not in GENERIC:
                    also.setdefault(w, {}).setdefault(holder, set()).add(prop)
                    for alias in (name_aliases or {}).get(w, ()):
                        also.setdefault(alias, {}).setdefault(holder, set()).add(prop)
            clause = bool(opening) and opening[0] in _OPENERS
            last = [w for w in head if usable(w)][-1:]
            for a, b in itertools.pairwise(head):
                if a in plain or b in plain or len(a) < 3 or len(b) < 3 or {a, b} <= own or {a, b} <= GENERIC or (clause and b not in last):
                    continue  # "team took", "took ownership", the property's own name, a clause's subject
                add(f"{a} {b}", True, holder, prop)
                if len(a) <= 6 and len(b) <= 6 and usable(a + b):
                    add(a + b, False, holder, prop)  # "host name" is also "hostname"
            name_words = prop.lower().split("_")
            said = set(name_words) | set(words(description))
            for family in (*EVERYDAY_FAMILIES, *(Family(a, w) for a, w in PROPERTY_FAMILIES)):  # `property_words.py`
                if not said & set(family.anchors):
                    continue
                into = found if name_words[-1] in family.anchors or prop.lower() in family.anchors else weak
                for term in family.words:
                    ws = words(term)
                    if len(ws) > 1:
                        add(" ".join(ws), True, holder, prop, into)
                    elif ws and len(ws[0]) >= 2 and not ws[0].isdigit() and ws[0] not in names and not known(ws[0]):
                        add(ws[0], False, holder, prop, into)
    for cue, by_holder in weak.items():
        for holder, props in by_holder.items():
            if holder not in found.get(cue, {}):
                found.setdefault(cue, {})[holder] = set(props)
    out_words: dict[str, set[str]] = {}
    out_phrases: dict[str, set[str]] = {}
    for (key, phrase), by_holder in found.items():
        if any(len(props) > 1 for props in by_holder.values()):
            continue  # ambiguous on some type ("connect": endpoint and port): it explains nothing
        if phrase and known_phrase(key):
            continue
        named = {p for holder, props in by_holder.items() for p in props if (holder, p) not in muted}
        if any(_number(spec, p) and p not in by_holder.get(holder, ()) for holder, spec in holders for p in named):
            # A cue names a property by its name, not one type's: "pods" of a service's `replicas` is no word for a
            # database's `replicas` ("besides the primary"). A number read off the wrong one is a confident wrong
            # answer, so a cue for a number property of several types must come from each of them.
            continue
        if named:
            (out_phrases if phrase else out_words)[key] = named
    # "URL of the source repository": a `url` word (or its everyday "link") names `repo` only next to another word of
    # it ("git url", "repo link"); by itself ("the URL of the frontend") it may mean another URL the graph lacks.
    for key, by_holder in also.items():
        if not all(len(props) == 1 for props in by_holder.values()):
            continue
        for prop in {p for props in by_holder.values() for p in props if key not in p.lower().split("_")}:
            words_of_prop = {w for w, ps in out_words.items() if prop in ps} | {w for w in prop.lower().split("_") if len(w) >= 3 and w not in GENERIC}
            for w in sorted(words_of_prop):
                if not known_phrase(f"{w} {key}"):
                    out_phrases.setdefault(f"{w} {key}", set()).add(prop)
    return DescribedCues({k: frozenset(v) for k, v in out_words.items()}, {k: frozenset(v) for k, v in out_phrases.items()})


def _number(spec: NodeType | EdgeType, prop: str) -> bool:
    return prop in spec.properties and spec.properties[prop].type.value in ("integer", "float")


def explain(cues: DescribedCues, props: Iterable[str]) -> dict[str, list[str]]:
    """Property → the description cues that name it (for display and tests)."""
    out: dict[str, list[str]] = {}
    wanted = set(props)
    for table in (cues.words, cues.phrases):
        for key, ps in sorted(table.items()):
            for p in ps & wanted:
                out.setdefault(p, []).append(key)
    return out
