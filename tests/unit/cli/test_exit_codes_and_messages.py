"""The command line: exit codes and messages (no engine needed for these)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from helpers import write
from opsgraph.app import sample_estate_path
from opsgraph.cli.main import _parse_params, app

runner = CliRunner()


def test_schema_check_ok() -> None:
    result = runner.invoke(app, ["schema", "check", str(sample_estate_path() / "schema.yaml")])
    assert result.exit_code == 0
    assert "online-boutique" in result.output


def test_schema_check_points_to_lines(tmp_path: Path) -> None:
    bad = write(tmp_path / "schema.yaml", "version: 1\nname: x\nnodes:\n  S:\n    properties: {p: {type: nope}}\n")
    result = runner.invoke(app, ["schema", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:5" in result.output
    assert "1 problem(s)" in result.output


def test_params_parse_as_json_when_they_can() -> None:
    assert _parse_params(["a=1", "b=x", "c=[1,2]", "d=true"]) == {"a": 1, "b": "x", "c": [1, 2], "d": True}
