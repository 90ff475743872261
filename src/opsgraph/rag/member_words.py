"""Being on a team in everyday words, written as the "member of" / "who is in" the graph steps already read.

Why: "list everyone on the catalog team", "is Ben on the catalog team?", "what team does Priya work in?" were
abstained: "everyone", "on the ... team" and "work in" name no relation of the schema, while "who is in the catalog
team?", "is Ben a member of the catalog team?" and "which team is Priya a member of?" are answered (membership is
the person-to-team edge's own word). Each phrase is replaced as a whole, only with a team word ("team", "squad")
where it says which team is meant, never with "on call" ("is Ben on call for the catalog team?" is paging). Nothing
is answered here: the rewritten question still goes through linking and the explained-words check (`verify.py`), so
a phrase read wrongly abstains. It must not run queries or read configuration.
"""

from __future__ import annotations

import re

_TEAM = r"(?:team|squad|crew|group)"

MEMBER_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "list everyone on the catalog team", "who's everybody in the payments squad", "show all the people on X team".
    (
        re.compile(rf"^\s*(?:(?:pls |please )?(?:list|show|name|give me|who(?:'s| is| are)?)\s+)?(?:all of )?(?:every(?:one|body)|all (?:the )?(?:people|folks|members))\s+(?:on|in|of)\s+(?=(?:the\s+)?[\w&' -]{{1,40}}?\b{_TEAM}s?\b)", re.I),
        "who is in ",
    ),
    # "is Ben on the catalog team?", "is Chloe in the payments squad too?", "is Ben part of the catalog team?".
    (
        re.compile(rf"^(\s*(?:is|are)\s+[\w.@' -]{{1,40}}?)\s+(?:on|in|part of|with)\s+(?=(?:the\s+)?[\w&' -]{{1,40}}?\b{_TEAM}s?\b)", re.I),
        r"\1 a member of ",
    ),
    # "what team does Priya work in?", "which squad is Marcus on?", "which team does Olu belong to?".
    (
        re.compile(rf"^\s*((?:what|which)\s+{_TEAM}s?)\s+(?:does|do)\s+([\w.@' -]{{1,40}}?)\s+(?:work|sit|belong)(?:\s+(?:in|on|for|to|with))?(?=\s*[?.!]*\s*$)", re.I),
        r"\1 is \2 a member of",
    ),
    (
        re.compile(rf"^\s*((?:what|which)\s+{_TEAM}s?)\s+(?:is|are)\s+([\w.@' -]{{1,40}}?)\s+(?:on|in|with)(?=\s*[?.!]*\s*$)", re.I),
        r"\1 is \2 a member of",
    ),
)
"""Being on a team: a member of it; "everyone on" a team: who is in it."""

_ONCALL = re.compile(r"\bon[- ]?call\b|\bpager\b|\bpaged?\b|\brota\b|\brotation\b|\bshift\b", re.I)


def plain_member_words(text: str) -> str:
    """`text` with each everyday phrase of being on a team replaced by "a member of" / "who is in"."""
    if _ONCALL.search(text):
        return text
    for pattern, word in MEMBER_PHRASES:
        text = pattern.sub(word, text, count=1)
    return text
