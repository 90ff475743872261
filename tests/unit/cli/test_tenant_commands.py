"""`opsgraph tenant add|list` and the global `--tenant`: what they print, and the errors they give."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsgraph.cli.main import app

NO_TENANT = {"OPSGRAPH_TENANT": None}  # `--tenant` sets it for the command; the runner restores it afterwards


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("OPSGRAPH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_add_then_list(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "home")
    r = runner.invoke(app, ["tenant", "add", "acme", "--home", home], env=NO_TENANT)
    assert r.exit_code == 0, r.output
    assert "token written to" in r.stdout and "mode 0600" in r.stdout
    r = runner.invoke(app, ["tenant", "list", "--home", home, "--json"], env=NO_TENANT)
    assert r.exit_code == 0, r.output
    [acme] = json.loads(r.stdout)
    assert acme["name"] == "acme" and acme["database"] == "opsgraph_acme" and acme["token_problem"] is None
    assert acme["home"] == str(tmp_path / "home" / "tenants" / "acme") and not acme["ingested"]
    assert "OPSGRAPH_TENANT" not in os.environ


def test_bad_names_and_unknown_tenants_fail_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "home")
    r = runner.invoke(app, ["tenant", "add", "Team-A", "--home", home], env=NO_TENANT)
    assert r.exit_code == 1 and "lowercase letters and digits" in r.stderr
    r = runner.invoke(app, ["--tenant", "nobody", "query", "--home", home, "MATCH (n) RETURN n"], env=NO_TENANT)
    assert r.exit_code == 1 and "no tenant 'nobody'" in r.stderr and "opsgraph tenant add nobody" in r.stderr
    r = runner.invoke(app, ["tenant", "list", "--home", home], env=NO_TENANT)
    assert r.exit_code == 0 and "no tenants" in r.stdout
