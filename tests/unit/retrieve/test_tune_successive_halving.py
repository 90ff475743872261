"""`tune` chooses a prompt style by successive halving: the worse half drops out at each rung, the winner answers every pair."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from opsgraph.retrieve.text2cypher import EvalItem, EvalReport, PromptStyle, TuneReport
from opsgraph.retrieve.text2cypher.halving import rungs, successive_halving, winner
from opsgraph.retrieve.text2cypher.tune import _choose_style

ITEMS = [EvalItem(f"q{i}", [{"id": i}], pattern=f"p{i % 3}") for i in range(20)]


def scored(right: Sequence[bool], ms: float = 10.0) -> EvalReport:
    rep = EvalReport()
    for ok in right:
        rep.total += 1
        rep.correct += int(ok)
        rep.ran += 1
        rep.ms.append(ms)
        rep.by_pattern.setdefault("p", [0, 0])
        rep.by_pattern["p"][0] += int(ok)
        rep.by_pattern["p"][1] += 1
    return rep


class Oracle:
    """A measure whose candidate c answers item i right when `skill[c](i)`; it counts every (candidate, item) it answers."""

    def __init__(self, skill: dict[str, float]) -> None:
        self.skill = skill
        self.asked: list[tuple[str, str]] = []

    def __call__(self, candidate: str, items: Sequence[EvalItem]) -> EvalReport:
        self.asked += [(candidate, it.question) for it in items]
        # item i is right when its index falls under the candidate's share: a fixed, order-independent answer per item
        return scored([int(it.question[1:]) % 10 < self.skill[candidate] * 10 for it in items])


def test_rungs_double_and_end_at_the_sample() -> None:
    assert rungs(40, 8) == [8, 16, 32, 40]
    assert rungs(12, 8) == [8, 12]
    assert rungs(16, 8) == [8, 16]
    assert rungs(5, 8) == [5]
    assert rungs(0, 8) == []


def test_the_best_candidate_wins_and_answers_every_item_with_fewer_answers_than_exhaustive() -> None:
    oracle = Oracle({"a": 0.2, "b": 0.9, "c": 0.5, "d": 0.1})
    raced = successive_halving(["a", "b", "c", "d"], ITEMS, oracle, first=4)
    best = winner(raced)
    assert best.candidate == "b" and best.dropped_at is None and best.report.total == len(ITEMS)
    assert best.report.correct == sum(int(it.question[1:]) % 10 < 9 for it in ITEMS)
    # rung 4: all four; rung 8: b and c; rung 16 and 20: b alone
    assert {r.candidate: r.dropped_at for r in raced} == {"a": 4, "b": None, "c": 8, "d": 4}
    assert {r.candidate: r.report.total for r in raced} == {"a": 4, "b": 20, "c": 8, "d": 4}
    assert len(oracle.asked) == 4 * 4 + 2 * 4 + 12 < 4 * len(ITEMS)
    assert len(set(oracle.asked)) == len(oracle.asked)  # no item answered twice by one candidate


def test_a_first_rung_as_long_as_the_sample_is_the_exhaustive_search() -> None:
    oracle = Oracle({"a": 0.2, "b": 0.9, "c": 0.5})
    raced = successive_halving(["a", "b", "c"], ITEMS, oracle, first=len(ITEMS))
    assert all(r.dropped_at is None and r.report.total == len(ITEMS) for r in raced)
    assert winner(raced).candidate == "b" and len(oracle.asked) == 3 * len(ITEMS)


def test_ties_keep_the_earlier_candidate_and_latency_breaks_them_first() -> None:
    same = Oracle({"x": 0.5, "y": 0.5})
    assert winner(successive_halving(["x", "y"], ITEMS, same, first=4)).candidate == "x"

    def slower_x(candidate: str, items: Sequence[EvalItem]) -> EvalReport:
        return scored([True] * len(items), ms=50.0 if candidate == "x" else 5.0)

    assert winner(successive_halving(["x", "y"], ITEMS, slower_x, first=4)).candidate == "y"


def test_no_candidates_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one candidate"):
        successive_halving([], ITEMS, Oracle({}), first=4)


def test_merged_reports_add_up() -> None:
    both = scored([True, False], ms=1.0).merged(scored([True], ms=3.0))
    assert (both.total, both.correct, both.ran, both.ms, both.by_pattern) == (3, 2, 3, [1.0, 1.0, 3.0], {"p": [2, 3]})


def test_the_style_choice_reuses_the_winners_answers_against_its_grammar_off_twin() -> None:
    grammar_on = [PromptStyle(k=0, schema=True), PromptStyle(k=1, schema=False), PromptStyle(k=2, schema=False)]
    skill = {grammar_on[0]: 0.2, grammar_on[1]: 0.9, grammar_on[2]: 0.5, replace(grammar_on[1], grammar=False): 0.3}
    asked: list[tuple[PromptStyle, str]] = []

    def measure(model: object, style: PromptStyle, say: object, on: Sequence[EvalItem] | None = None) -> EvalReport:
        assert on is not None and len(on) == 1  # one item at a time, so answers are kept per item
        asked.extend((style, it.question) for it in on)
        return scored([int(it.question[1:]) % 10 < skill[style] * 10 for it in on])

    report = TuneReport()
    chosen, rep = _choose_style(object(), grammar_on, ITEMS, 4, measure, lambda *_: None, report)  # type: ignore[arg-type]
    assert chosen == grammar_on[1] and rep.total == len(ITEMS)
    assert len(asked) == len(set(asked))  # the winner's answers are reused in the second race, never asked again
    off = replace(grammar_on[1], grammar=False)
    assert sum(s == off for s, _ in asked) == 4  # the grammar-off twin dropped after the first rung
    styles = {tuple(sorted(e["style"].items())): e for e in report.styles}
    assert len(report.styles) == 4 and styles[tuple(sorted(off.as_dict().items()))]["dropped_at"] == 4
    assert styles[tuple(sorted(grammar_on[1].as_dict().items()))]["total"] == len(ITEMS)


def test_a_candidate_whose_answers_are_known_is_never_dropped_on_a_short_prefix() -> None:
    # "twin" is right on the first 4 items only; "known" (answers already measured, free) on 14 of 20, not on the first 4.
    def measure(candidate: str, items: Sequence[EvalItem]) -> EvalReport:
        right = (lambda i: i < 4) if candidate == "twin" else (lambda i: 6 <= i)
        return scored([right(int(it.question[1:])) for it in items])

    costly = successive_halving(["known", "twin"], ITEMS, measure, first=4)
    assert winner(costly).candidate == "twin"  # without `free`: "known" drops at 4 and the worse twin wins
    raced = successive_halving(["known", "twin"], ITEMS, measure, first=4, free=["known"])
    assert {r.candidate: r.dropped_at for r in raced} == {"known": None, "twin": 16}  # behind once the prefix is long enough
    assert winner(raced).candidate == "known" and winner(raced).report.correct == 14
    # a free candidate that leads: the other one still drops as before
    behind = successive_halving(["twin", "known"], ITEMS, measure, first=4, free=["twin"])
    assert {r.candidate: r.dropped_at for r in behind} == {"twin": None, "known": 4}


def test_a_tie_with_a_free_candidate_drops_the_costly_one_whatever_its_latency() -> None:
    def measure(candidate: str, items: Sequence[EvalItem]) -> EvalReport:
        return scored([int(it.question[1:]) % 2 == 0 for it in items], ms=50.0 if candidate == "known" else 5.0)

    raced = successive_halving(["known", "fast"], ITEMS, measure, first=4, free=["known"])
    assert {r.candidate: r.dropped_at for r in raced} == {"known": None, "fast": 4}
    # without a free candidate the faster one wins the tie, as before
    assert winner(successive_halving(["known", "fast"], ITEMS, measure, first=4)).candidate == "fast"
