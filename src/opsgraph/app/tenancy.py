"""What a tenant is and where its data lives: names, sub-homes, token sources, and per-tenant store and Redis names.

A tenant is one estate kept apart from the others on one opsgraph home (and,
with the server backend, on one ArcadeDB server): its own sub-home
`<home>/tenants/<name>/` (embedded store, embedded cache and history,
journal, estates record, risk models), its own Redis index and key prefix
for the semantic cache and the conversation history, and its own database on
an ArcadeDB server (`tenant_database`). Its bearer token comes from a 0600
file (`opsgraph tenant add` writes one) or an environment variable, never
from `opsgraph.yaml` in clear.

Pure helpers only: this module imports nothing of `opsgraph.app` (so
`app.config` may import it) and reads the environment only in `read_token`,
which the app layer calls.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opsgraph._files import atomic_write_text
from opsgraph.errors import ConfigError

TENANT_NAME = re.compile(r"^[a-z][a-z0-9]{0,31}$")
"""1-32 lowercase letters and digits, a letter first. No `-`, `_` or `.`: the name goes into folder names, Redis key
prefixes and database names as it is, and a name without separators can never make one tenant's Redis prefix a
prefix of another's (`opsgraph-t-ab-answers-…` vs `opsgraph-t-a-…`)."""
TENANTS_DIR = "tenants"
"""Folder of the sub-homes, inside the root home."""
TOKEN_FILE = "tenant.token"
"""A tenant's generated token, in its sub-home (mode 0600)."""
MIN_TOKEN_CHARS = 16
"""Shortest token accepted from a file or the environment (generated ones have 43)."""


def check_tenant_name(name: str) -> str:
    """`name` if it is a valid tenant name, else `ConfigError` saying what a name may hold."""
    if not TENANT_NAME.match(name):
        raise ConfigError(f"tenant name {name!r}: use 1-32 lowercase letters and digits, a letter first (e.g. payments, team2)")
    return name


class TenantSettings(BaseModel):
    """One tenant under `tenants:` in `opsgraph.yaml`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    """Tenant name: its sub-home is `<home>/tenants/<name>/`."""
    token_env: str | None = None
    """Name of the environment variable holding the tenant's bearer token."""
    token_file: Path | None = None
    """File holding the token (must be private to the user: mode 0600); default `<home>/tenants/<name>/tenant.token`."""
    database: str | None = None
    """Its database on an ArcadeDB server; default `tenant_database(name)`."""
    ingest_roots: list[Path] = Field(default_factory=list)
    """Folders `POST /v1/ingest` may read for this tenant; default: only the folders its own home was built from."""

    @model_validator(mode="before")
    @classmethod
    def _no_clear_token(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "token" in data:
            raise ValueError("a token in clear does not belong in opsgraph.yaml: name its environment variable (token_env) "
                             "or its 0600 file (token_file), or run `opsgraph tenant add NAME` to generate one")
        return data

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not TENANT_NAME.match(value):
            raise ValueError(f"{value!r}: use 1-32 lowercase letters and digits, a letter first")
        return value

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> TenantSettings:
        if self.token_env and self.token_file:
            raise ValueError(f"tenant {self.name}: give token_env or token_file, not both")
        return self


def unique_tenants(tenants: list[TenantSettings]) -> list[TenantSettings]:
    """`tenants` if no name repeats, else `ValueError` naming the repeated ones (for the settings validator)."""
    names = [t.name for t in tenants]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"tenant names must be unique; repeated: {', '.join(repeated)}")
    return tenants


def tenant_home(root_home: Path, name: str) -> Path:
    """The tenant's sub-home: `<home>/tenants/<name>`."""
    return root_home / TENANTS_DIR / check_tenant_name(name)


def token_path(root_home: Path, tenant: TenantSettings) -> Path:
    """Where a file-based tenant token lives."""
    return (tenant.token_file or tenant_home(root_home, tenant.name) / TOKEN_FILE).expanduser()


def tenant_database(name: str, base: str = "opsgraph") -> str:
    """The tenant's database name on an ArcadeDB server: `<base>_<name>` (e.g. `opsgraph_payments`).

    `base` is the root home's database; tenant names are lowercase letters and digits, so two tenants never map to
    one database and a tenant's database is never the root's."""
    return f"{base}_{check_tenant_name(name)}"


def tenant_redis_name(base: str, name: str) -> str:
    """Prefix of the tenant's Redis index and keys (cache answers, embeddings, history): `<base>-t-<name>`."""
    return f"{base}-t-{check_tenant_name(name)}"


def discovered(root_home: Path) -> list[str]:
    """Tenants `opsgraph tenant add` made under `root_home` (a sub-home holding a token file), sorted."""
    folder = root_home / TENANTS_DIR
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p.name for p in entries if TENANT_NAME.match(p.name) and (p / TOKEN_FILE).is_file()]


def all_tenants(root_home: Path, configured: list[TenantSettings]) -> list[TenantSettings]:
    """The configured tenants, then those only made by `opsgraph tenant add` (token in their sub-home)."""
    names = {t.name for t in configured}
    return [*configured, *(TenantSettings(name=n) for n in discovered(root_home) if n not in names)]


def read_token(root_home: Path, tenant: TenantSettings, environ: Mapping[str, str] | None = None) -> str:
    """The tenant's bearer token from its environment variable or its private file; `ConfigError` saying what is wrong."""
    env = os.environ if environ is None else environ
    if tenant.token_env:
        token = env.get(tenant.token_env, "").strip()
        if not token:
            raise ConfigError(f"tenant {tenant.name}: the environment variable {tenant.token_env} (its token) is not set")
        where = f"the environment variable {tenant.token_env}"
    else:
        path = token_path(root_home, tenant)
        try:
            st = path.stat()
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"tenant {tenant.name}: cannot read its token file {path}: {exc.strerror or exc} "
                              f"(run `opsgraph tenant add {tenant.name}`)") from exc
        if st.st_mode & 0o077 or st.st_uid != os.getuid():
            raise ConfigError(f"tenant {tenant.name}: its token file {path} must be private to its owner "
                              f"(mode {st.st_mode & 0o777:o}; run `chmod 600 {path}`)")
        where = str(path)
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"tenant {tenant.name}: the token in {where} is shorter than {MIN_TOKEN_CHARS} characters")
    return token


def write_new_token(path: Path) -> str:
    """A fresh random token written to `path` with mode 0600 (atomically, replacing any old one)."""
    token = secrets.token_urlsafe(32)
    atomic_write_text(path, token + "\n")  # a 0600 file, renamed into place
    return token


def resolve_token(tokens: Mapping[str, str], given: str | bytes) -> str | None:
    """The tenant whose token is `given`, or None. Every token is compared (in constant time each), so how long this
    takes does not tell which tenant, if any, a guess came close to."""
    import hmac

    given_bytes = given.encode() if isinstance(given, str) else given
    found = None
    for name, token in tokens.items():
        if hmac.compare_digest(given_bytes, token.encode()) and found is None:
            found = name
    return found
