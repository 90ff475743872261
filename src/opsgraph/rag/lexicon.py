"""The question words a schema gives meaning to: tokens, stems, type forms, relation and property cues.

One lexicon per schema maps question words to the edge types and properties they
mean (edge and property names, the `synonyms` a schema declares, a small
table of everyday words for common relation names, and, as weaker cues, the
head phrases of property descriptions and everyday ops words: `described.py`); word tables of what asks
nothing of the graph (`FILLER`), of a failure spreading, of a time other than
now, of negation. `verify.py` (does a query cover a question?), `explained.py`
(which of a question's words a query leaves unexplained) and `compose.py`
(one-step queries from the question's cues) all read questions through it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.rag.described import description_cues
from opsgraph.rag.shape import type_words
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import TYPE_SYNONYMS

_WORD = re.compile(r"[a-z0-9]+")
_ONCALL = re.compile(r"\bon[- ]?call\b", re.I)
NEGATION = re.compile(r"\b(no|not|never|without|nobody|none|nothing|neither|nor|lack\w*|unowned|missing)\b|n't\b", re.I)
QUERY_NEGATION = re.compile(r"\bNOT\b|\bIS\s+NULL\b|=\s*0\b|<\s*1\b|\bsize\s*\([^)]*\)\s*=\s*0", re.I)
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)")
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_PERIODS = f"week|weekend|month|quarter|year|night|shift|sprint|rotation|time|{_DAYS}"
_NOW_PERIODS = "week|weekend|month|quarter|year|sprint"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
TIME_QUALIFIER = re.compile(
    rf"\b(yesterday|tomorrow|tonight|(?:last|next|previous|prior|past|coming) (?:{_PERIODS})|this (?:{_NOW_PERIODS})|"
    rf"\d+ (?:minutes?|hours?|days?|weeks?|months?|quarters?|years?) ago|"
    rf"(?:in|over|during|for) the (?:last|past|previous|next) (?:\d+ |few |couple of )?(?:minutes?|hours?|days?|weeks?|months?|quarters?|years?)|"
    rf"on (?:{_DAYS})|(?:in|during|since|before|after) (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
    rf"(?:mon|tues|wednes|thurs|fri|satur|sun)day (?:night|morning|afternoon|evening)|"
    # A date: "March 1", "1 March", "the 3rd of April", "2026-03-15", "3/15", "the first week of May".
    rf"(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|"
    rf"(?:first|second|third|fourth|last) (?:week|weekend|half) of (?:{_MONTHS})|"
    rf"(?:in|during|since|before|after|over|around) the (?:early |late |mid-?)?(?:{_MONTHS})\b|"
    r"(?:easter|christmas|xmas|thanksgiving|black friday|cyber monday|new year'?s?(?: eve| day)?|(?:the )?holidays)(?: weekend| break| week)?)\b",
    re.I,
)
"""A time other than now: the graph holds the current state (and incidents' own times), not a history of rotations,
deploys or metrics by date."""
PAST_ONCALL = re.compile(
    r"\b(?:was|were|had been)\b[^?.!]{0,40}?\b(?:on[- ]?call|paged|primary|secondary|holding the pager|on pager)\b|"
    r"\b(?:got|been) paged\b|\bwhen\b[^?.!]{0,60}?\b(?:happened|hit|started|broke|fired|began)\b",
    re.I,
)
"""On-call in the past ("who was on call when INC-7 happened?", "who got paged"): the graph holds the current rota, not
who held it then."""
NOW_PERIOD = re.compile(r"\bthis (?:week|weekend|month|quarter|sprint)\b", re.I)
"""A period that holds now ("who is primary this week?"): the current state, when the relation asked about is one the
schema describes as current (`currently_described`)."""
CURRENT = re.compile(r"\bcurrent(?:ly)?\b", re.I)


def currently_described(schema: GraphSchema, edges: Iterable[str]) -> bool:
    """Whether one of `edges` is described by the schema as holding the current state ("is currently on call")."""
    return any(CURRENT.search(schema.edges[e].description or "") for e in edges if e in schema.edges)


FAILURE = re.compile(
    r"\b(goes down|go down|went down|is down|are down|fails?|failing|failed|breaks?|broke|outage|dies|crash\w*|blast radius|"
    r"(?:is|are|goes|went|becomes?) (?:unavailable|offline|unreachable))\b",
    re.I,
)
"""Words of a failure spreading: the question walks the dependency edge (towards what depends on the failing node)."""
TRANSITIVE = re.compile(
    r"\b(indirect\w*|transitive\w*|through others|through other|eventually|ultimately|all the way|chain|path|paths|route|reach\w*|"
    r"connected|hops?|affected|impacted|impact|hit|blast|cascad\w*|knock-on|ripple)\b",
    re.I,
)
"""Words that ask for a relationship followed through others (besides the failure words)."""
_REACH = re.compile(
    r"\b(?:how (?:do|can|should|would) (?:i|we|you|one) (?:reach|contact|get hold of|get in touch with|talk to|message|ping)|"
    r"(?:what is|what's|what are) the (?:best )?(?:way|ways) to (?:reach|contact|get hold of))\b",
    re.I,
)
"""Asking how to reach someone is asking for their contact properties (the schema may declare `contact` for them)."""


def asks_to_reach(question: str) -> bool:
    """"How do I get hold of the payments folks?": a question for contact properties, not for steps to take."""
    return _REACH.search(question) is not None
VARIABLE_LENGTH = re.compile(r"\[[^\]]*\*\s*\d*\s*(?:\.\.\s*\d*)?\s*\]")
_GENERIC = frozenset({"for", "on", "of", "to", "by", "in", "at", "has", "have", "is", "the", "a", "with", "from", "as"})
_SKIP_PROPS = frozenset({"id", "name", "aliases", "alias", "title", "text", "embedding", "kind", "type", "path"})

FILLER = frozenset(
    "a an the of to in on for and or is are was were be been do does did what which who whom whose how many much list show "
    "me us we our my i it its this that these those with from by at as there any all tell give name count number have has "
    "had currently now right please can could would will should more than less fewer over under above below least "
    "exactly between directly indirectly run runs operate exist exists got get".split()
)
"""Words that ask nothing of the graph by themselves (question words, articles, auxiliaries, 'right now')."""

DISCOURSE = frozenset("hey hi hello btw quick thanks thank thx pls plz okay ok sorry".split())
"""Greetings, politeness and chat markers ("hey", "quick q", "btw", "thanks"): they ask nothing of the graph either."""
FILLER = FILLER | DISCOURSE

EVERYDAY_RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "depend": ("use", "call", "need", "rely", "consum", "talk", "dependenc", "dependent", "downstream", "upstream", "publish"),
    "own": ("owner", "ownership", "owned", "responsib", "maintain"),
    "oncall": ("page", "pager", "paging", "rota", "rotation", "escalat", "cover"),
    "caus": ("cause", "root", "culprit", "trigger"),
    "affect": ("impact", "hit", "degrad"),
    "respond": ("responder", "response", "involv", "handl", "work"),
    "member": ("belong", "join", "part"),
    "runbook": ("playbook", "procedure", "cover"),
    "wrote": ("author", "written", "write"),
    "borrow": ("loan", "checkout", "check"),
    "hold": ("stock", "carry"),
}
"""Everyday words for relation-name stems; a schema's own `synonyms` add to these."""

EVERYDAY_PROPERTY_WORDS: dict[str, tuple[str, ...]] = {
    "url": ("link",),
    "end": ("finish", "until"),  # "until when is Sam on call?" asks for a shift's end
    "start": ("begin",),
}
"""Everyday words for a word of property names ("the postmortem link" is `postmortem_url`); a schema's own property
`synonyms` add to these."""

EVERYDAY_RELATION_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:look(?:s|ed|ing)? after|(?:take|takes|taking|took) care of)\b", re.I), "maintains"),
    # "Who is in charge of redis-cart?", "which team's in charge of checkout": who owns it.
    (re.compile(r"(?:\b(?:is|are)\s+|'s\s+)in charge of\b", re.I), " maintains"),
    # "Who runs redis-cart?" (not "what does X run on", "which services run in payments"): its owner.
    (re.compile(r"\bwho runs\b", re.I), "who owns"),
    # "services run by fulfilment", "maintained by": the passive of owning.
    (re.compile(r"\b(?:is|are|was|were|being)\s+(?:run|maintained)\s+by\b", re.I), "owned by"),
)
"""Several-word relation phrases and the everyday relation word they mean ("looks after" is "maintains", an `own`
word); their words alone mean something else ("after" is a time word)."""


