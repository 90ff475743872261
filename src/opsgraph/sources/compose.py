"""docker-compose reader: services, their declared and inferred dependencies, images and networks.

Rules:
- `path` is a compose file or a folder; in a folder every YAML file whose name contains
  `compose` is read (sorted). Each service becomes a node of `mapping.workload_type` (or
  `mapping.types[<service name>]`, e.g. `{"redis": "Datastore"}`, or the type the store already
  holds for that id) with id = the service name;
  a service defined again in a later file is merged (the first value of a property wins).
- Properties offered: `name`, `image`, `version` (image tag), `networks`, `port` (container
  side of the first `ports` entry), `replicas` (`deploy.replicas`), `labels` (`k=v`).
- Dependency edges: `depends_on` (list or map form), `links` (`svc` or `svc:alias`), and
  `environment` values (list `K=V` or map form) naming another service by its name, `hostname`,
  `container_name` or a network alias, as `host`, `host:port` or inside a URL or comma list.
- The first of `mapping.team_labels` among a service's `labels` names its owning team (an
  ownership edge when the team is known, else a problem), as for Kubernetes.
- A compose file's single document is reported as document 1 in errors and evidence.
"""

from __future__ import annotations

import re
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
    add_ownership,
    component_types,
    image_version,
    register_reader,
)
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.hosts import host_candidates
from opsgraph.sources.yamldocs import display, read_documents, yaml_files

_COMPOSE_NAME = re.compile(r"compose", re.IGNORECASE)


def _kv(x: Any, fld: str, file: str) -> dict[str, str]:
    """A compose list (`K=V` / `K`) or map as a dict; anything else is a `SourceError`."""
    if x is None:
        return {}
    if isinstance(x, dict):
        return {str(k): "" if v is None else str(v) for k, v in x.items()}
    if isinstance(x, list):
        out = {}
        for item in x:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    raise SourceError(f"expected a list or a mapping, got {type(x).__name__}", file=file, document=1, field=fld)


def _names(x: Any, fld: str, file: str) -> list[str]:
    """Service names of a `depends_on` / `networks` value (list or map form)."""
    if x is None:
        return []
    if isinstance(x, dict):
        return [str(k) for k in x]
    if isinstance(x, list):
        return [str(v) for v in x]
    raise SourceError(f"expected a list or a mapping, got {type(x).__name__}", file=file, document=1, field=fld)


@register_reader("compose")
def read_compose(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, cache: DocumentCache | None = None) -> Facts:
    """Read docker-compose file(s) under `config.path`."""
    root = Path(str(config.path))
    facts = Facts(source=config.name, kind=config.kind)
    shaper = Shaper(schema, config.mapping, facts)
    files = yaml_files(root, pattern=None if root.is_file() else _COMPOSE_NAME)
    if not files:
        raise SourceError("no compose file found (expected *compose*.yml or *compose*.yaml)", file=str(root))

    services: dict[str, tuple[dict[str, Any], str]] = {}
    for path in files:
        shown = display(path, root)
        facts.files.append(shown)
        docs = list(read_documents(path, shown, cache))
        if not docs:
            continue
        doc = docs[0][1]
        if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
            raise SourceError("expected a mapping of services (a docker-compose file)", file=shown, document=1, field="services")
        for name, svc in doc["services"].items():
            if not isinstance(svc, dict):
                if svc is None:
                    svc = {}
                else:
                    raise SourceError("expected a mapping", file=shown, document=1, field=f"services.{name}")
            prev = services.get(str(name))
            services[str(name)] = ({**svc, **(prev[0] if prev else {})}, prev[1] if prev else shown)

    # Every name another service may use to reach a service.
    reach: dict[str, str] = {}
    for name in services:
        reach[name.lower()] = name
    for name, (svc, _file) in services.items():
        for alias in (svc.get("hostname"), svc.get("container_name")):
            if alias:
                reach.setdefault(str(alias).lower(), name)
        nets = svc.get("networks")
        if isinstance(nets, dict):
            for net in nets.values():
                if isinstance(net, dict):
                    for alias in net.get("aliases") or []:
                        reach.setdefault(str(alias).lower(), name)

    # A service the store already holds as another node type keeps it (unless `mapping.types` names one).
    stored = known_ids(sorted(services)) if (known_ids and services) else {}
    components = component_types(schema, config.mapping)

    claims: list[tuple[str, Evidence, str]] = []
    for name, (svc, file) in services.items():
        image = str(svc.get("image") or "")
        ports = svc.get("ports") or []
        port = None
        if isinstance(ports, list) and ports:
            first = ports[0]
            if isinstance(first, dict):
                port = first.get("target")
            else:
                port = str(first).split("/")[0].rsplit(":", 1)[-1].split("-")[0]
        labels = _kv(svc.get("labels"), f"services.{name}.labels", file)
        props: dict[str, Any] = {
            "name": name,
            "image": image or None,
            "version": image_version(image) if image else None,
            "networks": _names(svc.get("networks"), f"services.{name}.networks", file) or None,
            "port": port,
            "replicas": (svc.get("deploy") or {}).get("replicas") if isinstance(svc.get("deploy"), dict) else None,
            "labels": [f"{k}={v}" for k, v in sorted(labels.items())] or None,
        }
        held = stored.get(name)
        if name in config.mapping.types:
            node_type = config.mapping.types[name]
        elif held and held in components:
            node_type = held
        else:
            node_type = config.mapping.workload_type
        shaper.node(node_type, name, props, Evidence(file, 1, f"services.{name}", image or name))
        for label in config.mapping.team_labels:
            if labels.get(label):
                claims.append((name, Evidence(file, 1, f"services.{name}.labels {label}", labels[label]), labels[label]))
                break

    dep = config.mapping.dependency_edge
    for name, (svc, file) in services.items():
        for target in _names(svc.get("depends_on"), f"services.{name}.depends_on", file):
            shaper.edge(dep, name, target, {}, Evidence(file, 1, f"services.{name}.depends_on", target))
        for link in _names(svc.get("links"), f"services.{name}.links", file):
            target = link.split(":", 1)[0]
            shaper.edge(dep, name, target, {}, Evidence(file, 1, f"services.{name}.links", link))
        for key, value in _kv(svc.get("environment"), f"services.{name}.environment", file).items():
            for host in host_candidates(value):
                named = reach.get(host)
                if named and named != name:
                    shaper.edge(
                        dep, name, named, {"config_key": key}, Evidence(file, 1, f"services.{name}.environment {key}", value)
                    )
    add_ownership(shaper, facts, config.mapping, claims, known_ids)
    return shaper.finish(known_ids)
