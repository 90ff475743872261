"""Pydantic models of an estate schema (`schema.yaml`).

The schema is the contract every layer trusts: the store creates types,
properties and indexes from it, ingestion validates and coerces rows against
it, retrieval and prompts describe it. It must not import anything else of
opsgraph, and it does no I/O (loading lives in `loader.py`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSIONS = ("1",)
"""Schema file versions this release reads."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED_PROPERTIES = frozenset({"_hash", "_type"})
"""Property names opsgraph writes itself on every node and edge."""


class PropertyType(StrEnum):
    """Types a property may declare; each maps to one engine type."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    """Stored as an ISO-8601 UTC string so it compares and sorts as text."""
    STRING_LIST = "string_list"
    VECTOR = "vector"
    """A fixed-length float array with a vector index (needs `dimensions`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertySpec(_Strict):
    """One property of a node or edge type."""

    type: PropertyType = PropertyType.STRING
    """Value type; input values are coerced to it or refused."""
    required: bool = False
    """A row without this property is refused."""
    fulltext: bool = False
    """Index the property in the engine's full-text index."""
    embed: bool = False
    """Embed the property's text for vector search (Graph RAG)."""
    indexed: bool = False
    """Add a non-unique index for fast equality lookups."""
    description: str = ""
    """Shown to people and to language models that write Cypher."""
    dimensions: int | None = Field(None, gt=0)
    """Length of a `vector` property."""
    similarity: Literal["cosine", "euclidean", "dot"] = "cosine"
    """Distance the vector index uses."""
    allow_nan: bool = False
    """A `float` property may hold NaN and infinity (`nan`, `inf` in files); refused by default."""
    strip_control: bool = False
    """Control characters (other than tab, newline and carriage return) in a text value are removed instead of refused."""
    synonyms: list[str] = Field(default_factory=list)
    """Words or short phrases people use for this property ("mailing list" for a team's `email`, "based" for a
    person's `location`): the answer pipeline's lexicon reads them as naming the property."""

    value_synonyms: dict[str, list[str]] = Field(default_factory=dict)
    """Words people use for a value of a string property ({consume: [read, subscribe]}: reading from a topic is
    consuming it): a question naming the word filters on the value (and on the word itself when it is a value too)."""

    @field_validator("synonyms")
    @classmethod
    def _synonym_words(cls, value: list[str]) -> list[str]:
        for word in value:
            if not isinstance(word, str) or not word.strip() or word != word.strip():
                raise ValueError(f"synonym {word!r} must be a non-empty word or phrase without surrounding spaces")
        return value

    @field_validator("value_synonyms")
    @classmethod
    def _value_synonym_words(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for val, words in value.items():
            for word in words:
                if not isinstance(word, str) or not re.fullmatch(r"[A-Za-z][\w-]*", word):
                    raise ValueError(f"value_synonyms.{val}: {word!r} must be one word (letters, digits, '-' or '_')")
        return value

    @model_validator(mode="after")
    def _text_only_features(self) -> PropertySpec:
        if self.allow_nan and self.type is not PropertyType.FLOAT:
            raise ValueError("`allow_nan` applies to a float property only")
        if self.strip_control and self.type not in (PropertyType.STRING, PropertyType.STRING_LIST):
            raise ValueError("`strip_control` applies to a string or string_list property only")
        if (self.type is PropertyType.VECTOR) != (self.dimensions is not None):
            raise ValueError("a vector property needs `dimensions`, and only a vector property takes it")
        if self.value_synonyms and self.type is not PropertyType.STRING:
            raise ValueError("`value_synonyms` applies to a string property only")
        if (self.fulltext or self.embed) and self.type not in (
            PropertyType.STRING,
            PropertyType.STRING_LIST,
        ):
            raise ValueError("fulltext and embed need a string or string_list property")
        return self


def _expand_property(value: Any) -> Any:
    """Allow the shorthand `name: integer` for `name: {type: integer}`."""
    if isinstance(value, str):
        return {"type": value}
    return value


PropertyMap = dict[str, Annotated[PropertySpec, Field()]]


class _HasProperties(_Strict):
    properties: PropertyMap = Field(default_factory=dict)
    """Declared properties; rows may not carry undeclared ones."""
    description: str = ""
    """What this type is, for people and prompts."""
    synonyms: list[str] = Field(default_factory=list)
    """Ordinary words this estate uses for things of this type (the web shop's "cart", "checkout" for its
    services). A one-word name or alias equal to a synonym of any type is weak for the entity linker: it
    links only with a cue or support (see `opsgraph.ingest.linking`)."""

    @field_validator("synonyms")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for word in value:
            if not isinstance(word, str) or not word.strip() or word != word.strip():
                raise ValueError(f"synonym {word!r} must be a non-empty word without surrounding spaces")
        return value

    @field_validator("properties", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _expand_property(v) for k, v in value.items()}
        return value

    @field_validator("properties")
    @classmethod
    def _names(cls, value: PropertyMap) -> PropertyMap:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"property name {name!r} must match {_NAME.pattern}")
            if name in RESERVED_PROPERTIES:
                raise ValueError(f"property name {name!r} is reserved by opsgraph")
        return value


class SloRule(_Strict):
    """A failure rule on one telemetry feature: breached for `for_steps` steps in a row means failing.

    Used as failure labels for the risk model when an estate records no
    explicit labels (`risk/labels.py`).
    """

    feature: str
    """Telemetry feature the rule reads (declared in the type's `telemetry`)."""
    above: float | None = None
    """Breached when the value is above this bound."""
    below: float | None = None
    """Breached when the value is below this bound."""
    for_steps: int = Field(1, ge=1, alias="for")
    """Consecutive breached steps before a step counts as failing (the steps of the run from then on)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_bound(self) -> SloRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("an SLO rule needs exactly one of `above` or `below`")
        return self


class NodeType(_HasProperties):
    """A node type (a vertex type in the engine)."""

    id_property: str = Field("id", alias="id")
    """Input column that holds the node's stable id; stored as `id`."""
    name_property: str | None = "name"
    """Property that names the node in text (entity linking, answers)."""
    aliases_property: str | None = None
    """A string_list property of other names the node is known by."""
    telemetry: list[str] = Field(default_factory=list)
    """Telemetry feature names recorded for nodes of this type."""
    slo: list[SloRule] = Field(default_factory=list)
    """Failure rules on this type's telemetry (failure labels when none are recorded)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check_refs(self) -> NodeType:
        if self.id_property != "id" and self.id_property not in self.properties:
            raise ValueError(f"id property {self.id_property!r} is not declared in properties")
        if self.name_property is not None and self.name_property not in self.properties:
            # A missing name property is allowed: fall back to the id.
            object.__setattr__(self, "name_property", None)
        if self.aliases_property is not None:
            spec = self.properties.get(self.aliases_property)
            if spec is None or spec.type is not PropertyType.STRING_LIST:
                raise ValueError(
                    f"aliases property {self.aliases_property!r} must be a declared string_list"
                )
        if len(set(self.telemetry)) != len(self.telemetry):
            raise ValueError("telemetry feature names repeat")
        for rule in self.slo:
            if rule.feature not in self.telemetry:
                raise ValueError(f"slo rule on {rule.feature!r}: not a telemetry feature of this type (declared: {self.telemetry})")
        for feature in self.telemetry:
            if not _NAME.match(feature):
                raise ValueError(f"telemetry feature {feature!r} must match {_NAME.pattern}")
        return self

    def stored_properties(self) -> dict[str, PropertySpec]:
        """Properties as stored: the id column becomes `id`, always a string."""
        props = {k: v for k, v in self.properties.items() if k != self.id_property}
        props["id"] = PropertySpec(type=PropertyType.STRING, required=True)
        return props


class EdgeType(_HasProperties):
    """A relationship type between node types."""

    from_types: list[str] = Field(alias="from")
    """Node types an edge may start at."""
    to_types: list[str] = Field(alias="to")
    """Node types an edge may end at."""
    dependency: bool = False
    """`a -[this]-> b` means a needs b: failures propagate from b to a (risk layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_types", "to_types", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("from_types", "to_types")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one node type")
        return value


class ChunkingSettings(_Strict):
    """How documents are cut into chunks (used by the Graph RAG layer)."""

    strategy: Literal["fixed", "recursive", "markdown", "semantic"] = "markdown"
    """fixed size, recursive by separators, by markdown structure, or semantic."""
    size: int = Field(800, gt=0)
    """Target chunk size in characters."""
    overlap: int = Field(100, ge=0)
    """Characters shared by consecutive chunks (fixed and recursive)."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSettings:
        if self.overlap >= self.size:
            raise ValueError("overlap must be smaller than size")
        return self


class DocumentSettings(_Strict):
    """Settings for `docs/` in an estate folder."""

    folder: str = "docs"
    """Folder of markdown and text documents, relative to the estate."""
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    """Chunking strategy and sizes."""


class TelemetrySettings(_Strict):
    """Settings for `telemetry/` in an estate folder."""

    folder: str = "telemetry"
    """Folder of telemetry CSV files, relative to the estate."""
    interval_seconds: int = Field(60, gt=0)
    """Spacing of time steps; timestamps are snapped to it."""


class IncidentSettings(_Strict):
    """Where the estate keeps its incidents: failure labels for risk, and history for investigations."""

    type: str = "Incident"
    """Node type of an incident."""
    affected: str = "AFFECTED"
    """Edge type from an incident to each component it degraded."""
    caused_by: str | None = "CAUSED_BY"
    """Edge type from an incident to its root-cause component, if the estate records one."""
    start: str = "started_at"
    """Datetime property: when impact began."""
    end: str | None = "resolved_at"
    """Datetime property: when impact ended (open incidents have none)."""


class GraphSchema(_Strict):
    """An estate's schema: what nodes and edges exist and what they carry."""

    version: str
    """Schema file format version (see `SCHEMA_VERSIONS`)."""
    name: str
    """Name of the estate."""
    description: str = ""
    """What the estate is, for people and prompts."""
    nodes: dict[str, NodeType]
    """Node types by name."""
    edges: dict[str, EdgeType] = Field(default_factory=dict)
    """Edge types by name."""
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    """Document ingestion settings."""
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    """Telemetry ingestion settings."""
    incidents: IncidentSettings | None = None
    """Where incidents are kept; None when the estate records none."""

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        value = str(value)
        if value not in SCHEMA_VERSIONS:
            raise ValueError(f"unsupported schema version {value!r}; this release reads {SCHEMA_VERSIONS}")
        return value

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, value: dict[str, NodeType]) -> dict[str, NodeType]:
        if not value:
            raise ValueError("declare at least one node type")
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"type name {name!r} must match {_NAME.pattern}")
        return value

    @model_validator(mode="after")
    def _edge_endpoints_exist(self) -> GraphSchema:
        for edge_name, edge in self.edges.items():
            if not _NAME.match(edge_name):
                raise ValueError(f"edges.{edge_name}: name must match {_NAME.pattern}")
            if edge_name in self.nodes:
                raise ValueError(f"edges.{edge_name}: an edge type cannot share a node type's name")
            for side, types in (("from", edge.from_types), ("to", edge.to_types)):
                for t in types:
                    if t not in self.nodes:
                        raise ValueError(
                            f"edges.{edge_name}.{side}: unknown node type {t!r} "
                            f"(declared: {', '.join(sorted(self.nodes))})"
                        )
        return self

    @model_validator(mode="after")
    def _incidents_exist(self) -> GraphSchema:
        inc = self.incidents
        if inc is None:
            return self
        if inc.type not in self.nodes:
            raise ValueError(f"incidents.type: unknown node type {inc.type!r}")
        for key in ("affected", "caused_by"):
            edge = getattr(inc, key)
            if edge is not None and (edge not in self.edges or inc.type not in self.edges[edge].from_types):
                raise ValueError(f"incidents.{key}: {edge!r} is not an edge type from {inc.type}")
        props = self.nodes[inc.type].properties
        for key in ("start", "end"):
            prop = getattr(inc, key)
            if prop is not None and (prop not in props or props[prop].type is not PropertyType.DATETIME):
                raise ValueError(f"incidents.{key}: {prop!r} is not a datetime property of {inc.type}")
        return self

    def dependency_edges(self) -> list[str]:
        """Edge types along which failures propagate."""
        return [name for name, e in self.edges.items() if e.dependency]

    def telemetry_types(self) -> dict[str, list[str]]:
        """Node types that record telemetry, with their feature names."""
        return {name: n.telemetry for name, n in self.nodes.items() if n.telemetry}
