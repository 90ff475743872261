"""Every answer says how old the data it was read from is (the quality bar: "every score, answer and investigation
says how old its data is"): the store keeps when its data last changed, in the same transaction as the data version;
`og.ask` reports it, the CLI prints it, the API's answer carries it, and an answer about the past is as of that time.

Real embedded store, the tiny estate of tests/conftest.py."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.cli.main import app


def test_an_answer_is_as_old_as_the_last_write(tmp_path: Path, small_estate: Path) -> None:
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as og:
        before = time.time()
        og.ingest(small_estate)
        written = og.store.data_written_at()
        assert written is not None and before - 1 <= written <= time.time() + 1
        a = og.ask("who owns api?", use_cache=False)
        assert not a.abstained and a.data_as_of == written, a.text
        assert a.data_age().startswith("data as of ") and a.to_dict()["data_age"] == a.data_age()
        # Reading changes nothing; an ingest that changes nothing writes nothing and leaves the time alone.
        og.ingest(small_estate)
        assert og.store.data_written_at() == written
        time.sleep(1.1)
        between = time.time()
        time.sleep(1.1)
        write(small_estate / "edges" / "OWNS.yaml", "- {from: data, to: api}\n- {from: data, to: db-proxy}\n- {from: data, to: worker}\n")
        og.ingest(small_estate)
        later = og.ask("who owns api?")
        assert later.data_as_of is not None and later.data_as_of > written, later.to_dict()
        assert later.rows == [{"id": "data", "name": "Data"}], later.text
        # The estate as it was: the old owner, and the answer is as old as the moment asked about.
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(between))
        past = og.ask_as_of("who owns api?", iso)
        assert past.rows == [{"id": "core", "name": "Core"}] and past.data_as_of == int(between), past.text


def test_the_cli_prints_the_datas_age(tmp_path: Path, small_estate: Path) -> None:
    home = str(tmp_path / "home")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(small_estate), "--home", home]).exit_code == 0
    out = runner.invoke(app, ["ask", "who owns api?", "--no-cache", "--home", home])
    assert out.exit_code == 0, out.output
    assert "data as of " in out.output and "(just now)" in out.output, out.output
