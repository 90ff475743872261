"""The static read-only check refuses, on its own, every write and every trick the engine would still run as a write.

The engine's read-only path is not involved here (only the guard is called): the
issue's four statements that slipped past the old check, plus a generated corpus
of every mutation keyword and procedure crossed with comment, quoting, case and
whitespace tricks.
"""

from __future__ import annotations

import itertools

import pytest

from opsgraph.store.cypher_guard import LINE_BREAKS, READ_PROCEDURES, is_read_only, write_clauses

ISSUE_STATEMENTS = [
    "MATCH (n) RETURN n.id // x\rCREATE (m:X)",  # a // comment ended by a carriage return
    "CALL `db.createLabel`('X')",
    "CALL `apoc`.`create`.node(['X'], {})",
    "RETURN apoc.create.node(['X'], {}) AS n",  # the function-call form
]

MUTATIONS = [
    "CREATE (m:X {id: 'evil'})",
    "MERGE (m:X {id: 'evil'})",
    "SET n.owner = 'evil'",
    "DELETE n",
    "DETACH DELETE n",
    "REMOVE n.owner",
    "FOREACH (x IN [1] | CREATE (:X))",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "DROP INDEX x",
    "CALL db.createLabel('X')",
    "CALL apoc.create.node(['X'], {})",
    "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {})",
    "CALL db.schema.nodeTypeProperties()",  # refused by the engine's read-only path, so not allow-listed
    "RETURN apoc.create.node(['X'], {}) AS m",
    "RETURN db.createLabel('X') AS m",
    "WITH apoc.nodes.delete(n, 1) AS m RETURN m",
]


def _case_variants(stmt: str) -> list[str]:
    return [stmt, stmt.lower(), "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(stmt))]


def _quoting_variants(stmt: str) -> list[str]:
    out = [stmt]
    for proc in ("db.createLabel", "apoc.create.node", "apoc.periodic.iterate", "db.schema.nodeTypeProperties", "apoc.nodes.delete"):
        if proc in stmt:
            parts = proc.split(".")
            out.append(stmt.replace(proc, f"`{proc}`"))
            out.append(stmt.replace(proc, ".".join(f"`{p}`" for p in parts)))
            out.append(stmt.replace(proc, f"`{parts[0]}`." + ".".join(parts[1:])))
            out.append(stmt.replace(proc, " . ".join(parts)))
    return out


def _hiding_places(mutation: str) -> list[str]:
    head = "MATCH (n:Service)"
    out = [f"{head} {mutation}", f"{head}/*x*/{mutation}", f"{head} /* CREATE */ {mutation}", f"{head}\t{mutation}",
           f"{head} RETURN n; {mutation}", f"{head} WITH n // comment */\n{mutation}", f"{head} WITH n /* // */ {mutation}",
           f"{head} WITH n, 'str // not a comment' AS s {mutation}", f"{head} WITH n, 'it\\'s' AS s {mutation}",
           f"{head} WITH n, \"a /* b\" AS s {mutation}"]
    out += [f"{head} RETURN n.id // x{br}{mutation}" for br in LINE_BREAKS]
    return out


CORPUS = sorted({
    hidden
    for mutation in MUTATIONS
    for quoted in _quoting_variants(mutation)
    for cased in _case_variants(quoted)
    for hidden in _hiding_places(cased)
})


@pytest.mark.parametrize("cypher", ISSUE_STATEMENTS)
def test_the_issues_four_statements_are_refused_statically(cypher: str) -> None:
    assert not is_read_only(cypher), cypher


def test_the_generated_corpus_is_refused_by_the_static_check_alone() -> None:
    assert len(CORPUS) > 2000
    passed = [c for c in CORPUS if is_read_only(c)]
    assert not passed, f"{len(passed)} writes passed the static check, e.g. {passed[:5]!r}"


@pytest.mark.parametrize("cypher", [
    "MATCH (n) RETURN n /* unterminated",
    "MATCH (n) WHERE n.id = 'open RETURN n",
    "MATCH (`open) RETURN 1",
])
def test_what_cannot_be_read_is_refused(cypher: str) -> None:
    assert any(w.startswith("unparsable") for w in write_clauses(cypher))


READS = [
    "MATCH (n:Service) WHERE n.note = 'CREATE // x' RETURN n.id",
    "MATCH (n) RETURN n.set AS s, n.delete AS d, n.`create` AS c",
    "MATCH (n) // DELETE n\nRETURN n",
    "MATCH (n) /* SET n.x = 1 */ RETURN n",
    "MATCH (n:`CREATE`) RETURN n",
    "MATCH (s:Service {id: 'it\\'s'}) RETURN s.id",
    "RETURN date.truncate('day', date()) AS d, duration.between(date(), date()) AS e, toLower('X') AS l",
    "MATCH p = shortestPath((a)-[*]-(b)) RETURN p",
    *[f"CALL {p}() YIELD x RETURN x" for p in sorted(READ_PROCEDURES)],
    "CALL `db.labels`() YIELD label RETURN label",
    "CALL { MATCH (n) RETURN n } RETURN count(n) AS c",
]


@pytest.mark.parametrize("cypher", READS)
def test_reads_pass(cypher: str) -> None:
    assert is_read_only(cypher), write_clauses(cypher)


def test_line_breaks_cover_everything_python_splits_lines_on() -> None:
    breaks = {c for c in map(chr, itertools.chain(range(0x2030), [0x2028, 0x2029])) if len(f"a{c}b".splitlines()) == 2}
    assert breaks <= set(LINE_BREAKS)
