"""Text-to-Cypher: pairs generated from the schema and data, slots, examples, grammar, the writer, evaluation, tuning."""
