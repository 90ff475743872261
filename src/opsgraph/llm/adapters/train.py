"""LoRA fine-tuning of a local GGUF chat model on CPU, with transformers + PEFT.

The base weights come straight from the `.gguf` llama.cpp serves: transformers
reads the file offline (`from_pretrained(folder, gguf_file=name)`) and
dequantises Q4_1/Q8_0 to float32, and its tokenizer and chat template come from
the same file. So a model trained here sees the weights (up to quantisation
noise), the tokens and the prompt layout it will meet at serve time.

Prompts are rendered with the GGUF's own chat template (for SmolLM2 a ChatML
template with a default system turn), exactly as llama-cpp-python renders them
when `chat_format=None`: its `Jinja2ChatFormatter` gets the same template
string and `add_generation_prompt=True`, and it tokenises the result with
`special=True` and no BOS (`tokenizer.ggml.add_bos_token` is false), which is
what `tokenizer(prompt, add_special_tokens=False)` does here. The integration
test `test_lora_adapter.py` checks token-for-token that the ids llama.cpp feeds
the model equal the ids trained on.

Each example is `prompt ids + completion ids + <end-of-turn>`; the prompt and
the completion are tokenised separately (as at serve time, where the prompt is
tokenised alone and the answer generated after it) and the loss covers only
the completion and the end-of-turn token, so the model learns to stop.

LoRA targets `v_proj`, `o_proj` and the MLP (`gate/up/down_proj`) only:
llama.cpp's HF converter permutes the rows of `q_proj`/`k_proj` for the llama
architecture (its rotary layout differs from transformers'), so an adapter on
q/k would need the same permutation applied to `lora_B`; leaving q/k out avoids
that class of bug entirely (and `export_lora_gguf` refuses them).

Determinism: seeds for `random`, numpy and torch are set, the data order is a
seeded permutation per epoch, `torch.use_deterministic_algorithms(True)` is on
during training and the thread count is fixed (`LoraSettings.threads`); on the
same machine and thread count two runs give bitwise-equal losses. A different
thread count can change float summation order, hence the last bits.

Heavy dependencies (torch, transformers, peft, safetensors) are imported only
when training starts, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from opsgraph.llm.errors import LLMInputError, LLMSetupError, ModelIntegrityError
from opsgraph.llm.llamacpp import file_sha256

_INSTALL_HINT = "install the training extra: pip install peft==0.21.2 gguf==0.19.0 (torch and transformers come with opsgraph[embed])"
_ROLES = ("system", "user", "assistant")
SAFE_TARGET_MODULES = frozenset({"v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})
"""Modules an adapter may target: the ones llama.cpp's converter does not permute for the llama architecture."""


@dataclass(frozen=True)
class SFTExample:
    """One supervised example: a conversation so far and the assistant answer to learn."""

    messages: tuple[dict[str, str], ...]
    """System/user (and earlier assistant) turns, `{"role", "content"}`; rendered with the GGUF's own chat template."""
    completion: str
    """The assistant answer to learn (the loss covers it and the end-of-turn token only)."""

    def __post_init__(self) -> None:
        if not self.messages:
            raise LLMInputError("an SFTExample needs at least one message")
        for i, m in enumerate(self.messages):
            if not isinstance(m, Mapping) or set(m) != {"role", "content"} or m["role"] not in _ROLES or not isinstance(m["content"], str):
                raise LLMInputError(f"SFTExample message {i} must be {{'role': system|user|assistant, 'content': str}}, got {m!r}")
        if self.messages[-1]["role"] == "assistant":
            raise LLMInputError("the last message of an SFTExample must not be the assistant's: the completion is the answer")
        if not isinstance(self.completion, str) or not self.completion.strip():
            raise LLMInputError("an SFTExample needs a non-empty completion")

    def to_json(self) -> dict[str, Any]:
        """A plain dict (for hashing and data files)."""
        return {"messages": [dict(m) for m in self.messages], "completion": self.completion}


