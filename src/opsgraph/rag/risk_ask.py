"""Risk and health questions in everyday words, answered from the risk scores or not at all (issue 14).

Why: on-call people ask "is checkout ok?", "anything about to fall over?", "top 3 riskiest services", "which critical
services are at risk", "should I worry about the cart". The risk scores answer these, but only when the answer is the
one asked for: one service's score for a question about one service (never the ranking of all), the first N for "top
N", the scored nodes of the type named ("which datastore looks worst" is refused when no datastore is scored, never
answered with services), the nodes that hold a value the question names ("critical"), the healthy ones for "which are
healthy" (never the risky ones), and every answer says how old the telemetry it was computed on is. A word the scores
do not explain ("on black friday", "cost", "disk", "data breach", a component the graph does not hold) refuses.

`asks_risk` reads the everyday wording as a risk question (the pipeline's hook next to `shape.py`'s risk words);
`answer_risk` reads what it asks (`read_risk_ask`) and answers it from `Answerer.risk_source`. Schema-driven: the
types and values come from the schema and the store, nothing here names a sample-estate component.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from opsgraph._time import age_text
from opsgraph.errors import OpsGraphError
from opsgraph.rag.lexicon import FILLER, tokens, type_forms
from opsgraph.rag.render import Rendered
from opsgraph.rag.shape import RISK_WORDS
from opsgraph.rag.trace import Trace

if TYPE_CHECKING:
    from opsgraph.rag.compose import ValueHit
    from opsgraph.rag.render import NameBook
    from opsgraph.retrieve.base import LinkedEntity
    from opsgraph.schema import GraphSchema
    from opsgraph.store.base import GraphStore


@dataclass(frozen=True)
class RiskRow:
    """One node's failure risk, as the risk layer scored it."""

    node: str
    probability: float
    risky: bool


@dataclass(frozen=True)
class RiskView:
    """The current scores: riskiest first, with the model's threshold and horizon."""

    rows: list[RiskRow]
    threshold: float
    horizon: int
    version: str | None = None
    data_until: int | None = None
    """Epoch seconds of the last telemetry step scored: every risk answer says how old it is."""
    explain: Callable[[str], RiskWhy] | None = None
    """What drives one node's score (raises an `OpsGraphError` when it cannot say): "why is X at risk?" shows it."""


@dataclass(frozen=True)
class MovedMetric:
    """One metric of the node or of a dependency that moved recently against its normal."""

    node: str
    metric: str
    normal: float
    now: float
    since: int
    """Epoch seconds of the first step past its normal range."""


@dataclass(frozen=True)
class RiskWhy:
    """The evidence behind one node's score: the metrics that moved (largest first) and the model's attention path
    upstream (each hop: dependant, dependency, attention)."""

    moved: list[MovedMetric]
    path: list[tuple[str, str, float]]
    window: str = ""
    """What `moved` compares ("last 10 steps vs the 60 before")."""


RiskSource = Callable[[], RiskView]
"""Returns the current scores, or raises an `OpsGraphError` saying why there are none (no model trained, no telemetry)."""


class Answerer(Protocol):
    """What of `answering.Answerer` a risk answer reads (a protocol: `answering.py` imports this module)."""

    schema: GraphSchema
    store: GraphStore
    names: NameBook
    risk_source: RiskSource | None

    def links(self, question: str) -> list[LinkedEntity]: ...

    def value_index(self) -> dict[str, list[ValueHit]]: ...


@dataclass
class RiskAnswer:
    """A risk answer or refusal: the text, the scored rows it shows, whether it abstained."""

    rendered: Rendered
    rows: list[dict[str, Any]] | None = None
    abstained: bool = False

ABSTAIN = "I can't answer that from the graph."

