"""Pick a backend by name: one small name → `module:factory` registry, shared by every layer that has backends.

Stores (`opsgraph.store.BACKENDS`), embedders (`opsgraph.embed.EMBEDDERS`),
language models (`opsgraph.llm.LANGUAGE_MODELS`) and the semantic cache and
history (`opsgraph.app.build.CACHES` / `HISTORIES`) are each one `Registry`.
A new backend is one module plus one line (`"name": "module:factory"`); the
module is imported only when that backend is chosen, so an optional
dependency costs nothing until it is configured, and its absence becomes a
`ConfigError` that names the extra to install.

A leaf module: imports only `opsgraph.errors`. A `Registry` reads like a
read-only `dict` of name → target, so `", ".join(registry)` lists the names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import Generic, TypeVar

from opsgraph.errors import ConfigError

T = TypeVar("T")

__all__ = ["Registry"]


class Registry(Mapping[str, str], Generic[T]):
    """Backend name → `"module:factory"`; `create(name, **settings)` imports the module and calls the factory.

    Args:
        what: what the names choose, for messages ("store backend", "embedder").
        entries: name → `"module:factory"` (a class or a function taking the backend's settings).
        extras: name → what to install when that backend's module cannot be imported.
    """

    def __init__(self, what: str, entries: Mapping[str, str], *, extras: Mapping[str, str] | None = None) -> None:
        self.what = what
        self._entries: dict[str, str] = {}
        self._extras = dict(extras or {})
        for name, target in entries.items():
            self.register(name, target)

    def register(self, name: str, target: str, *, extra: str | None = None) -> None:
        """Add (or replace) a backend: `target` is `"package.module:factory"`."""
        module, sep, attr = target.partition(":")
        if not name or not sep or not module or not attr.isidentifier():
            raise ValueError(f"a {self.what} is registered as name -> 'module:factory', got {name!r} -> {target!r}")
        self._entries[name] = target
        if extra is not None:
            self._extras[name] = extra

    def __getitem__(self, name: str) -> str:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {self._entries!r})"

    def factory(self, name: str) -> Callable[..., T]:
        """The factory registered as `name`; `ConfigError` for an unknown name or a missing optional dependency."""
        try:
            target = self._entries[name]
        except KeyError:
            raise ConfigError(f"unknown {self.what} {name!r}; choose one of: {', '.join(self._entries)}") from None
        module, _, attr = target.partition(":")
        try:
            return getattr(import_module(module), attr)  # type: ignore[no-any-return]
        except ImportError as exc:
            hint = f": install it with {self._extras[name]}" if name in self._extras else ""
            raise ConfigError(f"the {name} {self.what} cannot be loaded ({exc}){hint}") from exc

    def create(self, name: str, /, *args: object, **settings: object) -> T:
        """Build the backend registered as `name` with `settings` (its factory's keywords)."""
        return self.factory(name)(*args, **settings)
