"""Graph answers are rows rendered by templates: what was computed, then one line per row with display names."""

from __future__ import annotations

from opsgraph.rag.render import NameBook, describe_query, render_page, render_rows
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema


def test_statement_of_an_impact_query(names: NameBook) -> None:
    cypher = "MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Service {id: $p0}) RETURN DISTINCT s.id AS id"
    what = describe_query(cypher, {"p0": "paymentservice"}, names)
    assert what == ("services that depend on Payment Service (paymentservice), directly or through others", "Service")


def test_statement_of_an_outgoing_and_a_multi_hop_query(names: NameBook) -> None:
    out = describe_query("MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id", {"p0": "checkoutservice"}, names)
    assert out is not None and out[0] == "nodes that Checkout Service (checkoutservice) depends_on".replace("depends_on", "depends on")
    chain = "MATCH (p:Person)-[:ON_CALL_FOR]->(:Team)-[:OWNS]->(:Service)-[:DEPENDS_ON]->(:Service {id: $anchor}) RETURN p.id AS id"
    got = describe_query(chain, {"anchor": "paymentservice"}, names)
    assert got is not None and got[0] == "people on call for teams that own services that depend on Payment Service (paymentservice)"


def test_list_uses_display_names_and_ids_only_without_a_name(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("Which services depend on paymentservice?", schema)
    rows = [{"id": "checkoutservice"}, {"id": "nameless"}]
    out = render_rows(shape, rows, "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id", {"p0": "paymentservice"}, names)
    assert out.text.splitlines() == [
        "2 services that depend on Payment Service (paymentservice):",
        "- Checkout Service (checkoutservice)",
        "- nameless",
    ]


def test_one_row_reads_in_the_singular(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("Which services depend on paymentservice?", schema)
    out = render_rows(shape, [{"id": "checkoutservice"}], "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id", {"p0": "paymentservice"}, names)
    assert out.header == "1 service that depends on Payment Service (paymentservice):"


def test_an_empty_list_says_none_instead_of_a_cut_off_header(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("Which services depend on paymentservice?", schema)
    out = render_rows(shape, [], "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id", {"p0": "paymentservice"}, names)
    assert out.text == "None: the query found no services that depend on Payment Service (paymentservice)."


def test_count_from_an_aggregate_and_from_rows(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("How many services depend on paymentservice?", schema)
    agg = render_rows(shape, [{"n": 3}], "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN count(s) AS n", {"p0": "paymentservice"}, names)
    assert agg.text == "3: the number of services that depend on Payment Service (paymentservice)."
    listed = render_rows(shape, [{"id": "frontend"}, {"id": "checkoutservice"}], "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id", {"p0": "paymentservice"}, names)
    assert listed.header.startswith("2 services that depend on")


def test_single_value(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("What language is paymentservice written in?", schema)
    out = render_rows(shape, [{"language": "Node.js"}], "MATCH (n:Service {id: $id}) RETURN n.language AS language", {"id": "paymentservice"}, names)
    assert out.text == "Payment Service (paymentservice): language = Node.js"


def test_several_values_of_the_one_node_named_are_said_with_its_name(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("How do I reach the payments team?", schema)
    cypher = "MATCH (n:Team {id: $id}) RETURN n.email AS email, n.slack_channel AS slack_channel"
    out = render_rows(shape, [{"email": "payments@x.example", "slack_channel": "#payments"}], cypher, {"id": "team-payments"}, names)
    assert out.text == "Payments (team-payments): email = payments@x.example; slack channel = #payments"
    # Near miss: an aggregate is no value of the node.
    agg = render_rows(shape, [{"n": 3, "m": 4}], "MATCH (n:Team {id: $id})-[:OWNS]->(s) RETURN count(s) AS n, count(*) AS m", {"id": "team-payments"}, names)
    assert "team-payments): n = 3" not in agg.text


def test_yes_no(schema: GraphSchema, names: NameBook) -> None:
    shape = question_shape("Does checkoutservice depend on paymentservice?", schema)
    out = render_rows(shape, [{"ok": True}], "MATCH (a:Service {id: $p0}) RETURN exists((a)-[:DEPENDS_ON]->(:Service {id: $p1})) AS ok", {"p0": "checkoutservice", "p1": "paymentservice"}, names)
    assert out.text.startswith("Yes")


def test_page_lists_primary_first_with_team(names: NameBook) -> None:
    rows = [{"person": "marcus.bell", "team": "team-orders", "rotation": "primary"}, {"person": "rachel.kim", "team": "team-orders", "rotation": "secondary"}]
    out = render_page("checkoutservice", rows, names)
    assert out.header == "Page Marcus Bell (marcus.bell) first for Checkout Service (checkoutservice) (owned by Orders (team-orders)):"
    assert out.lines == ["- Marcus Bell (marcus.bell) (rotation: primary)", "- Rachel Kim (rachel.kim) (rotation: secondary)"]


def test_an_edge_named_after_its_own_type_does_not_repeat_it(names: NameBook) -> None:
    got = describe_query("MATCH (r:Runbook)-[:RUNBOOK_FOR]->(:Service {id: $p0}) RETURN r.id AS id", {"p0": "paymentservice"}, names)
    assert got is not None and got[0] == "runbooks for Payment Service (paymentservice)"
