"""Tenant configuration: names, token sources (never in clear), scoping settings to a tenant, and token → tenant."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opsgraph.app import Settings, load_settings
from opsgraph.app.tenancy import TenantSettings, read_token, resolve_token, tenant_database, tenant_redis_name
from opsgraph.app.tenants import add_tenant, list_tenants, tenant_tokens
from opsgraph.errors import ConfigError

TOKEN_A = "a" * 40
TOKEN_B = "b" * 40


@pytest.fixture(autouse=True)
def _no_opsgraph_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("OPSGRAPH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "opsgraph.yaml"
    path.write_text(f"home: {tmp_path / 'home'}\n" + text, encoding="utf-8")
    return path


def _token_file(path: Path, token: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("name", ["payments", "team2", "a", "x" * 32])
def test_valid_tenant_names(name: str) -> None:
    assert TenantSettings(name=name).name == name


@pytest.mark.parametrize("name", ["", "Payments", "team-a", "team_a", "2team", "a.b", "x" * 33, "../etc"])
def test_invalid_tenant_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase letters and digits"):
        TenantSettings(name=name)


def test_a_token_in_clear_in_the_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = _config(tmp_path, "tenants:\n  - {name: acme, token: s3cr3t-s3cr3t-s3cr3t}\n")
    with pytest.raises(ConfigError, match=r"opsgraph\.yaml: tenants\.0.*token in clear.*token_env.*token_file"):
        load_settings(config_file=path)


@pytest.mark.parametrize(("tenants", "expected"), [
    ("[{name: acme, token_env: A, token_file: /x}]", "token_env or token_file, not both"),
    ("[{name: acme}, {name: acme}]", "repeated: acme"),
    ("[{name: Acme}]", "tenants.0.name"),
    ("[{name: acme, token_env: 'not a var'}]", "not an environment variable name"),
    ("[{name: acme, colour: blue}]", "colour"),
])
def test_bad_tenant_entries_name_the_field(tmp_path: Path, tenants: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(config_file=_config(tmp_path, f"tenants: {tenants}\n"))


def test_choosing_a_tenant_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--tenant NAME or OPSGRAPH_TENANT"):
        load_settings(config_file=_config(tmp_path, "tenant: acme\n"))


def test_settings_scoped_to_a_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", TOKEN_A)
    path = _config(tmp_path, "risk: {registry: /models}\ncache: {backend: redis, url: 'redis://x'}\n"
                             "sources: [{name: estate, kind: estate, path: est}]\n"
                             "tenants:\n  - {name: acme, token_env: ACME_TOKEN, ingest_roots: [acme-estates]}\n  - {name: globex}\n")
    root = load_settings(config_file=path)
    assert root.tenant is None and [t.name for t in root.all_tenants()] == ["acme", "globex"]
    acme = load_settings(config_file=path, tenant="acme")
    assert acme.tenant == "acme"
    assert acme.home == tmp_path / "home" / "tenants" / "acme"
    assert acme.store_path == tmp_path / "home" / "tenants" / "acme" / "store"
    assert acme.cache.name == "opsgraph-t-acme" and acme.cache.tenant == "acme"
    assert acme.risk_registry_path == Path("/models/tenants/acme")
    assert acme.serve.token is not None and acme.serve.token.get_secret_value() == TOKEN_A
    assert acme.serve.ingest_roots == [tmp_path / "acme-estates"]
    assert acme.sources == [] and acme.tenants == []
    globex = root.for_tenant("globex")  # no token file yet: still usable for the CLI, not servable
    assert globex.serve.token is None and globex.cache.name == "opsgraph-t-globex"
    with pytest.raises(ConfigError, match="already scoped to tenant acme"):
        acme.for_tenant("globex")
    with pytest.raises(ConfigError, match=r"no tenant 'initech'.*opsgraph tenant add initech"):
        load_settings(config_file=path, tenant="initech")


def test_the_tenant_comes_from_opsgraph_tenant_and_empty_means_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path, "tenants: [{name: acme}]\n")
    monkeypatch.setenv("OPSGRAPH_TENANT", "acme")
    assert load_settings(config_file=path).home == tmp_path / "home" / "tenants" / "acme"
    assert load_settings(config_file=path, tenant="").tenant is None


def test_tenant_add_writes_a_private_token_once_and_lists_it(tmp_path: Path) -> None:
    root = Settings(home=tmp_path / "home")
    first = add_tenant(root, "acme")
    token_file = tmp_path / "home" / "tenants" / "acme" / "tenant.token"
    assert first.new_token and first.token_source == str(token_file) and first.token_problem is None
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 40
    again = add_tenant(root, "acme")
    assert not again.new_token and token_file.read_text().strip() == token
    rotated = add_tenant(root, "acme", rotate=True)
    assert rotated.new_token and token_file.read_text().strip() != token
    add_tenant(root, "globex")
    listed = list_tenants(root)
    assert [(t.name, t.database, t.redis_prefix, t.ingested) for t in listed] == [
        ("acme", "opsgraph_acme", "opsgraph-t-acme", False), ("globex", "opsgraph_globex", "opsgraph-t-globex", False)]
    assert root.for_tenant("globex").serve.token is not None  # found without any opsgraph.yaml entry
    with pytest.raises(ConfigError, match="lowercase letters and digits"):
        add_tenant(root, "Bad-Name")
    with pytest.raises(ConfigError, match="drop --tenant"):
        add_tenant(root.for_tenant("acme"), "nested")


def test_tokens_must_be_private_long_enough_present_and_distinct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    public = TenantSettings(name="acme", token_file=_token_file(tmp_path / "public.token", TOKEN_A, 0o644))
    with pytest.raises(ConfigError, match=r"public\.token must be private.*chmod 600"):
        read_token(home, public)
    short = TenantSettings(name="acme", token_file=_token_file(tmp_path / "short.token", "abc"))
    with pytest.raises(ConfigError, match="shorter than 16"):
        read_token(home, short)
    with pytest.raises(ConfigError, match=r"ACME_TOKEN.*is not set"):
        read_token(home, TenantSettings(name="acme", token_env="ACME_TOKEN"), environ={})
    with pytest.raises(ConfigError, match=r"cannot read its token file.*opsgraph tenant add acme"):
        read_token(home, TenantSettings(name="acme"))
    assert read_token(home, TenantSettings(name="acme", token_env="T"), environ={"T": f"  {TOKEN_A}\n"}) == TOKEN_A

    monkeypatch.setenv("ACME_TOKEN", TOKEN_A)
    monkeypatch.setenv("GLOBEX_TOKEN", TOKEN_A)
    twins = Settings(home=home, tenants=[TenantSettings(name="acme", token_env="ACME_TOKEN"),
                                         TenantSettings(name="globex", token_env="GLOBEX_TOKEN")])
    with pytest.raises(ConfigError, match="acme and globex have the same token"):
        tenant_tokens(twins)
    monkeypatch.setenv("GLOBEX_TOKEN", TOKEN_B)
    assert tenant_tokens(twins) == {"acme": TOKEN_A, "globex": TOKEN_B}


def test_a_token_maps_to_exactly_its_tenant() -> None:
    tokens = {"acme": TOKEN_A, "globex": TOKEN_B}
    assert resolve_token(tokens, TOKEN_A) == "acme"
    assert resolve_token(tokens, TOKEN_B.encode()) == "globex"
    for wrong in ("", TOKEN_A[:-1], TOKEN_A + "a", TOKEN_B.upper(), "acme"):
        assert resolve_token(tokens, wrong) is None


def test_each_tenant_maps_to_its_own_database_and_redis_prefix() -> None:
    assert tenant_database("acme") == "opsgraph_acme"
    assert tenant_database("acme", "estate") == "estate_acme"
    assert len({tenant_database(n) for n in ("a", "ab", "b", "opsgraph")}) == 4
    assert tenant_redis_name("opsgraph", "acme") == "opsgraph-t-acme"
    with pytest.raises(ConfigError):
        tenant_database("../root")