_EVERYDAY = re.compile(
    r"\b(?:about|going|likely|gonna|set) to (?:fall over|fall apart|break|go down|die|blow up|crash|fail)\b|"
    r"\bfall(?:s|ing)? over (?:soon|next)\b|\blikely to (?:break|go down|die|crash)\b|"
    r"\b(?:should|do|must) (?:i|we) (?:be )?worr(?:y|ied) about\b|\bworr(?:y|ied) about\b.*\b(?:today|now|right now)\b|"
    r"\banything (?:i|we) should (?:be )?worr(?:y|ied) about\b|"
    r"^\s*(?:is|are) (?:anything|everything|something|any\w*)(?: \w+)? (?:struggling|(?:looking )?(?:shaky|wobbly))\b|"
    r"\briskier\b|\bmore (?:at risk|likely to (?:fail|break|go down))\b|\bflagged\b|\bunhealthy\b|\bin good shape\b|\bin trouble\b|\blooks? (?:the )?worst\b|"
    r"\b(?:failure|failing) (?:probability|chance|odds)\b|\b(?:odds|chances?|probability) (?:of |that )?.*\bfail|"
    r"^\s*(?:is|are) (?:anything|everything|something|any\w*) (?:red|on fire)\b|\bwhat(?:'s| is|s)? (?:red|flagged)\b|"
    r"^\s*why (?:is|are|does|do) .+ (?:red|look(?:s|ing)? (?:bad|risky|unhealthy)|so risky)\s*[?!.]*\s*$",
    re.I,
)
"""Everyday wordings of a risk question that `shape.py`'s risk words do not catch."""

_STATE = re.compile(r"^\s*(?:is|are)\s+(?P<x>.+?)\s+(?:ok|okay|alright|all right|fine|good|green|red|doing ok|doing fine|"
                    r"struggling|(?:looking )?(?:shaky|wobbly|unwell|sick))\s*[?!.]*\s*$", re.I)
_LOOKING = re.compile(r"^\s*how(?:'s| is|s| are|'re)\s+(?P<x>.+?)\s+(?:looking|doing)\s*[?!.]*\s*$", re.I)
""""is X ok?", "how's X looking": a risk question only when X is a component the graph names (checked by the caller)."""

_INVERTED = re.compile(r"\blow(?:er|est)?[- ]risk\b|\b(?:least|healthiest|safest|lowest|fewest|smallest|not|never|no|n't|none|except|besides|other than|apart from)\b|n't\b", re.I)
"""Words that turn the ranking around or exclude: refused rather than risk being read upside down."""

_CONDITIONAL = re.compile(r"\b(?:if|when|whenever|once|unless|after|during|because)\b", re.I)
""""what is likely to break if checkout goes down?" asks what a failure affects (impact), not the scores."""

_CHECK = re.compile(r"\b(?:quick|sanity|health)[- ]check\b", re.I)
""""quick check - is X healthy?": a chat marker, not an action asked for."""

_HIGH_RISK = re.compile(r"\b(?:at\s+)?(?:high|higher|highest|very high|elevated)[- ]risk\b", re.I)
""""high risk" is risky, not the value 'high' of a tier ("low risk" is refused by `_INVERTED`)."""

_POSITIVE = re.compile(r"\b(?:healthy|ok|okay|fine|green|alright|stable|safe)\b", re.I)
_LISTING = re.compile(r"^\s*(?:which|what|list|show|give)\b", re.I)
_SUPERLATIVE = re.compile(r"\b(?:riskiest|most (?:at )?risk\w*|most likely|worst|highest|top|next|most in danger)\b", re.I)
_COUNT = re.compile(r"\bhow many\b", re.I)
_WHY = re.compile(r"^\s*why\b|\bwhat(?:'s| is|s)? (?:driving|behind|causing|pushing up)\b|\bwhat drives\b|\bwhere does\b(?=.*\brisk\b)|\bcome from\b", re.I)
""""why is X at risk", "what's driving X's risk", "where does X's risk come from": the evidence behind one score."""
_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

EVERYDAY_RISK_WORDS = frozenset(
    "ok okay alright fine good shape green red flagged flag flags trouble worry worried worries odds looking look looks "
    "doing worst fall falls falling apart over break breaks broken die dies crash crashes crashing blow bad how riskier "
    "probability probabilities likelihood likely chance chances score scores scored unhealthy healthy health state "
    "steps step few next soon right atm moment rn fire why gonna set tell know hows whats struggling shaky wobbly unwell sick".split()
)
"""Words of an everyday risk question that ask for nothing beyond the scores ("is X ok?", "anything red?")."""


