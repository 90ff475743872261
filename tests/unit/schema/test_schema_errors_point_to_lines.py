"""schema.yaml validation: every error names its line and field."""

from __future__ import annotations

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.schema import PropertyType, SchemaError, dump_schema, load_schema, parse_schema

BASE = """\
version: 1
name: t
nodes:
  Service:
    properties:
      name: string
      port: {type: integer}
edges:
  DEPENDS_ON: {from: Service, to: Service}
"""


def test_sample_schema_is_valid() -> None:
    schema = load_schema(sample_estate_path() / "schema.yaml")
    assert "Service" in schema.nodes
    assert schema.dependency_edges() == ["DEPENDS_ON"]


def test_shorthand_property_type() -> None:
    schema = parse_schema(BASE)
    assert schema.nodes["Service"].properties["name"].type is PropertyType.STRING
    assert schema.nodes["Service"].properties["port"].type is PropertyType.INTEGER


def test_unknown_property_type_points_to_its_line() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(BASE.replace("{type: integer}", "{type: integr}"))
    (issue,) = info.value.issues
    assert issue.line == 7
    assert issue.location == "nodes.Service.properties.port.type"
    assert "'integer'" in issue.message


def test_misspelt_field_is_reported_with_line() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(BASE.replace("      name: string", "      name: {type: string, fulltxt: true}"))
    (issue,) = info.value.issues
    assert issue.line == 6
    assert issue.location.endswith("fulltxt")
    assert "unknown field" in issue.message


def test_edge_to_undeclared_type_names_the_edge_line() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(BASE.replace("to: Service}", "to: Servce}"))
    (issue,) = info.value.issues
    assert issue.line == 9
    assert issue.location == "edges.DEPENDS_ON.to"
    assert "Servce" in issue.message


def test_several_errors_are_all_reported() -> None:
    text = BASE.replace("{type: integer}", "{type: nope}").replace("name: string", "name: {type: string, bogus: 1}")
    with pytest.raises(SchemaError) as info:
        parse_schema(text)
    assert len(info.value.issues) == 2
    assert sorted(i.line for i in info.value.issues) == [6, 7]


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema("version: 1\nname: [unclosed\nnodes: {}\n")
    assert info.value.issues[0].line is not None
    assert "not valid YAML" in info.value.issues[0].message


def test_unsupported_version_is_refused() -> None:
    with pytest.raises(SchemaError, match="unsupported schema version"):
        parse_schema(BASE.replace("version: 1", "version: 7"))


def test_fulltext_on_integer_is_refused() -> None:
    with pytest.raises(SchemaError, match="fulltext and embed need a string"):
        parse_schema(BASE.replace("{type: integer}", "{type: integer, fulltext: true}"))


def test_dump_round_trips() -> None:
    schema = load_schema(sample_estate_path() / "schema.yaml")
    assert parse_schema(dump_schema(schema)) == schema
