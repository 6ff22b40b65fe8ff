"""The data-directory commands end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.runtime import System
from trustlpr.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)
PLATES = ["QWE4821", "PLT9X7K", "ZZTOP77", "MNB3344"]


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def _register(data_dir: Path, *ids: str, agency: str | None = None) -> None:
    """Registers cameras as `trustlpr camera add` does (the library call behind it)."""
    with System(Settings.load(data_dir, env={})) as system:
        for cid in ids:
            system.cameras.add(
                cid, 41.31, -72.92, agency_id=agency or system.owner.id, camera_id=cid
            )


def _init(data_dir: Path, *args: str) -> None:
    """An initialised node with the cameras `_write_reads` uses."""
    code, out = run(data_dir, "init", *args)
    assert code == 0, out
    _register(data_dir, "cam-0", "cam-1", "cam-2")


def _write_reads(path: Path, count: int, *, start: datetime) -> None:
    with open(path, "w") as out:
        for i in range(count):
            read = {
                "plate": PLATES[i % len(PLATES)],
                "state": "CT",
                "observed_at": (start + timedelta(hours=i)).isoformat(),
                "camera_id": f"cam-{i % 3}",
                "confidence": 0.87,
                "lat": 41.31,
                "lon": -72.92,
            }
            out.write(json.dumps(read) + "\n")


def test_init_ingest_stats_purge_leave_no_plaintext(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init(data, "--policy", "strict-default")
    assert run(data, "init")[1].strip().endswith("nothing changed")
    reads = tmp_path / "reads.jsonl"
    start = NOW - timedelta(days=10)
    _write_reads(reads, 10 * 24, start=start)
    code, out = run(data, "ingest", str(reads), "--json")
    assert code == 0, out
    assert json.loads(out.splitlines()[-1])["accepted"] == 240
    stats = json.loads(run(data, "stats", "--json")[1])
    assert stats["reads_total"] == 240
    assert sum(stats["reads_by_day"].values()) == 240

    def all_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())

    for plate in PLATES:
        assert plate.encode() not in all_bytes()
    expired_days = sorted(stats["reads_by_day"])[:3]
    later = NOW + timedelta(days=21) - timedelta(days=7)
    code, out = run(data, "purge", "--now", later.isoformat(), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert [d.split(":")[1] for d in report["days_dropped"]][:3] == expired_days
    for day in expired_days:
        assert not (data / "keys" / "nonhit" / f"{day}.key").exists()
        assert not (data / "reads" / "nonhit" / f"{day}.db").exists()
    after = json.loads(run(data, "stats", "--json")[1])
    assert all(day > expired_days[-1] for day in after["reads_by_day"])
    # whole dropped days count as deleted reads (the portal's "reads destroyed" sums this)
    assert report["rows_deleted"] == 240 - after["reads_total"] > 0
    for plate in PLATES:
        assert plate.encode() not in all_bytes()


def test_ingest_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init(data)
    reads = tmp_path / "reads.jsonl"
    _write_reads(reads, 3, start=NOW - timedelta(hours=5))
    with open(reads, "a") as out:
        out.write("{oops\n")
        out.write(
            json.dumps(
                {
                    "plate": "AB1",
                    "observed_at": "2099-01-01T00:00:00Z",
                    "camera_id": "cam-1",
                    "confidence": 1,
                    "lat": 0,
                    "lon": 0,
                }
            )
            + "\n"
        )
    _write_reads(tmp_path / "more.jsonl", 2, start=NOW - timedelta(hours=2))
    with open(reads, "a") as out:
        out.write((tmp_path / "more.jsonl").read_text())
    code, out = run(data, "ingest", str(reads), "--json")
    summary = json.loads(out.splitlines()[-1])
    assert code == 0
    assert summary["accepted"] == 5 and summary["rejected"] == 2
    assert {r["line"] for r in summary["rejections"]} == {4, 5}
    assert "future" in summary["rejections"][1]["reason"]


def _one(camera_id: str, **extra: object) -> str:
    read = {
        "plate": "QWE4821",
        "state": "CT",
        "observed_at": (NOW - timedelta(hours=1)).isoformat(),
        "camera_id": camera_id,
        "confidence": 0.9,
        "lat": 41.0,
        "lon": -72.0,
        **extra,
    }
    return json.dumps(read) + "\n"


def test_ingest_refuses_unregistered_disabled_and_foreign_cameras_per_line(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _init(data, "--agency-id", "nhpd", "--agency-name", "New Haven PD", "--state", "CT")
    with System(Settings.load(data, env={})) as system:
        system.cameras.add("Theirs", 41.2, -72.9, agency_id="wpd", camera_id="theirs")
        system.cameras.add("Old", 41.2, -72.9, agency_id="nhpd", camera_id="old")
        system.cameras.set_enabled("old", False)
    reads = tmp_path / "reads.jsonl"
    reads.write_text(
        _one("cam-0")  # 1: kept, moved to the registered place
        + _one("cam-9")  # 2: unregistered
        + _one("cam-1", agency_id="wpd")  # 3: claims another agency than its camera's
        + _one("old")  # 4: disabled
        + _one("theirs")  # 5: another agency's registered camera, as itself: kept
        + _one("cam-2", agency_id="nhpd")  # 6: kept
    )
    code, out = run(data, "ingest", str(reads), "--json")
    assert code == 0, out
    summary = json.loads(out.splitlines()[-1])
    reasons = {r["line"]: r["reason"] for r in summary["rejections"]}
    assert summary["accepted"] == 3 and set(reasons) == {2, 3, 4}, summary
    assert "'cam-9' is not registered" in reasons[2]
    assert "--allow-unregistered-cameras" in reasons[2]
    # the same words as camera ingest over HTTP (IngestService._check_claims)
    assert reasons[3] == "camera 'cam-1' belongs to agency 'nhpd', not 'wpd'"
    assert reasons[4] == "camera 'old' is disabled"
    with System(Settings.load(data, env={})) as system:
        found = system.store.lookup("QWE4821", NOW - timedelta(days=1), NOW)
        assert sorted(s.read.camera_id for s in found) == ["cam-0", "cam-2", "theirs"]
        by_camera = {s.read.camera_id: s.read for s in found}
        assert by_camera["theirs"].agency_id == "wpd"
        assert (by_camera["cam-0"].latitude, by_camera["cam-0"].longitude) == (41.31, -72.92)


def test_allow_unregistered_cameras_still_refuses_other_agencies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init(data, "--agency-id", "nhpd", "--agency-name", "New Haven PD", "--state", "CT")
    reads = tmp_path / "reads.jsonl"
    reads.write_text(
        _one("gone-1") + _one("gone-2", agency_id="fbi") + _one("gone-3", agency_id="nhpd")
    )
    code, out = run(data, "ingest", str(reads), "--json", "--allow-unregistered-cameras")
    assert code == 0, out
    summary = json.loads(out.splitlines()[-1])
    assert summary["accepted"] == 2, summary
    assert [r["line"] for r in summary["rejections"]] == [2]
    assert "not this node's agency 'nhpd'" in summary["rejections"][0]["reason"]
    with System(Settings.load(data, env={})) as system:
        found = system.store.lookup("QWE4821", NOW - timedelta(days=1), NOW)
        assert {s.read.agency_id for s in found} == {"nhpd"}


def test_commands_on_an_uninitialised_directory_fail_clearly(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nothing", "stats")
    assert code == 78
    assert "not initialised" in out


@pytest.mark.slow
def test_a_1gb_line_is_rejected_with_flat_memory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init(data)
    reads = tmp_path / "huge.jsonl"
    _write_reads(reads, 2, start=NOW - timedelta(hours=3))
    with open(reads, "ab") as out:
        out.write(b'{"plate": "')
        block = b"A" * (1 << 24)
        for _ in range(64):  # 1 GiB without a newline
            out.write(block)
        out.write(b'"}\n')
    _write_reads(tmp_path / "tail.jsonl", 1, start=NOW - timedelta(hours=1))
    with open(reads, "ab") as out:
        out.write((tmp_path / "tail.jsonl").read_bytes())
    # The child reports its own high-water mark (VmHWM is per address space, so it excludes
    # the copy of this big pytest process that fork makes before exec).
    script = (
        "import sys\n"
        "from trustlpr.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "    print('HWM', hwm.split()[1], file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, "--data-dir", str(data), "ingest", str(reads), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    hwm = [line for line in proc.stderr.splitlines() if line.startswith("HWM ")]
    assert hwm, proc.stderr
    peak_mb = int(hwm[-1].split()[1]) / 1024
    reads.unlink()
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["accepted"] == 3
    assert summary["rejections"] == [{"line": 3, "reason": "line is longer than 65536 bytes"}]
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB while skipping a 1 GiB line"
