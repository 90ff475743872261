"""Text-to-Cypher for one estate: `tune_estate` prepares it, `tuned_writer` serves it.

`tune_estate` works from the live schema and the data only, never from evaluation
questions:

1. generate (question, Cypher) pairs from the schema and sampled values, run
   every query, keep those that return what their pattern promises;
2. keep the pairs whose question the slot finder cuts exactly as the
   generator did (otherwise the prompt at question time would differ from the
   one examples and the adapter were made with), split them by phrasing and
   shape;
3. choose the prompt style (how many retrieved examples, their format,
   schema on or off, grammar on or off) by execution accuracy on a sample of
   the held-out pairs, by successive halving (`halving.py`: the worse half of
   the styles drops out after a first rung of pairs, the chosen one answers
   them all), one generation per question (repairs serve the answering writer,
   not the choice) within a token budget set by the item's gold query, while
   the templates are embedded for the example index in a background thread;
4. train a LoRA adapter on the training pairs (llama.cpp models), measure it
   on the same held-out sample, register it with its data hash, schema hash,
   hyper-parameters and metrics, and make it active only if it beats the
   best prompt style;
5. keep the choice in `<root>/choice.json`.

`tuned_writer` builds the `CypherWriter` the ask pipeline uses from that
choice, and reports a stale choice or adapter (schema changed since tuning). It
serves examples from every pair (the held-out split only chooses the style)
and, with `reuse`, first reuses the nearest pair's query when its parameter
types and numbers fit the question; the model writes only the rest.

Everything arrives as arguments (the store, the models, the folders, the
options): this module reads no configuration; `opsgraph.app` passes it in.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from opsgraph._files import atomic_write_text
from opsgraph.embed import Embedder
from opsgraph.errors import OpsGraphError
from opsgraph.llm import LanguageModel, LlamaCppModel
from opsgraph.llm.adapters import AdapterRegistry, LoraSettings, SFTExample, train_lora
from opsgraph.retrieve.text2cypher.eval import EvalItem, EvalReport, evaluate, is_ordered
from opsgraph.retrieve.text2cypher.examples import ExampleIndex
from opsgraph.retrieve.text2cypher.generate import generate_pairs
from opsgraph.retrieve.text2cypher.grammar import cypher_grammar
from opsgraph.retrieve.text2cypher.halving import successive_halving, winner
from opsgraph.retrieve.text2cypher.records import CypherPair, PairSet
from opsgraph.retrieve.text2cypher.slots import Linker, QuestionSlots, SlotFinder
from opsgraph.retrieve.text2cypher.split import load_pairs, pairs_sha256, save_pairs, split_pairs
from opsgraph.retrieve.text2cypher.writer import CypherWriter, PromptStyle, cypher_messages
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore

__all__ = [
    "ADAPTER_STYLE",
    "CANDIDATE_STYLES",
    "SCHEMA_STYLE",
    "TASK",
    "ServeOptions",
    "TuneError",
    "TuneOptions",
    "TuneProgress",
    "TuneReport",
    "choice_status",
    "consistent_pairs",
    "grammar_factory",
    "held_out_items",
    "read_choice",
    "schema_hash",
    "sft_examples",
    "tune_estate",
    "tuned_pairs",
    "tuned_writer",
]

TASK = "cypher"
"""The adapter task this module trains and routes (answers would be another task)."""

ADAPTER_STYLE = PromptStyle(k=0, format="turns", schema=False, grammar=True)
"""The prompt an adapter is trained and served with: the question and its parameters only (short, so training is fast)."""

SCHEMA_STYLE = PromptStyle(k=0, schema=True)
"""The untuned prompt (the schema, no examples): a baseline to measure against, no longer a default candidate. With
SmolLM2 it answered 0 of 40 held-out pairs on the 216-node estate of bench/tune.py (0.00 on both hand-written sets of
bench/text2cypher.py) and took 2.6-4x the time of a k=1 answer (a ~1,300-token prompt; answers ran to the token
limit): a quarter of the choice's time for a style that never won. Pass it in `styles` to measure it (a capable served model may
do well with it)."""

CANDIDATE_STYLES = (
    PromptStyle(k=1, format="turns", schema=False),
    PromptStyle(k=2, format="turns", schema=False),
    PromptStyle(k=3, format="turns", schema=False),
)
"""Prompt styles `tune` measures (grammar on); the best one is then measured with the grammar off too. Dropped after a
first measurement on the sample estate (12 held-out pairs, SmolLM2): k=3 with the schema (0.17, 3x slower than without)
and k=3 in one `qa` message (0.00: with the grammar the model does not end the query and runs to the token limit);
later the schema-only prompt (`SCHEMA_STYLE`)."""

CHOICE_FILE = "choice.json"
PAIR_FILES = ("train.jsonl", "held_out.jsonl")

TuneProgress = Callable[[str, int, int, str], None]
"""progress(stage, done, total, note): stages are pairs, styles, train, adapter."""


class TuneError(OpsGraphError):
    """Tuning could not run (nothing ingested, no model, no pairs)."""

    code = "not_tunable"
    status = 409


@dataclass(frozen=True)
class TuneOptions:
    """How `tune` generates, measures and trains (the app fills it from `cypher` settings)."""

    seed: int = 0
    """Seed of pair sampling, the split and training."""
    max_pairs: int = 6000
    """Most training pairs generated from the schema and the data."""
    held_out_sample: int = 16
    """Held-out pairs each prompt style (and the adapter) is measured on."""
    train_steps: int = 150
    """LoRA optimiser steps."""
    max_attempts: int = 1
    """Generations per question while measuring: the first, then repairs. One is enough to choose: repairs only
    matter to the writer that answers later (`ServeOptions.max_attempts`), and they cost a generation each."""
    lora_threads: int = 2
    """CPU threads LoRA training uses."""
    first_rung: int = 4
    """Held-out pairs every candidate style answers before the worse half is dropped (successive halving; the
    survivors answer twice as many, and so on). `held_out_sample` or more: every style answers every pair."""
    exclude_types: tuple[str, ...] = ()
    """Node types no pair is generated for (documents and chunks)."""


@dataclass(frozen=True)
class ServeOptions:
    """How the tuned writer serves questions (the app fills it from `cypher` settings)."""

    examples: bool = True
    """Show the nearest tuned pairs as examples."""
    grammar: bool = True
    """Constrain decoding by the estate's read-only Cypher grammar."""
    adapter: bool = True
    """Use the active LoRA adapter when tuning trained one."""
    reuse: bool = True
    """Reuse the nearest tuned pair's query when it fits the question."""
    max_attempts: int = 2
    """Generations per question: the first, then repairs with the engine's error."""


