"""Fixtures for the source readers: a schema that declares what the readers offer, and a reader call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opsgraph.schema import GraphSchema, parse_schema
from opsgraph.sources import Facts, SourceConfig, SourceMapping, read_source

READER_SCHEMA = """\
version: 1
name: readers
nodes:
  Service:
    properties:
      name: {type: string, required: true}
      namespace: string
      image: string
      version: string
      replicas: integer
      port: integer
      cpu_request: float
      memory_request: float
      labels: string_list
      exposed: boolean
      ingress_hosts: string_list
      networks: string_list
      description: string
      lifecycle: string
      tags: string_list
  Datastore:
    properties:
      name: string
      type: string
  Team:
    properties:
      name: string
      email: string
  Person:
    properties:
      name: string
      email: string
edges:
  DEPENDS_ON: {from: Service, to: [Service, Datastore], dependency: true, properties: {config_key: string}}
  OWNS: {from: Team, to: [Service, Datastore]}
  MEMBER_OF: {from: Person, to: Team}
"""

Read = Callable[..., Facts]


@pytest.fixture(scope="session")
def schema() -> GraphSchema:
    return parse_schema(READER_SCHEMA)


@pytest.fixture
def read(schema: GraphSchema) -> Read:
    """`read(kind, path, known={id: type}, **mapping)` -> Facts."""

    def _read(kind: str, path: Path, known: dict[str, str] | None = None, **mapping: Any) -> Facts:
        asked: list[list[str]] = []

        def known_ids(ids: list[str]) -> dict[str, str]:
            asked.append(ids)
            return {i: known[i] for i in ids if known and i in known}

        config = SourceConfig(name="src", kind=kind, path=path, mapping=SourceMapping(**mapping))
        return read_source(config, schema, known_ids=known_ids if known is not None else None)

    return _read