@dataclass(frozen=True)
class LoraSettings:
    """Hyper-parameters of one LoRA run (all recorded in the adapter's manifest)."""

    r: int = 16
    """Rank of the low-rank update."""
    alpha: float = 32
    """LoRA alpha; the update is scaled by alpha / r (llama.cpp applies the same scale)."""
    dropout: float = 0.05
    """Dropout on the LoRA input during training."""
    target_modules: tuple[str, ...] = ("v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    """Linear layers to adapt; a subset of `SAFE_TARGET_MODULES` (no q/k: see the module docstring)."""
    lr: float = 2e-3
    """Peak AdamW learning rate (linear warm-up over the first ~6% of steps, then linear decay to 10% of it)."""
    weight_decay: float = 0.0
    """AdamW weight decay on the LoRA weights."""
    epochs: int = 1
    """Passes over the data; ignored when `max_steps` is set."""
    max_steps: int | None = None
    """Optimiser steps to run, cycling over the data as needed; `None`: `epochs` passes."""
    batch_size: int = 8
    """Examples per optimiser step (padded to the longest in the batch)."""
    max_length: int = 256
    """Longest example in tokens, prompt included; longer ones are refused, not truncated."""
    seed: int = 0
    """Seeds torch, random and numpy, the LoRA initialisation, dropout and the data order."""
    threads: int = 2
    """torch CPU threads during training (restored afterwards)."""
    grad_clip: float = 1.0
    """Clip the gradient's global norm to this (0 disables)."""
    checkpoint_every: int = 1
    """Activation checkpointing: keep only every n-th decoder layer's input and recompute the rest in the backward pass
    (1: every layer; 0: off). The same losses up to float summation order; far less memory for some more compute."""

    def __post_init__(self) -> None:
        problems = []
        if self.r < 1:
            problems.append(f"r must be >= 1, got {self.r}")
        if self.alpha <= 0:
            problems.append(f"alpha must be > 0, got {self.alpha}")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        bad = sorted(set(self.target_modules) - SAFE_TARGET_MODULES)
        if bad or not self.target_modules:
            problems.append(f"target_modules must be a non-empty subset of {sorted(SAFE_TARGET_MODULES)}, got {list(self.target_modules)}")
        if self.lr <= 0:
            problems.append(f"lr must be > 0, got {self.lr}")
        if self.epochs < 1:
            problems.append(f"epochs must be >= 1, got {self.epochs}")
        if self.max_steps is not None and self.max_steps < 1:
            problems.append(f"max_steps must be >= 1 or None, got {self.max_steps}")
        if self.checkpoint_every < 0:
            problems.append(f"checkpoint_every must be >= 0 (0 = off), got {self.checkpoint_every}")
        if self.batch_size < 1 or self.max_length < 8 or self.threads < 1:
            problems.append("batch_size and threads must be >= 1 and max_length >= 8")
        if problems:
            raise LLMInputError("invalid LoRA settings: " + "; ".join(problems))

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (tuples become lists)."""
        out = asdict(self)
        out["target_modules"] = list(self.target_modules)
        return out


@dataclass(frozen=True)
class TrainResult:
    """What `train_lora` produced."""

    adapter_gguf: Path
    """The llama.cpp LoRA adapter (`llama_cpp.Llama(model_path=base, lora_path=adapter_gguf)`)."""
    peft_dir: Path
    """The PEFT adapter folder (`adapter_config.json`, `adapter_model.safetensors`)."""
    steps: int
    """Optimiser steps run."""
    seconds: float
    """Wall time of the training loop (model loading excluded)."""
    losses: list[float] = field(default_factory=list)
    """Mean completion-token loss of each step, in order."""
    examples: int = 0
    """Training examples given."""
    data_sha256: str = ""
    """sha256 of the examples (`data_sha256`), to tell what data an adapter saw."""
    tokens: int = 0
    """Tokens processed (padding excluded) over all steps."""
    load_seconds: float = 0.0
    """Time spent loading the base weights and tokenizer (0 when cached in this process)."""

    @property
    def seconds_per_step(self) -> float:
        """Mean wall time per optimiser step."""
        return self.seconds / self.steps if self.steps else 0.0

    @property
    def tokens_per_second(self) -> float:
        """Training throughput (forward + backward), padding excluded."""
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def data_sha256(examples: Sequence[SFTExample]) -> str:
    """sha256 of the examples as canonical JSON lines, in order."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps(ex.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# ----------------------------------------------------------------------------- loading


def _import_torch(threads: int) -> Any:
    """Import torch; first, when it is not loaded yet and more than one thread will run, make OpenMP threads sleep while they wait.

    torch's OpenMP threads spin at every barrier by default. On 2 shared cores, with another busy process
    (or llama.cpp's own pool) on one of them, 2 spinning threads made a LoRA step 16x slower here (29 s
    instead of 1.8 s); `OMP_WAIT_POLICY=PASSIVE` brings it back to ~2 s. libgomp reads the variable once, when
    torch loads, so this only helps if torch was not imported before (the app sets it at start-up too).
    """
    if threads > 1 and "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return _require("torch")


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise LLMSetupError(f"LoRA training needs {module!r}, which is not installed: {_INSTALL_HINT}") from exc


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No progress bars or info logs from transformers while loading (the caller draws its own).

    transformers 5.23's GGUF reader draws its "de-quantizing" tqdm bar unconditionally (it ignores
    `disable_progress_bar()`), so `sys.stderr` is swapped out while it runs; errors still raise.
    """
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def _peft_warnings_silenced() -> Iterator[None]:
    # peft 0.21.2 reads `model.is_gradient_checkpointing`, which transformers 5.23 deprecates with a FutureWarning
    # on every access; not ours to fix, and fatal under `-W error`.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.* is deprecated", category=FutureWarning)
        yield


@lru_cache(maxsize=1)
def _load_base_cached(path: str, size: int, mtime_ns: int) -> tuple[Any, Any]:
    # Keyed by size and mtime too, so a replaced file is read again. One entry: a 135M model is ~0.5 GB in float32.
    return _read_base(path)


def _read_base(path: str) -> tuple[Any, Any]:
    """(model, tokenizer) parsed from the GGUF now, owned by the caller (nothing kept)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub; local_files_only below is the real guard
    torch = _import_torch(2)
    _require("transformers")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(Path(path).parent), Path(path).name
    with _quiet_transformers():
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, local_files_only=True, dtype=torch.float32)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise LLMSetupError(f"transformers could not load {path} (GGUF): {exc}") from exc
    # transformers marks a model read from GGUF as "quantized" (GgufHfQuantizer, quantization_config) although
    # its weights are plain dequantised float32 tensors. Clear the marker so nothing downstream (PEFT, a later
    # save_pretrained of a merged model) treats this as a quantized model; nothing here relies on the quantizer.
    model.hf_quantizer = None
    model.is_quantized = False
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    model.eval()
    return model, tokenizer