@dataclass
class RiskAsk:
    """What a risk question asks of the scores."""

    named: list[str] = field(default_factory=list)
    """The components it names (node ids), in question order."""
    types: list[str] = field(default_factory=list)
    """Node types it names ("services", "datastore")."""
    values: list[str] = field(default_factory=list)
    """Words that are values of a property ("critical"), to filter on."""
    top: int | None = None
    """"top 3", "the riskiest" (1): the first N by probability."""
    count: bool = False
    healthy_list: bool = False
    """"which services are healthy": the ones under the threshold."""
    why: bool = False
    unknown: list[str] = field(default_factory=list)
    """Words the scores do not explain: the question is refused."""


def _masked(question: str, surfaces: Sequence[str]) -> str:
    out = question
    for s in sorted((s for s in surfaces if s), key=len, reverse=True):
        out = re.sub(re.escape(s), " ", out, flags=re.I)
    return out


def asks_risk(question: str, answerer: Answerer) -> bool:
    """Is `question` a risk question in everyday words ("is checkout ok?", "anything about to fall over?")? The names
    of components are read first, so a team called "Risk" or a service called "Red" asks nothing."""
    links = answerer.links(question)
    masked = _masked(question, [x.surface for x in links])
    if _CONDITIONAL.search(masked):
        return False
    if _EVERYDAY.search(masked):
        return True
    for rx in (_STATE, _LOOKING):
        m = rx.match(question)
        # "is checkout ok?": the subject is a component named and nothing else ("is it ok to restart X?" is not).
        own = {f for x in links for f in type_forms(x.node_type)}  # "the frontend service": its own type's word
        if m and links and all(w in FILLER or w in own for w in tokens(_masked(m.group("x"), [x.surface for x in links]))):
            return True
    return False


def _type_of_word(schema: GraphSchema) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in schema.nodes:
        for form in type_forms(name):
            out.setdefault(form, name)
    return out


def read_risk_ask(question: str, named: Sequence[str], surfaces: Sequence[str], schema: GraphSchema, values: Mapping[str, Sequence[ValueHit]]) -> RiskAsk:
    """What `question` asks of the risk scores; `named`/`surfaces` the components it names and their text, `values`
    the estate's value words (`Answerer.value_index`)."""
    ask = RiskAsk(named=list(dict.fromkeys(named)))
    masked = _HIGH_RISK.sub(" risky ", _CHECK.sub(" ", _masked(question, surfaces)))
    ask.why = bool(_WHY.search(masked))
    masked = _WHY.sub(" ", masked)  # "what's driving", "where does ... risk come from": asked, not unknown words
    for rx in (_INVERTED, _CONDITIONAL):
        found = rx.search(masked)
        if found:
            ask.unknown.append(found.group(0))
    by_type = _type_of_word(schema)
    forms = "|".join(re.escape(f) for f in sorted(by_type, key=len, reverse=True))
    for w in tokens(masked):
        if w.isdigit():
            # "top 3", "the 5 riskiest services"; "in the next 24 hours" is no count of components.
            if re.search(rf"\b(?:top|first)\s+{w}\b|\b{w}\s+(?:riskiest|most|worst|highest|(?:{forms})\b)", masked, re.I):
                ask.top = int(w)
            else:
                ask.unknown.append(w)
            continue
        if w in _SMALL and re.search(rf"\b(?:top|first)\s+{w}\b|\b{w}\s+(?:riskiest|most|worst|highest)\b", masked, re.I):
            ask.top = _SMALL[w]
            continue
        if w in by_type:
            ask.types.append(by_type[w])
            continue
        if w in values and any(not h.on_edge for h in values[w]):
            ask.values.append(w)
            continue
        if w in FILLER or w in RISK_WORDS or w in EVERYDAY_RISK_WORDS or len(w) < 3:
            continue
        ask.unknown.append(w)
    if ask.top is None and not ask.named and _SUPERLATIVE.search(masked):
        # "what's the riskiest service", "most likely to break next": one; "the riskiest services": those at risk.
        plural = any(re.search(rf"\b{re.escape(w)}\b", masked, re.I) and w.endswith("s") and by_type.get(w) for w in by_type)
        if not plural and not re.search(r"\bservices|\bones\b|\bthings\b", masked, re.I):
            ask.top = 1
    ask.count = bool(_COUNT.search(masked))
    ask.healthy_list = bool(_LISTING.match(masked) and _POSITIVE.search(masked) and not ask.named)
    ask.types = list(dict.fromkeys(ask.types))
    return ask