def schema_hash(schema: GraphSchema) -> str:
    """A stable hash of the schema: a choice or an adapter made under another schema is stale."""
    return hashlib.sha256(json.dumps(schema.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


@dataclass
class TuneReport:
    """What `tune` did and measured."""

    pairs: int = 0
    train: int = 0
    held_out: int = 0
    dropped_inconsistent: int = 0
    pair_stats: dict[str, Any] = field(default_factory=dict)
    styles: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] = field(default_factory=dict)
    adapter: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return self.__dict__.copy()


# -- the choice on disk ------------------------------------------------------------------------


def read_choice(root: Path) -> dict[str, Any] | None:
    """The tuned choice kept in `root`, or None before `tune`."""
    path = root / CHOICE_FILE
    if not path.is_file():
        return None
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise TuneError(f"{path}: unreadable ({exc}); run `opsgraph tune` again") from exc


def choice_status(choice: dict[str, Any] | None, schema: GraphSchema | None) -> dict[str, Any]:
    """Whether an estate is tuned, with what, and whether that is stale for `schema`."""
    if choice is None or schema is None:
        return {"tuned": False}
    stale = choice.get("schema_hash") != schema_hash(schema)
    out = {
        "tuned": True,
        "stale": stale,
        "style": choice.get("style"),
        "adapter": choice.get("adapter"),
        "metrics": choice.get("metrics"),
    }
    if stale:
        out["warning"] = "the schema changed since `opsgraph tune`: examples and adapter may not fit; run `opsgraph tune` again"
    return out


def tuned_pairs(root: Path) -> list[CypherPair]:
    """All tuned pairs kept in `root` (training and held-out), or none before `tune`."""
    return [p for name in PAIR_FILES if (root / name).is_file() for p in load_pairs(root / name)]


# -- tuning ------------------------------------------------------------------------------------


def tune_estate(
    store: GraphStore,
    schema: GraphSchema,
    linker: Linker,
    *,
    root: Path,
    adapter_root: Path,
    llm: LanguageModel | None,
    embedder: Embedder | None,
    schema_text: str,
    options: TuneOptions = TuneOptions(),
    adapter: bool = True,
    styles: Sequence[PromptStyle] = CANDIDATE_STYLES,
    progress: TuneProgress | None = None,
) -> TuneReport:
    """Generate pairs, choose the prompt style, train an adapter; keep the choice (and pairs) in `root`.

    `adapter_root` is the adapter registry's folder; `schema_text` is the schema as the prompt shows it (styles
    with `schema=True`).
    """
    report = TuneReport()
    say: TuneProgress = progress or (lambda *_: None)

    started = time.perf_counter()
    pair_set = generate_pairs(
        store, schema, seed=options.seed, max_pairs=options.max_pairs, exclude_types=options.exclude_types, progress=lambda d, t: say("pairs", d, t, "")
    )
    # Embedding the templates (for the example index, and into the embedder's cache for serving) takes tens of seconds
    # on one core: it runs in this thread beside the model (started after the consistency check, whose linker embeds
    # phrases: started before it, it made the pairs stage 24 s -> 40 s and the first answer no earlier).
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tune-embed")
    try:
        return _tune_pairs(
            store, schema, linker, pair_set, background, root=root, adapter_root=adapter_root, llm=llm, embedder=embedder,
            schema_text=schema_text, options=options, adapter=adapter, styles=styles, say=say, report=report, started=started,
        )  # fmt: skip
    finally:
        background.shutdown(wait=True, cancel_futures=True)


def _tune_pairs(
    store: GraphStore,
    schema: GraphSchema,
    linker: Linker,
    pair_set: PairSet,
    background: ThreadPoolExecutor,
    *,
    root: Path,
    adapter_root: Path,
    llm: LanguageModel | None,
    embedder: Embedder | None,
    schema_text: str,
    options: TuneOptions,
    adapter: bool,
    styles: Sequence[PromptStyle],
    say: TuneProgress,
    report: TuneReport,
    started: float,
) -> TuneReport:
    """`tune_estate` once the pairs are generated (`background` embeds templates beside the model)."""
    seed = options.seed
    sample = options.held_out_sample
    finder = SlotFinder.from_store(store, schema, linker)
    pairs, dropped = consistent_pairs(pair_set.pairs, finder)
    if len(pairs) < 10:
        raise TuneError(f"only {len(pairs)} usable training pairs came out of this estate's schema and data; nothing to tune")
    train, held = split_pairs(pairs, seed=seed)
    root.mkdir(parents=True, exist_ok=True)
    save_pairs(train, root / PAIR_FILES[0])
    save_pairs(held, root / PAIR_FILES[1])
    report.pairs, report.train, report.held_out, report.dropped_inconsistent = len(pairs), len(train), len(held), dropped
    report.pair_stats = pair_set.stats
    report.seconds["pairs"] = round(time.perf_counter() - started, 2)

    items = held_out_items(store, held, sample, seed)
    # The example index first (a style that shows no examples is measured meanwhile; a style with k > 0 waits for it),
    # then the held-out templates, into the embedder's cache: questions are served from every pair (`tuned_writer`),
    # and the first question after tuning should not pay for ~1,000 embeddings.
    index_ready = background.submit(ExampleIndex, train, embedder)
    if embedder is not None:
        background.submit(embedder.embed, [p.template for p in held])
    grammar = grammar_factory(schema)
    budget = query_token_budget(train)
    base_score: tuple[float, float] = (-1.0, 0.0)
    chosen = PromptStyle(k=3, schema=False)

    def measure(
        model: LanguageModel | None, style: PromptStyle, say_as: TuneProgress, on: Sequence[EvalItem] | None = None
    ) -> EvalReport:
        needs_index = model is None or style.k > 0
        writer = CypherWriter(
            store, model, schema_text if style.schema else "", slots=finder, examples=index_ready.result() if needs_index else None,
            grammar=grammar, style=style, max_attempts=options.max_attempts, row_limit=200, max_tokens=budget,
        )  # fmt: skip
        measured = items if on is None else on
        caps = {item.question: answer_token_budget(item.gold_cypher, budget) for item in measured}

        def write(question: str) -> Any:
            writer.max_tokens = caps.get(question, budget)
            return writer.write(question)

        return evaluate(write, measured, progress=lambda d, t: say_as("styles", d, t, _label(style)))

    started = time.perf_counter()
    if llm is None:
        only = measure(None, chosen, say)
        report.styles.append({"style": "retrieval-only", **only.summary()})
    else:
        llm.open()
        chosen, best_rep = _choose_style(llm, styles, items, options.first_rung, measure, say, report)
        base_score = (best_rep.accuracy, best_rep.percentile(50))
    report.seconds["styles"] = round(time.perf_counter() - started, 2)
    index_ready.result()

    active_adapter: dict[str, Any] | None = None
    if adapter and isinstance(llm, LlamaCppModel):
        active_adapter = _train_adapter(
            llm, schema, train, root, adapter_root, items, base_score, options, measure, say, report
        )  # fmt: skip
    metrics: dict[str, Any] = {"held_out_accuracy": round(base_score[0], 4) if base_score[0] >= 0 else None}
    if active_adapter is not None:
        metrics["adapter_held_out_accuracy"] = active_adapter["held_out_accuracy"]
    scores = [v for v in (metrics["held_out_accuracy"], metrics.get("adapter_held_out_accuracy")) if v is not None]
    metrics["chosen_held_out_accuracy"] = max(scores) if scores else None
    choice: dict[str, Any] = {
        "schema_hash": schema_hash(schema),
        "estate": schema.name,
        "style": chosen.as_dict(),
        "adapter": active_adapter,
        "metrics": metrics,
        "pairs_sha256": pairs_sha256(train),
        "seed": seed,
        "model": llm.name if llm is not None else None,
    }
    _write_json(root / CHOICE_FILE, choice)
    report.chosen = choice
    return report


def _choose_style(
    llm: LanguageModel,
    styles: Sequence[PromptStyle],
    items: Sequence[EvalItem],
    first_rung: int,
    measure: Callable[..., EvalReport],
    say: TuneProgress,
    report: TuneReport,
) -> tuple[PromptStyle, EvalReport]:
    """The best prompt style by successive halving over `styles` (grammar on), then the winner against itself with the grammar off.

    Each (style, item) is measured once: the second race reuses the winner's answers. `report.styles` gets every
    style measured, with the items it answered (`total`) and, when it was dropped early, `dropped_at`.
    """
    answered: dict[tuple[PromptStyle, int], EvalReport] = {}

    def on(style: PromptStyle, chunk: Sequence[EvalItem]) -> EvalReport:
        todo = [item for item in chunk if (style, id(item)) not in answered]
        for done, item in enumerate(todo, start=1):
            answered[(style, id(item))] = measure(llm, style, lambda *_: None, [item])
            say("styles", done, len(todo), _label(style))
        out = EvalReport()
        for item in chunk:
            out = out.merged(answered[(style, id(item))])
        return out

    first = successive_halving(list(styles), items, on, first=first_rung)
    best = winner(first)
    second = successive_halving(
        [best.candidate, replace(best.candidate, grammar=False)], items, on, first=first_rung, free=[best.candidate]
    )
    final = winner(second)
    for raced in [*first, second[1]]:
        entry: dict[str, Any] = {"style": raced.candidate.as_dict(), **raced.report.summary()}
        if raced.dropped_at is not None:
            entry["dropped_at"] = raced.dropped_at
        report.styles.append(entry)
    return final.candidate, final.report


def _label(style: PromptStyle) -> str:
    return f"styles k={style.k} {style.format}{' schema' if style.schema else ''}{' grammar' if style.grammar else ''}"


def _train_adapter(
    base: LlamaCppModel,
    schema: GraphSchema,
    train: Sequence[CypherPair],
    root: Path,
    adapter_root: Path,
    items: Sequence[EvalItem],
    base_score: tuple[float, float],
    options: TuneOptions,
    measure: Callable[[LanguageModel | None, PromptStyle, TuneProgress], EvalReport],
    say: TuneProgress,
    report: TuneReport,
) -> dict[str, Any] | None:
    examples = sft_examples(train)
    settings = LoraSettings(max_steps=options.train_steps, seed=options.seed, threads=options.lora_threads)
    started = time.perf_counter()
    work = root / "adapter-work"
    result = train_lora(
        base.model_path, examples, work, settings=settings, progress=lambda s, t, loss: say("train", s, t, f"loss {loss:.3f}")
    )
    report.seconds["train"] = round(time.perf_counter() - started, 2)
    tuned = base.with_adapter(result.adapter_gguf, name=f"{base.name}+{TASK}")
    started = time.perf_counter()
    with tuned:
        rep = measure(tuned, ADAPTER_STYLE, lambda s, d, t, n: say("adapter", d, t, n))
    report.seconds["adapter_eval"] = round(time.perf_counter() - started, 2)
    registry = AdapterRegistry(adapter_root)
    version = registry.register(
        result, estate=schema.name, task=TASK, base_model=base.name, base_sha256=base.sha256 or "",
        schema_hash=schema_hash(schema), settings=settings,
        metrics={"held_out_accuracy": rep.accuracy, "held_out_ran": rep.ran_share, "held_out_p50_ms": rep.percentile(50), "final_loss": result.losses[-1] if result.losses else 0.0},
        extra={"style": ADAPTER_STYLE.as_dict(), "held_out_sample": len(items), "pairs": len(train)},
    )  # fmt: skip
    better = (rep.accuracy, -rep.percentile(50)) > (base_score[0], -base_score[1])
    if better:
        registry.promote(schema.name, TASK, version.version)
    report.adapter = {"version": version.version, "held_out_accuracy": rep.accuracy, "promoted": better, **rep.summary()}
    report.styles.append({"style": {"adapter": version.version, **ADAPTER_STYLE.as_dict()}, **rep.summary()})
    if not better:
        return None
    return {
        "version": version.version,
        "path": str(version.path),
        "held_out_accuracy": round(rep.accuracy, 4),
        "style": ADAPTER_STYLE.as_dict(),
    }


# -- serving -----------------------------------------------------------------------------------


def tuned_writer(
    store: GraphStore,
    schema: GraphSchema,
    linker: Linker,
    schema_text: str,
    *,
    root: Path,
    llm: LanguageModel | None,
    embedder: Embedder | None,
    options: ServeOptions = ServeOptions(),
) -> tuple[CypherWriter, dict[str, Any]]:
    """The writer for questions, from the choice in `root` (or the plain schema prompt before `tune`), and what was chosen."""
    choice = read_choice(root)
    grammar = grammar_factory(schema) if options.grammar else None
    if choice is None:
        return CypherWriter(store, llm, schema_text, grammar=None, max_attempts=options.max_attempts), {"tuned": False}
    info = choice_status(choice, schema)
    style = PromptStyle(**choice["style"])
    model = llm
    adapter = choice.get("adapter")
    if adapter and options.adapter and isinstance(llm, LlamaCppModel) and Path(adapter["path"]).is_file():
        model = llm.with_adapter(adapter["path"], name=f"{llm.name}+{TASK}")
        style = PromptStyle(**adapter["style"])
        info["adapter_used"] = adapter["version"]
    if not options.grammar:
        style = replace(style, grammar=False)
    # Every pair serves: the held-out split exists to choose the style, and a held-out shape the index lacks is a
    # question retrieval cannot answer (the sample estate's hand-written set: 0.58 with the training pairs only, 0.78
    # with all of them, retrieval only).
    pairs = tuned_pairs(root) if options.examples else []
    index = ExampleIndex(pairs, embedder) if pairs else None
    if index is None:
        style = replace(style, k=0)
    finder = SlotFinder.from_store(store, schema, linker)
    if model is not None:
        model.open()
    writer = CypherWriter(
        store, model, schema_text, slots=finder, examples=index, grammar=grammar, style=style,
        max_attempts=options.max_attempts, reuse=options.reuse,
    )  # fmt: skip
    info["reuse"] = options.reuse
    return writer, info


# -- pieces ------------------------------------------------------------------------------------


def consistent_pairs(pairs: Sequence[CypherPair], finder: SlotFinder) -> tuple[list[CypherPair], int]:
    """The pairs whose question the finder cuts exactly as the generator did, and how many were dropped."""
    kept = []
    for p in pairs:
        found: QuestionSlots = finder.find(p.question)
        if found.template == p.template and [(s.kind, s.label, str(s.value)) for s in found.slots] == [
            (s.kind, s.label, str(s.value)) for s in p.slots
        ]:
            kept.append(p)
    return kept, len(pairs) - len(kept)


def held_out_items(store: GraphStore, held: Sequence[CypherPair], sample: int, seed: int) -> list[EvalItem]:
    """A pattern-balanced sample of held-out pairs with their gold rows (round robin over patterns, seeded)."""
    rng = random.Random(seed)
    by_pattern: dict[str, list[CypherPair]] = {}
    for p in held:
        by_pattern.setdefault(p.pattern, []).append(p)
    for group in by_pattern.values():
        rng.shuffle(group)
    chosen: list[CypherPair] = []
    while len(chosen) < sample and any(by_pattern.values()):
        for name in sorted(by_pattern):
            if by_pattern[name] and len(chosen) < sample:
                chosen.append(by_pattern[name].pop())
    items = []
    for p in chosen:
        rows = store.query(p.cypher, p.params, limit=200).rows
        items.append(EvalItem(p.question, rows, ordered=is_ordered(p.cypher), pattern=p.pattern, gold_cypher=p.cypher))
    return items


QUERY_TOKENS = 160
"""The writer's default token limit for one query (`CypherWriter.max_tokens`)."""


def query_token_budget(pairs: Sequence[CypherPair]) -> int:
    """Tokens a measured generation may take: the longest training query at 2 characters a token, plus 24, at most 160.

    BPE tokenizers of small chat models spend at least ~2 characters a token on Cypher (SmolLM2 on the tiny test estate's
    pairs: 2.03 at worst), so a correct query fits; what would run past it is a model that does not end its query
    (an untuned prompt under the grammar ran to 160 tokens on most held-out questions, half the measuring time).
    """
    longest = max((len(p.cypher) for p in pairs), default=2 * QUERY_TOKENS)
    return min(QUERY_TOKENS, (longest + 1) // 2 + 24)


def answer_token_budget(gold_cypher: str, cap: int) -> int:
    """Tokens one measured answer may take: the gold query's length at 2 characters a token plus 24, at most `cap`.

    The rule `query_token_budget` applies to the longest training query, applied to each held-out item's own gold
    query: a right answer fits (a query ~48 characters longer than the gold one still does), and a prompt style that
    does not end its query stops there instead of at the global limit (on the 216-node estate the schema-only style
    answered none of its items right and was the slowest per item, 2.6-4x the k=1 style). No gold query: `cap`.
    """
    if not gold_cypher:
        return cap
    return min(cap, (len(gold_cypher) + 1) // 2 + 24)


def sft_examples(pairs: Sequence[CypherPair]) -> list[SFTExample]:
    """Adapter training examples: the adapter prompt (question + parameters) → the pair's Cypher."""
    out = []
    for p in pairs:
        q = QuestionSlots(p.question, p.template, tuple(p.slots))
        messages = cypher_messages(q, [], None, ADAPTER_STYLE)
        out.append(SFTExample(messages=tuple(messages), completion=p.cypher))
    return out


def grammar_factory(schema: GraphSchema) -> Callable[[tuple[str, ...]], str]:
    """GBNF text of the estate's read-only Cypher for a tuple of parameter names (built once per tuple)."""
    cache: dict[tuple[str, ...], str] = {}

    def build(params: tuple[str, ...]) -> str:
        if params not in cache:
            cache[params] = cypher_grammar(schema, params=params).gbnf
        return cache[params]

    return build


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str))
