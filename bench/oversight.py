"""Oversight import + rules over a generated Flock audit export (13-column layout).

    python bench/oversight.py [--rows 1000000] [--jobs 2] [--json]

Generates an N-row export shaped like the real ones (CRLF records, two-line Time Frame cells,
UUID row IDs, dropdown, case-number-only, vague and free-text reasons, repeat plates), then
measures, each in a fresh process:

- the baseline: a plain ``csv.reader`` over the same file (rows counted, nothing kept);
- ours: ``import_files`` (parsing, validation, interning, de-duplication) + ``run_rules``
  (every rule), with peak memory sampled over the process and its worker processes.

Ours and the baseline alternate over ``--rounds`` rounds (the order swapped every round,
``_rounds.alternate``); ``ratio`` is the median of ours / baseline rows/s per round, the other
figures come from the median round. It runs ours at N/2 too, so memory per row and fixed
overhead can be separated and the 10-million-row goal (<= 60 s, <= 2 GB) extrapolated from
figures taken in this run. The last
line is one JSON object: rows_per_s, peak_rss_mb, baseline_rows_per_s, ratio, ...
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import queue as queue_module
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit
from _rounds import alternate

HEADER = [
    "ID", "Name", "Org Name", "Total Networks Searched", "Time Frame", "License Plate",
    "Reason", "Case #", "Filters", "Search Time", "Search Type", "Text Prompt", "Moderation",
]  # fmt: skip
DROPDOWN = [
    "Motor Vehicle Theft/Stolen", "Hit and Run/Car Accident", "Weapons Offense (Guns/Shots Fired)",
    "Larceny/Theft Offenses", "Assault/Battery Offenses", "Drugs/Narcotics", "Other",
]  # fmt: skip
FREE = [
    "stolen vehicle", "robbery suspect vehicle", "burglary", "shots fired", "hit and run",
    "missing person", "warrant service", "narcotics", "fraud suspect", "welfare check",
]  # fmt: skip
VAGUE = ["investigation", "inv", "other", "per agent", "suspicious vehicle", "follow up"]
RARE = ["ICE assist", "protester", "personal", "parking complaint", "test", "child custody dispute"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Writes ``rows`` synthetic searches; about 230 bytes per row."""
    rng = random.Random(seed)
    users = [f"User{k:04d} Synthetic" for k in range(max(50, rows // 2000))]
    weights = [1.0 / (k + 1) ** 0.6 for k in range(len(users))]
    user_pick = rng.choices(users, weights, k=65536)
    orgs = [f"Town{k:02d} IL PD" for k in range(40)]
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    plates = ["".join(rng.choices(alphabet, k=7)) for _ in range(max(1000, rows // 4))]
    cases = [f"25-{k:06d}" for k in range(max(1000, rows // 5))]
    dates: dict[int, str] = {}
    start = 1_735_689_600  # 2025-01-01
    step = max(1, (60 * 86400) // max(rows, 1))

    def when(epoch: int) -> str:
        day, rest = divmod(epoch, 86400)
        date = dates.get(day)
        if date is None:
            t = time.gmtime(day * 86400)
            date = dates[day] = f"{t.tm_mon}/{t.tm_mday}/{t.tm_year}"
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return (
            f"{date}, {hour % 12 or 12}:{minute:02d}:{second:02d} {'AM' if hour < 12 else 'PM'} UTC"
        )

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        epoch = start
        for i in range(rows):
            epoch += rng.randint(0, 2 * step)
            kind = rng.random()
            case = rng.choice(cases)
            column_case = ""
            if kind < 0.30:
                reason = f"{rng.choice(DROPDOWN)} - {case}"
            elif kind < 0.55:
                reason = f"CPD{case}"
            elif kind < 0.65:
                reason = rng.choice(VAGUE)
            elif kind < 0.93:
                reason, column_case = rng.choice(FREE), case
            elif kind < 0.98:
                alert = "Other image search from alerts page associated with Alert"
                reason = f"{alert}: Stolen Vehicle {rng.choice(plates)}"
            else:
                reason = rng.choice(RARE)
            plate = "" if rng.random() < 0.2 else rng.choice(plates)
            stype = "lookup" if plate else rng.choice(["search", "search", "visual", "convoy"])
            user = user_pick[i & 0xFFFF] if rng.random() < 0.5 else rng.choice(users)
            writer.writerow([
                str(uuid.UUID(int=rng.getrandbits(128))), user,
                rng.choice(orgs), rng.choice((1, 3, 3, 3, 572, 1424)),
                f"{when(epoch - 30 * 86400)}\n{when(epoch)}", plate, reason, column_case,
                "" if plate else "Sedan, black", when(epoch), stype, "", "",
            ])  # fmt: skip


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (the forkserver's imports in its workers) are
    split between the processes sharing them instead of being counted once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of one process so far, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def _tree_rss_kb(root: int, cpu: dict[int, int] | None = None) -> int:
    """Memory (PSS) of ``root`` and all its descendants, from /proc; each one's CPU ticks so
    far go into ``cpu`` (the last sample of a process that has ended stays)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid, ppid = int(entry), int(fields.get("PPid", "0").strip())
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _pss_kb(pid)
        if cpu is not None:
            cpu[pid] = max(cpu.get(pid, 0), _cpu_ticks(pid))
        stack.extend(children.get(pid, []))
    return total


def _baseline(path: str, out: Any) -> None:
    started = time.perf_counter()
    count = 0
    with open(path, newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            count += 1
    out.put({"rows": count - 1, "seconds": time.perf_counter() - started})


def _ours(path: str, jobs: int, compiled: bool, out: Any) -> None:
    from trustlpr.oversight import import_files, load_config, run_rules

    started = time.perf_counter()
    result = import_files([Path(path)], jobs=jobs, compiled_csv=compiled)
    imported = time.perf_counter()
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    done = time.perf_counter()
    out.put({
        "rows": result.rows_imported, "rejected": result.rows_rejected,
        "import_s": imported - started, "rules_s": done - imported, "seconds": done - started,
        "findings": len(run.findings),
    })  # fmt: skip


def measure(target: Any, *args: Any) -> dict[str, Any]:
    """Runs ``target`` in a fresh process, sampling the memory of its whole process tree."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    peak = 0
    stop = threading.Event()
    cpu: dict[int, int] = {}

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kb(process.pid or 0, cpu))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    while True:  # a child that died (an exception in it) would otherwise be waited for forever
        try:
            result: dict[str, Any] = queue.get(timeout=1)
            break
        except queue_module.Empty:
            if not process.is_alive():
                stop.set()
                raise RuntimeError(f"the measured process exited with {process.exitcode}") from None
    process.join()
    stop.set()
    sampler.join()
    result["peak_rss_mb"] = peak / 1024
    # sampled every 50 ms: a process's last moments are missed, so this reads a little low
    result["cpu_s"] = sum(cpu.values()) / os.sysconf("SC_CLK_TCK")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated export")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the import")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary line")
    parser.add_argument(
        "--against", choices=("csv-reader", "plain-reader"), default="csv-reader",
        help="the baseline: a bare csv.reader pass, or our import with the compiled CSV "
        "reader turned off (import_files(compiled_csv=False))",
    )  # fmt: skip
    parser.add_argument(
        "--data-dir", help="keep the generated exports here and reuse them (default: a "
        "temporary folder, removed afterwards)",
    )  # fmt: skip
    args = parser.parse_args()
    say = (lambda *_a: None) if args.json else print
    with tempfile.TemporaryDirectory(prefix="oversight-bench-") as temp:
        folder = Path(args.data_dir or temp)
        small_rows = max(args.rows // 2, 1000)
        small_path = folder / f"oversight-{small_rows}-seed2.csv"
        path = folder / f"oversight-{args.rows}-seed1.csv"
        t = time.perf_counter()
        for target, rows, seed in ((path, args.rows, 1), (small_path, small_rows, 2)):
            if not target.exists():  # generated once per --data-dir (atomically: a rename)
                partial = target.with_suffix(".partial")
                generate(partial, rows, seed=seed)
                partial.rename(target)
        size_mb = path.stat().st_size / 2**20
        say(f"{args.rows:,} rows ({size_mb:,.0f} MB) ready in {time.perf_counter() - t:.1f} s")
        runs: list[dict[str, Any]] = []

        bases: list[dict[str, Any]] = []

        def baseline(_k: int) -> float:
            if args.against == "plain-reader":
                bases.append(measure(_ours, str(path), args.jobs, False))
            else:
                bases.append(measure(_baseline, str(path)))
            base = bases[-1]
            say(f"baseline {args.against}: {base['rows'] / base['seconds']:,.0f} rows/s, "
                f"{base['seconds']:.1f} s, CPU {base['cpu_s']:.1f} s, "
                f"peak {base['peak_rss_mb']:.0f} MB")  # fmt: skip
            return float(base["rows"] / base["seconds"])

        def full(_k: int) -> float:
            runs.append(measure(_ours, str(path), args.jobs, True))
            run = runs[-1]
            say(f"ours: {run['seconds']:.1f} s, CPU {run['cpu_s']:.1f} s, "
                f"peak {run['peak_rss_mb']:.0f} MB")  # fmt: skip
            return float(args.rows / run["seconds"])

        rounds = alternate(full, baseline, args.rounds)
        small = measure(_ours, str(small_path), args.jobs, True)
    ours = sorted(runs, key=lambda r: float(r["seconds"]))[len(runs) // 2]
    assert ours["rows"] == args.rows and ours["rejected"] == 0, ours
    rate, base_rate = rounds.medians()
    per_row_kb = (
        (ours["peak_rss_mb"] - small["peak_rss_mb"]) * 1024 / max(args.rows - small["rows"], 1)
    )
    fixed_mb = ours["peak_rss_mb"] - per_row_kb * args.rows / 1024
    ten_m_mb = fixed_mb + per_row_kb * 10_000_000 / 1024
    say(f"ours (import + every rule, {args.jobs} jobs): {rate:,.0f} rows/s "
        f"(import {ours['import_s']:.1f} s, rules {ours['rules_s']:.1f} s), "
        f"peak {ours['peak_rss_mb']:.0f} MB, {ours['findings']} findings")  # fmt: skip
    say(f"ratio to the {args.against} baseline: {rounds.ratios}")
    cpu_ratios = [r["cpu_s"] / b["cpu_s"] for r, b in zip(runs, bases, strict=True) if b["cpu_s"]]
    say(f"CPU time ours / baseline per round: {[round(x, 3) for x in cpu_ratios]}")
    say(f"extrapolated to 10M rows: {1e7 / rate:.0f} s, {ten_m_mb:,.0f} MB "
        f"({per_row_kb * 1024:.0f} bytes/row + {fixed_mb:.0f} MB fixed)")  # fmt: skip
    emit({
        "rows": args.rows, "jobs": args.jobs, "rows_per_s": round(rate),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "baseline": args.against, "baseline_rows_per_s": round(base_rate), **rounds.ratio(),
        "seconds": round(ours["seconds"], 2), "cpu_s": round(ours["cpu_s"], 2),
        "baseline_cpu_s": round(sorted(b["cpu_s"] for b in bases)[len(bases) // 2], 2),
        "cpu_ratio": round(sorted(cpu_ratios)[len(cpu_ratios) // 2], 3) if cpu_ratios else None,
        "import_s": round(ours["import_s"], 2), "rules_s": round(ours["rules_s"], 2),
        "findings": ours["findings"], "bytes_per_row": round(per_row_kb * 1024),
        "extrapolated_10m_s": round(1e7 / rate, 1), "extrapolated_10m_rss_mb": round(ten_m_mb),
    }, as_json=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
