"""Hot-list figures: load time and memory of a 1M-entry list, per-read matching cost against a
plain dict lookup of the plate text measured in the same run, and the false "possible match"
rate on 1M innocent plates.

    python bench/hotlist.py --entries 1000000 --reads 1000000 --json   # the goal's size
    python bench/hotlist.py --entries 200000 --reads 200000 --json     # quicker

``per_read_us`` is timed in ``--rounds`` slices of the innocent reads, each slice matched by us
and then looked up in a plain dict (the order swapped every round, ``_rounds.alternate``);
``per_read_ratio`` is the median of the per-round ratios, with ``ratio_min``/``ratio_max``.

``load_s`` is the import of an NCIC extract of that many lines (parse, validate, one SQLite
transaction, in-memory index); ``reload_s`` and ``rss_mb`` come from a fresh process that
opens the populated ``hotlists.db`` (a server starting), so import garbage does not count.

``false_possible_rate`` follows REFERENCE.md §5: list and reads are random 7-character plates
(A-Z, 0-9), no confidences. ``false_possible_rate_us_formats`` is the realistic case: list and
reads drawn from each of ten states' own formats (OpenALPR ``us.patterns``, the first listed
the most common), where the same plate text listed in another state and O/Q or letter/digit
siblings are much more frequent; each read carries per-character and state confidences as a
recogniser gives them (most characters 0.90-0.999, 3 % of them doubtful, 0.40-0.90; confusable
characters doubtful three times as often; 10 % of state reads doubtful).
``false_possible_rate_no_confidences`` is the same reads judged without their confidences
(today's senders that give none, and the rule before confidences counted).

``misread_recall``: planted misreads of listed plates — a confusable character read as its
sibling with a doubtful confidence, the same without any confidences, the state misread with a
doubtful confidence, and the state misread confidently as a state whose formats the plate does
not fit — and the share whose listed entry is among the read's possibles (goal: all of them).
A state misread confidently as a state that issues the same format is not planted: nothing in
the read can tell it from an innocent car of that state (docs/hotlist.md, "Possible matches").
"""

from __future__ import annotations

import argparse
import json
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import T0, emit
from _rounds import alternate
from trustlpr import assets
from trustlpr.core import Read
from trustlpr.core.errors import AuditError
from trustlpr.core.events import AuditEvent
from trustlpr.core.plates import confusion_key
from trustlpr.hotlist import HotlistMatcher, HotlistService
from trustlpr.hotlist.matcher import ListIndex

L, D = string.ascii_uppercase, string.digits
STATES = ("CT", "NY", "MA", "RI", "NJ", "PA", "NH", "VT", "ME", "VA")
CODES = "VVVVVPPWFMAHLRT"
SIBLINGS = {"O": "0Q", "Q": "O0", "0": "OQ", "I": "1", "1": "I", "B": "8", "8": "B",
            "S": "5", "5": "S", "Z": "2", "2": "Z"}  # fmt: skip


def state_formats() -> dict[str, tuple[list[str], list[float]]]:
    """Each state's plain patterns from the shipped ``us.patterns``, earlier ones weighted up."""
    found: dict[str, list[str]] = {s: [] for s in STATES}
    text = (assets.MODELS_DIR / "openalpr" / "us.patterns").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].upper() in found and "[" not in parts[1]:
            found[parts[0].upper()].append(parts[1])
    return {s: (f, [1 / (i + 1) for i in range(len(f))]) for s, f in found.items()}


FORMATS = state_formats()