EITHER_WAY_IDIOMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:directly or (?:not|indirectly|otherwise|through others)|(?:both )?directly and indirectly)\b", re.I), "indirectly"),
    (re.compile(r"\b(?:end|ends|ended|ending) up\b", re.I), "eventually"),
    (re.compile(r"\bwhether or not\b", re.I), ""),
    (re.compile(r"\bor not\b(?=\s*(?:[?.!,;]|$))", re.I), ""),
    (re.compile(r"\b(?:do|should|can|could|would|must) (?:i|we|you|one) use(?= (?:for|to|with)\b)", re.I), ""),
)
"""Idioms whose "not" negates nothing: "directly or not" asks for a relation followed through others ("indirectly"),
"whether or not" and a closing "..., or not?" ask nothing of the graph; what X "ends up" relying on is what it
relies on eventually (through others). "Which channel do I use for X?" is the
asker's use of X's channel, not X's dependency ("which vendors do we use?" without "for" stays one)."""


NOW_WORDS = frozenset("current present ongoing".split())
"""Words for now ("the current on-call shift"): the graph holds the current state, so they ask nothing more of it
(like "currently" and "now" in `FILLER`)."""
FILLER = FILLER | NOW_WORDS


EVERYDAY_IDIOMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:at the moment|at this moment|as of (?:right )?now|as we speak|these days|at present)\b", re.I), "now"),
    (re.compile(r"\be-?mail (?:address|addr)(?:es)?\b", re.I), "email"),
    (re.compile(r"\b(?:pager|on) duty\b", re.I), "on call"),
    # "what does Priya work on?", "what is Marcus working on": a person's present work, which no edge holds; "work" is
    # an everyday word for responding to an incident only in the past ("who worked on INC-2041").
    (re.compile(r"\b(?:works?|working) on(?=(?:\s+(?:right now|now|these days|currently|atm))?\s*[?!.]*\s*$)", re.I), "busy at"),
    # "Who is on the rota for checkout?", "which team is Wei holding the pager for?", "on pager for the cart".
    (re.compile(r"\b(?:on (?:the )?(?:rota|pager)|holding the pager)\b", re.I), "on call"),
    # "what does the frontend need in order to run?": a purpose, not the value 'orders' of a namespace.
    (re.compile(r"\bin order (?=to\b)", re.I), ""),
)
"""Everyday phrases whose words alone mean something else: "at the moment" is now (the graph's current state),
an "e-mail address" is an email, being on "pager duty" is being on call ("duty" alone names nothing)."""


