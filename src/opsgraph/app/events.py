"""Progress of a running question, for shells that stream it (the HTTP API's server-sent events).

`observe_stages(callback)` calls `callback(stage, done)` in the answering
thread when each pipeline stage starts (`done=False`) and ends (`done=True`);
`stage` is an `opsgraph.rag.Stage` (name, ms, tokens, detail). Shells import
it from here so they depend on the application layer only.
"""

from opsgraph.rag.trace import Stage, StageObserver, observe_stages

__all__ = ["Stage", "StageObserver", "observe_stages"]
