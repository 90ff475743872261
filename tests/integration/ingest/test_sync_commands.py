"""`opsgraph sources / sync / changes / reconcile` and `query --as-of` from opsgraph.yaml, against the real store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write
from opsgraph.cli.main import app

runner = CliRunner()


def test_sources_sync_changes_and_as_of_from_the_command_line(tmp_path: Path, small_estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = str(tmp_path / "home")
    config = write(tmp_path / "conf" / "opsgraph.yaml", "sources:\n  - {name: small-folder, kind: estate, path: ../small, precedence: 10}\n")
    monkeypatch.setenv("OPSGRAPH_CONFIG", str(config))  # `../small` is resolved against the config file's folder

    listed = runner.invoke(app, ["sources", "--json", "--home", home])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["kind"], row["location"], row["last_synced"]) == ("small-folder", "estate", str(small_estate), None)

    dry = runner.invoke(app, ["sync", "--dry-run", "--json", "--home", home])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)[0]["totals"] == {"create": 10, "update": 0, "delete": 0, "unchanged": 0}
    empty = runner.invoke(app, ["query", "MATCH (n:Service) RETURN count(n) AS n", "--json", "--home", home])
    assert json.loads(empty.stdout)["rows"] in ([], [{"n": 0}])

    done = runner.invoke(app, ["sync", "small-folder", "--home", home])
    assert done.exit_code == 0, done.output
    assert "sync small-folder (estate): applied" in done.output and "create 10, update 0, delete 0" in done.output
    time.sleep(0.2)
    between = str(time.time())  # epoch seconds are a valid --as-of too
    time.sleep(0.2)
    csv = small_estate / "nodes" / "Service.csv"
    csv.write_text(csv.read_text().replace("db-proxy,DB Proxy,high", "db-proxy,DB Proxy,critical"))
    write(small_estate / "edges" / "DEPENDS_ON.json", '[{"from": "api", "to": "db-proxy", "critical": true}]\n')
    again = runner.invoke(app, ["sync", "--home", home])
    assert again.exit_code == 0, again.output
    assert "create 0, update 1, delete 1" in again.output

    changes = runner.invoke(app, ["changes", "--since", "1h", "--home", home])
    assert changes.exit_code == 0, changes.output
    lines = [line for line in changes.output.splitlines() if "(small-folder, " in line]
    assert lines[0].startswith(("db-proxy: tier high → critical", "worker: DEPENDS_ON → db-proxy removed"))
    assert any(line.startswith("worker: DEPENDS_ON → db-proxy removed") for line in lines[:2])
    assert any(line.startswith("db-proxy: tier high → critical") for line in lines[:2])
    as_json = json.loads(runner.invoke(app, ["changes", "--node", "db-proxy", "--json", "--home", home]).stdout)
    assert {c["op"] for c in as_json} == {"create", "update", "delete"}

    past = runner.invoke(app, ["query", "MATCH (a)-[:DEPENDS_ON]->(b) RETURN a.id AS a ORDER BY a", "--as-of", between, "--json", "--home", home])
    assert past.exit_code == 0, past.output
    assert [r["a"] for r in json.loads(past.stdout)["rows"]] == ["api", "worker"]
    now = runner.invoke(app, ["query", "MATCH (a)-[:DEPENDS_ON]->(b) RETURN a.id AS a ORDER BY a", "--json", "--home", home])
    assert [r["a"] for r in json.loads(now.stdout)["rows"]] == ["api"]

    listed = json.loads(runner.invoke(app, ["sources", "--json", "--home", home]).stdout)
    assert listed[0]["last_synced"] is not None and listed[0]["nodes"] == 5 and listed[0]["edges"] == 4

    recon = runner.invoke(app, ["reconcile", "--home", home])
    assert recon.exit_code == 0, recon.output
    assert "no observed call edges" in recon.output

    gone = runner.invoke(app, ["query", "RETURN 1", "--as-of", "not a time", "--home", home])
    assert gone.exit_code == 1 and "cannot read the time 'not a time'" in gone.output
