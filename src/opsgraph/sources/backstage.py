"""Backstage catalog reader: `catalog-info.yaml` files (and the files their Location entities
point to) become components, teams, people, ownership, membership and dependencies.

Entity model (Backstage's descriptor format and BuiltinKindsEntityProcessor):
- A reference is `kind:namespace/name`, `kind:name`, `namespace/name` or `name`; the namespace
  defaults to the referring entity's own namespace, the kind to the field's default: owner ->
  Group, system -> System, domain -> Domain, providesApis/consumesApis -> API, subcomponentOf
  -> Component, memberOf/parent/children -> Group, members -> User; dependsOn/dependencyOf
  need an explicit kind. Matching is case-insensitive.
- Node types: Component -> `mapping.workload_type`, Group -> `mapping.team_type`, User ->
  `mapping.person_type`, any kind -> `mapping.types[kind]` when given (e.g.
  `{"Resource": "Datastore"}`, which also overrides the three above). Kinds with no node
  type (by default API, System, Domain, Resource) are counted in `Facts.skipped`; their
  relations still resolve (an API links its consumers to its providers). A Component or
  Resource whose name the store already holds as a Service, Datastore... keeps that type
  (unless `mapping.types` names one for its kind).
- Ids: the entity name; when a later entity (by file order) has a name already taken, it is
  `name.namespace` (other namespace) or `name.<kind>` (same namespace).
- Edges: `spec.owner` (ownedBy) -> ownership team -> entity; `spec.dependsOn` /
  `spec.dependencyOf` -> dependency edges; `consumesApis api:x` where `x` is provided by P ->
  dependency consumer -> P with evidence `consumesApis api:x provided by P`; `spec.memberOf`
  (User) and `spec.members` (Group) -> membership person -> team; `spec.system`,
  `spec.domain`, `spec.subcomponentOf` (partOf) -> `PART_OF` when the schema declares it.
  References that resolve to nothing in the catalog and are not known ids are problems.
- Locations: `spec.target` / `spec.targets`, relative to the file (globs allowed); a URL that
  is not a local file is a problem, as is a target file that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import (
    Evidence,
    Facts,
    KnownIds,
    Shaper,
    SourceConfig,
    component_types,
    register_reader,
)
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.yamldocs import display, read_documents, yaml_files

DEFAULT_KIND = {
    "owner": "group",
    "system": "system",
    "domain": "domain",
    "providesApis": "api",
    "consumesApis": "api",
    "subcomponentOf": "component",
    "subdomainOf": "domain",
    "memberOf": "group",
    "parent": "group",
    "children": "group",
    "members": "user",
}
ENTITY_KINDS = ("component", "system", "api", "resource", "group", "user", "domain", "location")
PART_OF_EDGE = "PART_OF"


@dataclass
class Entity:
    kind: str  # as written, e.g. "Component"
    namespace: str
    name: str
    spec: dict[str, Any]
    metadata: dict[str, Any]
    file: str
    document: int
    id: str = ""
    node_type: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}:{self.namespace.lower()}/{self.name.lower()}"

    def ev(self, fld: str, value: str) -> Evidence:
        return Evidence(self.file, self.document, fld, value)


def parse_ref(ref: str, default_kind: str | None, namespace: str) -> tuple[str | None, str, str]:
    """(kind or None, namespace, name), lower-cased, with Backstage's defaults applied."""
    text = ref.strip()
    kind: str | None = default_kind
    if ":" in text:
        kind, text = text.split(":", 1)
    ns = namespace
    if "/" in text:
        ns, text = text.split("/", 1)
    return (kind.lower() if kind else None), ns.lower(), text.lower()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _refs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


