"""Property questions in everyday words: loose value spellings, "tier N", self-hosting phrases and the everyday words of
a property are read from the schema's descriptions and the stored values only; a schema without them is left as it is
(`rag/property_words.py`, `rag/property_yesno.py`, `rag/property_compare.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.rag.compose import ValueHit
from opsgraph.rag.lexicon import build_lexicon, tokens
from opsgraph.rag.property_compare import comparison
from opsgraph.rag.property_words import plain_property_words, purpose_as_description, self_hosted_flag, tier_values
from opsgraph.rag.property_yesno import quoted_values, value_asked
from opsgraph.schema import GraphSchema, load_schema

SCHEMA: dict[str, Any] = {
    "version": 1,
    "name": "tiny-props",
    "nodes": {
        "App": {
            "properties": {
                "name": "string",
                "stack": {"type": "string", "indexed": True, "description": "Main implementation language, e.g. Go."},
                "tier": {"type": "string", "indexed": True, "description": "Business criticality: 'gold', 'silver' or 'bronze'."},
                "uptime": {"type": "float", "description": "Availability SLO target in percent."},
            }
        },
        "Store": {
            "properties": {
                "name": "string",
                "flavour_kind": {"type": "string", "indexed": True, "description": "Database engine: 'pg' or 'redis'."},
                "hosted": {"type": "boolean", "description": "true for a vendor-run instance; false for one we run ourselves."},
                "tier": {"type": "string", "indexed": True, "description": "Business criticality: 'gold', 'silver' or 'bronze'."},
            }
        },
        "Ticket": {
            "name_property": "title",
            "properties": {
                "title": "string",
                "state": {"type": "string", "indexed": True, "description": "'closed' or 'open'."},
                "sev": {"type": "string", "indexed": True, "description": "'s1' (worst) to 's3'; the severity."},
            },
        },
    },
    "edges": {"USES": {"from": "App", "to": "Store", "properties": {"critical": "boolean"}}},
}


def _index(*hits: ValueHit) -> dict[str, list[ValueHit]]:
    out: dict[str, list[ValueHit]] = {}
    for h in hits:
        out.setdefault(h.value.lower(), []).append(h)
    return out


VALUES = _index(
    ValueHit("App", "stack", "Go"),
    ValueHit("App", "stack", "Python"),
    ValueHit("App", "tier", "gold"),
    ValueHit("App", "tier", "bronze"),
    ValueHit("Store", "tier", "gold"),
    ValueHit("Ticket", "state", "closed"),
)


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def test_an_everyday_spelling_of_a_stored_value_is_that_value(schema: GraphSchema) -> None:
    assert plain_property_words("anything written in golang?", schema, VALUES) == "anything written in Go?"
    assert plain_property_words("list the py apps", schema, VALUES) == "list the Python apps"
    # A trailing "written in" asks what it is built with; before a value it is left to the value's filter.
    assert plain_property_words("what's the app written in?", schema, VALUES) == "what's the app built with?"
    assert plain_property_words("which apps are not written in Go?", schema, VALUES) == "which apps are not written in Go?"
    # Only a stored value: no 'postgresql' is stored here, so "postgres" stays; a word that is a value itself stays.
    assert plain_property_words("which stores are postgres?", schema, VALUES) == "which stores are postgres?"
    assert plain_property_words("is it go?", schema, VALUES) == "is it go?"
    # A spelling inside a longer token or a file name is no value ("setup.py").
    assert plain_property_words("where is setup.py?", schema, VALUES) == "where is setup.py?"


def test_tier_n_is_the_nth_value_the_tier_description_quotes(schema: GraphSchema) -> None:
    assert tier_values(schema, VALUES) == ["gold", "silver", "bronze"]
    assert plain_property_words("which tier 1 apps are in Go?", schema, VALUES) == "which gold apps are in Go?"
    assert plain_property_words("is it tier-3?", schema, VALUES) == "is it bronze?"
    assert plain_property_words("is it tier 9?", schema, VALUES) == "is it tier 9?"
    # Tiers stored as numbers, or a first tier never stored: left as written.
    numeric = {
        **SCHEMA,
        "nodes": {
            **SCHEMA["nodes"],
            "App": {"properties": {"name": "string", "tier": {"type": "string", "description": "Business criticality: '1', '2' or '3'."}}},
        },
    }
    assert tier_values(GraphSchema.model_validate(numeric), VALUES) is None
    assert tier_values(schema, _index(ValueHit("App", "tier", "bronze"))) is None
    # A tier that is no criticality (a membership tier) has no "tier 1".
    member = {
        **SCHEMA,
        "nodes": {
            "Member": {
                "properties": {"name": "string", "tier": {"type": "string", "description": "Membership tier: 'standard' or 'premium'."}}
            }
        },
        "edges": {},
    }
    assert tier_values(GraphSchema.model_validate(member), _index(ValueHit("Member", "tier", "standard"))) is None


def test_self_hosting_is_the_false_side_of_the_flag_described_ourselves(schema: GraphSchema) -> None:
    assert self_hosted_flag(schema) == "hosted"
    assert plain_property_words("which stores are self-hosted?", schema, VALUES) == "which stores are not hosted?"
    assert plain_property_words("which stores do we run ourselves?", schema, VALUES) == "which stores are not hosted?"
    assert plain_property_words("is cache hosted or do we run it ourselves?", schema, VALUES) == "is cache hosted?"
    bare = GraphSchema.model_validate({**SCHEMA, "nodes": {k: v for k, v in SCHEMA["nodes"].items() if k != "Store"}, "edges": {}})
    assert self_hosted_flag(bare) is None
    assert plain_property_words("which stores are self-hosted?", bare, VALUES) == "which stores are self-hosted?"


def test_everyday_words_name_the_property_whose_description_holds_the_anchor(schema: GraphSchema) -> None:
    lexicon = build_lexicon(schema)
    for q, prop in (("what's the app coded in", "stack"), ("what is it built with", "stack"), ("how bad was it", "sev"),
                    ("what flavour is it", "flavour_kind"), ("what set off the ticket", None)):  # fmt: skip
        phrases, rest = lexicon.phrase_cues(q)
        found = {p for ps in [*phrases.values(), *lexicon.prop_cues(tokens(rest)).values()] for p in ps}
        assert (prop in found) if prop else not found, q


def test_a_yes_no_value_is_one_value_of_one_property_of_the_type(schema: GraphSchema) -> None:
    assert quoted_values(schema.nodes["Ticket"])["open"] == {("state", "open")}
    assert value_asked(tokens("is it python"), "App", schema.nodes["App"], VALUES) == ("stack", "Python")
    assert value_asked(tokens("is it gold"), "App", schema.nodes["App"], VALUES) == ("tier", "gold")
    # A value the description quotes counts though none is stored ("is T-1 still open?").
    assert value_asked(tokens("is it still open"), "Ticket", schema.nodes["Ticket"], VALUES) == ("state", "open")
    # No value, two values, or a value of another type: nothing asked.
    assert value_asked(tokens("is it fast"), "App", schema.nodes["App"], VALUES) is None
    assert value_asked(tokens("is it gold or python"), "App", schema.nodes["App"], VALUES) is None
    assert value_asked(tokens("is it closed"), "App", schema.nodes["App"], VALUES) is None


def test_one_comparison_between_two_things_is_read() -> None:
    assert comparison("is a's uptime higher than b's?") == (">", "is a's uptime  b's?")
    assert comparison("does a have a lower uptime than b?") == ("<", "does a have a  uptime b?")
    assert comparison("is a higher than b and lower than c?") is None
    assert comparison("is a's uptime high?") is None


def test_what_a_thing_does_is_its_description() -> None:
    schema = load_schema(sample_estate_path() / "schema.yaml")
    lexicon = build_lexicon(schema)

    def relation(text: str) -> bool:
        return bool(lexicon.edge_cues(tokens(text)))

    assert purpose_as_description("what does the fraud service do?", schema, relation) == "what is the description of the fraud service?"
    assert purpose_as_description("whats the ledger db used for", schema, relation) == "what is the description of the ledger db?"
    # Near misses: another verb, a relation word ("on call for"), or a schema without a description, are left alone.
    assert purpose_as_description("what does checkout depend on?", schema, relation) == "what does checkout depend on?"
    assert purpose_as_description("what is Marcus Bell on call for?", schema, relation) == "what is Marcus Bell on call for?"
    bare = GraphSchema.model_validate({"version": 1, "name": "x", "nodes": {"Service": {"properties": {"name": "string"}}}, "edges": {}})
    assert purpose_as_description("what does checkout do?", bare, relation) == "what does checkout do?"
