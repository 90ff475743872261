"""The HTTP API (FastAPI) over the facade: `app.create_app` builds it, `server.run_server` runs it.

Nothing is imported here, so `opsgraph.api.http.server` (which the CLI uses to find a running
server) loads without the web framework.
"""
