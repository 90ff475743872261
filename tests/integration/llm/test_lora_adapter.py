"""LoRA on the real SmolLM2: train on CPU with transformers + PEFT, export for llama.cpp, serve, and check they agree.

A toy task the base model gets wrong: short questions about a service become one
fixed Cypher-like string with the service's name copied in. One adapter is
trained for the module (20 steps of 4 examples, seed 0, one thread) and served by
llama.cpp from the registry; held-out service names measure exact match.
Skipped when the training extra (torch, transformers, peft, gguf) is missing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("gguf")

from opsgraph.llm import ModelFile, ModelIntegrityError
from opsgraph.llm.adapters import (
    AdapterError,
    AdapterRegistry,
    LoraSettings,
    SFTExample,
    TrainResult,
    clear_base_cache,
    export_lora_gguf,
    load_base,
    load_merged,
    train_lora,
)
from opsgraph.llm.adapters.train import encode_example

pytestmark = pytest.mark.training  # run first in the session (tests/conftest.py)

SYSTEM = "Translate the question into a graph query."
TEMPLATES = (
    ("Who owns {s}?", "MATCH (t:Team)-[:OWNS]->(:Service {{id:'{s}'}}) RETURN t.id"),
    ("What does {s} depend on?", "MATCH (:Service {{id:'{s}'}})-[:DEPENDS_ON]->(d) RETURN d.id"),
    ("Is {s} healthy?", "MATCH (s:Service {{id:'{s}'}}) RETURN s.healthy"),
)
TRAIN_NAMES = ("billing", "auth", "ledger", "search", "checkout", "payments", "gateway", "inventory", "mailer", "profile")
HELD_OUT_NAMES = ("orders", "catalog", "metrics", "session")
# One torch thread: on 2 cores shared with other work, 2 threads are at best ~25% faster and, when torch was imported
# before OMP_WAIT_POLICY=PASSIVE could be set (e.g. by another test module), up to 16x slower (spinning OpenMP threads).
SETTINGS = LoraSettings(batch_size=4, max_steps=20, lr=2e-3, seed=0, threads=1)


def _examples(names: tuple[str, ...]) -> list[SFTExample]:
    return [
        SFTExample(({"role": "system", "content": SYSTEM}, {"role": "user", "content": q.format(s=n)}), a.format(s=n))
        for n in names
        for q, a in TEMPLATES
    ]


TRAIN = _examples(TRAIN_NAMES)
HELD_OUT = _examples(HELD_OUT_NAMES)


@contextlib.contextmanager
def _llama(model: ModelFile, lora: Path | None = None, *, logits_all: bool = False) -> Iterator[Any]:
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(model.path),
        lora_path=str(lora) if lora is not None else None,
        n_ctx=512,
        # One thread, like training: llama.cpp's OpenMP pool spins too, and with another busy process on one of the
        # 2 cores, 2 threads took this module's 24 greedy answers from ~10 s to 245 s.
        n_threads=1,
        n_threads_batch=1,
        logits_all=logits_all,
        verbose=False,
    )
    try:
        yield llm
    finally:
        llm.close()


def _exact_match(llm: Any, examples: list[SFTExample]) -> tuple[float, list[str]]:
    answers = [
        llm.create_chat_completion(messages=list(ex.messages), max_tokens=32, temperature=0.0)["choices"][0]["message"]["content"] or ""
        for ex in examples
    ]
    hits = sum(a.strip() == ex.completion for a, ex in zip(answers, examples, strict=True))
    return hits / len(examples), answers


@pytest.fixture(scope="module")
def trained(smollm2_file: ModelFile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainResult]:
    seen: list[tuple[int, int, float]] = []
    load_base(smollm2_file.path)  # parse the GGUF once for this module: each training below copies it instead of parsing again
    result = train_lora(
        smollm2_file.path,
        TRAIN,
        tmp_path_factory.mktemp("lora"),
        settings=SETTINGS,
        base_sha256=smollm2_file.sha256,
        progress=lambda step, total, loss: seen.append((step, total, loss)),
    )
    assert [(s, t) for s, t, _ in seen] == [(i, 20) for i in range(1, 21)] and [x for *_, x in seen] == result.losses
    print(
        f"\ntrained {result.steps} steps in {result.seconds:.1f}s ({result.seconds_per_step:.2f} s/step, "
        f"{result.tokens_per_second:.0f} tokens/s; base load {result.load_seconds:.1f}s); loss {result.losses[0]:.3f} -> {result.losses[-1]:.3f}"
    )
    yield result
    # The parsed base (~0.5 GB float32) was kept for this module's trainings only: a later module that trains (the tune
    # test) would otherwise copy it and hold both, which made it the whole run's memory peak (issue 13: 4.0 GB).
    clear_base_cache()


def test_training_lowers_the_loss_and_writes_both_formats(trained: TrainResult) -> None:
    assert trained.steps == 20 and trained.examples == len(TRAIN) and len(trained.data_sha256) == 64
    assert np.mean(trained.losses[-4:]) < 0.2 * trained.losses[0]
    assert (trained.peft_dir / "adapter_model.safetensors").is_file() and (trained.peft_dir / "adapter_config.json").is_file()

    import gguf

    reader = gguf.GGUFReader(str(trained.adapter_gguf))
    meta = {name: field.contents() for name, field in reader.fields.items() if not name.startswith("GGUF.")}
    assert meta["general.type"] == "adapter" and meta["adapter.type"] == "lora" and meta["general.architecture"] == "llama"
    assert meta["adapter.lora.alpha"] == pytest.approx(SETTINGS.alpha)
    shapes = {t.name: t.shape.tolist() for t in reader.tensors}
    # ggml order (fastest dimension first): lora_a is [n_in, r], lora_b is [r, n_out]; attn_v maps 576 -> 192.
    assert shapes["blk.0.attn_v.weight.lora_a"] == [576, 16] and shapes["blk.0.attn_v.weight.lora_b"] == [16, 192]
    assert shapes["blk.29.ffn_down.weight.lora_a"] == [1536, 16] and shapes["blk.29.ffn_down.weight.lora_b"] == [16, 576]
    assert len(shapes) == 30 * 5 * 2 and not [n for n in shapes if "attn_q" in n or "attn_k" in n]


def test_served_prompt_tokens_equal_the_trained_ones(smollm2_file: ModelFile) -> None:
    """llama-cpp-python renders the GGUF's template and tokenises it; the ids must be the ones trained on."""
    _, tokenizer = load_base(smollm2_file.path)
    example = HELD_OUT[1]
    ids, labels = encode_example(tokenizer, example, 256)
    prompt_ids = ids[: labels.count(-100)]
    with _llama(smollm2_file) as llm:
        calls: list[tuple[bytes, list[int]]] = []
        real_tokenize = llm.tokenize

        def spy(text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
            out = real_tokenize(text, add_bos=add_bos, special=special)
            calls.append((text, list(out)))
            return out

        llm.tokenize = spy
        llm.create_chat_completion(messages=list(example.messages), max_tokens=1, temperature=0.0)
        llm.tokenize = real_tokenize
        assert llm.chat_format == "chat_template.default", "the GGUF's own template, not a built-in chat format"
        assert calls[0][0].decode().endswith("<|im_start|>assistant\n")
        assert calls[0][1] == prompt_ids
        # The answer the model must produce, tokenised by llama.cpp, is the trained target (completion + <|im_end|>).
        answer = real_tokenize((example.completion + "<|im_end|>").encode(), add_bos=False, special=True)
        assert list(answer) == ids[len(prompt_ids) :]


def test_the_adapter_served_by_llama_cpp_beats_the_base_model(smollm2_file: ModelFile, trained: TrainResult, tmp_path: Path) -> None:
    with _llama(smollm2_file) as llm:
        before, base_answers = _exact_match(llm, HELD_OUT)
    registry = AdapterRegistry(tmp_path / "adapters")
    assert smollm2_file.sha256 is not None
    registered = registry.register(
        trained,
        estate="toy",
        task="text2cypher",
        base_model=smollm2_file.name,
        base_sha256=smollm2_file.sha256,
        schema_hash="toy-schema-1",
        settings=SETTINGS,
        metrics={"exact_match_base": before},
        promote=True,
    )
    active = registry.active("toy", "text2cypher")
    assert active == registered and active is not None and not active.is_stale("toy-schema-1", smollm2_file.sha256)
    active.verify()
    with _llama(smollm2_file, active.path) as llm:
        after, answers = _exact_match(llm, HELD_OUT)
    print(f"\nheld-out exact match through llama.cpp: base {before:.2f} -> with adapter {after:.2f}")
    assert before <= 0.1, base_answers
    assert after >= 0.75 and after - before >= 0.5, answers


def test_llama_cpp_with_the_adapter_matches_transformers_with_the_merged_adapter(smollm2_file: ModelFile, trained: TrainResult) -> None:
    import torch

    example = HELD_OUT[0]
    merged, tokenizer = load_merged(smollm2_file.path, trained.peft_dir)
    ids, labels = encode_example(tokenizer, example, 256)
    positions = list(range(labels.count(-100) - 1, len(ids) - 1))  # the logits that predict each answer token
    with torch.no_grad():
        hf = merged(input_ids=torch.tensor([ids])).logits[0].numpy()[positions]
    del merged

    def llama_logits(lora: Path | None) -> np.ndarray:
        with _llama(smollm2_file, lora, logits_all=True) as llm:
            llm.eval(ids)
            return np.array(llm.scores[: len(ids)])[positions]

    served, base = llama_logits(trained.adapter_gguf), llama_logits(None)
    first_gap = np.abs(hf[0] - served[0]).max()
    adapter_effect = np.abs(base[0] - served[0]).max()
    cosine = np.mean(np.sum(hf * served, -1) / (np.linalg.norm(hf, axis=-1) * np.linalg.norm(served, axis=-1)))
    agree = np.mean(hf.argmax(-1) == served.argmax(-1))
    base_agree = np.mean(base.argmax(-1) == served.argmax(-1))
    print(
        f"\nfirst-token logits: |transformers merged - llama.cpp+adapter| max {first_gap:.3f} vs adapter effect {adapter_effect:.1f}; "
        f"over {len(positions)} answer positions cosine {cosine:.5f}, argmax agreement {agree:.3f} (base vs adapter {base_agree:.3f})"
    )
    assert hf[0].argmax() == served[0].argmax() == ids[positions[0] + 1]
    assert first_gap < 0.1 * adapter_effect, "the two engines differ by quantisation noise, far less than the adapter changes"
    assert cosine > 0.99 and agree >= 0.95
    assert base_agree < 0.5, "the adapter changes what llama.cpp predicts"


def test_the_same_seed_gives_the_same_losses_and_adapter(smollm2_file: ModelFile, tmp_path: Path) -> None:
    quick = LoraSettings(batch_size=4, max_steps=2, seed=3, threads=1)
    runs = [train_lora(smollm2_file.path, TRAIN[:8], tmp_path / f"run{i}", settings=quick) for i in range(2)]
    # Same machine, same thread count, deterministic algorithms on: bitwise equal, not merely close.
    assert runs[0].losses == runs[1].losses
    assert runs[0].adapter_gguf.read_bytes() == runs[1].adapter_gguf.read_bytes()
    other = train_lora(smollm2_file.path, TRAIN[:8], tmp_path / "run-other", settings=LoraSettings(batch_size=4, max_steps=2, seed=4, threads=1))
    assert other.losses != runs[0].losses, "the seed changes the initialisation and the data order"


def test_a_wrong_base_hash_is_refused_before_loading(smollm2_file: ModelFile, tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        train_lora(smollm2_file.path, TRAIN[:2], tmp_path / "x", settings=LoraSettings(max_steps=1), base_sha256="0" * 64)
    assert not (tmp_path / "x").exists()


def test_export_refuses_q_and_k_projections(smollm2_file: ModelFile, tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    peft_dir = tmp_path / "peft"
    peft_dir.mkdir()
    (peft_dir / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 4, "lora_alpha": 8}')
    save_file(
        {
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.zeros((4, 576), np.float32),
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": np.zeros((576, 4), np.float32),
        },
        str(peft_dir / "adapter_model.safetensors"),
    )
    with pytest.raises(AdapterError, match="permutes their rows"):
        export_lora_gguf(peft_dir, smollm2_file.path, tmp_path / "a.gguf")
    assert not (tmp_path / "a.gguf").exists()
