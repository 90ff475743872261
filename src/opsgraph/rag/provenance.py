""""Which external services come from Google Cloud?": "come from" a value the query filters on asks for that value.

"Come/comes/came from V" names where a thing comes from by a value of it ("incidents that came from deploys",
"people who come from London", "services that come from Google Cloud"); the verb itself asks nothing more of the
graph when the query filters on V. Taken out of the question only then: "where does the order-events data come
from?" names no value, and "come" stays unexplained (abstained as before).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_COME_FROM = re.compile(r"\b(?:come|comes|came|coming)\s+from\s+(?:the\s+|a\s+|an\s+)?((?:[\w-]+\s*){1,3})", re.I)


def come_from_value(text: str, value_used: Callable[[str], bool]) -> str:
    """`text` with the verb of "come from V" blanked (same length) where a word of V is a value the query filters on."""

    def blank(m: re.Match[str]) -> str:
        named = [w.lower() for w in re.findall(r"[\w-]+", m.group(1))]
        if not any(value_used(w) for w in named):
            return m.group(0)
        verb = m.group(0)[: m.start(1) - m.start(0)]
        return " " * len(verb) + m.group(1)

    return _COME_FROM.sub(blank, text)
