"""Input a reader cannot trust is a `SourceError` naming file, 1-based document and field;
configuration mistakes are refused before any file is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from helpers import write
from opsgraph.errors import OpsGraphError
from opsgraph.sources import SourceConfig, SourceError, read_source, reader_kinds

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"


@pytest.mark.parametrize("kind", ["kubernetes", "backstage"])
def test_a_malformed_document_names_file_and_document(tmp_path: Path, read, kind: str) -> None:
    text = GOOD + "---\n" + GOOD + "---\nkind: Deployment\nmetadata:\n  name: [unclosed\n---\n" + GOOD
    write(tmp_path / "sub" / "multi.yaml", text)
    with pytest.raises(SourceError) as err:
        read(kind, tmp_path)
    assert err.value.file == "sub/multi.yaml"
    assert err.value.document == 3
    assert str(err.value).startswith("sub/multi.yaml document 3: malformed YAML at line ")
    assert "expected a valid YAML document" in str(err.value)
    assert isinstance(err.value, OpsGraphError)


def test_a_bad_mapping_names_its_own_document(tmp_path: Path, read) -> None:
    text = "# header\n---\n" + GOOD + "---\nkind: Service\nmetadata:\n  name: a: b\n"
    with pytest.raises(SourceError) as err:
        read("kubernetes", write(tmp_path / "m.yaml", text))
    assert (err.value.file, err.value.document) == ("m.yaml", 2)
    assert "mapping values are not allowed" in str(err.value)


def test_an_unrendered_helm_template_is_refused(tmp_path: Path, read) -> None:
    chart = GOOD + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  labels:\n{{- include \"x\" . }}\n"
    write(tmp_path / "templates" / "deploy.yaml", chart)
    with pytest.raises(SourceError) as err:
        read("kubernetes", tmp_path)
    assert (err.value.file, err.value.document) == ("templates/deploy.yaml", 2)
    assert "unrendered Helm template" in str(err.value) and "at line 8" in str(err.value)
    assert "helm template" in str(err.value)


def test_go_templates_inside_rendered_values_are_not_helm(tmp_path: Path, read) -> None:
    alert = """apiVersion: v1
kind: ConfigMap
metadata: {name: alerts}
data:
  rule: 'summary: {{ $labels.instance }} is down'
  alertmanager.yml: |
    receivers:
      - name: slack
        slack_configs:
          - title: '{{ template "slack.title" . }}'
            text: '{{ range .Alerts }}{{ if .Annotations.summary }}{{ .Annotations.summary }}{{ end }}{{ end }}'
"""
    facts = read("kubernetes", write(tmp_path / "cm.yaml", alert))
    assert facts.problems == [] and facts.files == ["cm.yaml"]


@pytest.mark.parametrize(
    "action",
    ["{{ .Values.image }}", "{{- include \"chart.labels\" . | nindent 4 }}", "{{ .Release.Name }}-web", "{{ toYaml .Values.resources }}",
     "{{- if .Values.enabled }}"],
)
def test_helm_only_actions_are_refused(tmp_path: Path, read, action: str) -> None:
    doc = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: '{action}'\n"
    with pytest.raises(SourceError, match="unrendered Helm template"):
        read("kubernetes", write(tmp_path / "cm.yaml", doc))


def test_a_source_folder_that_does_not_exist_is_an_error(tmp_path: Path, read) -> None:
    for kind in ("kubernetes", "compose", "backstage"):
        with pytest.raises(SourceError, match="does not exist"):
            read(kind, tmp_path / "gone")


def test_a_folder_without_any_input_is_an_error(tmp_path: Path, read) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"no \*\.yaml or \*\.yml files found"):
        read("kubernetes", tmp_path / "empty")
    with pytest.raises(SourceError, match="no compose file found"):
        read("compose", tmp_path / "empty")


def test_an_unreadable_file_is_an_error(tmp_path: Path, read) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SourceError, match=r"bin\.yaml: cannot read the file"):
        read("kubernetes", tmp_path / "bin.yaml")


def test_kinds_and_paths_are_checked(schema, tmp_path: Path) -> None:
    assert reader_kinds() == ["backstage", "compose", "kubernetes", "kubernetes-cluster", "logs", "traces"]
    with pytest.raises(SourceError, match=r"estate folders are read by opsgraph\.ingest"):
        read_source(SourceConfig(name="e", kind="estate", path=tmp_path), schema)
    with pytest.raises(SourceError, match="unknown kind 'nomad'; expected one of estate, backstage, compose, kubernetes, kubernetes-cluster"):
        read_source(SourceConfig(name="n", kind="nomad", path=tmp_path), schema)
    with pytest.raises(SourceError, match="needs a `path`"):
        read_source(SourceConfig(name="k", kind="kubernetes"), schema)


def test_source_names_and_mappings_are_validated() -> None:
    with pytest.raises(ValidationError, match="must match"):
        SourceConfig(name="Prod K8s", kind="kubernetes")
    with pytest.raises(ValidationError, match="extra"):
        SourceConfig(name="k", kind="kubernetes", mapping={"workload": "Service"})


def test_a_cluster_source_without_the_client_names_the_extra(schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "kubernetes", None)  # as if opsgraph[kubernetes] were not installed
    write(tmp_path / "kubeconfig", "{}")
    with pytest.raises(SourceError, match=r"pip install 'opsgraph\[kubernetes\]'"):
        read_source(SourceConfig(name="lab", kind="kubernetes-cluster", path=tmp_path / "kubeconfig"), schema)


def test_a_mapping_naming_types_the_schema_lacks_is_refused(tmp_path: Path, read) -> None:
    write(tmp_path / "m.yaml", GOOD)
    with pytest.raises(SourceError, match=r"mapping.workload_type: 'Svc' is not a node type \(declared: Datastore, Person, Service, Team\)"):
        read("kubernetes", tmp_path, workload_type="Svc")
    with pytest.raises(SourceError, match=r"mapping\.types\.StatefulSet: 'Database' is not a node type"):
        read("kubernetes", tmp_path, types={"StatefulSet": "Database"})
    with pytest.raises(SourceError, match=r"mapping\.ownership_edge: 'OWNED_BY' is not an edge type"):
        read("kubernetes", tmp_path, ownership_edge="OWNED_BY")
