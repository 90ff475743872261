"""What every CLI command module shares: the consoles, the `--home` option, one red error line, opening a home.

`cli/main.py` imports the command modules (`investigate`, `risk`, `serve`), so
they cannot import it: the pieces they all use live here, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from opsgraph.app import OpsGraph, load_settings
from opsgraph.errors import OpsGraphError

__all__ = ["HomeOpt", "console", "err", "errors", "fail", "open_home"]

console = Console()
err = Console(stderr=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="opsgraph home folder (default: $OPSGRAPH_HOME or ~/.opsgraph).")]


def fail(message: str) -> typer.Exit:
    """Print `message` as one red error line; the exit (code 1) to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def errors() -> Iterator[None]:
    """An `OpsGraphError` inside becomes one red line and exit code 1 (no traceback)."""
    try:
        yield
    except OpsGraphError as exc:
        raise fail(str(exc)) from exc


def open_home(home: Path | None) -> OpsGraph:
    """The facade of `home` (default: settings' home), opened."""
    return OpsGraph(load_settings(home=home)).open()


def jsonable(value: Any) -> Any:
    """Non-finite floats become null (JSON has no NaN), in dicts, lists and tuples at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
