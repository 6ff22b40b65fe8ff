"""Reason screening latency: the full screen against a bare-regex floor, in the same run.

    .venv/bin/python bench/screening.py [--json] [--rounds N]

Three kinds of reason: ``short`` (the acceptance corpus's reasons, tens of characters),
``long`` (ASCII reasons of 2,000 characters, the cap) and ``unicode`` (2,000 characters with
accents, look-alike letters and invisible characters, what normalisation has work to do on).
Timed per reason, alternating ours and the baseline item by item (ABAB...,
``_rounds.interleave``) so both run under the same momentary load:

- ``screen``: ``policy.screening.screen`` (NFKD, UTS #39 skeletons, readings, every pattern);
- ``baseline``: the same compiled patterns searched once over ``text.lower()``: what
  screening would cost with no normalisation at all.

Ratios are ours / baseline per kind (median of per-round ratios, with min and max; above 1
is slower). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, percentile
from _rounds import interleave
from trustlpr.policy.screening import _PATTERNS, MAX_REASON_LENGTH, screen

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def corpus_reasons() -> list[str]:
    reasons = []
    for line in (DATA / "policy_requests_ct-pa-26-14.jsonl").read_text().splitlines():
        reason = json.loads(line).get("reason")
        if isinstance(reason, str) and reason:
            reasons.append(reason)
    return reasons


def long_reasons(seed: str, count: int, unicode: bool) -> list[str]:
    rng = random.Random(seed)
    words = " ".join(corpus_reasons()).split()
    marks = ["\u00e9", "\u0430", "\u200b", "\u0301", "\u0399", "\u00f1", "\u3000", "\u2019"]
    out = []
    for _ in range(count):
        text = ""
        while len(text) < MAX_REASON_LENGTH:
            word = rng.choice(words)
            if unicode and rng.random() < 0.3:
                at = rng.randrange(len(word) + 1)
                word = word[:at] + rng.choice(marks) + word[at:]
            text += word + " "
        out.append(text[:MAX_REASON_LENGTH])
    return out


def baseline(text: str) -> object:
    lowered = text.lower()
    return [p.search(lowered) for p in _PATTERNS.values()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON result line")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per kind (default 5)")
    args = parser.parse_args()
    kinds = {
        "short": corpus_reasons(),
        "long": long_reasons("long", 60, unicode=False),
        "unicode": long_reasons("unicode", 60, unicode=True),
    }
    result: dict[str, float | int] = {"rounds": args.rounds}
    for kind, items in kinds.items():
        measured = interleave(items, {"screen": screen, "baseline": baseline}, args.rounds)
        result[f"{kind}_p50_ms"] = round(percentile(measured.all("screen"), 0.5), 4)
        result[f"{kind}_p99_ms"] = round(percentile(measured.all("screen"), 0.99), 4)
        result[f"{kind}_baseline_p50_ms"] = round(percentile(measured.all("baseline"), 0.5), 4)
        ratio = measured.rounds("screen", "baseline", sum).ratio(2)
        result[f"{kind}_ratio"] = ratio["ratio"]
        result[f"{kind}_ratio_min"] = ratio["ratio_min"]
        result[f"{kind}_ratio_max"] = ratio["ratio_max"]
    emit(result, args.json)


if __name__ == "__main__":
    main()
