"""Kubernetes reader: manifests (a folder, a multi-document file, Helm-rendered output or a
`kubectl get ... -o yaml` List) become workloads, ownership and inferred dependencies.

Mapping rules (documented here because users rely on them):
- Deployments, StatefulSets, DaemonSets, Jobs and CronJobs are workloads, each a node of
  `mapping.workload_type` (or `mapping.types[<kind>]`, e.g. `{"StatefulSet": "Datastore"}`).
  A workload whose id the store already holds as another node type keeps that type (unless
  `mapping.types` names one for its kind), so a StatefulSet `redis-cart` the estate calls a
  Datastore updates that Datastore. Its id is the workload name; when two namespaces hold a workload of the same name, the first
  one read (files sorted, documents in order) keeps the plain name and later ones get
  `name.namespace`.
- Properties offered (kept only where the schema declares them, after `mapping.rename`):
  `name`, `namespace`, `workload_kind`, `image` and `version` (first container; version is the
  image tag, or the digest when pinned by digest), `replicas`, `port` (first container port),
  `cpu_request`/`cpu_limit` (cores, summed over containers), `memory_request`/`memory_limit`
  (MiB, summed), `labels` (`k=v` strings), `exposed` (true when an Ingress routes to it) and
  `ingress_hosts`.
- A Service maps to the workloads in its namespace whose pod template labels contain its
  selector. A value names a Service by `svc` (same namespace), `svc.ns`, `svc.ns.svc` or
  `svc.ns.svc.cluster.local` (also `pod.svc.ns.svc...`), with or without scheme and port, inside
  URLs and comma lists. Values are env vars (`value`, `valueFrom.configMapKeyRef`, `envFrom`
  ConfigMaps) and every value of a ConfigMap the workload mounts as a volume. Each such value
  gives a dependency edge workload -> selected workload(s), with its evidence.
- The first of `mapping.team_labels` present on the workload (or its pod template) names its
  team; when that id is a known team, an ownership edge team -> workload is added, otherwise
  the label is reported in `Facts.problems`.
- ConfigMaps and Namespaces are read to resolve values and make no nodes. Other kinds are
  counted in `Facts.skipped`; documents that are not Kubernetes objects (no
  `kind`) are counted under `<not a Kubernetes object>`.

`facts_from_objects` holds the mapping; `read_kubernetes` feeds it from files, and a live
cluster reader would feed it the API's objects.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsgraph.errors import Issue, SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import (
    Evidence,
    Facts,
    KnownIds,
    Shaper,
    SourceConfig,
    SourceMapping,
    add_ownership,
    component_types,
    image_version,
    known_of_types,
    known_teams,
    register_reader,
)
from opsgraph.sources.carried import CarriedFile, Rows, block_of, ent_key, from_kept
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.hosts import address_hosts, host_candidates
from opsgraph.sources.yamldocs import display, display_base, read_documents, yaml_files

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
READ_KINDS = (*WORKLOAD_KINDS, "Service", "Ingress", "ConfigMap", "Namespace")


@dataclass
class K8sObject:
    """One object with where it was read from (file, 1-based document)."""

    obj: dict[str, Any]
    file: str
    document: int | None
    digest: str | None = None
    """Hash of the document's text (plus the item's place in a `List`), when read through a document cache."""
    item: int = -1
    """The object's place in a `List` document (-1: the document is the object)."""
    loader: Callable[[], dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    """For an object rebuilt from a file's kept summary (`obj` holds only what the mapping of every object reads):
    loads the whole object from the document cache when a workload must be mapped again."""
    kind: str = field(init=False)
    name: str = field(init=False)
    namespace: str = field(init=False)
    pod_labels: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)
    """A workload's pod template labels as the mapping reads them, when rebuilt from a summary (`kept`); None: read `obj`."""

    def __post_init__(self) -> None:  # read once: the mapping asks for these hundreds of thousands of times
        meta = self.obj.get("metadata") or {}
        self.kind = str(self.obj.get("kind", ""))
        self.name = str(meta.get("name", "")) if isinstance(meta, dict) else ""
        self.namespace = str(meta.get("namespace") or "default") if isinstance(meta, dict) else "default"

    @classmethod
    def kept(cls, entry: tuple[Any, ...], file: str, loader: Callable[[], dict[str, Any]]) -> K8sObject:
        """A workload rebuilt from its file's kept summary (`_summary`'s `"w"` entry) without reading its object again:
        its kind, name, namespace and pod labels are the ones read when it was summarised (`obj`: its metadata only)."""
        _, document, digest, item, lite, kind, name, namespace, pod_labels = entry
        o = cls.__new__(cls)
        o.obj, o.file, o.document, o.digest, o.item, o.loader = lite, file, document, digest, item, loader
        o.kind, o.name, o.namespace, o.pod_labels = kind, name, namespace, pod_labels
        return o

    def ev(self, fld: str, value: str) -> Evidence:
        return Evidence(self.file, self.document, fld, value)

    def full(self) -> dict[str, Any]:
        """The whole object (loaded once, when this one was rebuilt from a summary)."""
        if self.loader is not None:
            self.obj, self.loader = self.loader(), None
        return self.obj


@dataclass
class _Workload:
    ref: K8sObject
    id: str
    node_type: str
    pod_labels: dict[str, str]
    exposed_hosts: list[str] = field(default_factory=list)
    exposed: bool = False
    _pod_spec: dict[str, Any] | None = None

    @property
    def pod_spec(self) -> dict[str, Any]:
        """The pod template's spec (read from the whole object only when the workload is mapped)."""
        if self._pod_spec is None:
            self._pod_spec = _mapping(_pod_template(self.ref.full(), self.ref.kind).get("spec"))
        return self._pod_spec