def plain_idioms(text: str) -> str:
    """`text` with each either-way idiom ("directly or not", "or not?") and everyday idiom ("at the moment", "pager
    duty") replaced by what it means, padded so every offset is kept."""
    for pattern, word in (*EITHER_WAY_IDIOMS, *EVERYDAY_IDIOMS):
        text = pattern.sub(functools.partial(_padded, word), text)
    return text


HTTP_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{phrase}s?\b", re.I), code)
    for phrase, code in (
        ("bad gateway", "502"), ("gateway time-?out", "504"), ("service unavailable", "503"),
        ("internal server error", "500"), ("too many requests", "429"),
    )
)
"""HTTP reason phrases ("bad gateway on every page"): a status code, not the component whose name holds one of their
words (a "payment gateway")."""


def plain_http_reasons(text: str) -> str:
    """`text` with each HTTP reason phrase replaced by its status code ("bad gateway" → "502")."""
    for pattern, code in HTTP_REASONS:
        text = pattern.sub(code, text)
    return text


def plain_relation_words(text: str) -> str:
    """`text` with each everyday relation phrase replaced by its one word, padded so every offset is kept."""
    for pattern, word in EVERYDAY_RELATION_PHRASES:
        text = pattern.sub(functools.partial(_padded, word), text)
    return text


def _padded(word: str, m: re.Match[str]) -> str:
    return word.ljust(len(m.group(0)))


