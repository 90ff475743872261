"""`/docs` (Swagger UI) and `/redoc` served with their JavaScript and CSS from this server, never from a CDN.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts
from Google), which shows a blank page on a closed network. The assets come
from the `fastapi-offline` package (pinned in the `serve` extra; Swagger UI 5,
which reads the OpenAPI 3.1 documents FastAPI writes, and ReDoc 2) and are
served under `/static/openapi-ui/`. Without that package, both pages say how
to install it instead of loading from elsewhere.

It must not import the facade: it only adds routes to an app.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/static/openapi-ui"
"""Where the UI assets are served (under the page's public `/static/` prefix)."""
PACKAGE = "fastapi_offline"
MISSING = ("the API documentation page needs the fastapi-offline package (its Swagger UI and ReDoc files are served from "
           "here, not from a CDN): pip install 'opsgraph[serve]'")


def assets_dir() -> Path | None:
    """The folder holding swagger-ui-bundle.js, swagger-ui.css and redoc.standalone.js; None when the package is missing."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def add_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Add `/docs`, `/docs/oauth2-redirect`, `/redoc` and the assets' mount (call before a mount that covers `/static`)."""
    folder = assets_dir()
    if folder is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=folder), name="openapi-ui")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        if folder is None:
            return HTMLResponse(f"<!doctype html><title>{title}: API</title><p>{MISSING}</p>", status_code=503)
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title}: API", swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css", swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            # validatorUrl: Swagger UI would otherwise send the document to an online validator for its badge.
            swagger_ui_parameters={"validatorUrl": None, "deepLinking": True, "persistAuthorization": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        if folder is None:
            return HTMLResponse(f"<!doctype html><title>{title}: API</title><p>{MISSING}</p>", status_code=503)
        return get_redoc_html(openapi_url=openapi_url, title=f"{title}: API", redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False)
