"""Retrievers: vector, full-text, graph expansion, schema-planned paths, text-to-Cypher, and fusion;
and the live schema as prompts show it.

Every retriever returns a `Retrieval` of `Hit`s, whatever it searched.
"""

from opsgraph.retrieve.base import BaseRetriever, EntityLinker, Hit, LinkedEntity, Retrieval, Retriever, node_text
from opsgraph.retrieve.fusion import reciprocal_rank_fusion
from opsgraph.retrieve.graph import GraphExpansionRetriever
from opsgraph.retrieve.planner import SchemaPathRetriever
from opsgraph.retrieve.schema_text import prompt_schema, render_schema
from opsgraph.retrieve.search import CHUNK_TEXT, CHUNK_VECTOR, FullTextRetriever, IndexTarget, VectorRetriever
from opsgraph.retrieve.text2cypher import CypherExample, Text2CypherRetriever, check_cypher, extract_cypher

__all__ = [
    "CHUNK_TEXT",
    "CHUNK_VECTOR",
    "BaseRetriever",
    "CypherExample",
    "EntityLinker",
    "FullTextRetriever",
    "GraphExpansionRetriever",
    "Hit",
    "IndexTarget",
    "LinkedEntity",
    "Retrieval",
    "Retriever",
    "SchemaPathRetriever",
    "Text2CypherRetriever",
    "VectorRetriever",
    "check_cypher",
    "extract_cypher",
    "node_text",
    "prompt_schema",
    "reciprocal_rank_fusion",
    "render_schema",
]