class _Catalog:
    """Reads files, follows Locations, and keeps entities by reference."""

    def __init__(self, root: Path, facts: Facts, cache: DocumentCache | None = None) -> None:
        self.root = root
        self.cache = cache
        self.facts = facts
        self.entities: list[Entity] = []
        self.by_ref: dict[str, Entity] = {}
        self._seen: set[Path] = set()

    def read_file(self, path: Path) -> None:
        real = path.resolve()
        if real in self._seen:
            return
        self._seen.add(real)
        shown = display(path, self.root)
        self.facts.files.append(shown)
        for index, doc in read_documents(path, shown, self.cache):
            if not isinstance(doc, dict) or "kind" not in doc or not isinstance(doc.get("metadata"), dict):
                self.facts.skip("<not a catalog entity>")
                continue
            meta = doc["metadata"]
            name = meta.get("name")
            if not name:
                raise SourceError("an entity needs metadata.name (expected a non-empty string)", file=shown, document=index, field="metadata.name")
            spec = _dict(doc.get("spec"))
            e = Entity(str(doc["kind"]), str(meta.get("namespace") or "default"), str(name), spec, meta, shown, index)
            if e.kind.lower() == "location":
                self._follow(e, path)
            if e.ref in self.by_ref:
                first = self.by_ref[e.ref]
                self.facts.problem(shown, index, "metadata.name", f"{e.ref} is defined again (first in {first.file}#{first.document}); the first definition is kept")
                continue
            self.by_ref[e.ref] = e
            self.entities.append(e)

    def _follow(self, loc: Entity, path: Path) -> None:
        targets = _refs(loc.spec.get("target")) + _refs(loc.spec.get("targets"))
        for target in targets:
            if "://" in target and not target.startswith("file://"):
                self.facts.problem(loc.file, loc.document, "spec.target", f"{target!r} is a URL, not a local file; not followed")
                continue
            rel = target.removeprefix("file://")
            base = path.parent
            matches = sorted(base.glob(rel)) if any(c in rel for c in "*?[") else [base / rel]
            found = [m for m in matches if m.is_file()]
            if not found:
                self.facts.problem(loc.file, loc.document, "spec.target", f"{target!r} names no file (looked for {base / rel})")
            for m in found:
                self.read_file(m)