def inflections(word: str) -> list[str]:
    """The word and the forms it may be an inflection of ("reads" → read, "consumed" → consume): no stemming, so
    "responded" is not "responder"."""
    out = [word]
    for suffix, repl in (("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    if word.endswith("s") and not word.endswith("ss") and len(word) >= 5:
        # "Who manages X?" asks for X's manager: a verb's agent noun names a role the estate may hold.
        out.append(word[:-1] + ("r" if word[-2] == "e" else "er"))
    return out


def type_forms(name: str) -> set[str]:
    """One-word forms of a node type's words ("service", "services", "externalservice"; "people" for Person)."""
    return (
        {f for tw in type_words(name) for f in (tw, tw + "s", tw + "es") if " " not in f}
        | ({"people"} if name.lower() == "person" else set())
        | {w for w in TYPE_SYNONYMS.get(name.lower(), ()) if " " not in w}
    )


def stem(word: str) -> str:
    """Crude English stem, enough to match "depends"/"depend"/"dependent", "owned"/"owner"/"owns"."""
    w = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "ed", "es", "er", "s", "y"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, with "on call"/"on-call" fused into one token `oncall`."""
    return _WORD.findall(_ONCALL.sub(" oncall ", text.lower().replace("e-mail", "email")))


@dataclass(frozen=True)
class Lexicon:
    """Question words (stems) → the schema's edge types and properties they mean."""

    edges: dict[str, frozenset[str]]
    props: dict[str, frozenset[str]]
    phrases: dict[str, frozenset[str]] = field(default_factory=dict)
    """Several-word names of properties ("status page" for `status_page`, a declared "mailing list") → the properties."""
    exact: frozenset[str] = frozenset()
    """Keys of `props` a word matches only as itself, not by its stem nor as a prefix: the weak cues of descriptions
    (`described.py`), so "hosted" is no cue for the `host` of a host name."""

    def phrase_cues(self, text: str) -> tuple[dict[str, frozenset[str]], str]:
        """Property phrases `text` uses (longest first), and `text` with them blanked out."""
        found: dict[str, frozenset[str]] = {}
        text = _REACH.sub(" contact ", text)
        for phrase in sorted(self.phrases, key=len, reverse=True):
            pattern = re.compile(r"\b" + r"[\s_-]+".join(map(re.escape, phrase.split())) + r"s?\b", re.I)
            if pattern.search(text):
                found[phrase] = self.phrases[phrase]
                text = pattern.sub(" ", text)
        return found, text

    def edge_cues(self, words: Iterable[str]) -> dict[str, frozenset[str]]:
        return _cues(self.edges, words)

    def prop_cues(self, words: Iterable[str]) -> dict[str, frozenset[str]]:
        return _cues(self.props, words, self.exact)


def _cues(table: Mapping[str, frozenset[str]], words: Iterable[str], exact: Collection[str] = ()) -> dict[str, frozenset[str]]:
    """Words found in `table` by themselves, by their stem, or (for keys of five letters or more) by a key they start
    with ("consume" by `consum`, "responsible" by `responsib`); a key in `exact` only by the word itself."""
    if exact:
        words = list(words)
        loose = _cues({k: v for k, v in table.items() if k not in exact}, words)
        return {w: table[w] if w in exact else loose[w] for w in dict.fromkeys(words) if w in exact or w in loose}
    out = {}
    for w in words:
        hit = table.get(w) or table.get(stem(w)) or next((table[w[: -len(x)]] for x in ("d", "s") if w.endswith(x) and w[: -len(x)] in table), None)
        if not hit and w.endswith("ying"):
            hit = table.get(stem(w[:-3]))  # "relying" is a form of "rely", whose stem is `rel`
        if not hit and len(w) >= 5:
            hit = next((v for k, v in table.items() if len(k) >= 5 and w.startswith(k)), None)
        if hit:
            out[w] = hit
    return out


def build_lexicon(schema: GraphSchema, *, skip_types: Sequence[str] = ()) -> Lexicon:
    """The lexicon of `schema`: edge name words, declared synonyms, everyday words; property name words."""
    edges: dict[str, set[str]] = {}
    everyday: dict[str, set[str]] = {}  # stem → edges it reaches only through the everyday-word table
    type_stems = {stem(w) for name in schema.nodes for tw in type_words(name) for w in tw.split()}
    for name, spec in schema.edges.items():
        if name in skip_types:
            continue
        upper = name.upper()
        words = ["oncall"] if "ON_CALL" in upper or "ONCALL" in upper else [w for w in name.lower().split("_") if w not in _GENERIC]
        stems = {stem(w) for w in words} or {name.lower()}
        for syn in getattr(spec, "synonyms", None) or []:
            stems |= {stem(w) for w in tokens(str(syn)) if w not in _GENERIC}
        extra = set()
        for s in stems:
            for key, syns in EVERYDAY_RELATION_WORDS.items():
                if s == key or s.startswith(key) or key.startswith(s):
                    extra |= {stem(x) for x in syns} | {key}
        for s in stems | extra:
            edges.setdefault(s, set()).add(name)
        for s in extra - stems:
            everyday.setdefault(s, set()).add(name)
    # A type word ("runbook" in RUNBOOK_FOR, "member" in MEMBER_OF) names a node type too: "which runbooks" asks for
    # nodes of that type and need not walk the edge, so type words are left to the answer-type check.
    for s in list(edges):
        if s in type_stems:
            del edges[s]
    props: dict[str, set[str]] = {}
    phrases: dict[str, set[str]] = {}
    holders: list[tuple[Any, bool]] = [(spec, False) for n, spec in schema.nodes.items() if n not in skip_types] + [
        (spec, True) for n, spec in schema.edges.items() if n not in skip_types
    ]
    for spec, on_edge in holders:
        for prop, pspec in spec.properties.items():
            if prop in _SKIP_PROPS:
                continue
            parts = [w for w in prop.lower().split("_") if w]
            if len(parts) > 1:
                phrases.setdefault(" ".join(parts), set()).add(prop)
            elif not on_edge and stem(parts[0]) in edges and edges[stem(parts[0])] <= everyday.get(stem(parts[0]), set()):
                # A property the schema names ("trigger" of an incident) beats an everyday word for a relation
                # ("trigger" as a word for CAUSED_BY): "What triggered INC-7?" asks for the property.
                del edges[stem(parts[0])]
            for syn in getattr(pspec, "synonyms", None) or []:
                syn_words = tokens(str(syn))
                if len(syn_words) > 1:
                    phrases.setdefault(" ".join(syn_words), set()).add(prop)
                elif syn_words and syn_words[0] not in FILLER:
                    props.setdefault(stem(syn_words[0]), set()).add(prop)
            for w in prop.lower().split("_"):
                if w in _GENERIC or len(w) < 3 or w in _SKIP_PROPS:
                    continue
                if stem(w) in type_stems:
                    continue
                props.setdefault(stem(w), set()).add(prop)
                for everyday_word in EVERYDAY_PROPERTY_WORDS.get(w, ()):
                    props.setdefault(stem(everyday_word), set()).add(prop)
                    if len(parts) > 1:  # "postmortem link" names postmortem_url like "postmortem url"
                        phrases.setdefault(" ".join(everyday_word if x == w else x for x in parts), set()).add(prop)
    # A word that names a relation is checked as a relation, not as a property ("role" of MEMBER_OF is both).
    edge_table = {k: frozenset(v) for k, v in edges.items()}
    prop_table = {k: frozenset(v) for k, v in props.items() if k not in edges}
    phrase_table = {k: frozenset(v) for k, v in phrases.items()}
    # Weak cues from the properties' descriptions and everyday ops words (`described.py`), after the names and
    # declared synonyms and never over them.
    forms = {f for n in schema.nodes for f in type_forms(n)} | {tw for n in schema.nodes for tw in type_words(n)}
    described = description_cues(
        schema,
        skip_types=skip_types,
        skip_props=_SKIP_PROPS,
        known=lambda w: w in forms or stem(w) in type_stems or bool(_cues(edge_table, [w]) or _cues(prop_table, [w])),
        known_phrase=lambda p: p in phrase_table,
        filler=FILLER,
        name_aliases=EVERYDAY_PROPERTY_WORDS,
    )
    exact = {key for key in described.words if key not in prop_table}
    for key in exact:
        prop_table[key] = described.words[key]
    for key, found in described.phrases.items():
        phrase_table.setdefault(key, found)
    return Lexicon(edge_table, prop_table, phrase_table, frozenset(exact))
