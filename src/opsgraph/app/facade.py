"""`OpsGraph`: the one public facade. It builds objects from settings (`app/build.py`) and wires them.

The CLI and (later) the HTTP API, MCP server and web page are thin shells
over this class; none of them builds a store or reads configuration itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsgraph.app.ask import AskService, NothingIngestedError, risk_source
from opsgraph.app.build import build_embedder, build_llm, build_store
from opsgraph.app.config import Settings, load_settings
from opsgraph.app.estates import record_estate
from opsgraph.app.risk import RiskService
from opsgraph.app.sync import SyncService
from opsgraph.app.text2cypher import Text2CypherService, TuneReport
from opsgraph.app.traces import TraceReceiver
from opsgraph.embed import Embedder
from opsgraph.errors import StoreError
from opsgraph.ingest import IngestReport, Progress, ingest_estate
from opsgraph.ingest.documents import DocumentLimits
from opsgraph.ingest.history import edge_intervals
from opsgraph.ingest.reconcile import ReconcileReport
from opsgraph.ingest.sync import SyncPlan
from opsgraph.ingest.telemetry_pull import PullReport
from opsgraph.llm import LanguageModel
from opsgraph.rag import Answer
from opsgraph.retrieve import render_schema
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore, LiveType, QueryResult

if TYPE_CHECKING:
    from opsgraph.app.investigate import InvestigateService
    from opsgraph.app.watch import CycleReport, Watcher
    from opsgraph.investigate import Investigation
    from opsgraph.rag.evaluate import EvalReport


def sample_estate_path() -> Path:
    """The Online Boutique sample estate shipped inside the package."""
    return Path(str(resources.files("opsgraph").joinpath("data", "sample_estate")))


class OpsGraph:
    """An estate's graph, opened from settings. Use as a context manager."""

    def __init__(self, settings: Settings | None = None, *, store: GraphStore | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or load_settings()
        self._store = store
        self._embedder = embedder
        self._llm: LanguageModel | None = None
        self._llm_built = False
        self._asker: AskService | None = None
        self._traces: TraceReceiver | None = None
        self._text2cypher: Text2CypherService | None = None
        self._risk: RiskService | None = None
        self._watcher: Watcher | None = None

    @classmethod
    def from_home(cls, home: str | Path | None = None, *, config_file: str | Path | None = None) -> OpsGraph:
        """Settings from arguments, environment and `opsgraph.yaml`."""
        return cls(load_settings(home=home, config_file=config_file))

    # -- lifecycle -------------------------------------------------------------
    def open(self) -> OpsGraph:
        if self._store is None:
            self.settings.home.mkdir(parents=True, exist_ok=True)
            self._store = build_store(self.settings)
        self._store.open()
        return self

    def close(self) -> None:
        if self._asker is not None:
            self._asker.close()
            self._asker = None
        if self._store is not None:
            self._store.close()
        closer = getattr(self._embedder, "close", None)
        if closer is not None:
            closer()
        if self._llm is not None:
            self._llm.close()

    def __enter__(self) -> OpsGraph:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            raise RuntimeError("OpsGraph is not open: use `with OpsGraph(...) as og:` or call open()")
        return self._store

    @property
    def risk(self) -> RiskService:
        """Failure risk of the estate's services: train, score, explain, drift, monitor, model versions."""
        if self._risk is None:
            self._risk = RiskService(self.store, self.schema, self.settings)
        return self._risk

    @property
    def embedder(self) -> Embedder | None:
        """The configured embedder, built on first use (no model loads until it embeds); None for provider "none"."""
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    @property
    def llm(self) -> LanguageModel | None:
        """The configured language model, built on first use (weights load on the first question); None for "none"."""
        if not self._llm_built:
            self._llm = build_llm(self.settings)
            self._llm_built = True
        return self._llm

    def ask(self, question: str, *, session: str | None = None, user: str | None = None, use_cache: bool = True) -> Answer:
        """Answer a question from the graph and the documents, with checked citations and a trace.

        `session`: a follow-up ("and who owns it?") is rewritten from that session's history first.
        `user`: whose cached answers may be served (never another user's). `use_cache=False` skips the cache.
        """
        return self._ask_service().ask(question, self.schema(), session=session, user=user, use_cache=use_cache)

    def _ask_service(self) -> AskService:
        if self._asker is None:
            self._asker = AskService(
                self.store, self.settings, embedder=self.embedder, llm=self.llm, text2cypher=self.text2cypher, risk=risk_source(self.risk, self.risk_drivers)
            )
        return self._asker

    def evaluate(self, questions: str | Path, *, limit: int | None = None, progress: Any = None) -> EvalReport:
        """Run a question file through `ask` (no cache) and judge each answer against its gold (`rag/evaluate.py`):
        answered share, accuracy of answered, accuracy overall, abstention on unanswerable questions, latency."""
        from opsgraph.rag.evaluate import load_questions, run_eval

        items = load_questions(questions)[: limit or None]
        return run_eval(
            lambda q: self.ask(q, use_cache=False), items, gold_query=lambda cypher: list(self.query(cypher, limit=10_000).rows), progress=progress
        )

    @property
    def text2cypher(self) -> Text2CypherService:
        """Text-to-Cypher for this estate: `tune` it (pairs, examples, style, adapter) and see its status."""
        if self._text2cypher is None:
            self._text2cypher = Text2CypherService(self.store, self.settings, embedder=self.embedder, llm=self.llm)
        return self._text2cypher

    def tune(self, *, adapter: bool = True, steps: int | None = None, sample: int | None = None, seed: int | None = None, progress: Any = None) -> TuneReport:
        """Prepare text-to-Cypher for the estate from its schema and data (see `retrieve/text2cypher/tune.py`)."""
        schema = self.schema()
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`) first")
        report = self.text2cypher.tune(schema, self.linker(), adapter=adapter, steps=steps, sample=sample, seed=seed, progress=progress)
        if self._asker is not None:
            self._asker.forget_writer()
        return report

    def write_cypher(self, question: str) -> Any:
        """The model writes, checks and runs a read-only query for `question` (tuned: slots, examples, grammar, adapter).

        Returns a `CypherOutcome` (the query that ran, its parameters, rows, attempts and what the tuning chose).
        """
        schema = self.schema()
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`) first")
        linker = self.linker()
        writer, info = self._ask_service().cypher_writer(schema, linker)
        outcome = writer.write(question)
        outcome.info = info
        return outcome

    def linker(self) -> Any:
        """The entity linker over the stored entities (what questions and documents are linked with)."""
        schema = self.schema()
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`) first")
        return self._ask_service().linker(schema)

    # -- estate ----------------------------------------------------------------
    def ingest(self, estate_dir: str | Path, *, progress: Progress | None = None, documents: bool = True) -> IngestReport:
        """Validate an estate folder completely, then write it idempotently; with `documents`, sync its docs/ too."""
        report = ingest_estate(self.store, estate_dir, progress=progress, embedder=self.embedder if documents else None,
                               limits=DocumentLimits(**self.settings.ingest.model_dump()))
        record_estate(self.settings.home, estate_dir)  # `opsgraph serve` ingests from these folders by default
        return report

    def reset(self) -> None:
        """Drop everything in the store (types, data, telemetry)."""
        self.store.reset()

    def check(self) -> Any:
        """Run the store's integrity check now: a report with `ok`, `summary()` and the store files it points at."""
        checker = getattr(self.store, "check", None)
        if checker is None:
            raise StoreError(f"the {self.settings.store.backend} store has no integrity check")
        return checker()

    def schema(self) -> GraphSchema | None:
        """The schema last applied to the store."""
        getter = getattr(self.store, "stored_schema", None)
        return getter() if getter else None

    # -- reading ---------------------------------------------------------------
    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *, write: bool = False, limit: int | None = None) -> QueryResult:
        """Run Cypher with parameters; read-only unless `write=True`."""
        return self.store.query(cypher, params, read_only=not write, limit=limit)

    def describe(self) -> list[LiveType]:
        """The live schema with counts."""
        return self.store.describe()

    def describe_text(self) -> str:
        """The live schema as a prompt will see it: types, properties, counts, edge directions."""
        return render_schema(self.describe(), self.schema())

    def impact(self, node_id: str, *, max_hops: int = 6) -> QueryResult:
        """What breaks if `node_id` is down: every node that depends on it, directly or not."""
        schema = self.schema()
        rels = "|".join(schema.dependency_edges()) if schema else ""
        if not rels:
            return QueryResult(columns=[], rows=[])
        return self.query(
            f"MATCH p = (s)-[:{rels}*1..{int(max_hops)}]->(t {{id: $id}}) "
            "RETURN s.id AS id, labels(s)[0] AS type, min(length(p)) AS hops ORDER BY hops, id",
            {"id": node_id},
        )

    # -- sources, sync, history ------------------------------------------------
    @property
    def syncer(self) -> SyncService:
        """Configured sources: sync them, list them, read the history (see `app/sync.py`)."""
        return SyncService(self.store, self.settings, self.schema())

    def sources(self) -> list[dict[str, Any]]:
        """Each source with its kind, location, precedence, when it last synced and what it holds."""
        return self.syncer.sources()

    def sync(self, names: list[str] | None = None, *, dry_run: bool = False, progress: Progress | None = None) -> list[SyncPlan]:
        """Plan and (unless `dry_run`) apply a sync of each named source (default: all), each all-or-nothing."""
        return self.syncer.sync(names, dry_run=dry_run, progress=progress)

    def pull_telemetry(self, name: str, *, now: float | None = None, dry_run: bool = False, progress: Progress | None = None) -> PullReport:
        """Pull a telemetry source (`kind: prometheus`) from its last stored step to `now`, all or nothing."""
        return self.syncer.pull(name, now=now, dry_run=dry_run, progress=progress)

    def changes(self, *, since: str | None = None, node: str | None = None, provenance: bool = False) -> list[dict[str, Any]]:
        """What changed, newest first, in words (`text`) and fields; `since` such as "24h" or an ISO time;
        `provenance` also lists changes of only which sources assert a fact."""
        return self.syncer.changes(since=since, node=node, provenance=provenance)

    def query_as_of(self, cypher: str, when: str, params: Mapping[str, Any] | None = None, *, limit: int | None = None) -> QueryResult:
        """Run a read-only query on the estate as it was at `when` (ISO time, or a span back such as "2h")."""
        with self.syncer.as_of(when) as (past, _):
            return past.query(cypher, params, read_only=True, limit=limit)

    def ask_as_of(self, question: str, when: str) -> Answer:
        """Answer from the estate as it was at `when` (graph only: documents are not versioned; no cache)."""
        schema = self.schema()
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`) first")
        with self.syncer.as_of(when) as (past, at):
            asker = AskService(past, self.settings, embedder=self.embedder, llm=self.llm)
            try:
                answer = asker.ask(question, schema, use_cache=False)
            finally:
                asker.close()
        answer.data_as_of = at  # the estate as it was then, not when the copy was written
        return answer

    @property
    def traces(self) -> TraceReceiver:
        """The OTLP receiver of this process (one per facade): `receive(body, content_type)`, `flush()`."""
        if self._traces is None:
            self._traces = TraceReceiver(lambda config, facts: self.syncer.sync_facts(config, facts), self.schema, self.store.node_types)
        return self._traces

    def reconcile(self) -> ReconcileReport:
        """Sources against each other and the estate: undeclared dependencies, unowned components, stale mentions."""
        return self.syncer.reconcile()

    def edge_intervals(self, edge_types: list[str] | None = None) -> dict[tuple[str, str, str], list[tuple[float | None, float | None]]]:
        """(edge type, from, to) → [start, end) intervals when it was true (None: before history / still true)."""
        schema = self.schema()
        return edge_intervals(self.store, schema, edge_types) if schema is not None else {}

    # -- investigations and incidents (see `app/investigate.py`) --------------------
    def _investigator(self, semantic: bool = False) -> InvestigateService:
        from opsgraph.app.investigate import InvestigateService

        return InvestigateService(self.store, self.schema(), self.embedder if semantic else None,
                                  span_paths=[s.path for s in self.settings.sources if s.kind == "traces" and s.path is not None],
                                  log_paths=[s.path for s in self.settings.sources if s.kind == "logs" and s.path is not None])

    def investigate(self, target: str, *, at: str | float | None = None, window: str | int = "30m", semantic: bool = False,
                    progress: Any = None) -> Investigation:
        """Ranked root causes of a symptom on `target` (a component or an incident id) with their evidence, recent
        changes, similar past incidents and runbook quotes; `semantic` compares summaries with the embedder."""
        return self._investigator(semantic).investigate(target, at=at, window=window, progress=progress)

    def investigate_agent(self, target: str, *, at: str | None = None, window: str = "30m", max_steps: int = 8,
                          budget_s: float = 120.0) -> Any:
        """Agent mode: the configured OpenAI-compatible model calls read-only tools in a loop within a step and time
        budget; its cause is checked against the evidence (refused when no investigation supports it). See
        `app/investigate_agent.py`."""
        from opsgraph.app.investigate_agent import investigate_with_agent

        return investigate_with_agent(self, target, at=at, window=window, max_steps=max_steps, budget_s=budget_s)

    def open_incident(self, service: str, title: str, *, severity: str = "sev3", summary: str = "", started_at: str | None = None) -> str:
        """Record an open incident on `service`; returns its id."""
        return self._investigator().open_incident(service, title, severity=severity, summary=summary, started_at=started_at)

    def close_incident(self, incident: str, *, cause: str, fix: str, resolved_at: str | None = None) -> str:
        """Close `incident` with its root-cause component and what fixed it."""
        return self._investigator().close_incident(incident, cause=cause, fix=fix, resolved_at=resolved_at)

    def import_incidents(self, path: str | Path) -> list[str]:
        """Record every incident of a CSV/JSON export (all or nothing); returns their ids."""
        return self._investigator().import_incidents(path)

    def risk_drivers(self, node: str) -> list[Any]:
        """The metric changes behind a node's risk: its own and its dependencies' recent moves against their normal."""
        return self._investigator().risk_drivers(node)


    # -- browsing (see `app/browse.py`) ---------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Estate nodes and edges (documents apart) and documents."""
        from opsgraph.app.browse import counts

        return counts(self.describe())

    def graph_view(self, *, limit: int, include_documents: bool = False) -> dict[str, Any]:
        """At most `limit` nodes with display names and the edges between them, for drawing."""
        from opsgraph.app.browse import graph_view

        return graph_view(self.store, self.schema(), limit=limit, include_documents=include_documents)

    def node_page(self, node_id: str) -> dict[str, Any]:
        """One node's properties, neighbours, runbooks and the documents that mention it."""
        from opsgraph.app.browse import node_page

        return node_page(self.store, self.schema(), node_id)

    def document_page(self, doc_id: str) -> dict[str, Any]:
        """A document and its chunks in order (a chunk id highlights that chunk)."""
        from opsgraph.app.browse import document_page

        return document_page(self.store, doc_id)

    # -- the watch loop (see `app/watch.py`) ------------------------------------------------------
    @property
    def watcher(self) -> Watcher:
        """The watch loop over this facade's store (one per facade: it keeps the scorer's state between cycles)."""
        if self._watcher is None:
            from opsgraph.app.watch import Watcher

            self._watcher = Watcher(self.store, self.settings, self.risk, self.schema, lambda name, now: self.pull_telemetry(name, now=now))
        return self._watcher

    def watch_cycle(self, *, now: float | None = None) -> CycleReport:
        """One watch cycle: pull the telemetry sources, score the new steps, record alerts, check drift."""
        return self.watcher.cycle(now=now)

    def alerts(self, *, open_only: bool = False) -> list[dict[str, Any]]:
        """Risk alerts the watch loop recorded (a node crossing its threshold, and when it cleared), newest first."""
        from opsgraph.risk.alerts import list_alerts

        return list_alerts(self.store, node_type=self.settings.risk.node_type, open_only=open_only)

    # -- suggested questions (see `app/suggest.py`) -------------------------------------------
    def suggest_questions(self, *, limit: int = 6, check: bool = True, should_stop: Callable[[], bool] | None = None) -> list[Any]:
        """Questions about this estate's own components in the shapes `ask` answers well (`Suggestion`s); with
        `check`, each is asked first (no cache) and kept only when it is answered about the component it names."""
        from opsgraph.app.suggest import suggest

        ask = (lambda q: self.ask(q, use_cache=False)) if check else None
        return suggest(self.store, self.schema(), self.settings.risk.node_type, ask=ask, limit=limit, should_stop=should_stop)