@register_reader("backstage")
def read_backstage(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, cache: DocumentCache | None = None) -> Facts:
    """Read a catalog file (following its Locations) or every YAML file of a folder."""
    root = Path(str(config.path))
    facts = Facts(source=config.name, kind=config.kind)
    mapping = config.mapping
    catalog = _Catalog(root, facts, cache)
    files = yaml_files(root)
    if not files:
        raise SourceError("no *.yaml or *.yml files found (expected a Backstage catalog)", file=str(root))
    for path in files:
        catalog.read_file(path)

    default_types = {"component": mapping.workload_type, "group": mapping.team_type, "user": mapping.person_type}
    types = {k.lower(): v for k, v in mapping.types.items()}
    # A Component or Resource the store already holds as a component type (Service, Datastore...) keeps
    # that type unless `mapping.types` names one for its kind.
    software = [e for e in catalog.entities if e.kind.lower() in ("component", "resource") and e.kind.lower() not in types]
    stored = known_ids(sorted({e.name for e in software})) if (known_ids and software) else {}
    components = component_types(schema, mapping)
    taken: dict[str, Entity] = {}
    for e in catalog.entities:
        k = e.kind.lower()
        if k == "location":
            continue
        e.node_type = types.get(k, default_types.get(k))
        held = stored.get(e.name)
        if held in components and k in ("component", "resource") and k not in types:
            e.node_type = held
        if e.node_type is None or e.node_type not in schema.nodes:
            e.node_type = None
            facts.skip(e.kind)
            continue
        e.id = e.name
        if e.id in taken:
            e.id = f"{e.name}.{e.namespace}" if taken[e.id].namespace != e.namespace else f"{e.name}.{k}"
        taken[e.id] = e

    shaper = Shaper(schema, mapping, facts)
    for e in catalog.entities:
        if e.node_type is None:
            continue
        profile = _dict(e.spec.get("profile"))
        labels = _dict(e.metadata.get("labels"))
        props = {
            "name": profile.get("displayName") or e.metadata.get("title") or e.name,
            "description": e.metadata.get("description"),
            "namespace": e.namespace,
            "type": e.spec.get("type"),
            "lifecycle": e.spec.get("lifecycle"),
            "tags": e.metadata.get("tags"),
            "labels": [f"{a}={b}" for a, b in sorted(labels.items())] or None,
            "email": profile.get("email"),
            "entity_ref": e.ref,
        }
        shaper.node(e.node_type, e.id, props, e.ev(e.kind, e.ref))

    # Resolve references; what the catalog lacks may still be known to the store.
    pending: list[tuple[Entity, str, str, str | None, str]] = []  # (entity, field, ref, kind, name)

    def resolve(e: Entity, fld: str, ref: str) -> Entity | None:
        kind, ns, name = parse_ref(ref, DEFAULT_KIND.get(fld), e.namespace.lower())
        if kind is None:
            facts.problem(e.file, e.document, f"spec.{fld}", f"{ref!r} needs a kind (e.g. component:{ref}); {fld} has no default kind")
            return None
        hit = catalog.by_ref.get(f"{kind}:{ns}/{name}")
        if hit is None:
            pending.append((e, fld, ref, kind, name))
        return hit

    providers: dict[str, list[Entity]] = {}
    for e in catalog.entities:
        for ref in _refs(e.spec.get("providesApis")):
            api = resolve(e, "providesApis", ref)
            if api is not None:
                providers.setdefault(api.ref, []).append(e)

    dep, own, member = mapping.dependency_edge, mapping.ownership_edge, mapping.membership_edge
    unresolved_edges: list[tuple[str, Entity, str, str, str, str]] = []  # (edge, entity, field, ref, other name, direction)

    def link(edge: str, e: Entity, fld: str, ref: str, reverse: bool = False) -> None:
        target = resolve(e, fld, ref)
        if e.node_type is None:
            return
        if target is None:
            if pending and pending[-1][0] is e and pending[-1][2] == ref:
                unresolved_edges.append((edge, e, fld, ref, pending[-1][4], "rev" if reverse else "fwd"))
            return
        if target.node_type is None:
            facts.skip(f"{fld} -> {target.kind} (no node type)")
            return
        a, b = (target.id, e.id) if reverse else (e.id, target.id)
        shaper.edge(edge, a, b, {}, e.ev(f"spec.{fld}", ref))

    for e in catalog.entities:
        if e.kind.lower() == "location":
            continue
        for ref in _refs(e.spec.get("owner")):
            link(own, e, "owner", ref, reverse=True)
        for ref in _refs(e.spec.get("dependsOn")):
            link(dep, e, "dependsOn", ref)
        for ref in _refs(e.spec.get("dependencyOf")):
            link(dep, e, "dependencyOf", ref, reverse=True)
        for ref in _refs(e.spec.get("memberOf")):
            link(member, e, "memberOf", ref)
        for ref in _refs(e.spec.get("members")):
            link(member, e, "members", ref, reverse=True)
        for fld in ("system", "domain", "subcomponentOf", "subdomainOf"):
            for ref in _refs(e.spec.get(fld)):
                if PART_OF_EDGE in schema.edges:
                    link(PART_OF_EDGE, e, fld, ref)
                else:
                    resolve(e, fld, ref)
        for fld in ("parent", "children"):
            for ref in _refs(e.spec.get(fld)):
                resolve(e, fld, ref)
        for ref in _refs(e.spec.get("consumesApis")):
            api = resolve(e, "consumesApis", ref)
            if api is None or e.node_type is None:
                continue
            if api.kind.lower() != "api":
                facts.problem(e.file, e.document, "spec.consumesApis", f"{ref!r} resolves to {api.ref}, not an API; ignored")
                continue
            for p in providers.get(api.ref, []):
                if p.node_type is not None and p is not e:
                    shaper.edge(dep, e.id, p.id, {}, e.ev("consumesApis", f"api:{api.name} provided by {p.id}"))

    # References the catalog does not define: an id the store knows keeps its edge, the rest are problems.
    names = sorted({name for *_, name in pending})
    known = known_ids(names) if (known_ids and names) else {}
    for edge, e, fld, ref, name, direction in unresolved_edges:
        if name in known:
            a, b = (name, e.id) if direction == "rev" else (e.id, name)
            shaper.edge(edge, a, b, {}, e.ev(f"spec.{fld}", ref))
    for e, fld, ref, kind, name in pending:
        if name not in known:
            facts.problem(e.file, e.document, f"spec.{fld}", f"dangling reference {ref!r}: no {kind}:{name} in the catalog or the store")
    return shaper.finish(known_ids)
