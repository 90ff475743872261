"""The application layer: settings and the `OpsGraph` facade that wires them to implementations."""

from opsgraph._time import age_seconds, age_text
from opsgraph.app.config import Settings, StoreSettings, load_settings
from opsgraph.app.facade import OpsGraph, sample_estate_path
from opsgraph.retrieve import render_schema

__all__ = ["OpsGraph", "Settings", "StoreSettings", "age_seconds", "age_text", "load_settings", "render_schema", "sample_estate_path"]
