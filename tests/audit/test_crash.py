"""Crash safety: a child appends in a loop and reports each acknowledged entry; it is killed
with SIGKILL at random moments, at least 20 times. After every kill the log must still hold
every acknowledged entry unchanged, and every tree seen before must be a prefix of the tree
now (no fork), proven with RFC 9162 consistency proofs."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from trustlpr.audit import open_audit, verify_consistency, verify_log

KILLS = 24
REPO = Path(__file__).resolve().parents[2]

CHILD = """
import hashlib, random, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tests.audit.conftest import search_event
from trustlpr.audit import open_audit

rng = random.Random(int(sys.argv[2]))
with open_audit(Path(sys.argv[1])) as audit:
    n = audit.log.size
    print("open", n, flush=True)
    while True:
        k = rng.randint(1, 40)
        indices = audit.append_many([search_event(n + i) for i in range(k)])
        acks = [f"ack {i} {hashlib.sha256(audit.log.leaf(i)).hexdigest()}" for i in indices]
        print("\\n".join(acks), flush=True)
        n += k
        if rng.random() < 0.3:
            audit.maybe_checkpoint()
"""


def run_and_kill(script: Path, data: Path, seed: int, rng: random.Random) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, str(script), str(data), str(seed), str(REPO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines: list[str] = []
    opened = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.strip())
            opened.set()

    reader = threading.Thread(target=read)
    reader.start()
    if not opened.wait(30):
        child.kill()
        pytest.fail(f"child did not start: {child.stderr.read() if child.stderr else ''}")
    time.sleep(rng.uniform(0.02, 0.4))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    reader.join()
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    return lines


@pytest.mark.slow
def test_kill_nine_never_loses_or_forks(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    data = tmp_path / "data"
    rng = random.Random(2026)
    acked: dict[int, str] = {}
    seen: list[tuple[int, bytes]] = []
    torn = 0
    for round_number in range(KILLS):
        lines = run_and_kill(script, data, round_number, rng)
        for line in lines:
            if line.startswith("ack "):
                _, index, digest = line.split()
                assert int(index) not in acked, "an index was handed out twice"
                acked[int(index)] = digest
        with open_audit(data) as audit:  # refuses to open if a signed entry went missing
            log = audit.log
            torn += log.torn_bytes > 0
            assert log.size >= max(acked, default=-1) + 1
            for index, digest in acked.items():
                assert hashlib.sha256(log.leaf(index)).hexdigest() == digest, index
            root = log.root()
            for size, old_root in seen:
                if size:
                    verify_consistency(size, log.size, log.consistency_proof(size), old_root, root)
            seen.append((log.size, root))
    assert len(acked) > KILLS  # the kills landed while appends were going on
    print(f"{len(acked)} acknowledged entries, {torn} reopenings found a torn tail")
    with open_audit(data, readonly=True) as audit:
        report = verify_log(audit.log, audit.verifier, audit.checkpoints())
    assert report.ok, report.problems
    assert report.checkpoints_checked > 0