def _ids_where(answerer: Answerer, node_type: str, ids: Sequence[str], hit: ValueHit | None = None) -> set[str]:
    """Of `ids`, those of `node_type` (and holding `hit`'s value)."""
    where = "n.id IN $ids"
    params: dict[str, Any] = {"ids": list(ids)}
    if hit is not None:
        where += f" AND n.{hit.prop} = $v"
        params["v"] = True if hit.value == "true" else hit.value
    try:
        rows = answerer.store.query(f"MATCH (n:{node_type}) WHERE {where} RETURN n.id AS id", params, limit=10_000, timeout_ms=5_000).rows
    except OpsGraphError:
        return set()
    return {str(r["id"]) for r in rows}


def _refuse(why: str, stage_detail: dict[str, Any]) -> RiskAnswer:
    stage_detail["refused"] = why
    return RiskAnswer(Rendered(ABSTAIN, [f"Why: {why}"]), abstained=True)


def data_age(view: RiskView, now: float | None = None) -> str:
    """'computed on telemetry up to 2026-01-02T11:59:00Z, 11 months old' (or that its age is unknown)."""
    until = getattr(view, "data_until", None)
    if until is None:
        return "the age of the telemetry these scores were computed on is unknown"
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(until)))
    return f"computed on telemetry up to {iso}, {age_text(until, now)}"


def _line(answerer: Answerer, r: RiskRow, threshold: float) -> str:
    state = "at risk" if r.risky else "not at risk"
    side = ">=" if r.risky else "<"
    return f"- {answerer.names.display(r.node)}: {state} ({r.probability:.2f} {side} alarm threshold {threshold:.2f})"


def answer_risk(answerer: Answerer, question: str, trace: Trace) -> RiskAnswer:
    """The risk scores that answer `question`, or a refusal saying why (see the module docstring)."""
    with trace.stage("risk") as stage:
        detail: dict[str, Any] = {}
        stage.detail = detail
        if answerer.risk_source is None:
            detail["scores"] = None
            return RiskAnswer(Rendered("I can't answer risk questions here: no risk scores are available."), abstained=True)
        try:
            view = answerer.risk_source()
        except OpsGraphError as exc:
            detail["scores"] = None
            return RiskAnswer(Rendered(f"I can't answer risk questions yet: {exc}"), abstained=True)
        links = answerer.links(question)
        ask = read_risk_ask(question, [x.node_id for x in links], [x.surface for x in links], answerer.schema, answerer.value_index())
        detail.update(version=view.version, scored=len(view.rows), ask=ask.__dict__)
        if ask.unknown:
            what = ", ".join(repr(w) for w in dict.fromkeys(ask.unknown))
            return _refuse(f"the risk scores do not explain {what} (they are each scored component's probability of failing "
                           f"within the next {view.horizon} steps)", detail)
        by_node = {r.node: r for r in view.rows}
        head = f"failure risk within the next {view.horizon} steps, model {view.version or 'current'}, {data_age(view)}"
        if ask.named:
            unscored = [n for n in ask.named if n not in by_node]
            if unscored:
                return _refuse(f"no risk score for {', '.join(answerer.names.display(n) for n in unscored)}: the risk model "
                               "scores only nodes with telemetry", detail)
            # "is the checkout service ok?" with only "checkout" linked: "service" is the named one's own type.
            ask.types = [t for t in ask.types if t not in {x.node_type for x in links}]
            if ask.types or ask.values or ask.top is not None or ask.count:
                # "is the critical checkout at risk" or "top 3 of checkout": more than one component's score asks.
                return _refuse("the question asks more of the named components than their risk scores", detail)
            rows = sorted((by_node[n] for n in ask.named), key=lambda r: -r.probability)
            if len(rows) == 1:
                r = rows[0]
                header = f"{answerer.names.display(r.node)} is {'at risk' if r.risky else 'not at risk'} ({head}):"
            else:
                header = f"The {head}:"
            lines = [_line(answerer, r, view.threshold) for r in rows]
            if ask.why:
                return _with_why(answerer, view, rows, header, lines, detail)
            return _outcome(rows, header, lines)
        if ask.why:
            return _refuse("the question asks why; what drives a score is read for one component named", detail)
        pool = list(view.rows)
        scope = "scored components"
        if len(ask.types) > 1:
            return _refuse("the question names more than one kind of component", detail)
        if ask.types:
            node_type = ask.types[0]
            kept = _ids_where(answerer, node_type, [r.node for r in pool])
            pool = [r for r in pool if r.node in kept]
            if not pool:
                return _refuse(f"the risk model scores no {node_type} (only nodes with telemetry are scored)", detail)
            scope = f"scored {node_type} nodes"
        for word in ask.values:
            hits = [h for h in answerer.value_index()[word] if not h.on_edge and (not ask.types or h.owner == ask.types[0])]
            kept = set()
            for h in hits:
                kept |= _ids_where(answerer, h.owner, [r.node for r in pool], h)
            if not hits:
                return _refuse(f"{word!r} is no value of the components the risk model scores", detail)
            pool = [r for r in pool if r.node in kept]
            props = ", ".join(dict.fromkeys(h.prop for h in hits))
            scope = f"{scope} whose {props} is {word}"
        if not pool:
            return _refuse(f"no {scope} hold the values the question names", detail)
        risky = [r for r in pool if r.risky]
        if ask.healthy_list:
            rows = [r for r in pool if not r.risky]
            header = f"{len(rows)} of {len(pool)} {scope} are not at risk ({head}):"
        elif ask.top is not None:
            rows = pool[: ask.top]
            header = f"The {len(rows)} riskiest of {len(pool)} {scope} ({head}):"
        elif risky:
            rows = risky
            header = f"{len(risky)} of {len(pool)} {scope} are at risk ({head}):"
        else:
            rows = pool[:5]
            header = f"None of the {len(pool)} {scope} is at risk; the highest ({head}):"
        return _outcome(rows, header, [_line(answerer, r, view.threshold) for r in rows])


