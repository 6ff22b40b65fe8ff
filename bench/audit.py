"""Transparency log: durable batched appends, proof times, full verification, and pymerkle's
in-memory append rate on the same leaves as the baseline, measured in the same run.

    python bench/audit.py --json                      # 100k entries, a few seconds
    python bench/audit.py --entries 1000000 --json    # the goal's size (verify_1m_s measured)

Appends are real ``AuditEvent`` batches (validation, commitments, detail store, fsync'd
entries and index, tiles, a checkpoint every ten batches); building the events is not timed.
The log is built in ``--rounds`` chunks; after each chunk pymerkle appends the same chunk's
leaves into a fresh in-memory tree (always after ours: it needs the leaves ours wrote), and
``ratio`` is the median of ours / pymerkle appends/s per round. Proofs and verification have
no baseline: their goals are absolute (issue 19: >= 50k appends/s, proofs <= 1 ms, verifying
1M entries <= 10 s), so they move with the machine's load; ``appends_per_cpu_s`` is the
batched appends per second of this process's CPU time (what an idle core would give, less the
fsync waits). Concurrent appends: ``--writers`` threads append single events (as searches and
alerts do) through the group commit, against the plain path where every append is its own
fsync'd write (``Ungrouped``), alternated round by round: ``concurrent_ratio``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pymerkle import InmemoryTree

from _common import T0, emit, peak_rss_mb, percentile
from _rounds import alternate
from trustlpr.audit import AuditLog, open_audit, verify_log
from trustlpr.audit.leaf import PreparedEntry
from trustlpr.core.events import AuditEvent, EventType

PURPOSES = ("stolen_vehicle", "amber_alert", "felony_investigation", "missing_person")


def event(i: int) -> AuditEvent:
    """A mix like a busy node's: ingest batches, searches and their decisions, alerts."""
    at = T0 + timedelta(milliseconds=20 * i)
    kind = i % 10
    if kind < 5:
        return AuditEvent(
            EventType.READS_INGESTED,
            at,
            "ct-nhpd",
            {"camera_counts": {f"cam-{i % 50}": 1 + i % 17, f"cam-{(i + 7) % 50}": 3}, "count": 20},
        )
    if kind < 9:
        return AuditEvent(
            EventType.SEARCH_DECIDED,
            at,
            "ct-nhpd",
            {
                "purpose": PURPOSES[i % 4],
                "decision": "allow" if i % 7 else "deny",
                "reasons": ["purpose.allowed"] if i % 7 else ["reason.vague"],
                "search_type": "exact",
                "requester_agency": "ct-nhpd",
                "request_id": f"req-{i}",
                "window_hours": 48,
            },
            {
                "user_id": f"u{i % 300}",
                "plate": f"{i % 997:03d}XYZ",
                "reason": "stolen vehicle report, case follow-up",
                "case_number": f"2026-{i:07d}",
            },
        )
    return AuditEvent(
        EventType.ALERT_RAISED,
        at,
        "ct-nhpd",
        {"list_id": "ncic-daily", "category": "V", "count": 1},
        {"alert_id": f"a{i}", "plate": f"{i % 997:03d}XYZ"},
    )


