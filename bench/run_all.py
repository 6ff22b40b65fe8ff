"""Runs every bench at a small size, one after the other, and writes one JSON summary.

    python bench/run_all.py                       # all of them -> artifacts/bench.json
    python bench/run_all.py --only ingest,audit   # some of them
    python bench/run_all.py --list                # what each runs, and with which sizes

``make bench`` runs this. Each bench runs in its own process (so one's heap, page cache use
and threads do not weigh on the next) and its last output line, one JSON object, goes into
the summary under its name, with the seconds it took and the load average before and after;
a bench that fails is recorded with its exit status and the tail of its error output, and the
rest still run (the exit status is 1 if any failed). The sizes are small so the whole run
stays within a few minutes on the shared 2-core machine; the goals' full sizes are the
benches' own defaults or the commands in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHARED = Path(os.environ.get("TRUSTLPR_SHARED_DIR") or ROOT.parent / "shared")

# name -> arguments at the small size (each bench alternates ours and its baseline itself)
SUITE: dict[str, list[str]] = {
    "ingest": ["--reads", "20000", "--rounds", "5"],
    "pg_ingest": ["--reads", "20000", "--rounds", "5", "--reads-per-day", "5000"],
    "lookup": ["--days", "30", "--reads-per-day", "5000", "--lookups", "300", "--rounds", "5"],
    "search": [
        "--days",
        "30",
        "--reads-per-day",
        "2000",
        "--searches",
        "100",
        "--rounds",
        "3",
        "--attribute-reads-per-day",
        "5000",
        "--attribute-searches",
        "50",
        "--area-searches",
        "50",
        "--ingest-reads",
        "10000",
        "--ingest-rounds",
        "3",
    ],
    "audit": ["--entries", "100000", "--rounds", "5"],
    "hotlist": ["--entries", "200000", "--reads", "100000", "--rounds", "5"],
    "screening": ["--rounds", "3"],
    "policy": ["--decisions", "6000"],
    "sim": ["--size", "town", "--days", "5"],
    "http_ingest": ["--reads", "10000", "--rounds", "4", "--seconds", "5"],
    "bus": ["--reads", "5000", "--rounds", "3", "--seconds", "5"],
    "portal": ["--days", "1", "--seconds", "3", "--rounds", "3"],
    "recognition": ["--data", str(SHARED / "data/plates/us_photos"), "--limit", "20"],
    "oversight": ["--rows", "100000", "--rounds", "3"],
    "retained_count": ["--reads", "30000", "--rounds", "3"],
    "demo_startup": ["--rounds", "2"],
}


def run_one(name: str, args: list[str], timeout: float) -> dict[str, object]:
    """One bench in its own process; its last JSON line, or why there is none."""
    before = os.getloadavg()[0]
    began = time.monotonic()
    env = {**os.environ, "TRUSTLPR_SHARED_DIR": str(SHARED)}
    command = [sys.executable, str(BENCH / f"{name}.py"), *args, "--json"]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:g} s", "args": args}
    record: dict[str, object] = {
        "ok": done.returncode == 0,
        "args": args,
        "seconds": round(time.monotonic() - began, 1),
        "load_average_before": round(before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        record.update(ok=False, returncode=done.returncode, error=done.stderr[-2000:])
        return record
    record["figures"] = json.loads(lines[-1])
    return record


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated bench names (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated bench names to leave out")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench.json")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per bench")
    parser.add_argument("--list", action="store_true", help="print the suite and exit")
    args = parser.parse_args()
    if args.list:
        for name, bench_args in SUITE.items():
            print(f"bench/{name}.py {' '.join(bench_args)}")
        return 0
    names = args.only.split(",") if args.only else list(SUITE)
    unknown = [n for n in names if n not in SUITE]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; known: {', '.join(SUITE)}")
    skip = set(filter(None, args.skip.split(",")))
    summary: dict[str, object] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "benches": {},
    }
    benches: dict[str, object] = summary["benches"]  # type: ignore[assignment]
    for number, name in enumerate(n for n in names if n not in skip):
        print(f"[{number + 1}/{len(names) - len(skip)}] bench/{name}.py ...", flush=True)
        record = run_one(name, SUITE[name], args.timeout)
        benches[name] = record
        figures = record.get("figures", {})
        assert isinstance(figures, dict)
        shown = {
            k: v for k, v in figures.items() if k.endswith(("ratio", "ratio_min", "ratio_max"))
        }
        status = "ok" if record["ok"] else f"FAILED: {str(record.get('error', ''))[-300:]}"
        print(f"    {record.get('seconds', '?')} s, {shown or ''} {status}", flush=True)
    summary["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"summary: {args.out}")
    print(json.dumps({name: r.get("figures", {}).get("ratio") for name, r in benches.items()}))  # type: ignore[union-attr]
    return 0 if all(r["ok"] for r in benches.values()) else 1  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
