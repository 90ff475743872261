"""The answer pipeline: route ▸ retrieve ▸ fuse ▸ prompt with numbered context ▸ answer ▸ check citations.

Two ways to answer, chosen by what retrieval found:
- **Rows**: when a query (planned from the schema, or written by the model
  and checked) returned rows, the answer *is* those rows, formatted, with a
  one-line summary by the model. A summary that states a number the rows do
  not contain is dropped, so a small model cannot invent a count.
- **Context**: otherwise the fused hits are numbered [1]..[n] in the prompt,
  the model answers citing them, and every cited number is checked against
  the context: unknown numbers are dropped and reported.
The pipeline holds no state between questions; each `ask` returns its trace.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph._time import age_text
from opsgraph.llm import LanguageModel
from opsgraph.rag.answering import Answerer, AnswerMode, Outcome
from opsgraph.rag.cause_words import plain_cause_words
from opsgraph.rag.chain_page import page_chain
from opsgraph.rag.chat_frame import unframed
from opsgraph.rag.dependency_words import plain_dependency_words
from opsgraph.rag.edge_roles import answer_edge_roles
from opsgraph.rag.impact import plain_impact_words, symptom_named
from opsgraph.rag.impact_phrases import names_dependents, whose_as_owners, would_as_depends
from opsgraph.rag.incident_words import plain_incident_words
from opsgraph.rag.lexicon import NEGATION, TIME_QUALIFIER, plain_http_reasons, plain_idioms, tokens
from opsgraph.rag.member_words import plain_member_words
from opsgraph.rag.people_words import plain_people_words
from opsgraph.rag.procedure_ask import action_elsewhere, answer_named_section, quote_refused
from opsgraph.rag.property_compare import answer_comparison
from opsgraph.rag.property_words import plain_property_words, purpose_as_description
from opsgraph.rag.property_yesno import answer_value_yesno
from opsgraph.rag.quote import asks_for_heading
from opsgraph.rag.quote_gate import gate_quote
from opsgraph.rag.remembered import answer_which_named, fronted_as_named
from opsgraph.rag.render import Rendered
from opsgraph.rag.repetition import cut_repetition
from opsgraph.rag.risk_ask import asks_risk
from opsgraph.rag.router import PROCEDURE, Route, Router
from opsgraph.rag.runbook_ask import answer_runbook_ask, ask_of, prefer_asked_section
from opsgraph.rag.symptom_ask import action_unheld, escalation_for_symptom, other_asks
from opsgraph.rag.trace import Stage, Trace
from opsgraph.retrieve.base import Hit, Retrieval, Retriever
from opsgraph.retrieve.fusion import reciprocal_rank_fusion

_AGGREGATE = re.compile(r"\b(?:average|avg|mean|median|total|sum)\b", re.I)
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


_QUOTED_OF_MANY = 2
"""A graph answer listing more documents than this quotes none of them unless the question asks a section's kind."""


@dataclass(frozen=True)
class Citation:
    """A numbered context item."""

    n: int
    """Its number in the prompt."""
    source_id: str
    """Node id, chunk id, or `cypher#k`."""
    kind: str
    text: str
    found_by: str