def build(root: Path, n: int, batch: int, rounds: int) -> tuple[dict[str, float], int]:
    """Builds the log in ``rounds`` chunks, alternating with pymerkle on each chunk's leaves."""
    chunk = -(-n // rounds)
    cpu = [0.0]  # process CPU seconds spent in ours
    with open_audit(root, agency_id="ct-nhpd") as audit:

        def ours(k: int) -> float:
            spent, first, last = 0.0, k * chunk, min(n, (k + 1) * chunk)
            for number, start in enumerate(range(first, last, batch)):
                events = [event(i) for i in range(start, min(last, start + batch))]
                began, began_cpu = time.perf_counter(), time.process_time()
                audit.append_many(events)
                if number % 10 == 9:
                    audit.maybe_checkpoint()
                spent += time.perf_counter() - began
                cpu[0] += time.process_time() - began_cpu
            return (last - first) / spent

        def pymerkle(k: int) -> float:
            first, last = k * chunk, min(n, (k + 1) * chunk)
            leaves = [leaf for _, leaf in audit.log.entries(first, last)]
            tree = InmemoryTree(algorithm="sha256")
            began = time.perf_counter()
            for leaf in leaves:
                tree.append_entry(leaf)
            elapsed = time.perf_counter() - began
            if k == 0:
                assert tree.get_root(last) == audit.log.root(last), "pymerkle disagrees"
            return len(leaves) / elapsed

        rounds = alternate(ours, pymerkle, rounds, swap=False)
        audit.maybe_checkpoint()
        rate, baseline = rounds.medians()
        figures = {"appends_per_s": round(rate), "pymerkle_appends_per_s": round(baseline),
                   "appends_per_cpu_s": round(n / cpu[0]), **rounds.ratio()}  # fmt: skip
        return figures, len(audit.checkpoints())


class Ungrouped(AuditLog):
    """The plain path as the baseline of concurrent appends: every caller's batch is its own
    write with its own fsyncs, one after another."""

    def _group_commit(self, prepared: Sequence[PreparedEntry]) -> list[int]:
        return self._write(prepared)


def concurrent(root: Path, writers: int, appends: int, rounds: int) -> dict[str, float]:
    """``writers`` threads each appending single events (as searches and alerts do), ours
    (group commit) against ``Ungrouped`` in alternated rounds, each into its own log."""
    per_writer = max(1, appends // writers)

    def side(log: AuditLog, k: int) -> float:
        base = (k + 1) * writers * per_writer
        work = [[event(base + w * per_writer + i) for i in range(per_writer)]
                for w in range(writers)]  # fmt: skip
        threads = [threading.Thread(target=lambda b=b: [log.append(e) for e in b]) for b in work]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return writers * per_writer / (time.perf_counter() - began)

    with AuditLog(root / "grouped") as grouped, Ungrouped(root / "plain") as plain:
        result = alternate(lambda k: side(grouped, k), lambda k: side(plain, k), rounds)
    rate, baseline = result.medians()
    ratio = result.ratio()
    return {
        "writers": writers,
        "concurrent_appends_per_s": round(rate),
        "ungrouped_appends_per_s": round(baseline),
        "concurrent_ratio": ratio["ratio"],
        "concurrent_ratio_min": ratio["ratio_min"],
        "concurrent_ratio_max": ratio["ratio_max"],
    }


def proofs(root: Path, samples: int) -> dict[str, float]:
    rng = random.Random(5)
    began = time.perf_counter()
    audit = open_audit(root, readonly=True)
    reopen_ms = (time.perf_counter() - began) * 1000
    log = audit.log
    size = log.size
    inclusion, consistency = [], []
    for _ in range(samples):
        index = rng.randrange(size)
        began = time.perf_counter()
        log.inclusion_proof(index)
        inclusion.append((time.perf_counter() - began) * 1000)
        old = rng.randrange(1, size)
        began = time.perf_counter()
        log.consistency_proof(old)
        consistency.append((time.perf_counter() - began) * 1000)
    audit.close()
    return {
        "reopen_ms": round(reopen_ms, 1),
        "proof_ms": round(percentile(inclusion, 0.5), 4),
        "proof_p99_ms": round(percentile(inclusion, 0.99), 4),
        "consistency_ms": round(percentile(consistency, 0.5), 4),
        "consistency_p99_ms": round(percentile(consistency, 0.99), 4),
    }


def verify_seconds(root: Path) -> tuple[float, bool]:
    with open_audit(root, readonly=True) as audit:
        began = time.perf_counter()
        report = verify_log(audit.log, audit.verifier, audit.checkpoints())
        return time.perf_counter() - began, report.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="log size to build")
    parser.add_argument("--batch", type=int, default=1000, help="events per append_many")
    parser.add_argument("--rounds", type=int, default=5, help="chunks, each against pymerkle")
    parser.add_argument("--samples", type=int, default=2000, help="proofs to time")
    parser.add_argument("--writers", type=int, default=8, help="threads appending singly")
    parser.add_argument("--single", type=int, default=2000, help="single appends per round")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trustlpr-bench-audit-"))
    try:
        appended, checkpoints = build(root, args.entries, args.batch, args.rounds)
        timing = proofs(root, args.samples)
        verify_s, ok = verify_seconds(root)
        grouped = concurrent(root / "concurrent", args.writers, args.single, args.rounds)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result = {
        "entries": args.entries,
        "batch": args.batch,
        **appended,
        **timing,
        "verify_s": round(verify_s, 2),
        "verify_1m_s": round(verify_s * 1_000_000 / args.entries, 2),
        "verify_1m_extrapolated": args.entries != 1_000_000,
        "verify_ok": ok,
        "checkpoints": checkpoints,
        **grouped,
        "peak_rss_mb": round(peak_rss_mb()),
        "goal_appends_per_s": 50_000,
        "goal_proof_ms": 1.0,
        "goal_verify_1m_s": 10.0,
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()
