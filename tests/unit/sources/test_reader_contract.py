"""The contract the sync consumes: evidence text, value coercion by the schema, the shape of Facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.schema import PropertySpec, PropertyType
from opsgraph.schema.coerce import coerce_type
from opsgraph.sources import Evidence, SourceConfig


def test_evidence_reads_as_file_document_field_value() -> None:
    ev = Evidence("k8s/app.yaml", 3, "env PAYMENT_SERVICE_ADDR", "paymentservice:50051")
    assert str(ev) == "k8s/app.yaml#3 env PAYMENT_SERVICE_ADDR=paymentservice:50051"
    assert str(Evidence("compose.yml", None, "services.web.depends_on", "db")) == "compose.yml services.web.depends_on=db"


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        ("3", PropertyType.INTEGER, 3),
        (2.0, PropertyType.INTEGER, 2),
        ("0.25", PropertyType.FLOAT, 0.25),
        ("yes", PropertyType.BOOLEAN, True),
        (7070, PropertyType.STRING, "7070"),
        (True, PropertyType.STRING, "true"),
        ("a", PropertyType.STRING_LIST, ["a"]),
        ([1, "b"], PropertyType.STRING_LIST, ["1", "b"]),
    ],
)
def test_values_are_coerced_to_the_declared_type(value, type_, expected) -> None:
    assert coerce_type(value, PropertySpec(type=type_), from_text=False) == expected


@pytest.mark.parametrize(("value", "type_"), [("many", PropertyType.INTEGER), (True, PropertyType.INTEGER), ({"a": 1}, PropertyType.STRING)])
def test_values_that_do_not_fit_are_refused(value, type_) -> None:
    with pytest.raises(ValueError, match="expected"):
        coerce_type(value, PropertySpec(type=type_), from_text=False)


def test_a_value_that_does_not_fit_is_a_problem_not_an_error(tmp_path: Path, read) -> None:
    from helpers import write

    doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: lots\n  template: {spec: {containers: [{name: c, image: web:1}]}}\n"
    facts = read("kubernetes", write(tmp_path / "w.yaml", doc))
    (row,) = facts.nodes["Service"]
    assert "replicas" not in row
    (problem,) = facts.problems
    assert (problem.file, problem.field) == ("w.yaml#1", "replicas")
    assert "expected an integer" in problem.message


def test_facts_say_what_was_read(tmp_path: Path, read) -> None:
    from helpers import write

    doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: c, image: web:1}]}}}\n"
    facts = read("kubernetes", write(tmp_path / "w.yaml", doc))
    assert (facts.source, facts.kind, facts.files) == ("src", "kubernetes", ["w.yaml"])
    assert facts.count() == {"Service": 1}
    assert facts.node_ids() == {"web": "Service"}


def test_config_defaults_match_the_documented_mapping() -> None:
    c = SourceConfig(name="prod-k8s", kind="kubernetes", path=Path("k8s"))
    m = c.mapping
    assert (c.precedence, m.workload_type, m.team_type, m.person_type) == (100, "Service", "Team", "Person")
    assert (m.dependency_edge, m.ownership_edge, m.membership_edge) == ("DEPENDS_ON", "OWNS", "MEMBER_OF")
    assert m.team_labels == ["team", "owner", "app.kubernetes.io/part-of"]
    assert m.keep is None and m.rename == {} and m.types == {}
