"""Shells that serve an estate: the HTTP API (`api.http`), the MCP server for agents (`api.mcp`)
and the web page (`api.web`, static files served by the HTTP API).

They are thin: every answer comes from the `OpsGraph` facade through
`api.service.Served` (one opened facade per process, calls run on worker
threads, writes one at a time). They import only `opsgraph.app`,
`opsgraph.errors` and the types the facade returns; they never build a
store, a model or read configuration themselves.
"""