def _mapping(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else []


def _pod_template(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    spec = _mapping(obj.get("spec"))
    if kind == "CronJob":
        spec = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
    return _mapping(spec.get("template"))


_CPU = re.compile(r"^([0-9.]+)(m?)$")
_MEM_UNITS = {
    "": 1 / 2**20, "k": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20, "T": 1e12 / 2**20,
    "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "Ti": 1024.0**2, "m": 1e-3 / 2**20,
}
_MEM = re.compile(r"^([0-9.]+(?:e[0-9]+)?)([kMGT]i?|m)?$")


def _cpu_cores(q: Any) -> float | None:
    m = _CPU.match(str(q).strip())
    if not m:
        return None
    v = float(m.group(1))
    return v / 1000 if m.group(2) else v


def _mem_mib(q: Any) -> float | None:
    m = _MEM.match(str(q).strip())
    if not m:
        return None
    return float(m.group(1)) * _MEM_UNITS[m.group(2) or ""]


def _workload_props(w: _Workload) -> dict[str, Any]:
    obj, kind = w.ref.full(), w.ref.kind
    containers = [c for c in _list(w.pod_spec.get("containers")) if isinstance(c, dict)]
    props: dict[str, Any] = {"name": w.ref.name, "namespace": w.ref.namespace, "workload_kind": kind}
    if containers:
        image = str(containers[0].get("image") or "")
        if image:
            props["image"] = image
            props["version"] = image_version(image)
        for c in containers:
            ports = [p for p in _list(c.get("ports")) if isinstance(p, dict) and "containerPort" in p]
            if ports:
                props["port"] = ports[0]["containerPort"]
                break
    if kind in ("Deployment", "StatefulSet"):  # other kinds have no replica count
        replicas = _mapping(obj.get("spec")).get("replicas")
        props["replicas"] = 1 if replicas is None else replicas
    for what, parse, unit in (("cpu", _cpu_cores, 1), ("memory", _mem_mib, 1)):
        for bound, key in (("requests", "request"), ("limits", "limit")):
            values = [_mapping(_mapping(c.get("resources")).get(bound)).get(what) for c in containers]
            parsed = [parse(v) for v in values if v is not None]
            if parsed and None not in parsed:
                props[f"{what}_{key}"] = round(sum(p for p in parsed if p is not None) * unit, 4)
    labels = _mapping(_mapping(obj.get("metadata")).get("labels")) or w.pod_labels
    if labels:
        props["labels"] = [f"{k}={v}" for k, v in sorted(labels.items())]
    if w.exposed:
        props["exposed"] = True
        props["ingress_hosts"] = sorted(set(w.exposed_hosts))
    return props


def iter_objects(doc: Any, file: str, document: int, digest: str | None = None) -> Iterable[K8sObject]:
    """The object(s) of one document; a `List` (kubectl dump) yields its items. `digest`: the document's text hash."""
    if isinstance(doc, dict) and (doc.get("kind") == "List" or str(doc.get("kind", "")).endswith("List")) and isinstance(
        doc.get("items"), list
    ):
        for n, item in enumerate(doc["items"]):
            yield K8sObject(item if isinstance(item, dict) else {"_not_object": item}, file, document, f"{digest}[{n}]" if digest else None, n)
    else:
        yield K8sObject(doc if isinstance(doc, dict) else {"_not_object": doc}, file, document, digest)


def facts_from_objects(
    objects: list[K8sObject],
    config: SourceConfig,
    schema: GraphSchema,
    known_ids: KnownIds | None,
    facts: Facts | None = None,
    memo: DocumentCache | None = None,
    files: _FileBlocks | None = None,
) -> Facts:
    """Map Kubernetes objects (from files or a live cluster) to facts.

    With `memo` (the document cache), a workload whose document, id, type and exposure are unchanged and whose
    every lookup (Service names, ConfigMaps, namespaces of a name) still answers the same reuses the rows and
    problems it gave last time instead of being mapped again (`_Lookups`)."""
    facts = facts or Facts(source=config.name, kind=config.kind)
    mapping: SourceMapping = config.mapping
    shaper = Shaper(schema, mapping, facts)

    by_kind: dict[str, list[K8sObject]] = {}
    for o in objects:
        kind = o.kind
        if not kind or not isinstance(o.obj.get("metadata"), dict) or not o.name:
            facts.skip("<not a Kubernetes object>")
            continue
        if kind not in READ_KINDS:
            facts.skip(kind)
            continue
        by_kind.setdefault(kind, []).append(o)

    configmaps = {(o.namespace, o.name): _mapping(o.obj.get("data")) for o in by_kind.get("ConfigMap", [])}

    # Workloads, with the id rule for names repeated across namespaces.
    workloads: list[_Workload] = []
    first_ns: dict[str, str] = {}
    by_key: dict[tuple[str, str], _Workload] = {}
    for o in sorted(
        (o for k in WORKLOAD_KINDS for o in by_kind.get(k, [])), key=lambda o: (o.file, o.document or 0)
    ):
        ns = o.namespace
        if (ns, o.name) in by_key:
            continue  # same name twice in one namespace (e.g. a Deployment and a CronJob): one node
        first = first_ns.setdefault(o.name, ns)
        wid = o.name if first == ns else f"{o.name}.{ns}"
        w = _Workload(ref=o, id=wid, node_type=mapping.types.get(o.kind, mapping.workload_type), pod_labels=_pod_labels(o))
        workloads.append(w)
        by_key[(ns, o.name)] = w

    # A workload the store already holds as another node type (a hand-written Datastore `redis-cart`
    # deployed as a StatefulSet) keeps that type, unless `mapping.types` names one for its kind.
    # Only the component types other than the default one can change a workload's type: only those are asked.
    components = component_types(schema, mapping)
    asked = sorted({w.id for w in workloads if w.ref.kind not in mapping.types})
    stored = known_of_types(known_ids, asked, sorted(components - {mapping.workload_type})) if known_ids else {}
    for w in workloads:
        held = stored.get(w.id)
        if held and held != w.node_type and held in components and w.ref.kind not in mapping.types:
            w.node_type = held

    by_label: dict[tuple[str, str, str], list[_Workload]] = {}
    for w in workloads:
        for k, v in w.pod_labels.items():
            by_label.setdefault((w.ref.namespace, k, v), []).append(w)

    # Service DNS names -> workloads they select (an unchanged file's Services come from its kept summary, in file order).
    services = _services(by_kind.get("Service", []), files)
    dns: dict[str, list[_Workload]] = {}
    svc_targets: dict[tuple[str, str], list[_Workload]] = {}
    for s_name, s_ns, selector in services:
        first_label = next(iter(selector.items()), None)
        targets = [
            w
            for w in (by_label.get((s_ns, *first_label), []) if first_label else [])
            if selector.items() <= w.pod_labels.items()
        ]
        svc_targets[(s_ns, s_name)] = targets
        if not targets:
            continue
        for name in (f"{s_name}.{s_ns}", f"{s_name}.{s_ns}.svc", f"{s_name}.{s_ns}.svc.cluster.local"):
            dns[name] = targets
        dns.setdefault(f"{s_name}@{s_ns}", targets)  # bare name, same namespace only

    # Ingress backends mark their workloads exposed.
    for ing in by_kind.get("Ingress", []):
        spec = _mapping(ing.obj.get("spec"))
        backends: list[tuple[str, str]] = []
        for b in (spec.get("defaultBackend"), spec.get("backend")):
            if isinstance(b, dict):
                backends.append(("*", _backend_service(b)))
        for rule in _list(spec.get("rules")):
            host = str(_mapping(rule).get("host") or "*")
            for path in _list(_mapping(_mapping(rule).get("http")).get("paths")):
                backends.append((host, _backend_service(_mapping(_mapping(path).get("backend")))))
        for host, svc in backends:
            if not svc:
                continue
            backend_targets = svc_targets.get((ing.namespace, svc))
            if not backend_targets:
                facts.problem(ing.file, ing.document, "spec.rules.backend", f"Ingress {ing.name} routes to Service {svc!r}, which selects no workload here")
                continue
            for w in backend_targets:
                w.exposed = True
                if host != "*":
                    w.exposed_hosts.append(host)

    # What a workload's dependencies are inferred from beyond its own document.
    def resolve_in(host: str, ns: str) -> list[_Workload] | None:
        hit = dns.get(host) if "." in host else dns.get(f"{host}@{ns}")
        if hit is None and ".svc" in host and host.count(".") >= 3:
            hit = dns.get(host.split(".", 1)[1])  # pod.svc.ns.svc[.cluster.local]
        return hit

    elsewhere: dict[str, set[str]] = {}
    for w in workloads:
        elsewhere.setdefault(w.ref.name, set()).add(w.ref.namespace)
    for s_name, s_ns, _ in services:
        elsewhere.setdefault(s_name, set()).add(s_ns)
    look = _Lookups(configmaps, resolve_in, elsewhere)
    resolve, configmap = look.resolve, look.configmap
    trusted = files.trust(workloads, dns, look) if files is not None else set()
    # Unchanged files whose facts are carried as blocks: none of their workloads is mapped or replayed below.
    carried = files.carry(trusted, workloads, schema, mapping, facts, known_ids) if files is not None else {}
    for cf in carried.values():
        facts.problems.extend(Issue(*p) for p in cf.problems)
        facts.carried.append(cf)
    fresh = [w for w in workloads if w.ref.file not in carried] if carried else workloads
    mapped_from = len(facts.problems)

    kept = _Kept(memo, config, schema, workloads, facts, shaper, files, skip=set(carried))
    for w in fresh:
        node_in = (w.node_type, w.exposed, sorted(set(w.exposed_hosts)))
        if kept.replay_node(w, node_in):
            continue
        mark = kept.mark()
        shaper.node(w.node_type, w.id, _workload_props(w), w.ref.ev(w.ref.kind, f"{w.ref.namespace}/{w.ref.name}"))
        kept.record_node(w, node_in, mark)

    # Dependencies.
    def scan(w: _Workload, fld: str, value: Any, dep_kind: str) -> None:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return
        text = str(value)
        found: set[str] = set()
        for host in host_candidates(text):
            for t in resolve(host, w.ref.namespace) or []:
                found.add(host)
                if t is not w:
                    shaper.edge(mapping.dependency_edge, w.id, t.id, {"config_key": dep_kind}, w.ref.ev(fld, text))
        # An address naming no Service of this source may name a workload deployed elsewhere
        # (another source, the store): keep it as an edge to that name; `finish` drops and
        # reports it unless the id is known.
        cluster_names = [h for h in host_candidates(text) if h.endswith((".svc", ".svc.cluster.local"))]
        for host in dict.fromkeys([*address_hosts(text), *cluster_names]):
            if host in found:
                continue
            name = _cluster_local_name(host)
            spaces = look.namespaces(name) if name is not None and "." not in host else None
            if spaces is not None:
                facts.problem(
                    w.ref.file, w.ref.document, fld,
                    f"{text!r} names {name!r}, which is only in namespace(s) {', '.join(spaces)} "
                    f"(a bare name reaches its own namespace {w.ref.namespace} only; write {name}.<namespace>)",
                )
                continue
            if name and name != w.ref.name and name != w.id:
                shaper.edge(mapping.dependency_edge, w.id, name, {"config_key": dep_kind}, w.ref.ev(fld, text))

    def dependencies(w: _Workload) -> None:
        ns = w.ref.namespace
        containers = [c for key in ("initContainers", "containers") for c in _list(w.pod_spec.get(key)) if isinstance(c, dict)]
        for c in containers:
            for env in _list(c.get("env")):
                env = _mapping(env)
                name = str(env.get("name", ""))
                if "value" in env:
                    scan(w, f"env {name}", env.get("value"), name)
                ref = _mapping(_mapping(env.get("valueFrom")).get("configMapKeyRef"))
                if ref:
                    data = configmap(ns, str(ref.get("name")))
                    if data is None:
                        if not ref.get("optional"):
                            facts.problem(w.ref.file, w.ref.document, f"env {name}", f"ConfigMap {ref.get('name')!r} is not in this source (namespace {ns})")
                        continue
                    scan(w, f"env {name} (configMap {ref.get('name')}/{ref.get('key')})", data.get(str(ref.get("key"))), name)
            for src in _list(c.get("envFrom")):
                cm = _mapping(_mapping(src).get("configMapRef")).get("name")
                if cm is None:
                    continue
                data = configmap(ns, str(cm))
                if data is None:
                    facts.problem(w.ref.file, w.ref.document, "envFrom", f"ConfigMap {cm!r} is not in this source (namespace {ns})")
                    continue
                prefix = str(_mapping(src).get("prefix") or "")
                for key, value in data.items():
                    scan(w, f"env {prefix}{key} (configMap {cm})", value, f"{prefix}{key}")
        for vol in _list(w.pod_spec.get("volumes")):
            cm = _mapping(_mapping(vol).get("configMap")).get("name")
            if cm is None:
                continue
            data = configmap(ns, str(cm))
            if data is None:
                continue
            for key, value in data.items():
                scan(w, f"configMap {cm}/{key}", value, str(key))

    for w in fresh:
        if kept.replay_dependencies(w, look, trusted=w.ref.file in trusted):
            continue
        mark = kept.mark()
        look.record = []
        dependencies(w)
        kept.record_dependencies(w, look.record, mark)
        look.record = None

    # Ownership from team labels.
    claims: list[tuple[_Workload, str, str]] = []
    for w in fresh:
        labels = {**w.pod_labels, **{str(k): str(v) for k, v in _mapping(_mapping(w.ref.obj.get("metadata")).get("labels")).items()}}
        for label in mapping.team_labels:
            if labels.get(label):
                claims.append((w, label, labels[label]))
                break
    skips = sum(facts.skipped.values())
    teams = add_ownership(shaper, facts, mapping, [(w.id, w.ref.ev(f"label {label}", team), team) for w, label, team in claims], known_ids)
    claimable = sum(facts.skipped.values()) == skips and mapping.dependency_edge != mapping.ownership_edge
    mapped = facts.problems[mapped_from:]
    kept.done(fresh)
    for cf in carried.values():
        facts.reused["nodes"] = facts.reused.get("nodes", 0) + cf.workloads
        facts.reused["dependencies"] = facts.reused.get("dependencies", 0) + cf.workloads
    types = shaper.settle(known_ids)
    before = {t: list(rows) for t, rows in facts.edges.items()}
    checked_from = len(facts.problems)
    shaper.finish(known_ids, types)
    if files is not None:
        still = {cf.file for cf in facts.carried}
        blocks = _claims(workloads, still, {f: cf for f, cf in carried.items() if f not in still}, files.carry_teams, facts, before, types, mapping,
                         mapped, facts.problems[checked_from:], [(w, team) for w, _, team in claims], teams) if claimable else {}  # fmt: skip
        files.keep(workloads, kept, blocks, still)
        facts.reused["carried"] = len(still)
    return facts


def _claims(workloads: list[_Workload], still: set[str], expanded: dict[str, CarriedFile], expanded_teams: dict[str, dict[str, bool]], facts: Facts,
            before: dict[str, list[dict[str, Any]]], types: dict[str, str], mapping: SourceMapping, mapped: list[Issue], checked: list[Issue],
            named: list[tuple[_Workload, str]], teams: set[str]) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Per file not carried, the block a later sync may carry it as (`sources.carried`); {} when any fact's file is unclear.

    A fact belongs to the workload whose id it holds (a node: its id; a dependency: its `from`; an ownership: its `to`),
    so each file's facts are its own workloads' (a file with a workload id another workload also has gets no block)."""
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for w in workloads:
        if w.id in owner:
            shared.update((owner[w.id], w.ref.file))
        owner[w.id] = w.ref.file
    per: dict[str, dict[str, Any]] = {}
    for w in workloads:
        if w.ref.file not in still:
            per.setdefault(w.ref.file, {"ents": [], "nodes": {}, "counts": {}, "ends": {}, "problems": [], "dropped": [], "teams": {}, "workloads": 0})["workloads"] += 1
    dep, own = mapping.dependency_edge, mapping.ownership_edge

    def block(owner_id: Any) -> dict[str, Any] | None:
        f = owner.get(str(owner_id))
        return None if f is None else per.get(f)

    b: dict[str, Any] | None
    for t, rows in facts.nodes.items():
        for r in rows:
            b = block(r["id"])
            if b is None:
                return {}
            b["ents"].append(ent_key("node", t, str(r["id"])))
            b["nodes"][r["id"]] = t
            b["counts"][("node", t)] = b["counts"].get(("node", t), 0) + 1
    for t, rows in facts.edges.items():
        for r in rows:
            b = block(r["from"] if t == dep else r["to"] if t == own else None)
            if b is None:
                return {}
            b["ents"].append(ent_key("edge", t, str(r["from"]), str(r["to"])))
            b["counts"][("edge", t)] = b["counts"].get(("edge", t), 0) + 1
    for t, rows in before.items():
        for r in rows:
            b = block(r["from"] if t == dep else r["to"] if t == own else None)
            if b is None:
                return {}
            b["ends"][r["from"]] = types.get(r["from"])
            b["ends"][r["to"]] = types.get(r["to"])
    for where, issues in (("problems", mapped), ("dropped", checked)):
        for p in issues:
            f = _where_file(p.file)
            if f in still:
                continue  # a carried block's own reports
            if f not in per:
                return {}
            per[f][where].append((p.file, p.line, p.field, p.message))
    for w, team in named:
        per[w.ref.file]["teams"][team] = team in teams
    for f, cf in expanded.items():
        per[f]["problems"] = list(cf.problems)
        per[f]["teams"] = dict(expanded_teams.get(f, {}))
    out = {}
    for f, b in per.items():
        if f in shared:
            continue
        out[f] = {**block_of(f, b["ents"], b["nodes"], b["counts"], b["ends"], b["problems"], b["dropped"], b["workloads"]), "teams": b["teams"]}
    return out


def _pod_labels(o: K8sObject) -> dict[str, str]:
    """A workload's pod template labels (as strings)."""
    if o.pod_labels is not None:
        return o.pod_labels
    return {str(k): str(v) for k, v in _mapping(_mapping(_pod_template(o.obj, o.kind).get("metadata")).get("labels")).items()}


Svc = tuple[str, str, dict[str, str]]
"""A Service as the mapping reads it: name, namespace, selector (as strings)."""


def _service(o: K8sObject) -> Svc:
    return o.name, o.namespace, {str(k): str(v) for k, v in _mapping(_mapping(o.obj.get("spec")).get("selector")).items()}


def _services(read: list[K8sObject], files: _FileBlocks | None) -> list[Svc]:
    """Every Service in object order: those of files read now, and those an unchanged file's summary kept (`_FileBlocks.services`)."""
    if files is None or not files.services:
        return [_service(s) for s in read]
    by_file: dict[str, list[Svc]] = {}
    for s in read:
        by_file.setdefault(s.file, []).append(_service(s))
    out: list[Svc] = []
    for shown in files.order:
        out.extend(files.services.get(shown) or by_file.pop(shown, []))
    for rest in by_file.values():  # none when every object came through `files` (read_kubernetes)
        out.extend(rest)
    return out


def _where_file(where: str) -> str:
    """The file of an `Issue.file` (`file#document` or `file`)."""
    file, _, doc = where.rpartition("#")
    return file if file and doc.isdigit() else where


Check = tuple[Any, ...]
KEPT_FORMAT = 3
"""Bumped whenever what a workload's kept rows mean changes (this module's mapping rules, the file summaries)."""
_CODE: list[str] = []


def _fingerprint(config: SourceConfig, schema: GraphSchema) -> str:
    """Everything kept results depend on besides the documents: this module's format and code, the kind, mapping and schema."""
    return hashlib.blake2b(
        f"{KEPT_FORMAT}|{_code_fingerprint()}|{config.kind}|{config.mapping.model_dump_json()}|{schema.model_dump_json()}".encode(), digest_size=12
    ).hexdigest()


def _code_fingerprint() -> str:
    """Hash of the code that maps a workload (this module, `hosts`, `base`, `carried`): an edited rule never meets rows kept by the old one."""
    if not _CODE:
        from opsgraph.sources import base, carried, hosts

        digest = hashlib.blake2b(digest_size=12)
        for module in (__file__, hosts.__file__, base.__file__, carried.__file__):
            try:
                digest.update(Path(str(module)).read_bytes())
            except OSError:  # no source file to read (a frozen build): the package version in the cache version still applies
                digest.update(str(module).encode())
        _CODE.append(digest.hexdigest())
    return _CODE[0]


class _Lookups:
    """What a workload's dependencies are inferred from beyond its own document, recorded while `record` is a list.

    A kept result is reused only while every recorded lookup answers the same (`holds`): a Service added that
    an unchanged workload's address now names, a ConfigMap it reads changed, a name now in another namespace."""

    def __init__(self, configmaps: dict[tuple[str, str], dict[str, Any]], resolve: Callable[[str, str], list[_Workload] | None],
                 elsewhere: dict[str, set[str]]) -> None:  # fmt: skip
        self.configmaps = configmaps
        self._resolve = resolve
        self.elsewhere = elsewhere
        self.record: list[Check] | None = None
        self._digests: dict[tuple[str, str], str | None] = {}

    def _digest(self, ns: str, name: str) -> str | None:
        key = (ns, name)
        if key not in self._digests:
            data = self.configmaps.get(key)
            if data is None:
                self._digests[key] = None
            else:
                try:
                    blob = marshal.dumps(data)
                except ValueError:
                    blob = repr(data).encode()
                self._digests[key] = hashlib.blake2b(blob, digest_size=16).hexdigest()
        return self._digests[key]

    def configmap(self, ns: str, name: str) -> dict[str, Any] | None:
        if self.record is not None:
            self.record.append(("cm", ns, name, self._digest(ns, name)))
        return self.configmaps.get((ns, name))

    def resolve(self, host: str, ns: str) -> list[_Workload] | None:
        hit = self._resolve(host, ns)
        if self.record is not None:
            self.record.append(("dns", host, ns, None if hit is None else tuple(t.id for t in hit)))
        return hit

    def namespaces(self, name: str) -> list[str] | None:
        hit = self.elsewhere.get(name)
        out = None if hit is None else sorted(hit)
        if self.record is not None:
            self.record.append(("ns", name, None if out is None else tuple(out)))
        return out

    def holds(self, check: Check) -> bool:
        """Does a recorded lookup still answer the same?"""
        kind = check[0]
        if kind == "dns" and len(check) == 4:
            hit = self._resolve(str(check[1]), str(check[2]))
            return (None if hit is None else tuple([t.id for t in hit])) == check[3]
        if kind == "cm" and len(check) == 4:
            return self._digest(str(check[1]), str(check[2])) == check[3]
        if kind == "ns" and len(check) == 3:
            spaces = self.elsewhere.get(str(check[1]))
            return (None if spaces is None else tuple(sorted(spaces))) == check[2]
        return False


class _Kept:
    """Per workload, the rows and problems its node and its dependencies gave in the last sync, kept in the document cache
    (in its file's block, `_FileBlocks`, when read from files).

    The key holds everything else they depend on: this module's format and code, the schema and the mapping, the
    document's text hash and place, the workload's id and namespace. Nothing is kept or reused for a workload
    without a document hash (a live cluster, a file the cache could not split) or whose id another workload
    also has, nor when mapping it counted something as skipped."""

    def __init__(self, memo: DocumentCache | None, config: SourceConfig, schema: GraphSchema, workloads: list[_Workload],
                 facts: Facts, shaper: Shaper, files: _FileBlocks | None = None, skip: set[str] | None = None) -> None:  # fmt: skip
        self.memo, self.facts, self.shaper, self.mapping, self.files = memo, facts, shaper, config.mapping, files
        self.entries: dict[int, dict[str, Any]] = {}
        self.keys: dict[int, str] = {}
        self.dirty: set[int] = set()
        """Workloads whose entry changed in this read (the others' kept bytes are carried over as they were)."""
        self.reused_nodes = self.reused_dependencies = 0
        if memo is None:
            return
        fingerprint = _fingerprint(config, schema)
        counts: dict[str, int] = {}
        for w in workloads:
            counts[w.id] = counts.get(w.id, 0) + 1
        skip = skip or set()
        for w in workloads:
            if w.ref.digest and counts[w.id] == 1 and w.ref.file not in skip:
                self.keys[id(w)] = f"k8s|{fingerprint}|{w.ref.digest}|{w.ref.file}#{w.ref.document}|{w.ref.namespace}|{w.id}"
        for w in workloads:
            if w.ref.file in skip:
                continue  # carried as a block: its kept rows are read only if the block must become rows again
            key = self.keys.get(id(w))
            old = (files.entry(w.ref.file, key) if files is not None else memo.recall(key)) if key else None
            self.entries[id(w)] = old if isinstance(old, dict) else {}

    def mark(self) -> tuple[int, int, int]:
        """Problems, skips and dependency rows so far (what a workload's mapping adds is what follows)."""
        f = self.facts
        return len(f.problems), sum(f.skipped.values()), len(f.edges.get(self.mapping.dependency_edge, []))

    def _problems(self, since: int) -> list[tuple[str, int | None, str, str]]:
        return [(p.file, p.line, p.field, p.message) for p in self.facts.problems[since:]]

    def _add_problems(self, problems: Any) -> None:
        self.facts.problems.extend(Issue(str(a), b, str(c), str(d)) for a, b, c, d in problems)

    def replay_node(self, w: _Workload, node_in: tuple[Any, ...]) -> bool:
        part = self.entries.get(id(w), {}).get("node")
        if not part or not isinstance(part[0], tuple) or part[0] != node_in:
            return False
        _, row, problems = part
        if not isinstance(row, dict) or self.shaper.has_node(w.node_type, w.id) or row.get("id") != w.id:
            return False
        self.shaper.adopt_node(w.node_type, row)
        self.facts.replayed.add(("node", w.node_type, w.id))
        self._add_problems(problems)
        self.reused_nodes += 1
        return True

    def record_node(self, w: _Workload, node_in: tuple[Any, ...], mark: tuple[int, int, int]) -> None:
        entry = self.entries.get(id(w))
        if entry is None or id(w) not in self.keys:
            return
        row = self.shaper._node_index.get((w.node_type, w.id)) if sum(self.facts.skipped.values()) == mark[1] else None
        self.dirty.add(id(w))
        if row is None:
            entry.pop("node", None)
            return
        entry["node"] = (node_in, dict(row), self._problems(mark[0]))

    def replay_dependencies(self, w: _Workload, look: _Lookups, *, trusted: bool = False) -> bool:
        """Reuse the kept dependency rows while every lookup they came from holds (`trusted`: the caller knows it does)."""
        part = self.entries.get(id(w), {}).get("deps")
        if not part:
            return False
        checks, rows, problems = part
        if not trusted:
            holds = look.holds
            for c in checks:
                if not (isinstance(c, tuple) and holds(c)):
                    return False
        if rows:
            self.facts.replayed.update([("edge", *key) for key in self.shaper.adopt_edges(self.mapping.dependency_edge, rows)])
        self._add_problems(problems)
        self.reused_dependencies += 1
        return True

    def record_dependencies(self, w: _Workload, checks: list[Check], mark: tuple[int, int, int]) -> None:
        entry = self.entries.get(id(w))
        if entry is None or id(w) not in self.keys:
            return
        self.dirty.add(id(w))
        if sum(self.facts.skipped.values()) != mark[1]:
            entry.pop("deps", None)
            return
        rows = self.facts.edges.get(self.mapping.dependency_edge, [])[mark[2] :]
        entry["deps"] = (checks, [dict(r) for r in rows], self._problems(mark[0]))

    def done(self, workloads: list[_Workload]) -> None:
        """Keep every workload's entry for the next sync (the cache saves them only after the sync's writes committed).

        Ownership is mapped afresh each time (it is cheap); a workload's ownership rows equal to the kept ones
        count as copied unchanged (`Facts.replayed`), like the rows replayed above."""
        if self.memo is None:
            return
        edge = self.mapping.ownership_edge
        owned: dict[str, list[dict[str, Any]]] = {}
        for row in self.facts.edges.get(edge, []):
            owned.setdefault(row["to"], []).append(row)
        for w in workloads:
            key, entry = self.keys.get(id(w)), self.entries.get(id(w))
            if key is None or entry is None:
                continue
            rows = owned.get(w.id, [])
            if entry.get("own") == rows:
                self.facts.replayed.update(("edge", edge, r["from"], r["to"]) for r in rows)
                if id(w) not in self.dirty:
                    continue  # recalled and unchanged: the cache keeps its bytes
            entry["own"] = [dict(r) for r in rows]
            self.dirty.add(id(w))
            if self.files is None:
                self.memo.keep(key, entry)
        self.facts.reused = {"nodes": self.reused_nodes, "dependencies": self.reused_dependencies}
        if self.files is not None:
            self.facts.reused["files"] = len(self.files.trusted)


_MISSING = object()


def _read_keys(checks: Any) -> set[str]:
    """The lookup-table entries (`_FileBlocks.tables`) a workload's recorded lookups read."""
    out: set[str] = set()
    for c in checks if isinstance(checks, (list, tuple)) else ():
        if not isinstance(c, tuple) or not c:
            out.add("*")
        elif c[0] == "dns" and len(c) == 4:
            host, ns = str(c[1]), str(c[2])
            out.add("d:" + (host if "." in host else f"{host}@{ns}"))
            if ".svc" in host and host.count(".") >= 3:
                out.add("d:" + host.split(".", 1)[1])
        elif c[0] == "cm" and len(c) == 4:
            out.add(f"c:{c[1]}/{c[2]}")
        elif c[0] == "ns" and len(c) == 3:
            out.add(f"n:{c[1]}")
        else:
            out.add("*")  # a lookup this version does not know: never trusted
    return out


def _summary(o: K8sObject) -> tuple[Any, ...]:
    """What the mapping reads of an object whatever changed, so an unchanged file's objects are not read again:
    its contribution to the lookup tables (Service names and selectors, ConfigMaps, names and namespaces) and to the ids.

    - a workload: `("w", document, digest, item, metadata, kind, name, namespace, pod labels)`, its metadata's name,
      namespace and labels only (the pod spec, most of its bytes, is loaded only when it must be mapped again);
    - a Service: `("s", document, digest, item, name, namespace, selector)` (no object is rebuilt for it);
    - others: `("o", document, digest, item, object)`: Ingresses and ConfigMaps whole, other kinds their kind and name
      (all they are counted by)."""
    obj = o.obj
    meta = obj.get("metadata")
    if not o.kind or not isinstance(meta, dict) or not o.name:
        return ("o", o.document, o.digest, o.item, {"_not_object": 1})
    if o.kind in WORKLOAD_KINDS:
        lite = {"kind": obj.get("kind"), "metadata": {k: meta[k] for k in ("name", "namespace", "labels") if k in meta}}
        return ("w", o.document, o.digest, o.item, lite, o.kind, o.name, o.namespace, _pod_labels(o))
    if o.kind == "Service":
        return ("s", o.document, o.digest, o.item, *_service(o))
    if o.kind in READ_KINDS:
        return ("o", o.document, o.digest, o.item, obj)
    return ("o", o.document, o.digest, o.item, {"kind": obj.get("kind"), "metadata": {"name": meta.get("name")}})


class _FileBlocks:
    """Per file, what its last sync kept in the document cache, so an unchanged file costs what changed around it.

    A file's block holds: the hash of its bytes; a summary of its objects (`_summary`: what the mapping reads of
    every object, so the file's documents are not loaded); per workload the rows, problems and lookups it gave
    (`_Kept` entries, kept apart and loaded only when asked for); the block a later sync may carry the file as
    (`claims`, `sources.carried`); what those lookups read (`reads`: entries of the lookup tables) and the id, type and
    exposure of each of its workloads (`ins`). One table (`tables`) holds every answer a lookup can give: Service
    DNS names -> the workloads they select, ConfigMaps -> a hash of their data, names -> their namespaces.

    A re-sync compares the tables with the previous sync's (an inverse index: what changed is a set of table
    keys) and trusts an unchanged file's workloads without asking their lookups one by one when its `ins` are the
    same and none of its `reads` changed. Anything else (a changed file, a new Service it names, a changed
    ConfigMap, a block or table missing or from another version) falls back to the workload-by-workload checks,
    then to mapping. Blocks and tables are saved with the document cache, only after the sync's writes committed."""

    def __init__(self, cache: DocumentCache, config: SourceConfig, schema: GraphSchema) -> None:
        self.cache = cache
        self.fp = _fingerprint(config, schema)
        self.old: dict[str, dict[str, Any]] = {}
        self.objs: dict[str, list[tuple[Any, ...]]] = {}
        self.paths: dict[str, Path] = {}
        self.order: list[str] = []
        self.clean: set[str] = set()
        """Files whose objects were rebuilt from their block (their bytes are the same)."""
        self.ins: dict[str, tuple[Any, ...]] = {}
        self.trusted: set[str] = set()
        self._loaded: dict[str, dict[str, Any]] = {}
        self.carry_teams: dict[str, dict[str, bool]] = {}
        """Per carried file, whether each team its ownership labels name was a known team (checked again now)."""
        self.services: dict[str, list[Svc]] = {}
        """Per file whose objects were rebuilt from its block, its Services as kept (`_summary`: never rebuilt as objects)."""

    def _key(self, shown: str) -> str:
        return f"k8s-file|{self.fp}|{shown}"

    def _rows_key(self, shown: str) -> str:
        """Where a file's workload entries (their rows) are kept: apart from its block, loaded only when asked for
        (a carried file's are not: about half of the blocks' bytes at 10k workloads)."""
        return f"k8s-rows|{self.fp}|{shown}"

    def _entries(self, shown: str) -> dict[str, Any]:
        """A file's kept workload entries (loaded on the first call; {} when missing or damaged)."""
        got = self._loaded.get(shown)
        if got is None:
            raw = self.cache.recall(self._rows_key(shown)) if shown in self.old else None
            got = self._loaded[shown] = raw if isinstance(raw, dict) else {}
        return got

    def read(self, path: Path, shown: str) -> list[K8sObject] | None:
        """The objects of an unchanged file rebuilt from its block, or None (the caller reads the file; then `note`)."""
        self.order.append(shown)
        self.paths[shown] = path
        old = self.cache.recall(self._key(shown))
        if not isinstance(old, dict) or not isinstance(old.get("objs"), list):
            return None
        self.old[shown] = old
        try:
            data = path.read_bytes()
        except OSError:
            return None  # read_documents raises it with the file's name
        if old.get("digest") != self.cache.unchanged(path, data):
            return None
        load = _lazy_documents(path, shown, self.cache)
        out: list[K8sObject] = []
        services: list[Svc] = []
        try:
            for entry in old["objs"]:
                tag = entry[0]
                if tag == "w":
                    out.append(K8sObject.kept(entry, shown, functools.partial(load, entry[1], entry[3])))
                elif tag == "s":
                    services.append(entry[4:])
                elif tag == "o":
                    out.append(K8sObject(entry[4], shown, entry[1], entry[2], entry[3]))
                else:
                    return None
        except (IndexError, TypeError, ValueError):
            return None  # a summary from another version: the file is read
        self.objs[shown] = old["objs"]
        self.services[shown] = services
        self.clean.add(shown)
        return out

    def note(self, shown: str, objects: list[K8sObject]) -> None:
        """The objects of a file that was read (parsed or taken from the document cache)."""
        self.objs[shown] = [_summary(o) for o in objects]

    def entry(self, shown: str, key: str) -> Any:
        """A workload's kept entry from its file's block."""
        return self._entries(shown).get(key)

    def trust(self, workloads: list[_Workload], dns: dict[str, list[_Workload]], look: _Lookups) -> set[str]:
        """Unchanged files whose workloads' kept dependencies hold without asking each lookup (see the class)."""
        changed = self._same_tables()
        if changed is None:
            changed = self._changed_tables(dns, look)
        by_file: dict[str, list[_Workload]] = {}
        for w in workloads:
            by_file.setdefault(w.ref.file, []).append(w)
        for shown, ws in by_file.items():
            self.ins[shown] = tuple([(w.ref.namespace, w.ref.name, w.ref.kind, w.id, w.node_type, w.exposed, tuple(sorted(set(w.exposed_hosts)))) for w in ws])
        for shown in self.clean:
            old_block = self.old[shown]
            reads = old_block.get("reads")
            if old_block.get("ins") == self.ins.get(shown, ()) and isinstance(reads, frozenset) and "*" not in reads and reads.isdisjoint(changed):
                self.trusted.add(shown)
        return self.trusted

    def _same_tables(self) -> set[str] | None:
        """No table entry changed (an empty set) when the files read are those of the sync the kept tables are from, in
        that order and with the same bytes, each one whose block was recalled unchanged: the tables are a function of
        the files' objects in order (ids, selectors, ConfigMaps, names), so they are the kept ones. None: compare them.

        Why: rebuilding and comparing every entry (30k at 10k workloads) was a tenth of an unchanged re-sync."""
        key = f"k8s-read|{self.fp}"
        now = tuple([(shown, self.old[shown].get("digest") if shown in self.clean else self.cache.digest(self.paths[shown])) for shown in self.order])
        kept = self.cache.recall(key)
        if kept != now:
            self.cache.keep(key, now)
            return None
        if len(self.clean) != len(self.order) or any(d is None for _, d in now):
            return None
        return set() if self.cache.retain(f"k8s-tables|{self.fp}") else None

    def _changed_tables(self, dns: dict[str, list[_Workload]], look: _Lookups) -> set[str]:
        """Build every answer a lookup can give now, keep it, and return the entries that differ from the kept ones."""
        ids: dict[int, tuple[str, ...]] = {}
        tables: dict[str, Any] = {}
        for name, targets in dns.items():
            got = ids.get(id(targets))
            if got is None:
                got = ids[id(targets)] = tuple([t.id for t in targets])
            tables["d:" + name] = got
        for ns, name in look.configmaps:
            tables[f"c:{ns}/{name}"] = look._digest(ns, name)
        for name, spaces in look.elsewhere.items():
            tables["n:" + name] = tuple(sorted(spaces))
        key = f"k8s-tables|{self.fp}"
        old = self.cache.recall(key)
        old = old if isinstance(old, dict) else {}
        try:  # in C: 30k entries at 10k workloads
            changed = {k for k, _ in tables.items() ^ old.items()}
        except TypeError:  # a value that cannot be hashed (a table from another version): compare one by one
            changed = {k for k, v in tables.items() if old.get(k, _MISSING) != v}
            changed.update(k for k in old if k not in tables)
        if old != tables:
            self.cache.keep(key, tables)
        return changed

    def carry(self, trusted: set[str], workloads: list[_Workload], schema: GraphSchema, mapping: SourceMapping, facts: Facts,
              known_ids: KnownIds | None) -> dict[str, CarriedFile]:  # fmt: skip
        """Trusted files to hand over as blocks (`sources.carried`): when the cache allows it, and each team the file's
        ownership labels name is a known team now exactly when it was (the rest of a block is checked by `Shaper.settle`)."""
        if not self.cache.carry or not trusted or mapping.dependency_edge == mapping.ownership_edge:
            return {}
        blocks: dict[str, tuple[CarriedFile, dict[str, bool]]] = {}
        for shown in self.order:
            if shown not in trusted:
                continue
            kept = self.old[shown].get("claims")
            cf = from_kept(shown, kept, functools.partial(self._rows, shown, mapping))
            if cf is not None and isinstance(kept, dict) and isinstance(kept.get("teams"), dict):
                blocks[shown] = (cf, kept["teams"])
        names = {str(t) for _, teams in blocks.values() for t in teams}
        now: set[str] = set()
        if names:
            produced = Facts(facts.source, facts.kind)
            produced.nodes = {mapping.team_type: [{"id": w.id} for w in workloads if w.node_type == mapping.team_type]} if mapping.team_type in schema.nodes else {}
            now = known_teams(produced, mapping, names, known_ids)
        out: dict[str, CarriedFile] = {}
        for shown, (cf, teams) in blocks.items():
            if all((t in now) == bool(v) for t, v in teams.items()):
                out[shown] = cf
                self.carry_teams[shown] = teams
        return out

    def _rows(self, shown: str, mapping: SourceMapping) -> Rows:
        """A file's rows before the edge checks, from the workload entries of its block."""
        nodes: dict[str, list[dict[str, Any]]] = {}
        edges: dict[str, list[dict[str, Any]]] = {}
        for entry in self._entries(shown).values():
            node_in, row, _ = entry["node"]
            nodes.setdefault(node_in[0], []).append(dict(row))
            edges.setdefault(mapping.dependency_edge, []).extend(dict(r) for r in entry["deps"][1])
            edges.setdefault(mapping.ownership_edge, []).extend(dict(r) for r in entry.get("own") or [])
        return nodes, {t: rows for t, rows in edges.items() if rows}

    def keep(self, workloads: list[_Workload], kept: _Kept, claims: dict[str, dict[str, Any]] | None = None, carried: set[str] | None = None) -> None:
        """Keep a new block for every file read whose block is not the one recalled unchanged.

        `claims`: per file, the block a later sync may carry it as (kept with the file's block when all of its workloads'
        entries are complete); `carried`: files carried as blocks in this read (their blocks are kept as they were)."""
        claims, carried = claims or {}, carried or set()
        by_file: dict[str, list[_Workload]] = {}
        for w in workloads:
            by_file.setdefault(w.ref.file, []).append(w)
        for shown in self.order:
            if shown in carried:
                self.cache.retain(self._rows_key(shown))  # unchanged, and not loaded
                continue
            ws = by_file.get(shown, [])
            if shown in self.clean and self.old[shown].get("ins") == self.ins.get(shown, ()) and not any(id(w) in kept.dirty for w in ws):
                old = self.old[shown]
                block = claims.get(shown) if _complete(old.get("reads"), self._entries(shown), len(ws)) else None
                if old.get("claims") != block:
                    self.cache.keep(self._key(shown), {**old, "claims": block})
                continue  # recalled and unchanged: the cache keeps its bytes
            digest = self.cache.digest(self.paths[shown])
            if digest is None or shown not in self.objs:
                continue
            entries: dict[str, Any] = {}
            reads: set[str] = set()
            for w in ws:
                key, entry = kept.keys.get(id(w)), kept.entries.get(id(w))
                if key is None or not entry or "deps" not in entry:
                    reads.add("*")
                    continue
                entries[key] = entry
                reads |= _read_keys(entry["deps"][0])
            frozen = frozenset(reads)
            block = claims.get(shown) if _complete(frozen, entries, len(ws)) else None
            self.cache.keep(self._key(shown), {"digest": digest, "objs": self.objs[shown], "ins": self.ins.get(shown, ()), "reads": frozen, "claims": block})
            self.cache.keep(self._rows_key(shown), entries)


def _complete(reads: Any, entries: Any, workloads: int) -> bool:
    """Does a file's block hold every workload's node, dependency and ownership rows, each from known lookups (so it can be carried)?"""
    if not isinstance(reads, frozenset) or "*" in reads or not isinstance(entries, dict) or len(entries) != workloads:
        return False
    return all(isinstance(e, dict) and "node" in e and "deps" in e and "own" in e for e in entries.values())


def _lazy_documents(path: Path, shown: str, cache: DocumentCache) -> Callable[[int, int], dict[str, Any]]:
    """`load(document, item)`: one object of an unchanged file, its documents loaded from the cache on the first call."""
    docs: dict[int, Any] = {}

    def load(document: int, item: int) -> dict[str, Any]:
        if not docs:
            docs.update(read_documents(path, shown, cache))
        doc = docs.get(document)
        if item >= 0:
            items = _list(_mapping(doc).get("items"))
            doc = items[item] if item < len(items) else None
        return doc if isinstance(doc, dict) else {}

    return load


_CLUSTER_SUFFIX = re.compile(r"^([a-z0-9-]+)(?:\.[a-z0-9-]+(?:\.svc(?:\.cluster\.local)?)?)?$")


def _cluster_local_name(host: str) -> str | None:
    """`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]` -> `svc`; other (external) domains -> None."""
    m = _CLUSTER_SUFFIX.match(host)
    if not m or (host.count(".") == 1 and host.rsplit(".", 1)[1] in _PUBLIC_TLDS):
        return None
    return m.group(1)


_PUBLIC_TLDS = frozenset({"com", "net", "org", "io", "dev", "cloud", "app", "co", "ai", "example", "local", "internal"})


def _backend_service(b: dict[str, Any]) -> str:
    svc = _mapping(b.get("service"))
    return str(svc.get("name") or b.get("serviceName") or "")


@register_reader("kubernetes")
def read_kubernetes(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, cache: DocumentCache | None = None) -> Facts:
    """Read manifests under `config.path` (file or folder)."""
    root = Path(str(config.path))
    facts = Facts(source=config.name, kind=config.kind)
    objects: list[K8sObject] = []
    files = yaml_files(root)
    if not files:
        raise SourceError("no *.yaml or *.yml files found (expected Kubernetes manifests)", file=str(root))
    blocks = _FileBlocks(cache, config, schema) if cache is not None else None
    base = display_base(root)
    for path in files:
        shown = display(path, root, base)
        facts.files.append(shown)
        if blocks is not None:
            rebuilt = blocks.read(path, shown)
            if rebuilt is not None:
                objects.extend(rebuilt)
                continue
        docs = list(read_documents(path, shown, cache))
        hashes = cache.document_hashes(path) if cache is not None else None
        read: list[K8sObject] = []
        for index, doc in docs:
            digest = hashes[index - 1] if hashes is not None and index <= len(hashes) else None
            read.extend(iter_objects(doc, shown, index, digest))
        if blocks is not None:
            blocks.note(shown, read)
        objects.extend(read)
    return facts_from_objects(objects, config, schema, known_ids, facts, memo=cache, files=blocks)
