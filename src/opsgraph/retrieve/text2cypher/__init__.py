"""Text-to-Cypher for one estate: pairs from its schema and data, slots, examples, grammar, the writer, evaluation, tuning.

How the modules fit (each imports only those above it in this list):

    slots       cut entity names and categorical values out of a question (`$p0`, `$p1`, ...)
    numbers     numbers in a question and in a query, to adapt a reused query to the question
    cues        words of a question vs clauses of a query (ORDER BY, count, a property asked for)
    records     `CypherPair` and `PairSet`
    morphology  English forms of schema names ("DEPENDS_ON" → "depends on" / "does ... depend on")
    phrasings   the question templates of each pair pattern
    grammar     the estate's read-only Cypher grammar (GBNF, with a recogniser)
    generate    (question, Cypher) pairs from the schema and sampled values, each run on the store
    split       train/held-out split by phrasing and shape; JSON-lines files; the pairs' hash
    examples    the nearest pairs to a question (embeddings or words, slot signature, cues)
    writer      `CypherWriter` (reuse, prompt, grammar, check, repair) and `Text2CypherRetriever`
    eval        execution accuracy: rows equal to the gold rows
    tune        choose the prompt style, train an adapter, keep the choice; build the tuned writer
"""

from opsgraph.retrieve.text2cypher.eval import EvalItem, EvalReport, evaluate, is_ordered, normalise, rows_match
from opsgraph.retrieve.text2cypher.examples import ExampleIndex, pair_signature
from opsgraph.retrieve.text2cypher.generate import generate_pairs
from opsgraph.retrieve.text2cypher.grammar import CypherGrammar, cypher_grammar
from opsgraph.retrieve.text2cypher.morphology import Noun, Verb, edge_verb, type_noun
from opsgraph.retrieve.text2cypher.numbers import Number, adapt_numbers, find_numbers
from opsgraph.retrieve.text2cypher.records import CypherPair, PairSet
from opsgraph.retrieve.text2cypher.slots import Linker, QuestionSlots, Slot, SlotFinder, describe_slots
from opsgraph.retrieve.text2cypher.split import load_pairs, pairs_sha256, save_pairs, split_pairs
from opsgraph.retrieve.text2cypher.tune import (
    ADAPTER_STYLE,
    CANDIDATE_STYLES,
    SCHEMA_STYLE,
    TASK,
    ServeOptions,
    TuneError,
    TuneOptions,
    TuneProgress,
    TuneReport,
    choice_status,
    grammar_factory,
    held_out_items,
    read_choice,
    schema_hash,
    tune_estate,
    tuned_pairs,
    tuned_writer,
)
from opsgraph.retrieve.text2cypher.writer import (
    CypherExample,
    CypherOutcome,
    CypherWriter,
    PromptStyle,
    Text2CypherRetriever,
    check_cypher,
    cypher_messages,
    extract_cypher,
)

__all__ = [
    "ADAPTER_STYLE",
    "CANDIDATE_STYLES",
    "SCHEMA_STYLE",
    "TASK",
    "CypherExample",
    "CypherGrammar",
    "CypherOutcome",
    "CypherPair",
    "CypherWriter",
    "EvalItem",
    "EvalReport",
    "ExampleIndex",
    "Linker",
    "Noun",
    "Number",
    "PairSet",
    "PromptStyle",
    "QuestionSlots",
    "ServeOptions",
    "Slot",
    "SlotFinder",
    "Text2CypherRetriever",
    "TuneError",
    "TuneOptions",
    "TuneProgress",
    "TuneReport",
    "Verb",
    "adapt_numbers",
    "check_cypher",
    "choice_status",
    "cypher_grammar",
    "cypher_messages",
    "describe_slots",
    "edge_verb",
    "evaluate",
    "extract_cypher",
    "find_numbers",
    "generate_pairs",
    "grammar_factory",
    "held_out_items",
    "is_ordered",
    "load_pairs",
    "normalise",
    "pair_signature",
    "pairs_sha256",
    "read_choice",
    "rows_match",
    "save_pairs",
    "schema_hash",
    "split_pairs",
    "tune_estate",
    "tuned_pairs",
    "tuned_writer",
    "type_noun",
]
