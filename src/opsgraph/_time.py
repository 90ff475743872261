"""How old data is, in words: every score, answer and investigation says it (a leaf module, no opsgraph imports)."""

from __future__ import annotations

import time

_UNITS = ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute"))


def age_seconds(epoch: float, now: float | None = None) -> float:
    """Seconds from `epoch` to `now` (default: the wall clock); negative for a time in the future."""
    return (time.time() if now is None else now) - float(epoch)


def age_text(epoch: float, now: float | None = None) -> str:
    """'3 minutes old', '11 months old', 'just now', or 'in the future (clock skew?)'."""
    age = age_seconds(epoch, now)
    if age < -60:
        return "in the future (clock skew?)"
    if age < 60:
        return "just now"
    for size, unit in _UNITS:
        if age >= size:
            n = int(age // size)
            return f"{n} {unit}{'s' if n != 1 else ''} old"
    return "just now"
