"""Everyday relation phrases ("looks after"), a verb naming a role ("manages" → manager) and schema-declared words
for a value ("read" for 'consume') reach `compose`'s cues; a malformed `value_synonyms` is refused.

Why: on-call questions phrased this way were abstained from on the dev sets (issue 14).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opsgraph.rag.lexicon import inflections, plain_relation_words
from opsgraph.schema.model import PropertySpec


def test_relation_phrases_become_one_relation_word_and_keep_offsets() -> None:
    for q, phrase in (("Which team looks after the ECB feed?", "looks after"), ("Who took care of redis?", "took care of"), ("Who is looking after checkout?", "looking after")):
        out = plain_relation_words(q)
        assert out.index("maintains") == q.index(phrase) and len(out) == len(q)
        assert out[q.index(phrase) + len(phrase) :] == q[q.index(phrase) + len(phrase) :]
    # "after" as a time word is left alone.
    assert plain_relation_words("What broke after the deploy?") == "What broke after the deploy?"


def test_a_verb_names_its_agent_noun() -> None:
    assert "manager" in inflections("manages")
    assert "leader" in inflections("leads")
    assert "manager" not in inflections("manage")
    assert not any(x.endswith("sser") for x in inflections("class"))


def test_value_synonyms_are_single_words_on_a_string_property() -> None:
    spec = PropertySpec(type="string", value_synonyms={"consume": ["read", "subscribe"]})
    assert spec.value_synonyms["consume"] == ["read", "subscribe"]
    with pytest.raises(ValidationError, match=r"value_synonyms\.consume"):
        PropertySpec(type="string", value_synonyms={"consume": ["read from"]})
    with pytest.raises(ValidationError, match="string property only"):
        PropertySpec(type="integer", value_synonyms={"1": ["one"]})
