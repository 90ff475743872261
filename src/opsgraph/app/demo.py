"""The multi-hop questions `opsgraph demo` answers on the sample estate.

Each is a parameterised read-only query run against the store the demo just
filled; the answers come from the data, nothing is precomputed.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from opsgraph.sources import SourceConfig


@dataclass(frozen=True)
class DemoQuestion:
    question: str
    cypher: str
    params: dict[str, Any] = field(default_factory=dict)


DEMO_QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        "What breaks if the payment service is down?",
        "MATCH p = (s)-[:DEPENDS_ON*1..6]->(t:Service {id: $id}) "
        "RETURN s.id AS service, min(length(p)) AS hops ORDER BY hops, service",
        {"id": "paymentservice"},
    ),
    DemoQuestion(
        "Who is on call for the services that depend on payment?",
        "MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Service {id: $id}) "
        "MATCH (team:Team)-[:OWNS]->(s) MATCH (p:Person)-[oc:ON_CALL_FOR]->(team) "
        "RETURN DISTINCT s.id AS service, team.name AS team, p.name AS person, oc.rotation AS rotation "
        "ORDER BY service, rotation",
        {"id": "paymentservice"},
    ),
    DemoQuestion(
        "Which incidents were caused by redis-cart, and what did they hit?",
        "MATCH (i:Incident)-[:CAUSED_BY]->(:Datastore {id: $id}) OPTIONAL MATCH (i)-[:AFFECTED]->(x) "
        "RETURN i.id AS incident, i.severity AS severity, i.title AS title, collect(DISTINCT x.id) AS affected "
        "ORDER BY incident",
        {"id": "redis-cart"},
    ),
    DemoQuestion(
        "Which team owns the most critical components?",
        "MATCH (t:Team)-[:OWNS]->(c) WHERE c.tier = $tier "
        "RETURN t.name AS team, count(c) AS critical_components, collect(c.id) AS components "
        "ORDER BY critical_components DESC, team LIMIT 3",
        {"tier": "critical"},
    ),
    DemoQuestion(
        "Which runbooks cover what checkout needs, up to 2 hops down?",
        "MATCH (:Service {id: $id})-[:DEPENDS_ON*1..2]->(dep) MATCH (r:Runbook)-[:RUNBOOK_FOR]->(dep) "
        "RETURN DISTINCT dep.id AS component, r.title AS runbook, r.path AS path ORDER BY component",
        {"id": "checkoutservice"},
    ),
)


DEMO_SOURCE = "k8s-demo"
"""The source name `opsgraph demo` syncs the sample's Kubernetes manifests under."""


def demo_manifests(home: Path) -> Path | None:
    """A writable copy of the sample's Kubernetes manifests inside the demo home (None if this build has none)."""
    shipped = Path(str(resources.files("opsgraph").joinpath("data", "sample_estate", "k8s")))
    if not shipped.is_dir():
        return None
    target = home / "k8s-demo"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(shipped, target)
    return target


def demo_source(path: Path) -> SourceConfig:
    """The manifests as a `kubernetes` source that loses property conflicts to the estate folder (precedence 200 > 100)."""
    return SourceConfig(name=DEMO_SOURCE, kind="kubernetes", path=path, precedence=200)


def bump_demo_version(path: Path) -> str:
    """Change one thing in the copied manifests, as a deploy would: the first image tag of paymentservice goes up one patch."""
    for file in sorted(path.glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        m = re.search(r"(/paymentservice:v?)(\d+)\.(\d+)\.(\d+)", text)
        if m:
            old = f"{m.group(2)}.{m.group(3)}.{m.group(4)}"
            new = f"{m.group(2)}.{m.group(3)}.{int(m.group(4)) + 1}"
            file.write_text(text[: m.start()] + f"{m.group(1)}{new}" + text[m.end() :], encoding="utf-8")
            return f"{file.name}: paymentservice image {old} -> {new}"
    raise FileNotFoundError(f"no paymentservice image in {path}")
