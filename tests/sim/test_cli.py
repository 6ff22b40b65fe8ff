"""``trustlpr sim`` and ``trustlpr exposure`` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.core import Role, read_from_mapping
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

from .receiver import Receiver


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


SMALL = ("--vehicles", "3000", "--cameras", "20", "--seed", "4")
PAST = ("--start", "2025-03-03")  # a fixed window in the past: the same reads on every run


def test_sim_writes_the_same_file_for_the_same_seed(tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        code, stdout, _ = run(tmp_path, "sim", *SMALL, *PAST, "--days", "2",
                              "--out", str(tmp_path / f"{name}.jsonl"),
                              "--truth", str(tmp_path / f"{name}.truth.jsonl"))  # fmt: skip
        assert code == 0, stdout
        summary = json.loads(stdout.strip().splitlines()[-1])
        assert summary["reads"] > 1000 and summary["cameras"] == 20
        outputs.append((tmp_path / f"{name}.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    lines = outputs[0].decode().splitlines()
    truth = (tmp_path / "a.truth.jsonl").read_text().splitlines()
    assert len(lines) == len(truth) == summary["reads"]
    read_from_mapping(json.loads(lines[0]))


def test_sim_exports_cameras_hotlist_and_places(tmp_path: Path) -> None:
    code, _, _ = run(tmp_path, "sim", *SMALL, "--cameras-out", str(tmp_path / "c.json"),
                     "--hotlist-out", str(tmp_path / "h.json"),
                     "--places-out", str(tmp_path / "p.json"), "--stolen", "3")  # fmt: skip
    assert code == 0
    assert len(json.loads((tmp_path / "c.json").read_text())) == 20
    assert len(json.loads((tmp_path / "h.json").read_text())) == 3
    assert any(p["kind"] == "clinic" for p in json.loads((tmp_path / "p.json").read_text()))


def test_sim_streams_to_a_service(tmp_path: Path) -> None:
    code, _, _ = run(tmp_path, "sim", *SMALL, "--cameras-out", str(tmp_path / "c.json"))
    assert code == 0
    cameras = json.loads((tmp_path / "c.json").read_text())
    keys = {c["id"]: f"secret-{c['id']}" for c in cameras}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    with Receiver(keys, busy=2) as rx:
        args = ("--stream", rx.url, "--rate", "0", "--keys", str(tmp_path / "keys.json"))
        code, stdout, stderr = run(tmp_path, "sim", *SMALL, *PAST, *args)
    assert code == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])["stream"]
    assert summary["sent"] == len(rx.accepted) > 1000 and summary["retries"] == 2


def test_sim_refuses_bad_options_precisely(tmp_path: Path) -> None:
    cases = [
        ((), "--out"),
        (("--out", str(tmp_path / "x.jsonl"), "--start", "2026-13-40"), "start"),
        (("--stream", "http://127.0.0.1:9"), "--keys"),
        (("--out", str(tmp_path / "x.jsonl"), "--vehicles", "0"), "vehicles"),
        (("--out", str(tmp_path / "x.jsonl"), "--days", "0"), "days"),
        (("--out", str(tmp_path / "x.jsonl"), "--cameras", "99999"), "cameras"),
        (("--out", str(tmp_path / "no" / "such" / "dir.jsonl")), "cannot write"),
        (("--out", str(tmp_path / "x.jsonl"), "--start", "2999-01-01"), "future"),
        (("--register",), "--keys"),
    ]
    for args, needle in cases:
        code, _, stderr = run(tmp_path, "sim", *args)
        assert code == 65, (args, stderr)
        assert needle in stderr and "Traceback" not in stderr, (args, stderr)
    code, _, stderr = run(tmp_path, "sim", "--place", "Atlantis PD", "--out", "x",
                          env={"TRUSTLPR_SHARED_DIR": ""})  # fmt: skip
    assert code == 66 and "Atlantis" in stderr and "Connecticut" in stderr


def test_sim_place_without_a_shared_dir_uses_the_packaged_positions(tmp_path: Path) -> None:
    code, _, stderr = run(tmp_path, "sim", "--place", "Windsor Police", "--vehicles", "2000",
                          "--out", str(tmp_path / "w.jsonl"),
                          env={"TRUSTLPR_SHARED_DIR": ""})  # fmt: skip
    assert code == 0, stderr
    assert "OpenStreetMap" in stderr  # the ODbL credit travels with the packaged copy
    first = json.loads((tmp_path / "w.jsonl").read_text().splitlines()[0])
    assert first["camera_id"].startswith("osm-") and "windsor" in first["agency_id"]


def test_sim_with_a_real_place(tmp_path: Path, shared_dir: Path) -> None:
    code, _, stderr = run(tmp_path, "sim", "--place", "Windsor Police", "--vehicles", "2000",
                               "--out", str(tmp_path / "w.jsonl"),
                               env={"TRUSTLPR_SHARED_DIR": str(shared_dir)})  # fmt: skip
    assert code == 0, stderr
    assert "OpenStreetMap" in stderr  # the ODbL credit
    first = json.loads((tmp_path / "w.jsonl").read_text().splitlines()[0])
    assert first["camera_id"].startswith("osm-") and "windsor" in first["agency_id"]


def test_exposure_table_json_and_chart(tmp_path: Path) -> None:
    args = ("exposure", "--retention", "3m,7d", "--density", "5,10", "--vehicles", "800",
            "--area", "10")  # fmt: skip
    code, stdout, _ = run(tmp_path, *args, "--chart", str(tmp_path / "e.png"),
                          "--save", str(tmp_path / "e.json"))  # fmt: skip
    assert code == 0
    assert "hits only" in stdout and "home" in stdout
    assert (tmp_path / "e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "e.json").read_text())
    assert len(saved["figures"]) == 4 and saved["method"]["radius_m"] == 1000.0
    code, stdout, _ = run(tmp_path, *args, "--json", "--chart", str(tmp_path / "e.svg"))
    assert code == 0 and json.loads(stdout)["figures"] == saved["figures"]
    assert (tmp_path / "e.svg").read_text().lstrip().startswith("<?xml")
    code, _, stderr = run(tmp_path, "exposure", "--retention", "forever")
    assert code == 65 and "retention" in stderr
    code, _, stderr = run(tmp_path, "exposure", "--density", "5,5000", "--vehicles", "300")
    assert code == 65 and "do not fit" in stderr


def test_the_default_window_ends_now_and_holds_no_future_read(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    code, stdout, stderr = run(tmp_path, "sim", *SMALL, "--days", "2",
                               "--out", str(tmp_path / "r.jsonl"))  # fmt: skip
    after = datetime.now(UTC)
    assert code == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    times = [read_from_mapping(json.loads(line)).observed_at
             for line in (tmp_path / "r.jsonl").read_text().splitlines()]  # fmt: skip
    assert len(times) == summary["reads"] > 1000
    assert max(times) <= after  # nothing from the future
    assert min(times) >= before - timedelta(days=2)
    assert times == sorted(times)
    # both days are there, not only the part of today before now
    assert max(times) - min(times) > timedelta(days=1)


def test_a_start_date_is_cut_at_now(tmp_path: Path) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()  # in any zone
    code, _, stderr = run(tmp_path, "sim", *SMALL, "--start", yesterday, "--days", "3",
                               "--out", str(tmp_path / "r.jsonl"))  # fmt: skip
    assert code == 0, stderr
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert all(read_from_mapping(json.loads(x)).observed_at <= datetime.now(UTC) for x in lines)


def test_hotlist_csv_imports_with_hotlist_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        system.identity.add_user("sup", "nhpd", Role.SUPERVISOR, "Sup", actor=None)
        token = system.identity.create_token("sup", actor=system.identity.user("sup")).plaintext
    code, _, stderr = run(tmp_path, "sim", *SMALL, "--stolen", "3",
                          "--hotlist-out", str(tmp_path / "stolen.csv"))  # fmt: skip
    assert code == 0, stderr
    code, stdout, stderr = run(tmp_path, "hotlist", "import", str(tmp_path / "stolen.csv"),
                               "--list", "sim-stolen", "--token", token, "--json")  # fmt: skip
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["accepted"] == 3 and report["invalid"] == 0, report


def test_register_then_ingest_the_readme_example(tmp_path: Path) -> None:
    """README: register the simulated cameras, simulate 7 days, ingest: nothing is refused
    (not for age: the window ends now; not as unregistered: the cameras are on the node)."""
    data = tmp_path / "data"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT",
                             policy="ct-pa-26-14")  # fmt: skip
    initialise(settings)
    with System(settings) as system:
        system.identity.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        token = system.identity.create_token("adm", actor=system.identity.user("adm")).plaintext
    city = (*SMALL, "--days", "7")
    keys = tmp_path / "keys.json"
    code, _, stderr = run(tmp_path, "sim", *city, "--register", "--keys", str(keys),
                          "--token", token)  # fmt: skip
    assert code == 0, stderr
    assert keys.stat().st_mode & 0o777 == 0o600
    assert len(json.loads(keys.read_text())) == 20
    code, _, stderr = run(tmp_path, "sim", *city, "--out", str(tmp_path / "r.jsonl"))
    assert code == 0, stderr
    code, stdout, stderr = run(tmp_path, "ingest", str(tmp_path / "r.jsonl"), "--json")
    assert code == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["accepted"] > 1000 and summary["rejected"] == 0, summary
    # registering again keeps the cameras and gives each a new key
    code, _, stderr = run(tmp_path, "sim", *city, "--register", "--keys", str(keys),
                          "--token", token)  # fmt: skip
    assert code == 0 and "new keys for 20 already registered" in " ".join(stderr.split())
    with System(settings) as system:
        cams = system.cameras.list()
        assert len(cams) == 20 and {c.camera.agency_id for c in cams} == {"nhpd"}
        for cid, key in json.loads(keys.read_text()).items():
            assert system.cameras.authenticate(key).id == cid
