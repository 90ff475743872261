"""Kubernetes manifests for the reader's cache tests, and a reader that reads a folder with and without its cache.

The cache tests (a workload's kept rows reused while its lookups hold; an unchanged file trusted while nothing it
read changed) build the same objects and compare the same two reads: cached (as a re-sync reads) and plain.
"""

from __future__ import annotations

from pathlib import Path

from opsgraph.schema import GraphSchema
from opsgraph.sources import Facts, SourceConfig, read_source
from opsgraph.sources.doc_cache import DocumentCache


def workload(name: str, ns: str = "shop", env: tuple[str, ...] = (), config_map: str | None = None, app: str | None = None,
             team: str = "core", *, sized: bool = False) -> str:
    """A Deployment with env values and an optional ConfigMap volume; `sized` adds replicas and resource requests."""
    values = ", ".join(f'{{name: V{i}, value: "{v}"}}' for i, v in enumerate(env))
    volumes = f"      volumes: [{{name: cfg, configMap: {{name: {config_map}}}}}]\n" if config_map else ""
    replicas = "  replicas: 3\n" if sized else ""
    requests = "          resources: {requests: {cpu: 250m, memory: 64Mi}}\n" if sized else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {app or name}, team: {team}}}}}
spec:
{replicas}  template:
    metadata: {{labels: {{app: {app or name}}}}}
    spec:
      containers:
        - name: main
          image: registry.example/{name}:1.0
{requests}          env: [{values}]
{volumes}"""


def service(name: str, ns: str = "shop", selects: str | None = None) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{selector: {{app: {selects or name}}}}}\n"


def config_map(name: str, value: str, ns: str = "shop") -> str:
    return f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}}}\ndata: {{backend: "{value}"}}\n'


class Reader:
    """Reads a folder through a cache file that persists between reads, and without one."""

    def __init__(self, root: Path, schema: GraphSchema, cache_file: Path) -> None:
        self.root, self.schema, self.cache_file = root, schema, cache_file
        self.known: dict[str, str] = {"core": "Team"}

    def known_ids(self, ids: list[str]) -> dict[str, str]:
        return {i: self.known[i] for i in ids if i in self.known}

    def both(self) -> tuple[Facts, Facts]:
        """(read through the cache, then saved; read without it): their facts must be the same."""
        config = SourceConfig(name="k8s", kind="kubernetes", path=self.root)
        cache = DocumentCache(self.cache_file).load()
        cached = read_source(config, self.schema, known_ids=self.known_ids, cache=cache)
        cache.save()
        plain = read_source(config, self.schema, known_ids=self.known_ids)
        assert cached.nodes == plain.nodes and cached.edges == plain.edges
        assert cached.problems == plain.problems and cached.skipped == plain.skipped
        return cached, plain


def edges(facts: Facts, edge_type: str = "DEPENDS_ON") -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in facts.edges.get(edge_type, [])}
