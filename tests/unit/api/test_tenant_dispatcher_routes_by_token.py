"""The tenant dispatcher: a request reaches the app of the tenant whose token it carries, and no other; every app's
lifespan runs; public paths need no token, estate paths do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from opsgraph.api.http.tenants import TenantDispatcher

TOKENS = {"acme": "a" * 43, "globex": "g" * 43}


def _app(name: str, events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append(f"{name} up")
        yield
        events.append(f"{name} down")

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/whoami")
    async def whoami() -> dict[str, str]:
        return {"tenant": name}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"tenant": name}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def client(events: list[str]) -> TestClient:
    return TestClient(TenantDispatcher({n: _app(n, events) for n in TOKENS}, TOKENS))


def test_each_token_reaches_its_own_tenant(client: TestClient) -> None:
    with client:
        for name, token in TOKENS.items():
            r = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json() == {"tenant": name}
            r = client.get("/v1/whoami", headers={"Authorization": f"bearer  {token} "})
            assert r.json() == {"tenant": name}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Basic " + "a" * 43, "Bearer " + "a" * 42, "Bearer " + "a" * 44,
                                    "Bearer " + "a" * 43 + "g" * 43])
def test_no_or_an_unknown_token_gets_401(client: TestClient, header: str | None) -> None:
    with client:
        r = client.get("/v1/whoami", headers={"Authorization": header} if header else {})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "unauthorized"
        assert client.get("/readyz", headers={"Authorization": header} if header else {}).status_code == 401  # counts of an estate


def test_health_needs_no_token(client: TestClient) -> None:
    with client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_every_tenants_lifespan_runs(client: TestClient, events: list[str]) -> None:
    with client:
        assert sorted(events) == ["acme up", "globex up"]
    assert sorted(events) == ["acme down", "acme up", "globex down", "globex up"]


def test_a_failing_lifespan_fails_startup(events: list[str]) -> None:
    @asynccontextmanager
    async def broken(_: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("store locked")
        yield

    dispatcher = TenantDispatcher({"acme": _app("acme", events), "globex": FastAPI(lifespan=broken)}, TOKENS)
    with pytest.raises(RuntimeError, match="store locked"), TestClient(dispatcher):
        pass
    assert events == ["acme up", "acme down"]  # what started is shut down again


def test_apps_and_tokens_must_match() -> None:
    with pytest.raises(ValueError, match="every tenant needs an app and a token"):
        TenantDispatcher({"acme": FastAPI()}, TOKENS)