def _checked_base(base_gguf: str | Path, sha256: str | None) -> Path:
    """The base model's resolved path, after checking it exists and, with `sha256`, that its hash matches."""
    path = Path(base_gguf).expanduser().resolve()
    if not path.is_file():
        raise LLMSetupError(f"base model file {path} does not exist")
    if sha256 is not None:
        actual = file_sha256(path)
        if actual != sha256.lower():
            raise ModelIntegrityError(str(path), sha256.lower(), actual)
    return path


def load_base(base_gguf: str | Path, *, sha256: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of a GGUF, read by transformers offline and dequantised to float32.

    The model is a fresh copy each call (callers may wrap or modify it); the file
    is parsed once per process. With `sha256`, the file is hashed first and a
    mismatch raises `ModelIntegrityError` before anything is loaded.
    """
    path = _checked_base(base_gguf, sha256)
    stat = path.stat()
    model, tokenizer = _load_base_cached(str(path), stat.st_size, stat.st_mtime_ns)
    _cached_keys.clear()
    _cached_keys.add((str(path), stat.st_size, stat.st_mtime_ns))
    return copy.deepcopy(model), tokenizer


def _base_for_training(base_gguf: str | Path, *, sha256: str | None) -> tuple[Any, Any]:
    """(model, tokenizer) for one training run: a copy of the parsed base when this process holds one, else a fresh parse.

    A fresh parse is not kept: training wraps the model in LoRA layers, so a cached copy would be a second ~0.5 GB
    (float32, 135M parameters) alive through the whole run and after it. Callers that train several times in a
    process parse once with `load_base` first; each run then copies that.
    """
    path = _checked_base(base_gguf, sha256)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if _load_base_cached.cache_info().currsize and key in _cached_keys:
        return load_base(path)
    return _read_base(str(path))


_cached_keys: set[tuple[str, int, int]] = set()
"""Keys `load_base` put into `_load_base_cached` (lru_cache cannot be asked whether it holds one)."""


def _bound_heap_growth() -> None:
    """Keep glibc from holding on to the memory of freed tensors: large blocks in their own mappings, free heap given back.

    glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), after which the
    activations and gradients of every step are carved from the heap, and freed heap memory is rarely returned: LoRA
    training of SmolLM2 (batch 8 x 110 tokens) grew the process to 2.9 GB over 4 steps that way, base model included.
    A fixed 4 MiB threshold keeps the largest tensors in their own mappings (2.3 GB, the same step time; a 256 KiB
    threshold reached 1.1 GB but made steps 1.4-2x slower: every mapping is zeroed page by page), and `_trim_heap`
    after each step gives back what the step freed. The threshold stays fixed for the rest of the process (glibc
    cannot be put back to its dynamic threshold), which suits a long-lived process too. No-op off glibc.
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, 4 << 20)
        libc.malloc_trim(0)


