"""Questions about when things happened and in which order: "the last incident on checkout", "the most recent sev1",
"incidents in March", "how many incidents this year", "the longest incident", "what happened before INC-7?".

A type has a timeline when the schema says when its nodes happened: the incident type's start (`incidents.start`),
else the type's one date or time property. The question is read, from the schema and the store's values only, as:

- the type asked for: its type words, the schema's incident type for "what happened" and ops words for an incident
  ("outage", "problems"), or the wanted type of the question's shape;
- at most one entity named: another node of the same type is a reference ("before INC-7", "after the ledger
  incident": a component that exactly one incident affected names that incident); any other entity is what the
  incidents affected (the schema's `incidents.affected`), or caused ("caused by X": `incidents.caused_by`);
- values of the type's own properties the question names ("sev1", "deploy"), as equality filters;
- a window: a month ("in March", the latest March that has begun, or "March 2026"), a year ("in 2026"), "since
  April", "this year / month / week", "last year / month / week", "the past N days / weeks / months", "today",
  "yesterday". Relative windows are read against `now` (the clock the product states data ages by), and the answer
  states the window it used;
- an order: newest ("last", "latest", "most recent"), oldest ("first", "earliest", "oldest"), longest or shortest
  (the type's number property whose description names its start or end property); ties are all kept;
- the answer: the nodes (id and start), a count ("how many"), the people of the one edge that joins the person type
  to the type ("who handled the last sev1?"), or what caused each ("what took down X last time?").

Anything else (a second entity, a time phrase not read, "recent" with no order) is no reading, and a window that
lies wholly outside the times the store holds is not answered "none" (`outside`): the data may stop before it. The
query built must explain every word of the question (`explained.py`), the words read here excepted.
It builds text only; it runs nothing.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.rag.compose import Anchor, Composed, ValueHit
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import NEGATION, Lexicon, tokens, type_forms
from opsgraph.rag.render import MAX_LINES, Rendered
from opsgraph.rag.shape import QuestionShape, person_type
from opsgraph.schema import GraphSchema

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_INCIDENT_WORDS = frozenset("incident incidents outage outages problem problems issue issues trouble happen happened happens".split())
"""Ops words for an incident (the schema's `incidents` type); "what happened" asks for incidents too."""
_NEWEST = re.compile(r"\b(?:most recent(?:ly)?|latest|newest|last(?! (?:week|month|year|quarter|\d+|few|couple)\b))\b", re.I)
_OLDEST = re.compile(r"\b(?:first|earliest|oldest)\b", re.I)
_LONGEST = re.compile(r"\blongest\b", re.I)
_SHORTEST = re.compile(r"\bshortest\b", re.I)
_BEFORE = re.compile(r"\b(?:before|preceding|prior to)\b", re.I)
_AFTER = re.compile(r"\b(?:after|following)\b", re.I)
_OTHER_ASKS = re.compile(
    r"\b(?:most(?! recent)|least|highest|lowest|largest|smallest|biggest|top|busiest|worst|best|fewest|average|mean|median|"
    r"total|sum|per|each|every|more|fewer|less|than)\b",
    re.I,
)
"""Another extreme, an aggregate or a comparison ("which service had the most incidents in March?", "incidents per
month"): the explained check would take them as explained by this module's ORDER BY or count; no reading here."""
_PLURAL = re.compile(r"\b(?:incidents|outages)\b", re.I)
"""A plural that counts ("the last incidents": how many?); "last had problems" or "issues" is no count."""
_CAUSED_BY = re.compile(r"\b(?:caused by|because of|due to)\s*$", re.I)
_UNREAD_TIME = re.compile(
    r"\b(?:recent(?:ly)?|lately|ago|tonight|tomorrow|weekend|night|morning|evening|shift|sprint|quarter|next|upcoming|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|changed?|changes|deploy(?:ed|s)?|version|release[ds]?)\b",
    re.I,
)
"""Time words this module does not read, and changes (history, not incidents): no reading."""
_WINDOW_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("since_month", re.compile(rf"\bsince (?:the (?:start|beginning) of )?({_MONTH})\b(?:,? (\d{{4}}))?", re.I)),
    ("month", re.compile(rf"\b(?:(?:in|during|for|of|over) )?(?:the month of )?({_MONTH})\b(?:,? (\d{{4}}))?", re.I)),
    ("year", re.compile(r"\b(?:in|during|for|since) (\d{4})\b", re.I)),
    ("this", re.compile(r"\b(?:so far )?this (year|month|week)\b(?: so far)?", re.I)),
    ("last", re.compile(r"\b(?:last|previous|past) (year|month|week)\b", re.I)),
    ("past", re.compile(r"\b(?:(?:in|over|during|for) )?the (?:last|past) (\d+|two|three|four|five|six|seven|eight|nine|ten|twelve) (days?|weeks?|months?)\b", re.I)),
    ("today", re.compile(r"\btoday\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
)
_NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_READ_WORDS = frozenset(
    "before after since prior preceding following right just time times ever record recent recently so far happen happened "
    "happens start beginning month year week today yesterday last past previous most came come comes".split()
)
"""Words this module reads itself (order, sequence and window words): the explained check leaves them to it."""


@dataclass(frozen=True)
class Window:
    """A span of time the question names: [start, end), in words, and whether it was read against now."""

    start: datetime
    end: datetime
    label: str
    relative: bool
    text: str

    def bounds(self) -> tuple[str, str]:
        return _iso(self.start), _iso(self.end)


@dataclass(frozen=True)
class Timeline:
    """A node type with times: its start property, its duration-like number property, and the edges around it."""

    type: str
    start: str
    duration: str | None
    affected: str | None
    caused_by: str | None


def timeline_of(schema: GraphSchema, type_name: str) -> Timeline | None:
    """The timeline of `type_name` (module docstring), or None when the schema says no time for its nodes."""
    spec = schema.nodes.get(type_name)
    if spec is None:
        return None
    inc = schema.incidents
    if inc is not None and inc.type == type_name and inc.start in spec.properties:
        start, affected, caused = inc.start, inc.affected, inc.caused_by
        ends = {inc.start, *([inc.end] if inc.end else [])}
    else:
        times = [p for p, s in spec.properties.items() if s.type.value in ("datetime", "date")]
        if len(times) != 1:
            return None
        start, affected, caused, ends = times[0], None, None, {times[0]}
    durations = [
        p for p, s in spec.properties.items()
        if s.type.value in ("integer", "float") and any(re.search(rf"\b{re.escape(e)}\b", s.description or "") for e in ends)
    ]  # fmt: skip
    return Timeline(type_name, start, durations[0] if len(durations) == 1 else None, affected, caused)


def read_window(question: str, now: datetime) -> Window | None:
    """The window `question` names (module docstring), read against `now`; None when it names none."""
    for kind, pattern in _WINDOW_PATTERNS:
        m = pattern.search(question)
        if m is None:
            continue
        if kind in ("month", "since_month"):
            month, year = _MONTHS[m.group(1).lower()], m.group(2)
            if kind == "month" and len(m.group(1)) <= 3 and m.group(1).lower() == "may" and not re.match(r"(?:in|during|for|of|over) ", m.group(0), re.I):
                continue  # "may" alone is a verb
            y = int(year) if year else now.year if month <= now.month else now.year - 1  # the latest one that has begun
            start = datetime(y, month, 1, tzinfo=UTC)
            end = _next_month(start)
            if kind == "since_month":
                return Window(start, now, f"since {start:%B %Y} (to {_day(now)})", year is None, m.group(0))
            return Window(start, end, f"in {start:%B %Y}", year is None, m.group(0))
        if kind == "year":
            y = int(m.group(1))
            if m.group(0).lower().startswith("since"):
                return Window(datetime(y, 1, 1, tzinfo=UTC), now, f"since {y} (to {_day(now)})", False, m.group(0))
            return Window(datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC), f"in {y}", False, m.group(0))
        if kind in ("this", "last"):
            unit = m.group(1).lower()
            start = _period_start(now, unit)
            if kind == "this":
                return Window(start, now, f"this {unit} ({_day(start)} to {_day(now)})", True, m.group(0))
            prev = _period_start(start - timedelta(seconds=1), unit)
            return Window(prev, start, f"last {unit} ({_day(prev)} to {_day(start - timedelta(seconds=1))})", True, m.group(0))
        if kind == "past":
            raw = m.group(1).lower()
            n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            unit = m.group(2).lower().rstrip("s")
            days = n * {"day": 1, "week": 7, "month": 30}[unit]
            start = now - timedelta(days=days)
            return Window(start, now, f"in the past {n} {unit}{'s' if n != 1 else ''} ({_day(start)} to {_day(now)})", True, m.group(0))
        day = datetime(now.year, now.month, now.day, tzinfo=UTC) - (timedelta(days=1) if kind == "yesterday" else timedelta(0))
        return Window(day, day + timedelta(days=1), f"{kind} ({_day(day)})", True, m.group(0))
    return None


@dataclass(frozen=True)
class TimedQuestion:
    """What `compose_timed` read, for the answer's header and the trace."""

    timeline: Timeline
    window: Window | None
    order: str | None
    """`newest`, `oldest`, `longest`, `shortest`, `before`, `after` (the one just before or after), `all before`,
    `all after`, or None."""
    answer: str
    """`nodes`, `count`, `people` or `cause`."""
    now: datetime
    anchor: str | None = None
    """The entity named: what the nodes are joined to by `edge`, or (`edge` None) the reference node itself."""
    edge: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    """(property, value) of the type's own properties filtered on."""


def compose_timed(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    surfaces: Sequence[str],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    now: float,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The query of a question about when or in which order nodes happened, or None (module docstring). The result's
    `parts["timed"]` is the `TimedQuestion` read."""
    if shape.shape in ("risk", "path", "page", "yesno") or NEGATION.search(question):
        return None
    clock = datetime.fromtimestamp(now, tz=UTC)
    masked = question
    for surface in sorted(surfaces, key=len, reverse=True):
        if surface:
            masked = re.sub(re.escape(surface), " ", masked, flags=re.I)
    words = tokens(masked)
    timeline = _timeline_asked(words, shape, schema, values)
    if timeline is None:
        return None
    window = read_window(masked, clock)
    rest = masked.replace(window.text, " ") if window else masked
    if window is not None and (read_window(rest, clock) is not None or re.search(rf"\b(?:{_MONTH}|\d{{4}})\b", rest, re.I)):
        return None  # "between March and April", "from January to March": one window is read, not two
    unvalued = " ".join(w for w in re.findall(r"[a-z0-9]+", re.sub(r"\bmost recent(?:ly)?\b", " ", rest.lower())) if _value_word(w, values) is None)
    if _UNREAD_TIME.search(unvalued):
        return None
    if _OTHER_ASKS.search(rest):
        return None
    order = _order(rest, timeline)
    plural = bool(_PLURAL.search(rest)) or any(w in type_forms(timeline.type) and w != timeline.type.lower() and w.endswith("s") for w in tokens(rest))
    if plural and order in ("newest", "oldest", "longest", "shortest"):
        return None  # "the last incidents on checkout": how many is not said
    ids = list(dict.fromkeys(a.node_id for a in anchors))
    if len(ids) > 1:
        return None
    anchor = next((a for a in anchors if a.node_id == ids[0]), None) if ids else None
    if window is None and order is None:
        return None
    if order in ("before", "after") and anchor is None:
        return None
    if order in ("longest", "shortest") and timeline.duration is None:
        return None

    params: dict[str, Any] = {}
    where: list[str] = []
    match = f"MATCH (x:{timeline.type})"
    reference: str | None = None
    joined: str | None = None
    if anchor is not None:
        caused = timeline.caused_by is not None and bool(_CAUSED_BY.search(question[: anchor.start]))
        edge = timeline.caused_by if caused else timeline.affected
        if anchor.node_type == timeline.type:
            if order not in ("before", "after"):
                return None
            reference = f"MATCH (ref:{timeline.type} {{id: $ref}})"
            params["ref"] = anchor.node_id
        elif order in ("before", "after"):
            # "before the ledger incident": the one incident that affected the component named.
            if edge is None or anchor.node_type not in schema.edges[edge].to_types or not re.search(r"\bincidents?\b|\boutages?\b", masked, re.I):
                return None
            reference = f"MATCH (ref:{timeline.type})-[:{edge}]->(:{anchor.node_type} {{id: $ref}})"
            params["ref"] = anchor.node_id
            joined = edge
        else:
            if edge is None or anchor.node_type not in schema.edges[edge].to_types:
                return None
            match = f"MATCH (x:{timeline.type})-[:{edge}]->(a:{anchor.node_type} {{id: $anchor}})"
            params["anchor"] = anchor.node_id
            joined = edge
    # Values of the type's own properties ("sev1", "deploy").
    for w in dict.fromkeys(re.findall(r"[a-z0-9]+", rest.lower())):
        hits = [h for h in values.get(_value_word(w, values) or "", ()) if h.owner == timeline.type and not h.on_edge]
        props = {h.prop for h in hits}
        if len(props) > 1:
            return None
        if hits:
            key = f"v_{hits[0].prop}"
            if key in params and params[key] != hits[0].value:
                return None
            params[key] = hits[0].value
            where.append(f"x.{hits[0].prop} = ${key}")
    if window is not None:
        params["from"], params["to"] = window.bounds()
        where.append(f"x.{timeline.start} >= $from AND x.{timeline.start} < $to")
        years = re.findall(r"\b\d{4}\b", window.text)
        if years:
            params["year"] = int(years[0])
    if reference is not None:
        where.insert(0, f"x.{timeline.start} {'<' if order == 'before' else '>'} at")

    def scope(carry: str = "") -> str:
        head = f"{reference} WITH ref.{timeline.start} AS at{carry} {match}" if reference is not None else match
        return head + (f" WHERE {' AND '.join(where)}" if where else "")

    answer = "nodes" if joined is not None and joined == timeline.caused_by else _answer_kind(words, shape, schema, lexicon, timeline)
    if answer == "cause" and anchor is not None and joined is not None:
        # "what caused the last checkout incident?" asks for the cause of an incident of checkout; "the last time checkout
        # was the root cause" asks for incidents checkout caused: the cause word must come before the entity.
        cue_at = min((m.start() for w in lexicon.edge_cues(words) for m in re.finditer(rf"\b{re.escape(w)}", question, re.I)), default=len(question))
        if cue_at > anchor.start:
            return None
    if answer is None:
        return None
    key = (timeline.duration or timeline.start) if order in ("longest", "shortest") else timeline.start
    agg = "max" if order in ("newest", "longest", "before") else "min" if order else None
    if plural and order in ("before", "after"):
        agg = None  # "which incidents happened after INC-7?": all of them, not the next one
    picked = scope()
    if agg is not None:
        picked = f"{scope()} WITH {agg}(x.{key}) AS top {scope(', top')}" + (" AND" if where else " WHERE") + f" x.{key} = top"
    if shape.wants_number and answer == "nodes":
        cypher = f"{picked} RETURN count(DISTINCT x) AS n"
        answer = "count"
    elif answer == "people":
        person, edge = _people_edge(schema, timeline.type) or ("", "")
        # "who was the incident commander ...": a value of the people edge named (a relation word is no value here).
        said = re.findall(r"[a-z0-9]+", rest.lower())
        pairs = [f"{a}-{b}" for a, b in itertools.pairwise(said)] + [w for w in said if not lexicon.edge_cues([w])]
        roles = {(h.prop, h.value) for w in pairs for h in values.get(w, ()) if h.on_edge and h.owner == edge}
        if len({p for p, _ in roles}) > 1:
            return None
        role = f" WHERE r.{next(iter(roles))[0]} IN $roles" if roles else ""
        if roles:
            params["roles"] = sorted(v for _, v in roles)
        role_col = f", r.{next(iter(roles))[0]} AS {next(iter(roles))[0]}" if roles else ""
        cypher = f"{picked} MATCH (p:{person})-[r:{edge}]->(x){role} RETURN DISTINCT p.id AS id{role_col}, x.id AS {_col(timeline.type)} ORDER BY id"
    elif answer == "cause":
        cypher = f"{picked} MATCH (x)-[:{timeline.caused_by}]->(c) RETURN DISTINCT x.id AS {_col(timeline.type)}, x.{timeline.start} AS {timeline.start}, c.id AS cause ORDER BY {timeline.start}"
    else:
        shown = [timeline.start] + ([timeline.duration] if timeline.duration and (order in ("longest", "shortest") or _asks_duration(words, lexicon, timeline)) else [])
        # "what was the severity of the last incident?": the type's own properties the question names are shown too.
        spec = schema.nodes[timeline.type].properties
        phrases, plain = lexicon.phrase_cues(rest)
        named = {p for ps in [*phrases.values(), *lexicon.prop_cues(tokens(plain)).values()] for p in ps if p in spec and p != "id"}
        shown += sorted(named - set(shown) - {k[2:] for k in params if k.startswith("v_")})
        cols = ", ".join(f"x.{p} AS {p}" for p in shown)
        cypher = f"{picked} RETURN DISTINCT x.id AS id, {cols} ORDER BY {timeline.start}, id"
    filters = tuple((k[2:], str(v)) for k, v in params.items() if k.startswith("v_"))
    said_order = f"all {order}" if plural and order in ("before", "after") else order
    read = TimedQuestion(timeline, window, said_order, answer, clock, anchor.node_id if anchor else None, joined, filters)
    described = [w for w in tokens(question) if w in _READ_WORDS or w in _MONTHS or (w in _INCIDENT_WORDS and schema.incidents is not None)]
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, surfaces=surfaces, values=value_words, described=described)
    if left:
        if refusals is not None:
            refusals.append(f"the timeline query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, params, {"anchor": anchor.node_id if anchor else None, "edge": None, "target": timeline.type, "timed": read})


def outside(window: Window, first: str | None, last: str | None) -> bool:
    """Whether `window` lies wholly outside the span of times the store holds ([first, last], ISO text)."""
    if not first or not last:
        return True
    start, end = window.bounds()
    return end <= first or start > last


def header(read: TimedQuestion, n: int, display: Callable[[Any], str]) -> str:
    """The answer's first line: what was computed, with the window used (and the date it was read against)."""
    kind = _col(read.timeline.type).replace("_", " ")
    what = {"newest": f"the most recent {kind}", "oldest": f"the first {kind}", "longest": f"the longest {kind}",
            "shortest": f"the shortest {kind}", "before": f"the {kind} just before", "after": f"the {kind} just after",
            "all before": f"{kind}s before", "all after": f"{kind}s after"}.get(read.order or "", f"{kind}s")  # fmt: skip
    if read.filters:
        what += " with " + " and ".join(f"{p.replace('_', ' ')} {v}" for p, v in read.filters)
    if read.anchor is not None:
        joined = f"that {read.edge.lower().replace('_', ' ')} {display(read.anchor)}" if read.edge else display(read.anchor)
        what += f" the {kind} {joined}" if read.order in ("before", "after", "all before", "all after") else f" {joined}"
    if read.order in ("newest", "oldest", "longest", "shortest", "before", "after") and n > 1:
        what += f" ({n} tie)"
    when = f" {read.window.label}" if read.window else ""
    clock = f"; today is {_day(read.now)} by the system clock" if read.window and read.window.relative else ""
    if read.answer == "count":
        what = what if read.order else what.removeprefix(f"{kind}s")
        return f"{n} {kind}{'s' if n != 1 else ''}{what}{when}{clock}."
    if read.answer == "people":
        return f"People of {what}{when}{clock}:"
    if read.answer == "cause":
        return f"What caused {what}{when}{clock}:"
    return f"{what[0].upper()}{what[1:]}{when}{clock}:"


# -- helpers -------------------------------------------------------------------------------------
def _value_word(word: str, values: Mapping[str, Sequence[ValueHit]]) -> str | None:
    """The stored value's word `word` is, or its plural ("sev2s")."""
    return word if word in values else word[:-1] if word.endswith("s") and word[:-1] in values else None


def _timeline_asked(words: Sequence[str], shape: QuestionShape, schema: GraphSchema, values: Mapping[str, Sequence[ValueHit]]) -> Timeline | None:
    named = [t for t in schema.nodes if any(w in type_forms(t) for w in words)]
    # "the most recent sev1": a value only the type's own property holds names the type.
    valued = {h.owner for w in words for h in values.get(_value_word(w, values) or "", ()) if not h.on_edge}
    named += [t for t in valued if len(valued) == 1 and t not in named]
    inc = schema.incidents.type if schema.incidents is not None and schema.incidents.type in schema.nodes else None
    if inc is not None and (inc in named or any(w in _INCIDENT_WORDS for w in words)):
        return timeline_of(schema, inc)
    if shape.wants_type is not None and shape.wants_type in named:
        return timeline_of(schema, shape.wants_type)
    return None


def _order(text: str, timeline: Timeline) -> str | None:
    found = [name for name, pattern in (("before", _BEFORE), ("after", _AFTER), ("longest", _LONGEST), ("shortest", _SHORTEST),
                                         ("newest", _NEWEST), ("oldest", _OLDEST)) if pattern.search(text)]  # fmt: skip
    if len(found) == 2 and found[0] in ("longest", "shortest", "before", "after") and found[1] == "newest" and re.search(r"\b(?:right|just)\b", text) is None:
        found = found[:1]  # "the longest incident last time"? no: a second order is another question
    return found[0] if len(found) == 1 else None


def _answer_kind(words: Sequence[str], shape: QuestionShape, schema: GraphSchema, lexicon: Lexicon, timeline: Timeline) -> str | None:
    person = person_type(schema)
    if shape.wants_type is not None and shape.wants_type == person and person != timeline.type:
        return "people" if _people_edge(schema, timeline.type) else None
    cues = lexicon.edge_cues(words)
    if timeline.caused_by and any(timeline.caused_by in es for es in cues.values()):
        return "cause"
    if shape.wants_type not in (None, timeline.type):
        return None
    return "nodes"


def _people_edge(schema: GraphSchema, type_name: str) -> tuple[str, str] | None:
    person = person_type(schema)
    found = [name for name, spec in schema.edges.items() if person in spec.from_types and type_name in spec.to_types]
    return (str(person), found[0]) if person and len(found) == 1 else None


def _asks_duration(words: Sequence[str], lexicon: Lexicon, timeline: Timeline) -> bool:
    return timeline.duration is not None and ("long" in words or any(timeline.duration in ps for ps in lexicon.prop_cues(words).values()))


def _col(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).lower()


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)


def _period_start(at: datetime, unit: str) -> datetime:
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if unit == "year":
        return datetime(at.year, 1, 1, tzinfo=UTC)
    if unit == "month":
        return datetime(at.year, at.month, 1, tzinfo=UTC)
    return day - timedelta(days=day.weekday())


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def render_timed(
    read: TimedQuestion, rows: Sequence[Mapping[str, Any]], span: tuple[str | None, str | None], display: Callable[[Any], str]
) -> tuple[Rendered | None, str | None]:
    """The answer to a timeline question from its rows: (rendered, None); (None, why) when the question must be
    abstained from (its window lies outside the times the store holds, `span`); (None, None) when nothing was found."""
    if read.window is not None and outside(read.window, *span):
        kind = _col(read.timeline.type).replace("_", " ")
        why = (f"the graph holds {kind}s from {_day_of(span[0])} to {_day_of(span[1])}; {read.window.label} is outside them"
               if span[0] else f"the graph holds no {kind} times")
        if read.window.relative:
            why += f" (today is {_day(read.now)} by the system clock)"
        return None, why
    if not rows or (read.answer == "count" and rows[0].get("n") == 0):
        return None, None
    if read.answer == "count":
        return Rendered(header(read, int(rows[0].get("n") or 0), display)), None
    lines = []
    for r in rows[:MAX_LINES]:
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in r.items() if k not in ("id", "cause") and v is not None and not str(v) == str(r.get("id"))]
        head = display(r.get("id"))
        if read.answer == "cause":
            head = f"{display(r.get(_col(read.timeline.type)))}: caused by {display(r.get('cause'))}"
            parts = [p for p in parts if not p.startswith(_col(read.timeline.type).replace("_", " ") + " ")]
        elif read.answer == "people":
            col = _col(read.timeline.type)
            parts = [f"{k.replace('_', ' ')} {v}" for k, v in r.items() if k not in ("id", col) and v is not None]
            parts.append(f"{col.replace('_', ' ')} {display(r.get(col))}")
        lines.append(f"- {head}" + (f" ({', '.join(parts)})" if parts else ""))
    if len(rows) > MAX_LINES:
        lines.append(f"... and {len(rows) - MAX_LINES} more")
    n = len({r.get(_col(read.timeline.type)) if read.answer != "nodes" else r.get("id") for r in rows})
    return Rendered(header(read, n, display), lines), None


def span_query(timeline: Timeline) -> str:
    """The first and the last time the store holds for the timeline's type."""
    return f"MATCH (x:{timeline.type}) RETURN min(x.{timeline.start}) AS first, max(x.{timeline.start}) AS last"


def _day_of(iso: str | None) -> str:
    return str(iso or "")[:10]
