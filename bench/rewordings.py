"""Does an answer survive being asked in other words? Looked-at questions answered right, asked again reworded.

    .venv/bin/python bench/rewordings.py --home HOME [--only frames relations names]

HOME is an opsgraph home holding the sample estate (`opsgraph ingest src/opsgraph/data/sample_estate --home HOME`;
the embedded store admits one process, so use a home nothing else has open). The questions are the looked-at dev sets
(`tests/fixtures/dev/*.yaml`; never the blind sets). Each question answered right (or an unanswerable one abstained) is
asked again with one rewording at a time, and each rewording reports how many stay right, become abstentions and —
the figure that matters most — become wrong:

- `frames`: the question inside a chat frame ("hey team, quick question - ...", "does anyone know ...", "... thanks!");
- `relations`: a relation phrase swapped for an everyday one ("owns" → "runs", "is in charge of"; "on call for" → "on the
  rota for", "holding the pager for"; "affected" → "hit");
- `names`: a service named by its id ("productcatalogservice") written as people write it ("productcatalog-service",
  "productcatalogsvc", "Product Catalog Service").

The baseline is the same questions as written, in the same run (the first line of each section).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from opsgraph.app import OpsGraph, Settings  # noqa: E402
from opsgraph.rag.evaluate import EvalQuestion, load_questions, run_eval  # noqa: E402

FRAMES: list[tuple[str, str]] = [
    (p, "")
    for p in (
        "hey, ", "quick q: ", "hey team, quick question - ", "do you know ", "does anyone know ", "any idea ",
        "can you tell me ", "could someone tell me ", "i need to know ", "sorry to bother, ", "remind me ", "real quick: ",
        "ok so ", "trying to figure out ", "wondering ", "hi all - ", "question: ", "help! ",
    )
] + [("", s) for s in (" thanks!", " asap", " pls", " anyone?", " thx in advance", " :)", " - urgent", " if you know")]

RELATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "owns": (r"\bowns\b", ("is responsible for", "runs", "is in charge of", "maintains", "has ownership of")),
    "owned by": (r"\bowned by\b", ("run by", "maintained by", "the responsibility of", "looked after by")),
    "depend on": (r"\bdepend on\b", ("rely on", "need", "talk to", "call", "use")),
    "on call for": (r"\bon call for\b", ("on-call for", "on the rota for", "holding the pager for", "on pager for", "covering")),
    "affected": (r"\baffected\b", ("hit", "impacted", "took down", "touched")),
}

SERVICE_ID = re.compile(r"\b([a-z]+)service\b")
NAMES: dict[str, Callable[[str], str]] = {
    "x service": lambda m: f"{m} service", "x-service": lambda m: f"{m}-service", "x svc": lambda m: f"{m} svc",
    "xsvc": lambda m: f"{m}svc", "x-svc": lambda m: f"{m}-svc", "XService": lambda m: m.capitalize() + "Service",
    "X Service": lambda m: m.capitalize() + " Service",
}


def framed(q: str, pre: str, suf: str) -> str:
    body = q.rstrip()
    if pre and pre.rstrip()[-1:] not in ":-!," and body[:1].isupper() and not body[:2].isupper():
        body = body[0].lower() + body[1:]
    if suf:
        body = body.rstrip("?") + suf
    return pre + body


def judge(og: OpsGraph, items: Sequence[EvalQuestion]) -> list[tuple[EvalQuestion, str]]:
    """Each item with its verdict: right, abstained, WRONG (an answerable one), kept / ANSWERED (an unanswerable one)."""
    report = run_eval(lambda q: og.ask(q, use_cache=False), items, gold_query=lambda c: list(og.query(c, limit=10_000).rows))
    out = []
    for it, j in zip(items, report.items, strict=True):
        if not it.answerable:
            out.append((it, "ANSWERED" if j.answered else "kept"))
        else:
            out.append((it, "abstained" if not j.answered else "right" if j.correct else "WRONG"))
    return out


def line(label: str, verdicts: list[tuple[EvalQuestion, str]]) -> None:
    counts = collections.Counter(v for _, v in verdicts)
    wrong = [it.q for it, v in verdicts if v in ("WRONG", "ANSWERED")][:2]
    print(f"  {label:34s} n={len(verdicts):4d}  right {counts['right']:4d}  abstained {counts['abstained']:4d}  "
          f"WRONG {counts['WRONG']:3d}  unanswerable kept {counts['kept']:3d} / answered {counts['ANSWERED']:2d}"
          + (f"  e.g. {wrong}" if wrong else ""), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", required=True, type=Path)
    ap.add_argument("--only", nargs="+", choices=("frames", "relations", "names"), default=("frames", "relations", "names"))
    args = ap.parse_args()
    files = sorted((ROOT / "tests" / "fixtures" / "dev").glob("ops_questions_dev*.yaml"))
    with OpsGraph(Settings(home=args.home)) as og:
        items = [it for f in files for it in load_questions(f)]
        base = judge(og, items)
        good = [it for it, v in base if v in ("right", "kept")]
        print(f"{len(files)} looked-at dev sets, {len(items)} questions; {len(good)} right or rightly abstained as written")
        if "frames" in args.only:
            print("frames (the question inside a chat message):")
            for pre, suf in FRAMES:
                line(repr(pre or suf), judge(og, [dataclasses.replace(it, q=framed(it.q, pre, suf)) for it in good]))
        if "relations" in args.only:
            print("relations (a relation phrase in everyday words; answerable questions that use the phrase):")
            for name, (pattern, alternatives) in RELATIONS.items():
                hit = [it for it in good if it.answerable and re.search(pattern, it.q, re.I)]
                line(f"{name} (as written)", [(it, "right") for it in hit])
                for alt in alternatives:
                    line(f"  -> {alt}", judge(og, [dataclasses.replace(it, q=re.sub(pattern, alt, it.q, flags=re.I)) for it in hit]))
        if "names" in args.only:
            print("names (a service id written as people write it; questions naming one):")
            named: list[Any] = [it for it in good if SERVICE_ID.search(it.q)]
            line("as written", [(it, "right" if it.answerable else "kept") for it in named])
            for name, form in NAMES.items():
                line(name, judge(og, [dataclasses.replace(it, q=SERVICE_ID.sub(lambda m, f=form: f(m.group(1)), it.q)) for it in named]))


if __name__ == "__main__":
    main()