_MOVED_SHOWN = 6


def _with_why(answerer: Answerer, view: RiskView, rows: Sequence[RiskRow], header: str, lines: list[str],
              detail: dict[str, Any]) -> RiskAnswer:
    """"Why is X at risk?": the score, then what drives it (the metrics of X and its dependencies that moved, the
    model's attention path), read from the risk layer; without it, where to look. One named node only."""
    why: RiskWhy | None = None
    if view.explain is not None and len(rows) == 1:
        try:
            why = view.explain(rows[0].node)
        except OpsGraphError as exc:
            detail["explain_error"] = str(exc)
    if why is None:
        lines.append("What drives a score: `opsgraph risk explain NODE` (the metric changes and the attention path).")
        return _outcome(rows, header, lines)
    name = answerer.names.display
    if why.moved:
        lines.append(f"What moved recently ({why.window or 'recent steps vs the steps before'}), of it and its dependencies:")
        for m in why.moved[:_MOVED_SHOWN]:
            factor = f", x{m.now / m.normal:.3g}" if m.normal else ""
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(m.since))
            lines.append(f"- {name(m.node)}: {m.metric} {m.normal:.4g} -> {m.now:.4g}{factor} since {when}")
    else:
        lines.append("No metric of it or of its dependencies moved past its normal range recently.")
    if why.path:
        chain = " <- ".join([name(why.path[0][0]), *(f"{name(dep)} (attention {att:.2f})" for _, dep, att in why.path)])
        lines.append(f"The model's attention upstream: {chain}")
    else:
        lines.append("No dependency draws the model's attention: the score comes from its own telemetry.")
    out = _outcome(rows, header, lines)
    if out.rows is not None:
        out.rows[0]["moved"] = [m.__dict__ for m in why.moved[:_MOVED_SHOWN]]
        out.rows[0]["attention_path"] = [{"dependant": a, "dependency": b, "attention": round(w, 4)} for a, b, w in why.path]
    return out


def _outcome(rows: Sequence[RiskRow], header: str, lines: list[str]) -> RiskAnswer:
    data = [{"id": r.node, "probability": round(r.probability, 4), "risky": r.risky} for r in rows]
    return RiskAnswer(Rendered(header, lines), rows=data)