@dataclass
class Answer:
    """What `ask` returns."""

    question: str
    text: str
    """The answer as shown to the user."""
    citations: list[Citation]
    """Context items the answer relies on (checked to exist)."""
    context: list[Citation]
    """Every item the model was given."""
    route: Route
    trace: Trace
    rows: list[dict[str, Any]] | None = None
    """Rows of the query that answered, for query-answerable questions."""
    cypher: str | None = None
    """The query that produced `rows`."""
    dropped_citations: list[int] = field(default_factory=list)
    """Numbers the model cited that were not in the context."""
    notes: list[str] = field(default_factory=list)
    """Honest remarks: a dropped summary, an answer without citations."""
    standalone: str | None = None
    """The question as answered, when memory rewrote a follow-up (else None)."""
    cached: dict[str, Any] | None = None
    """Set when served from the semantic cache: entry id, distance, age, the question it was stored for."""
    kind: str = "context"
    """How it was answered: `rows` (a verified query), `page`, `risk`, `quote` (document sections), `abstain`, `context`
    (items listed or, with `llm.answers: generate`, a model's cited prose)."""
    abstained: bool = False
    """True when the answer is "I can't answer that" (with what is known about the entities named)."""
    sections: list[dict[str, Any]] | None = None
    """Document sections quoted: chunk, document, title, section (heading path)."""
    data_as_of: float | None = None
    """Epoch seconds of the last change to the stored estate the answer was read from (set by the caller that knows
    the store, `app/ask.py`): every answer says how old its data is."""

    def data_age(self) -> str:
        """'data as of 2026-12-06T01:02:03Z (2 hours old)'; unknown for a store written before it was recorded."""
        if self.data_as_of is None:
            return "data age unknown (the store was last written before opsgraph recorded when)"
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.data_as_of))
        return f"data as of {iso} ({age_text(self.data_as_of)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone": self.standalone,
            "answer": self.text,
            "citations": [c.__dict__ for c in self.citations],
            "rows": self.rows,
            "cypher": self.cypher,
            "route": self.route.__dict__,
            "dropped_citations": self.dropped_citations,
            "notes": self.notes,
            "cached": self.cached,
            "kind": self.kind,
            "abstained": self.abstained,
            "sections": self.sections,
            "data_as_of": self.data_as_of,
            "data_age": self.data_age(),
            "trace": self.trace.to_dict(),
        }

    def payload(self) -> dict[str, Any]:
        """What a cache keeps of an answer: everything but the question-specific trace."""
        return {
            "text": self.text,
            "citations": [c.__dict__ for c in self.citations],
            "context": [c.__dict__ for c in self.context],
            "route": self.route.__dict__,
            "rows": self.rows,
            "cypher": self.cypher,
            "dropped_citations": self.dropped_citations,
            "notes": self.notes,
            "kind": self.kind,
            "abstained": self.abstained,
            "sections": self.sections,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, question: str, trace: Trace) -> Answer:
        """Rebuild an answer kept by `payload()` for a new asking of `question`."""
        return cls(
            question=question,
            text=str(payload["text"]),
            citations=[Citation(**c) for c in payload.get("citations") or []],
            context=[Citation(**c) for c in payload.get("context") or []],
            route=Route(**payload["route"]),
            trace=trace,
            rows=payload.get("rows"),
            cypher=payload.get("cypher"),
            dropped_citations=list(payload.get("dropped_citations") or []),
            notes=list(payload.get("notes") or []),
            kind=str(payload.get("kind") or "context"),
            abstained=bool(payload.get("abstained")),
            sections=payload.get("sections"),
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        """Rebuild an answer from `to_dict()` (what `POST /v1/ask` returns; `context` too when present)."""
        trace = Trace([Stage(**s) for s in (d.get("trace") or {}).get("stages", [])])
        answer = cls.from_payload({**d, "text": d["answer"]}, question=str(d["question"]), trace=trace)
        answer.standalone = d.get("standalone")
        answer.cached = d.get("cached")
        answer.data_as_of = d.get("data_as_of")
        return answer


QUOTE_COVERAGE = {True: 0.4, False: 0.6}
"""Least share of a question's content words a quoted section must hold, with and without procedure words."""
FACT_COVERAGE = 0.75
"""The same for a question asking one fact or about another time, without procedure words ("What are the symptoms of
X?"): it must also name the section's heading."""

SYSTEM = (
    "You answer questions about an IT service estate using only the numbered context. "
    "Cite the items you use with their numbers in square brackets, like [2]. "
    "If the context does not answer the question, say so. Be brief."
)
SUMMARY_SYSTEM = "Summarise the query result in one short sentence. Use only names and numbers that appear in the rows."


class GraphRAG:
    """Hybrid retrieval and grounded answering over one estate."""

    def __init__(
        self,
        *,
        llm: LanguageModel | None,
        router: Router,
        structured: Sequence[Retriever] = (),
        graph: Sequence[Retriever] = (),
        documents: Sequence[Retriever] = (),
        k: int = 8,
        max_tokens: int = 200,
        answerer: Answerer | None = None,
        answers: AnswerMode = "extractive",
        budget_s: float = 20.0,
    ) -> None:
        """`answerer`: verification, fixed paging/risk queries, templates and quotes (`answering.py`); without it the
        pipeline answers as before it existed (rows with a model summary, context answers by the model).
        `answers`: `extractive` (no model prose) or `generate` (the model writes context answers, guarded).
        `budget_s`: seconds a generated answer may take; a slower one is replaced by the extractive answer."""
        self.answerer = answerer
        self.answers = answers
        self.budget_s = budget_s
        self.llm = llm
        self.router = router
        self.structured = list(structured)
        self.graph = list(graph)
        self.documents = list(documents)
        self.k = k
        self.max_tokens = max_tokens

    def _run(self, trace: Trace, retriever: Retriever, question: str, k: int) -> Retrieval:
        with trace.stage(f"retrieve:{retriever.name}") as stage:
            result = retriever.retrieve(question, k)
            stage.detail = {"hits": len(result.hits), **_short(result.detail), "top": [h.source_id for h in result.hits[:5]]}
            attempts = result.detail.get("attempts") or []
            stage.tokens = sum(int(a.get("tokens", 0)) for a in attempts)
        return result

    def ask(self, question: str) -> Answer:
        """Answer `question` from the estate, with citations and a trace."""
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        trace = Trace()
        # "hey team, does anyone know who owns checkout?" asks "Who owns checkout?" (`chat_frame.py`); "bad gateway" is a 502.
        asked = plain_http_reasons(unframed(question))
        if asked != question:
            with trace.stage("frame") as stage:
                stage.detail = {"asked": question, "question": asked}
            question = asked
        with trace.stage("route") as stage:
            route = self.router.route(question)
            stage.detail = route.__dict__
        if self.answerer is not None:
            return self._ask_verified(question, route, trace, self.answerer)
        if route.graph:
            for retriever in self.structured:
                result = self._run(trace, retriever, question, 50)
                if result.hits:
                    return self._answer_rows(question, route, trace, result)
        lists: list[list[Hit]] = []
        if route.graph:
            lists += [self._run(trace, r, question, self.k).hits for r in self.graph]
        if route.docs or not any(lists):
            lists += [self._run(trace, r, question, self.k).hits for r in self.documents]
        with trace.stage("fuse") as stage:
            fused = reciprocal_rank_fusion(lists, limit=self.k)
            stage.detail = {"method": "reciprocal rank fusion (k=60)", "inputs": [len(x) for x in lists], "kept": len(fused)}
        return self._answer_context(question, route, trace, fused)

    # -- verified answers (no model prose by default) ----------------------------------------
    def _ask_verified(self, question: str, route: Route, trace: Trace, answerer: Answerer) -> Answer:
        plain = plain_idioms(question)  # "pager duty" is being on call, "at the moment" is now (`lexicon.py`)
        plain = fronted_as_named(plain)  # "the checkout outage in march, what caused it?" (`remembered.py`)
        plain = plain_people_words(plain)  # "who's covering X" is on call for X, "looked after by" owned by (`people_words.py`)
        plain = plain_member_words(plain)  # "is Ben on the catalog team?" is a member of it (`member_words.py`)
        plain = would_as_depends(plain)  # "would A go down if B died?" asks whether A depends on B (`impact_phrases.py`)
        plain = plain_dependency_words(plain, answerer.schema)  # "leans on", "in the path of" (`dependency_words.py`)
        # "what does X do?" asks for X's description (`property_words.py`).
        plain = purpose_as_description(plain, answerer.schema, lambda text: bool(answerer.lexicon.edge_cues(tokens(text))))
        if not route.graph and plain_cause_words(plain, answerer.schema, answerer.links) != plain:
            # "why did INC-7 happen?", "how did they fix INC-7?": an incident's cause or fix is in the graph, although
            # "why" and "how" are document cues (`cause_words.py` read it as the schema's words).
            route = Route(True, route.docs, f"{route.reason}; an incident's cause or fix asked")
        with trace.stage("shape") as stage:
            shape = answerer.shape(plain)
            stage.detail = shape.__dict__
        chain_refused: list[str] = []
        if route.graph:
            # "who's on call for the db the cart uses?": on call for what a chain reaches, not for the entity named
            # (`chain_page.py`); a chain it cannot read is not paged for the entity named either.
            paged_chain = page_chain(plain, answerer, trace, chain_refused)
            if paged_chain is not None:
                return self._outcome(question, route, trace, paged_chain)
        if shape.shape == "page" and not names_dependents(plain) and not chain_refused:
            # "catalog db maxed out, who do I page": the runbook's escalation for that symptom (`symptom_ask.py`).
            with trace.stage("symptom_ask") as stage:
                escalated, why = escalation_for_symptom(question, answerer, lambda: self._document_hits(trace, question))
                stage.detail = {"sections": escalated.sections if escalated else None, "why": why or None}
            if escalated is not None:
                return self._outcome(question, route, trace, escalated)
            paged = answerer.page(plain, trace) if not other_asks(question) else None
            if paged is not None:
                return self._outcome(question, route, trace, paged)
        if route.graph and not names_dependents(plain) and not chain_refused:
            # "When does the on-call shift for checkout end?", "Which services is Marcus on call for?" (`oncall.py`);
            # not "on call for the services that break if X dies" (`impact_phrases.py`).
            detail = answerer.oncall(plain, shape, trace)
            if detail is not None:
                return self._with_documents(question, route, trace, answerer, shape, detail)
            # "which SREs are on the platform team?", "who's Lena's manager?": a role stored on an edge (`edge_roles.py`).
            roles = answer_edge_roles(plain, shape, answerer, trace)
            if roles is not None:
                return self._with_documents(question, route, trace, answerer, shape, roles)
        if shape.shape == "risk" or asks_risk(plain, answerer):  # "is checkout ok?", "anything about to fall over?" (`risk_ask.py`)
            return self._outcome(question, route, trace, answerer.risk(question, trace))
        reasons: list[str] = []
        if route.graph:
            # "directly or not" asks for a walk through others, not a negation: the graph stages read what it means.
            # "which component was at fault in INC-7?", "how did they fix INC-7?" in the schema's words (`cause_words.py`).
            asked = plain_cause_words(plain, answerer.schema, answerer.links)
            asked = plain_impact_words(asked)  # "falls over" is "fails" (`impact.py`)
            asked = whose_as_owners(asked, answerer.schema, answerer.lexicon)  # "whose services break" (`impact_phrases.py`)
            # "who was IC for the checkout outage?" is "who was incident commander for the checkout incident?" (`incident_words.py`).
            asked = plain_incident_words(asked, answerer.schema, answerer.value_index())
            # "is payments tier 1?", "anything in golang?", "which dbs do we host ourselves?" (`property_words.py`).
            asked = plain_property_words(asked, answerer.schema, answerer.value_index())
            # "Does A depend on B?", "Is B a dependency of A?": the dependency chain between the two (`impact.py`).
            chained = answerer.impact(asked, shape, trace, reasons, between=True)
            if chained is not None:
                return self._with_documents(question, route, trace, answerer, shape, chained)
            composed = answerer.compose(asked, shape, trace, reasons)
            if composed is not None and not symptom_named(question):
                return self._with_documents(question, route, trace, answerer, shape, composed)
            impacted = composed or answerer.impact(asked, shape, trace, reasons)
            if impacted is not None:
                if symptom_named(question):
                    # "ledger db disk filling up, what's the impact?": what depends on it, and the runbook section on
                    # that symptom's impact when one is about this component and asked for.
                    with_section = self._with_symptom_section(question, route, trace, answerer, impacted)
                    if with_section is not None:
                        return with_section
                return self._with_documents(question, route, trace, answerer, shape, impacted)
            for retriever in self.structured:
                result = self._run(trace, retriever, asked, 50)
                if not result.hits:
                    continue
                cypher = str(result.detail.get("cypher") or "")
                params = dict(result.detail.get("params") or {})
                rows = [dict(h.detail.get("row") or {}) for h in result.hits]
                with trace.stage(f"verify:{retriever.name}") as stage:
                    verdict = answerer.verify(asked, shape, cypher, params, rows)
                    stage.detail = verdict.to_dict()
                if verdict.ok:
                    rendered = answerer.render(shape, rows, cypher, params)
                    return self._with_documents(question, route, trace, answerer, shape, rendered, hits=result.hits)
                reasons += [f"{retriever.name}: {r}" for r in verdict.reasons]
            looked = answerer.lookup(asked, shape, trace, reasons)
            if looked is not None:
                return self._outcome(question, route, trace, looked)
            # "is the ad service java?", "is INC-7 still open?": one value of one component, asked yes or no (`property_yesno.py`);
            # "is checkout's SLO higher than the ad service's?": two components compared (`property_compare.py`).
            valued = answer_value_yesno(answerer, asked, shape, trace, reasons) or answer_comparison(answerer, asked, shape, trace, reasons)
            if valued is not None:
                return self._outcome(question, route, trace, valued)
            # "which incident was the rdb snapshot fork one?": the one incident named by remembered words (`remembered.py`).
            named = answer_which_named(answerer, asked, trace, reasons)
            if named is not None:
                return self._outcome(question, route, trace, named)
        cards: list[Hit] = []
        if route.graph:
            for r in self.graph:
                cards += self._run(trace, r, question, self.k).hits
        carded = answerer.card(question, cards) if cards else None
        if carded is not None:
            return self._outcome(question, route, trace, carded, hits=cards)
        if not reasons and route.graph:
            # No graph step tried a query: say which of an entity, the words or a fitting query was missing (`unplanned.py`).
            reasons = answerer.unplanned(plain, shape)
        if route.docs:
            lists = [self._run(trace, r, question, self.k).hits for r in self.documents]
            with trace.stage("fuse") as stage:
                fused = reciprocal_rank_fusion(lists, limit=self.k)
                stage.detail = {"method": "reciprocal rank fusion (k=60)", "inputs": [len(x) for x in lists], "kept": len(fused)}
            if self.answers == "generate" and self.llm is not None and fused:
                generated = self._answer_context(question, route, trace, fused)
                if generated.kind == "context":
                    return generated
            with trace.stage("quote") as stage:
                # A quote answers only when it holds most of what the question asks about: with procedure words
                # ("how do I", "mitigate") 0.4 of its content words, without them 0.6 ("How much does the gateway
                # cost?" quoted a runbook that merely names the gateway). A question for one fact ("what is the disk
                # size of X", "when was the last backup") or about another time ("this month") is answered by a
                # quote only when it also asks what to do: runbooks hold steps, not the estate's facts.
                cued = _doc_cue(route)
                fact = shape.shape in ("value", "count") or shape.wants_value or shape.wants_number or bool(TIME_QUALIFIER.search(question))
                fact = fact or bool(_AGGREGATE.search(question))  # "the average time to acknowledge a page": a number, no steps
                # "Which services have no runbook yet?" asks for nodes lacking something: runbook steps are no answer.
                fact = fact or (shape.shape in ("list", "person") and shape.wants_type is not None and bool(NEGATION.search(question)))
                # "Does checkout talk to kafka?": a yes/no about a relation is a fact of the graph; a runbook section that
                # names both is no answer to it ("is it safe to restart X?" names no relation and stays a procedure).
                fact = fact or (shape.shape == "yesno" and bool(answerer.lexicon.edge_cues(tokens(question))))
                fact = fact and not PROCEDURE.search(question)
                quoted = answerer.quote(question, fused, min_overlap=1 if cued else 2, min_coverage=FACT_COVERAGE if fact else QUOTE_COVERAGE[cued])
                stage.detail = {"sections": quoted.sections if quoted else None}
                if quoted is None:
                    reasons.append("quote: no section of the documents holds enough of the question's words" if fused else "quote: no document matches")
                if fact and quoted is not None and not asks_for_heading(question, str((quoted.sections or [{}])[0].get("section") or "")):
                    # "What is the disk size of X?" is no question for X's runbook; "What are the symptoms of X?" is.
                    why = "a question for a fact (or another time) that names no section of the runbook"
                    stage.detail = {"sections": None, "refused": quoted.sections, "why": why}
                    reasons.append(f"quote: {why}")
                    quoted = None
                if quoted is not None:
                    # The section must be about the question's component and hold its content words (`quote_gate.py`).
                    refused = quoted.sections
                    quoted, gated = gate_quote(question, quoted, answerer, fused)
                    if gated is not None:
                        stage.detail = {"sections": None, "refused": refused, "why": gated}
                        reasons.append(f"quote: {gated}")
            if quoted is not None:
                # "How bad is it if X?" quoted X's runbook's opening: its *Impact* section is what was asked.
                quoted = prefer_asked_section(question, quoted, answerer, fused)
                # "How do we roll back X?" is no question for a section that rolls nothing back (`symptom_ask.py`).
                # ... nor is a section that scales another component out, or another runbook's (`procedure_ask.py`).
                unheld = action_unheld(question, quoted, answerer) or quote_refused(question, quoted, answerer)
                if unheld is None:
                    return self._outcome(question, route, trace, quoted, hits=fused)
                reasons.append(f"quote: {unheld}")
        # "The cart cache fell over, what do I do?": the component's runbook section for the ask (`runbook_ask.py`).
        docs_hits: list[Hit] = fused if route.docs else []
        if not route.docs and ask_of(question) is not None and self.documents:
            # A runbook ask routed to the graph ("what's the impact if the ledger disk fills up"): the document search
            # ranks the runbooks that fit, as it does for a question routed to the documents.
            docs_hits = reciprocal_rank_fusion([self._run(trace, r, question, self.k).hits for r in self.documents], limit=self.k)
        with trace.stage("runbook_ask") as stage:
            runbook, why = answer_runbook_ask(question, answerer, docs_hits)
            if runbook is None:
                # "the mitigation part of the payments 5xx runbook": the section named, of the runbook named by title
                named, named_why = answer_named_section(question, answerer, docs_hits)
                runbook, why = (named, why) if named is not None or not named_why else (None, f"{why}; {named_why}")
            stage.detail = {"sections": runbook.sections if runbook else None, "why": why or None}
        if runbook is not None:
            elsewhere = action_elsewhere(question, runbook, answerer)
            if elsewhere is None:
                return self._outcome(question, route, trace, runbook, hits=docs_hits)
            why = f"runbook ask: {elsewhere}"
        reasons.append(why)
        return self._outcome(question, route, trace, answerer.abstain(cards, reasons), hits=cards)

    def _document_hits(self, trace: Trace, question: str) -> list[Hit]:
        """The document search's hits for `question`, fused (vector and full-text)."""
        lists = [self._run(trace, r, question, self.k).hits for r in self.documents]
        return reciprocal_rank_fusion(lists, limit=self.k)

    def _with_symptom_section(self, question: str, route: Route, trace: Trace, answerer: Answerer, out: Outcome) -> Answer | None:
        """`out` (what depends on a failing node) with the runbook section the question asks for ("impact") quoted
        under it, when the section passes the same gates as any quote (about the named component, holding the
        question's words); else None."""
        if not self.documents or not out.rows:
            return None
        lists = [self._run(trace, r, question, self.k).hits for r in self.documents]
        fused = reciprocal_rank_fusion(lists, limit=self.k)
        with trace.stage("quote") as stage:
            quoted = answerer.quote(question, fused, min_overlap=2, min_coverage=QUOTE_COVERAGE[False])
            heading = str((quoted.sections or [{}])[0].get("section") or "") if quoted is not None else ""
            if quoted is None or not asks_for_heading(question, heading):
                stage.detail = {"sections": None, "why": "no section on the symptom that the question asks for"}
                return None
            gated, why = gate_quote(question, quoted, answerer, fused)
            stage.detail = {"sections": gated.sections if gated else None, "why": why}
        if gated is None:
            return None
        merged = Rendered(out.rendered.header, [*out.rendered.lines, gated.rendered.header, *gated.rendered.lines])
        both = Outcome(merged, "quote", rows=out.rows, cypher=out.cypher, params=out.params, sections=gated.sections, source_ids=gated.source_ids)
        return self._outcome(question, route, trace, both, hits=fused)

    def _with_documents(
        self, question: str, route: Route, trace: Trace, answerer: Answerer, shape: Any, out: Outcome, hits: Sequence[Hit] = ()
    ) -> Answer:
        """A graph answer whose nodes are documents' (runbooks) also quotes the best section of them."""
        documents = [] if shape.wants_number else answerer.documents_for(out)
        if len(documents) > _QUOTED_OF_MANY and ask_of(question) is None:
            documents = []  # "what runbooks do we have": the list; one section of one of ten is no part of it
        if documents:
            found = [h for r in self.documents for h in self._run(trace, r, question, self.k).hits]
            with trace.stage("quote") as stage:
                quoted = answerer.quote_nodes(question, out, documents, found)
                stage.detail = {"documents": documents, "sections": quoted.sections if quoted else None}
            if quoted is not None:
                return self._outcome(question, route, trace, quoted, hits=found)
        return self._outcome(question, route, trace, out, hits=hits)

    def _outcome(self, question: str, route: Route, trace: Trace, out: Outcome, hits: Sequence[Hit] = ()) -> Answer:
        keep = set(out.source_ids or [])
        chosen = [h for h in hits if h.source_id in keep] if keep else list(hits)
        context = [Citation(i + 1, h.source_id, h.kind, h.text, h.found_by) for i, h in enumerate(chosen)]
        if out.kind in ("page", "risk") and out.rows:
            context = [Citation(i + 1, str(r.get("person") or r.get("id")), "row", _row_line(r), out.kind) for i, r in enumerate(out.rows)]
        elif out.kind == "rows" and not hits and out.rows and all(r.get("id") is not None for r in out.rows):
            # A composed query's rows: each row's node is what the answer cites (and what a cached copy depends on).
            context = [Citation(i + 1, str(r["id"]), "row", _row_line(r), "compose") for i, r in enumerate(out.rows)]
        answer = Answer(
            question, out.rendered.text, context, context, route, trace, rows=out.rows, cypher=out.cypher,
            kind=out.kind, abstained=out.abstained, sections=out.sections,
        )  # fmt: skip
        if out.kind == "rows" and out.params:
            answer.notes.append("answered by a query verified to cover the question; rows rendered by a template (no model prose)")
        return answer

    # -- answering from rows ---------------------------------------------------------
    def _answer_rows(self, question: str, route: Route, trace: Trace, result: Retrieval) -> Answer:
        hits = result.hits
        context = [Citation(i + 1, h.source_id, h.kind, h.text, h.found_by) for i, h in enumerate(hits)]
        rows = [h.detail.get("row", {}) for h in hits]
        table = "\n".join(f"[{c.n}] {c.text}" for c in context)
        notes: list[str] = []
        summary = ""
        if self.llm is not None:
            with trace.stage("summarise") as stage:
                listing = "\n".join(f"{c.n}. {c.text}" for c in context[:30])
                completion = self.llm.complete(
                    [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": f"Question: {question}\nRows ({len(rows)}):\n{listing}"}],
                    max_tokens=60,
                    temperature=0.0,
                    seed=0,
                    stop=["\n\n"],
                )
                stage.tokens = completion.prompt_tokens + completion.completion_tokens
                summary = completion.text.strip().split("\n")[0]
                invented = _invented_numbers(summary, table, len(rows))
                stage.detail = {"model": completion.model, "summary": summary, "invented_numbers": invented}
                if invented:
                    notes.append(f"the model's summary stated numbers not in the rows ({', '.join(invented)}); it was dropped")
                    summary = ""
        header = summary or f"{len(rows)} result(s):"
        cypher = result.detail.get("cypher")
        return Answer(question, f"{header}\n{table}", context, context, route, trace, rows=rows, cypher=cypher, notes=notes)

    # -- answering from context ----------------------------------------------------------
    def _answer_context(self, question: str, route: Route, trace: Trace, fused: list[Hit]) -> Answer:
        context = [Citation(i + 1, h.source_id, h.kind, h.text, h.found_by) for i, h in enumerate(fused)]
        if not context:
            return Answer(question, "I found nothing in the estate about this.", [], [], route, trace, notes=["no retriever returned anything"])
        if self.llm is None:
            text = "Most relevant items:\n" + "\n".join(f"[{c.n}] {_first_line(c.text)}" for c in context)
            return Answer(question, text, context, context, route, trace, notes=["no language model configured: extractive answer"])
        with trace.stage("generate") as stage:
            numbered = "\n\n".join(f"[{c.n}] {c.text[:1200]}" for c in context)
            completion = self.llm.complete(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Context:\n{numbered}\n\nQuestion: {question}"}],
                max_tokens=self.max_tokens,
                temperature=0.0,
                seed=0,
            )
            stage.tokens = completion.prompt_tokens + completion.completion_tokens
            stage.detail = {"model": completion.model, "prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens}
        text = completion.text.strip()
        if completion.latency_ms > self.budget_s * 1000 and self.answerer is not None:
            trace.stages[-1].detail["over_budget"] = True
            return Answer(question, text, [], context, route, trace, kind="over-budget")
        guarded = cut_repetition(text)
        if guarded.changed:
            text = guarded.text
            trace.stages[-1].detail["repetition_cut"] = {"sentences": guarded.removed_sentences, "truncated": guarded.truncated}
        with trace.stage("check citations") as stage:
            cited, dropped = _citations(text, len(context))
            stage.detail = {"cited": cited, "dropped": dropped}
        notes = []
        if dropped:
            text = _strip_citations(text, dropped)
            notes.append(f"the model cited items that were not in the context: {dropped}; removed")
        used = [c for c in context if c.n in cited]
        if not used:
            notes.append("the model cited no context item; the answer is not grounded; sources consulted are listed")
        return Answer(question, text, used, context, route, trace, dropped_citations=dropped, notes=notes)


def _citations(text: str, n: int) -> tuple[list[int], list[int]]:
    numbers: list[int] = []
    for m in _CITE.finditer(text):
        numbers += [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
    valid = sorted({x for x in numbers if 1 <= x <= n})
    dropped = sorted({x for x in numbers if not 1 <= x <= n})
    return valid, dropped


def _strip_citations(text: str, dropped: list[int]) -> str:
    def fix(m: re.Match[str]) -> str:
        kept = [x for x in re.split(r"\s*,\s*", m.group(1)) if int(x) not in dropped]
        return f"[{', '.join(kept)}]" if kept else ""

    return _CITE.sub(fix, text)


def _invented_numbers(summary: str, rows_text: str, n_rows: int) -> list[str]:
    allowed = set(_NUMBER.findall(rows_text)) | {str(n_rows)}
    return [x for x in _NUMBER.findall(summary) if x not in allowed]


def _doc_cue(route: Route) -> bool:
    return route.reason.startswith(("document cues", "graph cues (", "asks what to do"))


def _row_line(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def _short(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k != "attempts" or v}
