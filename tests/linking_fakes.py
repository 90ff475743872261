"""A fake entity linker for unit tests of the linker wrappers (titled, contexted, depicted, typed names).

Each wrapper is tested over the links a base linker gives it; `SurfaceLinker` gives exactly the surfaces it is told
(the real linker's whole-name matches, for the texts those tests use), so a test shows what the wrapper adds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Found:
    """One link, with the fields `LinkedEntity` has."""

    node_id: str
    node_type: str
    surface: str
    start: int
    end: int
    score: float = 1.0
    method: str = "alias"


class SurfaceLinker:
    """Links each given surface (lower case) where it first stands in the text: surface → (node id, node type)."""

    def __init__(self, surfaces: dict[str, tuple[str, str]]) -> None:
        self.surfaces = surfaces

    def link(self, text: str) -> list[Found]:
        out = []
        for surface, (node_id, node_type) in self.surfaces.items():
            at = text.lower().find(surface)
            if at >= 0:
                out.append(Found(node_id, node_type, text[at : at + len(surface)], at, at + len(surface)))
        return out