def _trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc `malloc_trim`; a few milliseconds)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


_M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameter number for the mmap threshold (malloc.h)."""


@lru_cache(maxsize=1)
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
    except (OSError, AttributeError):
        return None  # not glibc (musl has no mallopt/malloc_trim)
    return libc


def clear_base_cache() -> None:
    """Forget the base model this process parsed (frees its memory once no copy is in use)."""
    _load_base_cached.cache_clear()
    _cached_keys.clear()


def load_merged(base_gguf: str | Path, peft_dir: str | Path, *, sha256: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer): the base GGUF with the PEFT adapter in `peft_dir` merged into its weights (for evaluation)."""
    _require("peft")
    from peft import PeftModel

    model, tokenizer = load_base(base_gguf, sha256=sha256)
    with _peft_warnings_silenced():
        peft_model = PeftModel.from_pretrained(model, str(peft_dir), is_trainable=False)
        merged = peft_model.merge_and_unload()
    merged.eval()
    return merged, tokenizer


# ----------------------------------------------------------------------------- data


def render_prompt(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> str:
    """The prompt text for `messages` with the tokenizer's (the GGUF's) chat template and the assistant header appended."""
    if not getattr(tokenizer, "chat_template", None):
        raise LLMSetupError("the base model carries no chat template; LoRA SFT needs one to render prompts like the server does")
    text = tokenizer.apply_chat_template([dict(m) for m in messages], tokenize=False, add_generation_prompt=True)
    return str(text)


def end_of_turn_id(tokenizer: Any) -> int:
    """The token that ends an assistant turn (the GGUF's EOS, `<|im_end|>` for ChatML models)."""
    eos = tokenizer.eos_token_id
    if eos is None:
        raise LLMSetupError("the base model's tokenizer has no EOS (end-of-turn) token")
    return int(eos)


def encode_example(tokenizer: Any, example: SFTExample, max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) of one example: the prompt masked with -100, then completion + end-of-turn."""
    prompt_ids = list(tokenizer(render_prompt(tokenizer, example.messages), add_special_tokens=False)["input_ids"])
    answer_ids = [*tokenizer(example.completion, add_special_tokens=False)["input_ids"], end_of_turn_id(tokenizer)]
    ids = prompt_ids + answer_ids
    if len(ids) > max_length:
        raise LLMInputError(
            f"an example is {len(ids)} tokens, over max_length={max_length} (prompt {len(prompt_ids)}, answer {len(answer_ids)}): "
            f"shorten it or raise max_length. Its completion starts {example.completion[:60]!r}"
        )
    return ids, [-100] * len(prompt_ids) + answer_ids


def _batches(n: int, batch_size: int, steps: int, seed: int) -> Iterator[list[int]]:
    """Index batches for `steps` steps: a seeded permutation per epoch, cut into consecutive batches (last may be short)."""
    epoch = 0
    produced = 0
    while produced < steps:
        order = list(range(n))
        random.Random(f"{seed}:{epoch}").shuffle(order)
        for start in range(0, n, batch_size):
            if produced == steps:
                return
            yield order[start : start + batch_size]
            produced += 1
        epoch += 1


def _lr_factor(step: int, total: int) -> float:
    warmup = max(1, round(0.06 * total))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 1.0 - 0.9 * progress


@contextlib.contextmanager
def _torch_state(threads: int) -> Iterator[None]:
    import torch

    saved_threads = torch.get_num_threads()
    saved_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved_det)
        torch.set_num_threads(saved_threads)


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------- training


def train_lora(
    base_gguf: Path,
    examples: Sequence[SFTExample],
    out_dir: Path,
    *,
    settings: LoraSettings = LoraSettings(),
    progress: Callable[[int, int, float], None] | None = None,
    base_sha256: str | None = None,
) -> TrainResult:
    """Train a LoRA adapter on `examples` and write it as PEFT (`out_dir/peft`) and llama.cpp GGUF (`out_dir/adapter.gguf`).

    `progress(step, total_steps, loss)` is called after each optimiser step
    (step counts from 1). With `base_sha256`, the base file is verified before
    loading. Raises `LLMInputError` for bad examples or settings,
    `LLMSetupError` when a dependency or the file is missing,
    `ModelIntegrityError` on a hash mismatch.
    """
    if not examples:
        raise LLMInputError("train_lora needs at least one example")
    for i, ex in enumerate(examples):
        if not isinstance(ex, SFTExample):
            raise LLMInputError(f"example {i} is a {type(ex).__name__}, not an SFTExample")
    torch = _import_torch(settings.threads)
    _require("peft")
    from peft import LoraConfig, get_peft_model

    from opsgraph.llm.adapters.export import export_lora_gguf

    out_dir = Path(out_dir)
    t_load = time.perf_counter()
    _bound_heap_growth()
    with _torch_state(settings.threads):
        model, tokenizer = _base_for_training(base_gguf, sha256=base_sha256)
        load_seconds = time.perf_counter() - t_load
        encoded = [encode_example(tokenizer, ex, settings.max_length) for ex in examples]
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end_of_turn_id(tokenizer)

        total = settings.max_steps if settings.max_steps is not None else settings.epochs * math.ceil(len(encoded) / settings.batch_size)
        _seed_everything(settings.seed)
        lora: dict[str, Any] = {"r": settings.r, "lora_alpha": settings.alpha, "lora_dropout": settings.dropout}
        config = LoraConfig(**lora, target_modules=list(settings.target_modules), bias="none", task_type="CAUSAL_LM")
        model.config.use_cache = False
        with _peft_warnings_silenced():
            peft_model = get_peft_model(model, config)
        causal_lm: Any = peft_model.get_base_model()
        if settings.checkpoint_every:
            # Non-reentrant checkpointing needs no input that requires grad (the embeddings are frozen under LoRA);
            # it replays the RNG state, so dropout masks are the same in the recompute.
            causal_lm.activation_checkpointing_enable({"use_reentrant": False}, every_n_layers=settings.checkpoint_every)
        decoder, lm_head = causal_lm.model, causal_lm.get_output_embeddings()
        params = [p for p in peft_model.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: _lr_factor(s, total))
        peft_model.train()

        losses: list[float] = []
        tokens = 0
        started = time.perf_counter()
        for step, batch in enumerate(_batches(len(encoded), settings.batch_size, total, settings.seed), start=1):
            rows = [encoded[i] for i in batch]
            width = max(len(ids) for ids, _ in rows)
            input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            attention = torch.zeros((len(rows), width), dtype=torch.long)
            for j, (ids, lab) in enumerate(rows):
                input_ids[j, : len(ids)] = torch.tensor(ids)
                labels[j, : len(lab)] = torch.tensor(lab)
                attention[j, : len(ids)] = 1
            # The hidden state at position t predicts token t+1. Only answer positions carry loss, so the
            # 49k-wide output layer runs on those alone (about a fifth of the forward cost saved at short answers).
            hidden = decoder(input_ids=input_ids, attention_mask=attention).last_hidden_state
            targets = labels[:, 1:]
            keep = targets != -100
            logits = lm_head(hidden[:, :-1][keep])
            loss = torch.nn.functional.cross_entropy(logits.float(), targets[keep], reduction="mean")  # mean over the batch's answer tokens
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            if settings.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
            optimiser.step()
            scheduler.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise LLMInputError(f"training diverged at step {step} (loss {value}): lower lr (now {settings.lr})")
            losses.append(value)
            tokens += int(attention.sum())
            _trim_heap()
            if progress is not None:
                progress(step, total, value)
        seconds = time.perf_counter() - started

        peft_dir = out_dir / "peft"
        peft_model.eval()
        peft_dir.mkdir(parents=True, exist_ok=True)
        with _peft_warnings_silenced():
            peft_model.save_pretrained(str(peft_dir), save_embedding_layers=False)
        del peft_model, causal_lm, decoder, lm_head, model, params, optimiser, scheduler, hidden, logits, loss
    _bound_heap_growth()  # the model and the optimiser are gone: give their memory back before the caller measures
    adapter = export_lora_gguf(peft_dir, Path(base_gguf), out_dir / "adapter.gguf")
    return TrainResult(
        adapter_gguf=adapter,
        peft_dir=peft_dir,
        steps=len(losses),
        seconds=seconds,
        losses=losses,
        examples=len(examples),
        data_sha256=data_sha256(examples),
        tokens=tokens,
        load_seconds=load_seconds,
    )
