"""Write a PEFT LoRA adapter as a llama.cpp LoRA adapter GGUF, with the `gguf` package.

The format llama.cpp (`llama_adapter_lora_init`) reads:

* metadata `general.architecture` equal to the base model's (it refuses a
  mismatch), `general.type = "adapter"`, `adapter.type = "lora"` and
  `adapter.lora.alpha` (float32);
* per adapted weight `W` (GGUF name `blk.{i}.attn_v.weight` and so on) two
  tensors `<name>.lora_a` and `<name>.lora_b`. In ggml's order of dimensions
  (`ne`, fastest first) `lora_a` is `[n_in, r]` and `lora_b` is `[r, n_out]`,
  where `W` is `[n_in, n_out]`; as row-major numpy arrays that is exactly
  PEFT's `lora_A.weight` `(r, n_in)` and `lora_B.weight` `(n_out, r)`, written
  as they are (the writer reverses the shape into `ne`).
* llama.cpp computes `W x + s * B (A x)` with `s = scale * alpha / r`, r read
  from `lora_b`; PEFT uses `alpha / r` too (`alpha / sqrt(r)` with rsLoRA,
  which is folded into `lora_b` here so both agree).

Only `v_proj`, `o_proj`, `gate_proj`, `up_proj` and `down_proj` are accepted:
llama.cpp's converter permutes `q_proj`/`k_proj` rows for the llama
architecture, and an adapter on them would need the same permutation. Each
tensor's shape is checked against the base GGUF before anything is written, so
a wrong base fails here with a clear message rather than inside llama.cpp.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from opsgraph._files import atomic_path
from opsgraph.llm.adapters.errors import AdapterError
from opsgraph.llm.errors import LLMSetupError

_INSTALL_HINT = "pip install gguf==0.19.0 (and safetensors, which comes with transformers)"
_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.[A-Za-z0-9_]+)?\.weight$")
_HF_TO_GGUF_SUFFIX = {
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_LAYER = re.compile(r"^model\.layers\.(?P<block>\d+)\.(?P<suffix>[a-z_]+\.[a-z_]+)$")
_PERMUTED = ("q_proj", "k_proj")


def _import_gguf() -> Any:
    try:
        import gguf
    except ImportError as exc:
        raise LLMSetupError(f"writing a llama.cpp adapter needs the 'gguf' package, which is not installed: {_INSTALL_HINT}") from exc
    return gguf


def _base_tensors(base_gguf: Path) -> tuple[str, dict[str, tuple[int, ...]]]:
    """(architecture, {tensor name: ggml shape `ne`}) of the base model file."""
    if not base_gguf.is_file():
        raise LLMSetupError(f"base model file {base_gguf} does not exist")
    stat = base_gguf.stat()
    return _read_base_tensors(str(base_gguf.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_base_tensors(path: str, size: int, mtime_ns: int) -> tuple[str, dict[str, tuple[int, ...]]]:
    # GGUFReader parses every metadata value, the 49k-entry vocabulary included (about 5 s): once per file and process.
    gguf = _import_gguf()
    base_gguf = Path(path)
    try:
        reader = gguf.GGUFReader(str(base_gguf))
    except (ValueError, OSError) as exc:
        raise AdapterError(f"{base_gguf} is not a readable GGUF file: {exc}") from exc
    field = reader.fields.get("general.architecture")
    if field is None:
        raise AdapterError(f"{base_gguf} has no general.architecture: not a llama.cpp model file")
    arch = str(field.contents())
    shapes = {t.name: tuple(int(d) for d in t.shape.tolist()) for t in reader.tensors}
    del reader  # release the memory map
    return arch, shapes


def _gguf_name(module: str, source: Path) -> str:
    """`model.layers.3.self_attn.v_proj` -> `blk.3.attn_v.weight`; refuses anything else."""
    match = _LAYER.match(module)
    if match and match["suffix"].rsplit(".", 1)[-1] in _PERMUTED:
        raise AdapterError(
            f"{source}: the adapter targets {module}; q_proj/k_proj are not supported, because llama.cpp's converter "
            "permutes their rows for the llama architecture and the adapter would need the same permutation. "
            "Train with target_modules among v_proj, o_proj, gate_proj, up_proj, down_proj."
        )
    if match is None or match["suffix"] not in _HF_TO_GGUF_SUFFIX:
        raise AdapterError(f"{source}: cannot map LoRA weight {module!r} to a llama.cpp tensor (supported: {', '.join(_HF_TO_GGUF_SUFFIX)})")
    return f"blk.{int(match['block'])}.{_HF_TO_GGUF_SUFFIX[match['suffix']]}.weight"


def _read_config(peft_dir: Path) -> dict[str, Any]:
    path = peft_dir / "adapter_config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AdapterError(f"{path} does not exist: {peft_dir} is not a PEFT adapter folder") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise AdapterError(f"{path} must hold a JSON object")
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise AdapterError(f"{path}: peft_type is {config.get('peft_type')!r}; only LoRA adapters can be served by llama.cpp")
    refused = {
        "use_dora": "DoRA",
        "lora_bias": "LoRA bias terms",
        "modules_to_save": "fully trained modules (modules_to_save)",
        "rank_pattern": "per-module ranks (rank_pattern)",
        "alpha_pattern": "per-module alphas (alpha_pattern)",
        "layer_replication": "layer replication",
        "trainable_token_indices": "trainable tokens",
    }
    for key, what in refused.items():
        if config.get(key):
            raise AdapterError(f"{path}: {what} cannot be expressed in a llama.cpp LoRA adapter; train without {key}")
    for key in ("r", "lora_alpha"):
        if not isinstance(config.get(key), int | float) or config[key] <= 0:
            raise AdapterError(f"{path}: {key} must be a positive number, got {config.get(key)!r}")
    return config


def _read_weights(peft_dir: Path) -> dict[str, Any]:
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise LLMSetupError(f"reading a PEFT adapter needs 'safetensors': {_INSTALL_HINT}") from exc
    path = peft_dir / "adapter_model.safetensors"
    if not path.is_file():
        raise AdapterError(f"{path} does not exist (only safetensors adapters are supported)")
    try:
        return dict(load_file(str(path)))
    except Exception as exc:  # safetensors raises its own SafetensorError for a damaged file
        raise AdapterError(f"{path} could not be read: {exc}") from exc


def export_lora_gguf(peft_dir: Path, base_gguf: Path, out_path: Path, *, dtype: Literal["f32", "f16"] = "f32") -> Path:
    """Write the PEFT LoRA adapter in `peft_dir` as a llama.cpp adapter GGUF at `out_path` (atomically); returns `out_path`.

    `base_gguf` is the model the adapter was trained on: its architecture goes
    into the adapter and every tensor's shape is checked against it. `dtype`:
    `f32` (default, exact) or `f16` (half the size). Raises `AdapterError` when
    the adapter cannot be expressed for llama.cpp or does not fit the base.
    """
    gguf = _import_gguf()
    import numpy as np

    peft_dir, base_gguf, out_path = Path(peft_dir), Path(base_gguf), Path(out_path)
    config = _read_config(peft_dir)
    weights = _read_weights(peft_dir)
    arch, base_shapes = _base_tensors(base_gguf)

    pairs: dict[str, dict[str, Any]] = {}
    for key, array in weights.items():
        match = _KEY.match(key)
        if match is None:
            raise AdapterError(f"{peft_dir}: unexpected tensor {key!r} in the adapter (only lora_A / lora_B weights can be exported)")
        name = _gguf_name(match["module"], peft_dir)
        pairs.setdefault(name, {})[match["ab"]] = array
    if not pairs:
        raise AdapterError(f"{peft_dir}: the adapter holds no LoRA weights")

    alpha = float(config["lora_alpha"])
    tensors: list[tuple[str, Any]] = []
    for name in sorted(pairs, key=lambda n: (int(n.split(".")[1]), n)):
        pair = pairs[name]
        if set(pair) != {"A", "B"}:
            raise AdapterError(f"{peft_dir}: {name} has lora_{''.join(pair)} but not its partner")
        a = np.asarray(pair["A"], dtype=np.float32)
        b = np.asarray(pair["B"], dtype=np.float32)
        if name not in base_shapes:
            raise AdapterError(f"{peft_dir}: {name} does not exist in the base model {base_gguf} (wrong base model?)")
        n_in, n_out = base_shapes[name][0], base_shapes[name][1]
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != n_in or b.shape[0] != n_out or a.shape[0] != b.shape[1]:
            raise AdapterError(
                f"{peft_dir}: {name} has lora_A {a.shape} and lora_B {b.shape}, which do not fit the base weight "
                f"({n_out} outputs x {n_in} inputs) in {base_gguf} (wrong base model?)"
            )
        rank = a.shape[0]
        # llama.cpp scales by alpha / rank; fold any other PEFT scaling (rsLoRA: alpha / sqrt(rank)) into lora_b.
        peft_scale = alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
        factor = peft_scale / (alpha / rank)
        if factor != 1.0:
            b = b * np.float32(factor)
        out_type = np.float16 if dtype == "f16" else np.float32
        tensors.append((f"{name}.lora_a", np.ascontiguousarray(a.astype(out_type))))
        tensors.append((f"{name}.lora_b", np.ascontiguousarray(b.astype(out_type))))

    with atomic_path(out_path, suffix=".part") as tmp:
        writer = gguf.GGUFWriter(str(tmp), arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        writer.add_name(f"opsgraph LoRA adapter ({peft_dir.name})")
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32)
        for tensor_name, array in tensors:
            writer.add_tensor(tensor_name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    return out_path