class CountingSink:
    """Audit sink that only counts (the audit log has its own benchmark)."""

    def __init__(self) -> None:
        self.count = 0

    def append(self, event: AuditEvent) -> int:
        self.count += 1
        return self.count

    def append_many(self, events: list[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]


class RefusingSink(CountingSink):
    def append(self, event: AuditEvent) -> int:
        raise AuditError("the reload process changes nothing")


def plate(rng: random.Random, state: str) -> str:
    patterns, weights = FORMATS[state]
    fmt = rng.choices(patterns, weights)[0]
    return "".join(rng.choice(L if ch == "@" else D) for ch in fmt)


def char_confs(rng: random.Random, text: str, doubtful: int | None = None) -> tuple[float, ...]:
    """Confidences as a recogniser gives them; position ``doubtful`` is made doubtful."""
    out = []
    for i, ch in enumerate(text):
        odds = 0.09 if ch in SIBLINGS else 0.03
        low = i == doubtful or rng.random() < odds
        out.append(rng.uniform(0.40, 0.90) if low else rng.uniform(0.90, 0.999))
    return tuple(out)


def state_conf(rng: random.Random) -> float:
    return rng.uniform(0.30, 0.90) if rng.random() < 0.10 else rng.uniform(0.90, 0.99)


def innocent_read(rng: random.Random, listed: set[tuple[str, str]]) -> Read:
    while True:
        s = rng.choice(STATES)
        p = plate(rng, s)
        if (p, s) not in listed:
            chars, sconf = char_confs(rng, p), state_conf(rng)
            return Read(p, s, 0.9, T0, "cam-1", "bench", 41.3, -72.9,
                        char_confidences=chars, state_confidence=sconf)  # fmt: skip


def misreads(
    rng: random.Random, listed: list[tuple[str, str]], each: int
) -> list[tuple[Read, str, str]]:
    """Planted misreads ``(read, listed plate, listed state)``, ``each`` of every kind."""
    formats = assets.plate_formats()
    exact = set(listed)
    out: list[tuple[Read, str, str]] = []
    kinds = {"char": 0, "char_no_conf": 0, "state_doubtful": 0, "state_off_format": 0}
    while min(kinds.values()) < each:
        p, s = rng.choice(listed)
        kind = rng.choice([k for k, n in kinds.items() if n < each])
        if kind.startswith("char"):
            spots = [i for i, ch in enumerate(p) if ch in SIBLINGS]
            if not spots:
                continue
            i = rng.choice(spots)
            text, state = p[:i] + rng.choice(SIBLINGS[p[i]]) + p[i + 1 :], s
            assert confusion_key(text) == confusion_key(p)
            chars = char_confs(rng, text, i) if kind == "char" else None
            sconf = rng.uniform(0.90, 0.99) if kind == "char" else None
        else:
            text = p
            if kind == "state_doubtful":
                state = rng.choice([x for x in STATES if x != s])
                sconf = rng.uniform(0.30, 0.89)
            else:
                others = [x for x in STATES if x != s and formats.fits(p, x) is False]
                if not others:
                    continue
                state, sconf = rng.choice(others), rng.uniform(0.90, 0.99)
            chars = char_confs(rng, text)
        if (text, state) in exact:
            continue
        kinds[kind] += 1
        read = Read(text, state, 0.8, T0, "cam-1", "bench", 41.3, -72.9,
                    char_confidences=chars, state_confidence=sconf)  # fmt: skip
        out.append((read, p, s))
    return out


def extract(n: int, rng: random.Random) -> tuple[bytes, set[tuple[str, str]]]:
    listed: set[tuple[str, str]] = set()
    lines = ["NCIC LPR EXTRACT (synthetic)"]
    while len(listed) < n:
        s = rng.choice(STATES)
        p = plate(rng, s)
        if (p, s) in listed:
            continue
        listed.add((p, s))
        nic = f"{rng.randrange(10**9):09d}"
        code = rng.choice(CODES)
        lines.append(f"{code}{nic}CT0000100{20260101:08d}{p:<10}{s}2026PC2019TOYTCAM4DBLK")
    return ("\n".join(lines) + "\n").encode(), listed


def uniform_rate(entries: int, reads: int, rng: random.Random) -> float:
    """False-possible rate with random 7-character plates on both sides (REFERENCE.md §5)."""
    alphabet = L + D
    index = ListIndex("uniform")
    listed: set[tuple[str, str]] = set()
    for i in range(entries):
        pair = ("".join(rng.choices(alphabet, k=7)), rng.choice(STATES))
        listed.add(pair)
        index.add(i, pair[0], pair[1], "V", 4e9)
    matcher = HotlistMatcher(lambda: T0)
    matcher.install(index)
    flagged = tested = 0
    now = T0.timestamp()
    while tested < reads:
        pair = ("".join(rng.choices(alphabet, k=7)), rng.choice(STATES))
        if pair in listed:
            continue
        tested += 1
        result = matcher.match_plate(pair[0], pair[1], now)
        if result.hit:
            raise AssertionError("an innocent plate raised an alert")
        flagged += bool(result.possible)
    return flagged / reads


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reload_child(data_dir: str) -> None:
    """Runs in a fresh process: open the populated service, report time and memory."""
    before = rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    service = HotlistService.open(
        Path(data_dir), audit=RefusingSink(), agency_id="bench", clock=lambda: T0
    )
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    active = service.matcher.active_count(T0)
    print(json.dumps({"reload_s": seconds, "reload_cpu_s": cpu_seconds, "rss_mb": rss_mb(),
                      "base_rss_mb": before, "active": active}))  # fmt: skip
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="hot-list size")
    parser.add_argument("--reads", type=int, default=1_000_000, help="innocent reads to match")
    parser.add_argument("--misreads", type=int, default=500, help="planted misreads per kind")
    parser.add_argument("--rounds", type=int, default=5, help="alternated timing rounds")
    parser.add_argument("--json", action="store_true", help="only the JSON line at the end")
    parser.add_argument("--reload-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reload_child:
        reload_child(args.reload_child)
        return
    rng = random.Random(11)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    data, listed = extract(args.entries, rng)
    log(f"extract: {args.entries} lines, {len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        service = HotlistService.open(
            Path(tmp), audit=CountingSink(), agency_id="bench", clock=lambda: T0
        )
        start, cpu = time.perf_counter(), time.process_time()
        report = service.import_bytes(data, list_id="ncic", fmt="ncic", actor="bench")
        load_s, load_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        assert report.accepted == args.entries, report
        log(f"import: {load_s:.2f} s")
        service.close()
        child = subprocess.run(
            [sys.executable, __file__, "--reload-child", tmp],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        reload = json.loads(child.stdout.strip().splitlines()[-1])
        assert reload["active"] == args.entries
        service = HotlistService.open(
            Path(tmp), audit=CountingSink(), agency_id="bench", clock=lambda: T0
        )
        reads = [innocent_read(rng, listed) for _ in range(args.reads)]
        matcher = service.matcher
        flagged = confusion = other_state = flagged_plain = 0
        baseline_dict = {p: i for i, (p, _) in enumerate(listed)}
        size = -(-len(reads) // args.rounds)

        def ours_us(k: int) -> float:
            chunk = reads[k * size : (k + 1) * size] if k >= 0 else reads[:1000]
            start = time.perf_counter()
            for read in chunk:
                matcher.match(read)
            return (time.perf_counter() - start) / len(chunk) * 1e6

        def dict_us(k: int) -> float:
            chunk = reads[k * size : (k + 1) * size] if k >= 0 else reads[:1000]
            start = time.perf_counter()
            for read in chunk:
                baseline_dict.get(read.plate)
            return (time.perf_counter() - start) / len(chunk) * 1e6

        timing = alternate(ours_us, dict_us, args.rounds, warmup=True)
        for read in reads:
            result = matcher.match(read)
            if result.hit:
                raise AssertionError("an innocent plate raised an alert")
            if result.possible:
                flagged += 1
                whys = {c.why.value for c in result.possible}
                confusion += "confusion" in whys
                other_state += "state_differs" in whys
            flagged_plain += bool(matcher.match_plate(read.plate, read.state, T0.timestamp()))
        planted = misreads(rng, sorted(listed), args.misreads)
        caught = sum(
            any((c.plate, c.state) == (p, s) for c in matcher.match(read).possible)
            for read, p, s in planted
        )
        batch = 1000
        start = time.perf_counter()
        for i in range(0, len(reads), batch):
            service.on_reads(reads[i : i + batch])
        on_reads_s = time.perf_counter() - start
        service.close()
    n = len(reads)
    reads.clear()  # free the memory before the uniform case
    listed.clear()
    baseline_dict.clear()
    uniform = uniform_rate(args.entries, args.reads, rng)
    per_read_us, dict_read_us = timing.medians()
    ratio = timing.ratio(2)
    result = {
        "entries": args.entries,
        "reads": n,
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu_s, 3),
        "reload_s": round(reload["reload_s"], 3),
        "reload_cpu_s": round(reload["reload_cpu_s"], 3),
        "rss_mb": round(reload["rss_mb"], 1),
        "index_mb": round(reload["rss_mb"] - reload["base_rss_mb"], 1),
        "per_read_us": round(per_read_us, 3),
        "baseline_dict_us": round(dict_read_us, 3),
        "per_read_ratio": ratio["ratio"],
        **ratio,
        "on_reads_us": round(on_reads_s / n * 1e6, 3),
        "false_possible_rate": round(uniform, 6),
        "false_possible_rate_us_formats": round(flagged / n, 6),
        "us_formats_confusion": round(confusion / n, 6),
        "us_formats_other_state": round(other_state / n, 6),
        "false_possible_rate_no_confidences": round(flagged_plain / n, 6),
        "misreads_planted": len(planted),
        "misread_recall": round(caught / len(planted), 6),
        "goals_met": load_s <= 10
        and per_read_us <= 5
        and uniform <= 0.001
        and flagged / n <= 0.001
        and caught == len(planted),
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()
