"""Right or "I don't know": "which Slack channel do I use for the Payments team?" reads the team's channel.

"do I use for" is the asker's use, not the `use` of a dependency edge, so the graph stages read the question without
it and a lookup of the property explains every word; "which vendors do we use?" still names the dependency."""

from __future__ import annotations

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import build_lexicon, plain_idioms
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "tiny-teams",
        "nodes": {
            "Service": {"properties": {"name": "string"}},
            "Team": {"properties": {"name": "string", "slack_channel": "string"}},
        },
        "edges": {"DEPENDS_ON": {"from": "Service", "to": "Service", "dependency": True}, "OWNS": {"from": "Team", "to": "Service"}},
    }
)
READ = "MATCH (n:Team {id: $id}) RETURN n.slack_channel AS slack_channel"


def test_the_askers_use_is_read_away_and_the_property_lookup_explains_the_rest() -> None:
    q = "Which Slack channel do I use for the Payments team?"
    plain = plain_idioms(q)
    assert len(plain) == len(q) and " use " not in plain
    lexicon = build_lexicon(SCHEMA)
    facts = QueryFacts.of(READ, {"id": "team-payments"}, SCHEMA)
    assert unexplained_words(plain, facts, SCHEMA, lexicon=lexicon, surfaces=("Payments team",)) == []
    # Read as written, 'use' names the dependency edge the property lookup does not walk.
    assert "use" in unexplained_words(q, facts, SCHEMA, lexicon=lexicon, surfaces=("Payments team",))


def test_a_use_without_for_is_still_the_dependency() -> None:
    assert plain_idioms("Which services do we use?") == "Which services do we use?"
    assert "use" in build_lexicon(SCHEMA).edge_cues(["use"])
