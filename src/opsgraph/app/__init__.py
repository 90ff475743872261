"""The application layer: settings and the `OpsGraph` facade that wires them to implementations.

The shells (`cli`, `api`) import from here and from the public package only
(`tests/unit/test_no_import_cycles.py` holds them to it), so what they need is named here.
"""

from opsgraph._time import age_seconds, age_text
from opsgraph.app.config import Settings, StoreSettings, load_settings
from opsgraph.app.demo import DEMO_QUESTIONS, bump_demo_version, demo_manifests, demo_source
from opsgraph.app.estates import estate_roots
from opsgraph.app.events import Stage, observe_stages
from opsgraph.app.facade import OpsGraph, sample_estate_path
from opsgraph.app.index_search import SearchMode, search_index
from opsgraph.app.investigate import DRIVER_WINDOW
from opsgraph.app.risk import DEMO_OVERRIDES
from opsgraph.app.server import migrate as migrate_store
from opsgraph.app.server import start as start_team_server
from opsgraph.app.server import status as team_server_status
from opsgraph.app.server import stop as stop_team_server
from opsgraph.app.tenancy import resolve_token
from opsgraph.app.tenants import TenantInfo, add_tenant, list_tenants, tenant_tokens
from opsgraph.retrieve import render_schema
from opsgraph.store import UnknownName, unknown_names

__all__ = [
    "DEMO_OVERRIDES",
    "DEMO_QUESTIONS",
    "DRIVER_WINDOW",
    "OpsGraph",
    "SearchMode",
    "Settings",
    "Stage",
    "StoreSettings",
    "TenantInfo",
    "UnknownName",
    "add_tenant",
    "age_seconds",
    "age_text",
    "bump_demo_version",
    "demo_manifests",
    "demo_source",
    "estate_roots",
    "list_tenants",
    "load_settings",
    "migrate_store",
    "observe_stages",
    "render_schema",
    "resolve_token",
    "sample_estate_path",
    "search_index",
    "start_team_server",
    "stop_team_server",
    "team_server_status",
    "tenant_tokens",
    "unknown_names",
]
