"""`opsgraph serve` listens beyond this machine only with a token, and refuses before touching the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsgraph.api.http.server import check_bind, is_loopback, url_for
from opsgraph.cli.main import app
from opsgraph.errors import ConfigError


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.org", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_public_bind_without_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="--token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "t0ken")
    check_bind("127.0.0.1", None)


def test_urls_name_a_reachable_address() -> None:
    assert url_for("0.0.0.0", 8765) == "http://127.0.0.1:8765"
    assert url_for("::1", 80) == "http://[::1]:80"


def test_cli_refuses_public_bind_without_token_and_opens_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSGRAPH_TOKEN", raising=False)
    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--home", str(home)])
    assert result.exit_code == 1
    assert "refusing to serve on 0.0.0.0 without a token" in result.stderr
    assert not (home / "store").exists()


def test_token_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from opsgraph.app import load_settings

    monkeypatch.setenv("OPSGRAPH_TOKEN", "from-env")
    token = load_settings(home=tmp_path).serve.token
    assert token is not None and token.get_secret_value() == "from-env"
