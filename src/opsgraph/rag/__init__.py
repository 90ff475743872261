"""The answer pipeline: routing, retrieval, fusion, grounded answers with checked citations, traces."""

from opsgraph.rag.pipeline import Answer, Citation, GraphRAG
from opsgraph.rag.router import Route, Router
from opsgraph.rag.trace import Stage, Trace

__all__ = ["Answer", "Citation", "GraphRAG", "Route", "Router", "Stage", "Trace"]
