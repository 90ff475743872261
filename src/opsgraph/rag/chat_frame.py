"""The question inside a chat message: greetings, addressing and "do you know ..." frames removed before answering.

Why: people ask in chat the way they talk: "hey team, quick question - who owns checkout?", "does anyone know who is
on call for payments?", "can you tell me what the ledger db runs on? thanks!". Every word of a question must be
explained by the query that answers it (`explained.py`), so each of these frame words ("know", "anyone", "idea",
"team") made an answerable question abstain; "team" is also a word of the estate's types. A probe over the looked-at
question sets wrapped in such frames measured 392-441 of ~500 right answers lost to a single frame.

`unframed(text)` returns the question the frame holds, or `text` unchanged when there is no frame. Only frames that
ask nothing of the estate are removed: greetings and addressing at the start ("hey team,", "hi all -", "morning
folks:"), chat labels ("quick q:", "question:", "help!"), indirect-question frames ("do you know who ...", "any idea which
...", "can someone tell me how many ...", "remind me tech lead for storefront?"; not before "about", "to" or "that"), and politeness or urgency at the end ("thanks!",
"asap", "pls", "anyone?"). An indirect yes/no question ("does anyone know if X depends on Y?") is turned back into the
direct one only when its clause starts with a subject and a form of "be"/"have"/a modal ("if X is critical" → "is X
critical"); other "if"/"whether" clauses are left framed, and the question is abstained as before rather than guessed.
"""

from __future__ import annotations

import re

__all__ = ["unframed"]

_ADDRESSEE = r"(?:team|all|folks|everyone|everybody|guys|y'?all|there|people|friends|@\w+)"
_GREETING = re.compile(
    rf"^\s*(?:(?:hey|hi|hello|yo|morning|good (?:morning|afternoon|evening)|sorry to bother(?: you)?|sorry)\b(?:\s+{_ADDRESSEE})?"
    r"\s*[,:;!.\-–—]*\s*)+",
    re.I,
)
_LABEL = re.compile(
    r"^\s*(?:(?:a\s+)?(?:quick|small|dumb|stupid|newbie)\s+(?:q|qq|question|one)\b|real\s+quick|one\s+more(?:\s+(?:q|question|thing))?|q|question|help|urgent|fyi|ok(?:ay)?\s+so|so|ok(?:ay)?)"
    r"\s*[:;!,.\-–—]+\s*|^\s*ok(?:ay)?\s+so\s+(?=\w)|^\s*(?:and\s+)?so\s+(?=(?:who|whom|whose|what|which|where|when|how|is|are|was|were|does|do|did|has|have|can)\b)",
    re.I,
)
_WH = r"(?:who|whom|whose|what|which|where|when|why|how)\b"
_ASKER = r"(?:you|anyone|anybody|someone|somebody|any\s*one|some\s*one|u)"
_FRAME = re.compile(
    rf"^\s*(?:"
    rf"(?:do(?:es)?|did)\s+{_ASKER}\s+(?:happen\s+to\s+)?know|"
    rf"(?:any|got\s+an?|have\s+an?)\s+idea|"
    rf"(?:can|could|would)\s+{_ASKER}\s+(?:please\s+)?(?:tell|remind|show)\s+me|"
    rf"(?:can|could|would)\s+{_ASKER}\s+(?:please\s+)?(?:check|look\s+up|find\s+out)|"
    r"(?:please\s+)?(?:tell|remind|show)\s+me|"
    r"i\s+(?:need|want|would\s+like|'d\s+like)\s+to\s+know|"
    r"i'?m\s+(?:trying|wanting)\s+to\s+(?:figure\s+out|find\s+out|understand|work\s+out)|"
    r"trying\s+to\s+(?:figure\s+out|find\s+out|work\s+out)|"
    r"(?:i\s+was\s+|i'?m\s+|just\s+)?wondering|"
    r"i\s+wonder|"
    r"(?:does\s+)?(?:anyone|anybody|someone)\s+know"
    rf")\s*[,:\-–—]?\s*(?!about\b|to\b|that\b)(?=\w)",
    re.I,
)
_SEPARATOR = r"(?:\s*[,;!?.\-–—]+\s*|\s+)"
_TAIL = re.compile(
    rf"(?:{_SEPARATOR}(?:thanks?(?:\s+(?:a\s+lot|so\s+much|in\s+advance|all|team))?|thx(?:\s+in\s+advance)?|ty|cheers|pls|plz|"
    r"please|asap|:\)|:-\)|🙏|if\s+(?:you|anyone|anybody|someone)\s+knows?|by\s+any\s+chance|when\s+you\s+(?:get|have)\s+a\s+(?:sec|second|minute|chance))|\s*[,;!?.\-–—]+\s*(?:urgent(?:ly)?|anyone|anybody|someone|if\s+(?:you|anyone)\s+knows?))+"
    r"\s*[!?.]*\s*$",
    re.I,
)
_TRAILING_ASKER = re.compile(r"\s+(?:anyone|anybody|someone|somebody)\s*[?!.]*\s*$", re.I)
_TAKES_ASKER = frozenset(
    "on to for from by with about of at in know ask tell see page call ping contact is are was were has have does do did "
    "own owns need needs use uses".split()
)
"""Words after which "anyone" is the question's own ("does checkout depend on anyone?", "is it owned by anyone?")."""
_YES_NO = re.compile(r"^(?:if|whether)\s+(.+?)\s+(is|are|was|were|has|have|can|could|will|would|should)\s+(.+)$", re.I)
_FRAMED_WORD = re.compile(r"\b(?:if|whether)\b", re.I)


def unframed(text: str) -> str:
    """The question `text` holds without its chat frame (see the module docstring); `text` itself when it has none."""
    core = text
    for _ in range(3):  # "hey team, quick q: does anyone know who ..." stacks frames
        before = core
        core = _GREETING.sub("", core, count=1)
        core = _LABEL.sub("", core, count=1)
        core = _FRAME.sub("", core, count=1)
        if core == before:
            break
    asker = _TRAILING_ASKER.search(core)
    if asker is not None and core[: asker.start()].split()[-1:] and core[: asker.start()].split()[-1].lower().strip(",") not in _TAKES_ASKER:
        core = core[: asker.start()].rstrip(" ,;-–—") + "?"  # "tech lead for storefront anyone?"
    stripped_tail = _TAIL.sub("", core)
    if stripped_tail.strip() and stripped_tail != core:
        core = stripped_tail.rstrip(" ,;") + "?"
    core = core.strip()
    if not core or core == text.strip():
        return text
    if _FRAMED_WORD.match(core):
        direct = _direct_yes_no(core)
        if direct is None:
            return text  # "... know whether payments calls fraud?": not turned back here; abstained as before
        core = direct
    if not core.endswith(("?", ".", "!")):
        core += "?"
    return core[0].upper() + core[1:] if core[:1].islower() else core


def _direct_yes_no(clause: str) -> str | None:
    """"if X is critical?" → "Is X critical?"; None when the clause has no be/have/modal after a short subject."""
    m = _YES_NO.match(clause.rstrip("?.! "))
    if m is None or len(m.group(1).split()) > 6:
        return None
    subject, verb, rest = m.groups()
    if verb.lower() in ("has", "have") and not re.match(r"(?:been|\w+(?:ed|en))\b", rest, re.I):
        # "if checkout has an owner" asks "Does checkout have an owner?"; "if X has been paged" keeps "Has X been paged?"
        return f"{'Does' if verb.lower() == 'has' else 'Do'} {subject} have {rest}?"
    return f"{verb.capitalize()} {subject} {rest}?"
