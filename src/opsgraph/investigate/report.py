"""An investigation's result: what it looked at, the ranked candidates and every piece of evidence, cited.

`Investigation` is plain data (JSON with `as_dict`, Markdown with `to_markdown`); the CLI, the HTTP
API and the MCP tool render it, nothing recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opsgraph.investigate.evidence import MetricChange
from opsgraph.investigate.paths import DependencyPath
from opsgraph.investigate.rank import Candidate
from opsgraph.investigate.runbooks import RunbookQuote
from opsgraph.investigate.similar import SimilarIncident


def iso(ts: int | float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(float(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TimelineEvent:
    at: int
    node: str
    kind: str
    """metric | change | onset | incident (a similar past one, at its start) | trace (spans after the onset against before) | log (error lines)
    | calls (latency its callers saw on its calls and it did not)."""
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "node": self.node, "kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class Investigation:
    """What caused the symptom seen on `symptom` from `onset`, with the evidence for each candidate."""

    target: str
    symptom: str
    onset: int
    onset_source: str
    """'given' (--at), 'detected' (first step the symptom's metrics left normal) or 'incident' (its started_at)."""
    window_s: int
    data_until: int
    """Last stored telemetry step."""
    data_age: str
    """'computed on telemetry up to T, N old'."""
    candidates: list[Candidate]
    confident: bool
    confidence: str
    evidence: dict[str, list[MetricChange]] = field(default_factory=dict)
    paths: dict[str, DependencyPath] = field(default_factory=dict)
    timeline: list[TimelineEvent] = field(default_factory=list)
    similar: list[SimilarIncident] = field(default_factory=list)
    runbooks: list[RunbookQuote] = field(default_factory=list)
    incident: str | None = None
    """The incident investigated, when the target was one."""
    seconds: float = 0.0

    @property
    def top(self) -> str | None:
        return self.candidates[0].node if self.candidates else None

    def as_dict(self, *, k: int = 10) -> dict[str, Any]:
        return {
            "target": self.target, "symptom": self.symptom, "incident": self.incident, "onset": iso(self.onset),
            "onset_source": self.onset_source, "window_s": self.window_s, "data_until": iso(self.data_until), "data_age": self.data_age,
            "confident": self.confident, "confidence": self.confidence,
            "candidates": [c.as_dict() | {"path": self.paths[c.node].as_dict() if c.node in self.paths else None}
                           for c in self.candidates[:k]],
            "evidence": {n: [m.as_dict() for m in ms] for n, ms in self.evidence.items()},
            "timeline": [e.as_dict() for e in self.timeline], "similar": [s.as_dict() for s in self.similar],
            "runbooks": [r.as_dict() for r in self.runbooks], "seconds": round(self.seconds, 3),
        }

    def to_markdown(self, *, k: int = 5) -> str:
        lines = [f"# Investigation of {self.target}", "",
                 f"Symptom **{self.symptom}**, onset {iso(self.onset)} ({self.onset_source}), window {self.window_s // 60} min; "
                 f"{self.data_age}.", "", f"**{self.confidence}**", "", "## Candidates", "",
                 "| # | node | score | reason |", "|---|---|---|---|"]
        for i, c in enumerate(self.candidates[:k], 1):
            lines.append(f"| {i} | {c.node} | {c.score:.3f} | {c.reason} |")
        lines += ["", "## Evidence", ""]
        for c in self.candidates[:k]:
            path = self.paths.get(c.node)
            lines.append(f"- **{c.node}**" + (f" (path: {path.text()})" if path else ""))
            lines += [f"  - {m.text()}" for m in c.metrics[:3]]
            lines += [f"  - hop {h.text()}" for h in (path.hops if path else []) if h.calls is not None]
            lines += [f"  - change: {ch.text}" for ch in c.changes]
        if self.timeline:
            lines += ["", "## Timeline", ""] + [f"- {iso(e.at)} {e.node}: {e.text}" for e in self.timeline]
        if self.similar:
            lines += ["", "## Similar past incidents", ""]
            for sim in self.similar:
                past = sim.incident
                lines.append(f"- **{past.id}** {past.title} ({sim.why}); cause: {', '.join(past.causes) or 'not recorded'}"
                             + (f" ({past.cause_detail})" if past.cause_detail else "") + (f"; fix: {past.fix}" if past.fix else ""))
        if self.runbooks:
            lines += ["", "## Runbooks", ""]
            for r in self.runbooks:
                lines.append(f"### {r.title} ({r.path}, for {r.node})")
                for sec in r.sections:
                    lines += ["", f"> **{sec.heading}**" if sec.heading else ">"] + [f"> {x}" for x in sec.text.splitlines()]
                lines.append("")
        return "\n".join(lines) + "\n"
