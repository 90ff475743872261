"""Tenant operations on a root home: make one (sub-home + generated 0600 token), list them, read every tenant's token.

What a tenant is, and the names it maps to (sub-home, Redis prefix, server
database), is in `app/tenancy.py`; `Settings.for_tenant` scopes settings to
one. The CLI (`opsgraph tenant add|list`) and `opsgraph serve` call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsgraph.app.config import Settings
from opsgraph.app.tenancy import (
    TenantSettings,
    check_tenant_name,
    read_token,
    tenant_database,
    tenant_home,
    tenant_redis_name,
    token_path,
    write_new_token,
)
from opsgraph.errors import ConfigError


@dataclass(frozen=True)
class TenantInfo:
    """One tenant as `tenant add` / `tenant list` report it."""

    name: str
    home: Path
    """Its sub-home."""
    token_source: str
    """Where its token is read from: a file path or `$VARIABLE`."""
    token_problem: str | None
    """Why its token cannot be used now (None: it can)."""
    database: str
    """Its database on an ArcadeDB server."""
    redis_prefix: str
    """Prefix of its Redis index and keys."""
    ingested: bool
    """Whether its sub-home holds a store yet."""
    new_token: bool = False
    """`tenant add` generated its token just now."""


def _root(settings: Settings) -> Settings:
    if settings.tenant is not None:
        raise ConfigError(f"tenants are managed on the root home, not from inside tenant {settings.tenant} (drop --tenant)")
    return settings


def _info(settings: Settings, entry: TenantSettings, *, new_token: bool = False) -> TenantInfo:
    home = tenant_home(settings.home, entry.name)
    try:
        read_token(settings.home, entry)
        problem = None
    except ConfigError as exc:
        problem = str(exc)
    return TenantInfo(
        name=entry.name, home=home,
        token_source=f"${entry.token_env}" if entry.token_env else str(token_path(settings.home, entry)),
        token_problem=problem, database=entry.database or tenant_database(entry.name),
        redis_prefix=tenant_redis_name(settings.cache.name, entry.name), ingested=(home / "store").is_dir(), new_token=new_token,
    )


def add_tenant(settings: Settings, name: str, *, rotate: bool = False) -> TenantInfo:
    """Make tenant `name`'s sub-home and, unless its token comes from the environment, a random token in a 0600 file.

    An existing token file is kept (`rotate` replaces it: the old token stops working at the next `opsgraph serve`)."""
    root = _root(settings)
    check_tenant_name(name)
    entry = next((t for t in root.tenants if t.name == name), None) or TenantSettings(name=name)
    home = tenant_home(root.home, name)
    home.mkdir(parents=True, exist_ok=True)
    made = False
    if not entry.token_env:
        path = token_path(root.home, entry)
        if rotate or not path.exists():
            write_new_token(path)
            made = True
    return _info(root, entry, new_token=made)


def list_tenants(settings: Settings) -> list[TenantInfo]:
    """Every tenant of the root home (configured or added), in that order."""
    root = _root(settings)
    return [_info(root, t) for t in root.all_tenants()]


def tenant_tokens(settings: Settings) -> dict[str, str]:
    """Tenant name → bearer token, for serving every tenant; one `ConfigError` listing every unusable or shared token."""
    root = _root(settings)
    tokens: dict[str, str] = {}
    problems: list[str] = []
    for entry in root.all_tenants():
        try:
            token = read_token(root.home, entry)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        twin = next((n for n, t in tokens.items() if t == token), None)
        if twin is not None:
            problems.append(f"tenants {twin} and {entry.name} have the same token: each tenant needs its own")
        tokens[entry.name] = token
    if problems:
        raise ConfigError("; ".join(problems))
    return tokens
