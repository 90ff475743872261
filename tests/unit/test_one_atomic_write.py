"""Crash-safe file writes live in one place (`opsgraph._files`): no other module renames a temporary file into place.

Hand-rolled copies (a `.<name>.<pid>` temp file, `os.replace`, no fsync) crept back with new features five times;
they share one temp name between threads of a process and can leave an empty file after a crash. This test reads
every module's syntax tree and fails on a call of `os.replace` / `os.rename` / `Path.replace` / `Path.rename`
outside `_files.py`, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "opsgraph"
ALLOWED = {SRC / "_files.py"}
RENAMES = {"replace", "rename"}


def renames_in(path: Path, root: Path = SRC.parent) -> list[str]:
    """`file:line` of every `os.replace(...)`/`os.rename(...)` and of `x.replace(a, b)`/`x.rename(a)` on a path-like name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RENAMES):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "os":
            found.append(f"{path.relative_to(root)}:{node.lineno}")
        elif node.func.attr == "rename" and len(node.args) == 1 and not node.keywords:
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_only_the_files_module_renames_files_into_place() -> None:
    found = [hit for path in sorted(SRC.rglob("*.py")) if path not in ALLOWED for hit in renames_in(path)]
    assert not found, f"use opsgraph._files.atomic_write_text / atomic_path instead of renaming by hand: {found}"


def test_the_check_sees_a_hand_rolled_rename(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom pathlib import Path\nos.replace('a', 'b')\nPath('a').rename('b')\n'x'.replace('a', 'b')\n",
                      encoding="utf-8")
    assert renames_in(sample, tmp_path) == ["sample.py:3", "sample.py:4"]
