"""Lazy torch import with a deliberate thread count.

torch's OpenMP threads spin while they wait; on a shared 2-core machine two
spinning pools made a GATv2 step 150x slower (ENGINE-NOTES.md). So every entry
point that trains or scores calls `torch_threads(n)` first. Nothing else in the
risk layer imports torch at module level, so `import opsgraph.risk` stays light.
"""

from __future__ import annotations

from types import ModuleType


def torch_threads(n: int) -> ModuleType:
    """Import torch, set its intra-op thread count to `n`, return the module."""
    if n < 1:
        raise ValueError(f"threads must be >= 1, got {n}")
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return torch
