"""The exceptions opsgraph raises, as one tree.

Every error opsgraph raises on purpose derives from `OpsGraphError` and
carries two class attributes the shells read: `code` (a stable API code:
part of the API, never rename one) and `status` (the HTTP status). A
subclass inherits its parent's pair until it declares its own.

    OpsGraphError                         500 opsgraph_error
    ├── ConfigError                       500 config_error        opsgraph.yaml / environment is wrong
    ├── SchemaError (schema.loader)       422 schema_invalid      schema.yaml is invalid (also a ValueError)
    ├── IngestError                       422 ingest_invalid      estate files are invalid (file, line/row, field)
    │   └── DocumentTooLargeError         413 document_too_large  a document is over the configured size or chunk limits
    ├── SourceError                       422 source_invalid      a source (manifests, compose, catalog, traces) cannot be read
    ├── CoercionError (schema.coerce)     422 value_invalid       a value does not fit its declared type (ValueError)
    ├── ChunkingError (ingest.chunking)   422 chunking_invalid    chunking settings cannot be applied (ValueError)
    ├── StoreError                        500 store_error         the store failed
    │   ├── StoreLockedError              503 store_locked        another process holds the embedded store
    │   ├── StoreUnavailableError         503 store_unavailable   the home is read-only, full, or not ours to write
    │   ├── StoreCorruptError             500 store_corrupt       the store's files disagree with its own records
    │   ├── BatchError                    500 write_failed        a write batch failed and was rolled back
    │   └── QueryError                    400 query_invalid       a query did not parse or failed in the engine
    │       ├── WriteRefusedError         403 write_refused       a read-only query tried to write
    │       └── QueryTimeoutError         408 query_timeout       a query ran past its time limit
    ├── EmbeddingError (embed.base)       500 embedding_error     an embedder failed
    │   ├── EmbeddingIntegrityError       (inherits)              the weights' sha256 is not the pinned one
    │   └── HTTPStatusError (embed.endpoint) (inherits)           the endpoint answered an HTTP error
    ├── LLMError (llm.errors)             500 llm_error           a language model failed; its branch is drawn there
    │   ├── LLMSetupError                 500 llm_setup           (ModelIntegrityError under it)
    │   ├── LLMInputError                 422 llm_input           (LLMContextError 422 llm_context_too_long under it)
    │   ├── LLMConnectionError            502 llm_unreachable
    │   ├── LLMServerError                502 llm_failed
    │   ├── StructuredOutputError         502 llm_bad_output
    │   └── AdapterError (llm.adapters.registry)  (inherits)      (AdapterManifestError under it)
    ├── RiskError                         409 risk_error          the risk engine cannot do what was asked
    │   ├── RiskDataError (risk.dataset)  (inherits)              telemetry or edges cannot make a dataset (ValueError)
    │   ├── RiskModelError (risk.train)   (inherits)              a trained model cannot do what was asked (RuntimeError)
    │   ├── RegistryError (risk.registry) (inherits)              no such version / nothing to roll back to (RuntimeError)
    │   ├── RootCauseError (risk.rca)     (inherits)              inputs cannot be ranked (ValueError)
    │   ├── NoTelemetryError (app.risk)   409 no_telemetry
    │   ├── NoModelError (app.risk)       409 no_model
    │   └── UnknownNodeError (app.risk)   404 unknown_node
    ├── RedisBackendError (rag)           503 cache_unavailable   Redis unreachable or refused a command
    ├── CacheScorerError (rag.cache_scorer) 500 cache_scorer_invalid  the learned cache verifier's weights file is unreadable
    ├── NothingIngestedError (app.ask)    409 nothing_ingested
    ├── TuneError (app.text2cypher)       409 not_tunable
    ├── SearchUnavailableError (app)      409 search_unavailable
    ├── NodeNotFoundError (app.browse)    404 node_not_found
    ├── DocumentNotFoundError (app.browse) 404 document_not_found
    ├── AskInputError (app)               422 ask_input           (also a ValueError)
    ├── ServerError (cli.serve)           502 server_error        the running server refused a forwarded command
    ├── LimitExceededError                413 too_large           a request is over a configured limit
    ├── InvestigationError (investigate)  422 investigation_impossible  no such target, no telemetry, onset outside the data
    ├── IncidentRecordError (investigate) 422 incident_invalid    an incident record or import file is invalid
    └── ApiError (api.errors)             per instance            an error a shell raises itself

Errors stay in the layer that raises them (the module in brackets) unless
they are generic; each subclasses a class of this tree. Builtin bases
(`ValueError`, `RuntimeError`) are kept where callers catch them.
`tests/unit/test_error_tree.py` walks the package and holds every class to
this. Low-level engine errors are mapped to the most specific of these with
`raise ... from exc`, so a user sees what to do rather than a Java stack.
This module is a leaf: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass


class OpsGraphError(Exception):
    """Base of every error opsgraph raises on purpose."""

    code: str = "opsgraph_error"
    """Stable API code (`{"error": {"code": ...}}`); part of the API, never renamed."""
    status: int = 500
    """HTTP status the shells answer with."""


class ConfigError(OpsGraphError):
    """Configuration (file or environment) is missing or invalid."""

    code = "config_error"
    status = 500


@dataclass(frozen=True)
class Issue:
    """One problem in an input file."""

    file: str
    """Path of the file, relative to the estate folder where possible."""
    line: int | None
    """1-based line (YAML, CSV) or item number (JSON), when known."""
    field: str
    """Field or column the problem is in; empty for whole-row or file problems."""
    message: str
    """What is wrong and what was expected."""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        fld = f" [{self.field}]" if self.field else ""
        return f"{where}{fld}: {self.message}"


class IngestError(OpsGraphError):
    """Estate files were refused; nothing was written. `issues` lists every problem found."""

    code = "ingest_invalid"
    status = 422

    def __init__(self, issues: list[Issue], *, limit: int = 50) -> None:
        self.issues = issues
        shown = "\n".join(f"  {i}" for i in issues[:limit])
        more = f"\n  ... and {len(issues) - limit} more" if len(issues) > limit else ""
        super().__init__(f"{len(issues)} problem(s) in the estate; nothing was written:\n{shown}{more}")


class StoreError(OpsGraphError):
    """The store could not do what was asked."""

    code = "store_error"
    status = 500


class StoreLockedError(StoreError):
    """The embedded store is open in another process (one writer per store)."""

    code = "store_locked"
    status = 503


class BatchError(StoreError):
    """A write batch failed; its transaction was rolled back, earlier batches stand."""

    code = "write_failed"
    status = 500


class QueryError(StoreError):
    """A query failed to parse or run."""

    code = "query_invalid"
    status = 400

    def __init__(self, message: str, *, cypher: str | None = None) -> None:
        self.cypher = cypher
        super().__init__(message)


class WriteRefusedError(QueryError):
    """A query that writes was run read-only."""

    code = "write_refused"
    status = 403


class QueryTimeoutError(QueryError):
    """A query ran longer than its time limit and was stopped by the engine."""

    code = "query_timeout"
    status = 408


class RiskError(OpsGraphError):
    """The risk engine cannot do what was asked (bad data, bad version, failed training)."""

    code = "risk_error"
    status = 409


class SourceError(OpsGraphError):
    """A source's input cannot be read at all (unreadable file, malformed or unrendered document, missing folder).

    The message names the file, the 1-based document index within it, the field and what was expected.
    """

    code = "source_invalid"
    status = 422

    def __init__(self, message: str, *, file: str | None = None, document: int | None = None, field: str = "") -> None:
        self.file = file
        self.document = document
        self.field = field
        where = "" if file is None else (file if document is None else f"{file} document {document}")
        fld = f" [{field}]" if field else ""
        super().__init__(f"{where}{fld}: {message}" if where or fld else message)


# Safety on a shared host (issue 20): StoreError > StoreUnavailableError, StoreCorruptError;
# IngestError > DocumentTooLargeError; OpsGraphError > LimitExceededError.
class StoreUnavailableError(StoreError):
    """The store cannot be used as it is: its folder is read-only, the disk is full, or permission is missing."""

    code = "store_unavailable"
    status = 503


class StoreCorruptError(StoreError):
    """The store's files disagree with its own records (a truncated or damaged file): it is not served."""

    code = "store_corrupt"
    status = 500


class DocumentTooLargeError(IngestError):
    """A document (or the estate's documents together) is over the configured size or chunk limits; nothing was written."""

    code = "document_too_large"
    status = 413


class LimitExceededError(OpsGraphError):
    """A request is over a configured limit (body size, parameters, concurrent heavy queries)."""

    code = "too_large"
    status = 413
