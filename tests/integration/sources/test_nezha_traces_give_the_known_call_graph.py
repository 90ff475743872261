"""The service call graph derived from Nezha's real Online Boutique traces, against its `dependency.csv`."""

from __future__ import annotations

import csv

import pytest

from helpers import datasets_dir
from opsgraph.sources.traces import call_edges, call_graph, read_spans

NEZHA = datasets_dir() / "nezha_online_boutique"


@pytest.mark.parametrize("day", ["2022-08-22", "2022-08-23"])
def test_every_traced_edge_is_a_known_dependency(day: str) -> None:
    graph = call_graph(call_edges(read_spans(NEZHA / day / "trace")))
    with (NEZHA / day / "metric" / "dependency.csv").open(newline="") as fh:
        # dependency.csv also lists each service's calls to infrastructure IPs (33.33.33.x): services only here
        known = {(r["Source"], r["Target"]) for r in csv.DictReader(fh) if not r["Target"][:1].isdigit()}
    found = set(graph)
    precision = len(found & known) / len(found)
    recall = len(found & known) / len(known)
    print(f"{day}: {len(found)} traced edges, precision {precision:.2f}, recall {recall:.2f}, missed {sorted(known - found)}")
    assert precision == 1.0
    # checkout -> currency never appears as a cross-service span in these minute files (checkout records
    # only its own ConvertCurrency span), so 13 of the 14 known edges are observable.
    assert known - found <= {("checkoutservice", "currencyservice")}
    assert all(s.calls > 0 and s.p95_ms >= s.p50_ms > 0 for s in graph.values())
