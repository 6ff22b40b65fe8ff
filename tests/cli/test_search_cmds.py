"""`trustlpr search` as an officer and a supervisor use it, against a real node."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

NOW = datetime.now(UTC)


def _node(tmp_path: Path) -> tuple[Path, str, str]:
    data = tmp_path / "node"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        ids.add_user("sgt", "nhpd", Role.SUPERVISOR, "Sergeant", actor=admin)
        officer = ids.create_token("ofc", actor=ids.user("ofc")).plaintext
        sergeant = ids.create_token("sgt", actor=ids.user("sgt")).plaintext
        system.ingest(
            [
                Read("CLI123", "CT", 0.9, NOW - timedelta(days=d, hours=1), "cam-1", "nhpd", 41.3,
                     -72.9)
                for d in range(10)
            ]
        )  # fmt: skip
    return data, officer, sergeant


def run(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data), "search", *args])
    return result.exit_code, result.output


GOOD = ["--purpose", "stolen_vehicle", "--case", "26-000123", "--basis", "hotlist",
        "--reason", "stolen white Honda reported by owner 11/2", "--plate", "CLI123"]  # fmt: skip


def test_allowed_search_prints_decision_then_results(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    code, out = run(data, "run", *GOOD, "--days", "5", "--token", officer, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["status"] == "completed"
    assert len(answer["results"]) == 5 and {r["plate"] for r in answer["results"]} == {"CLI123"}


def test_forbidden_search_shows_the_reasons_and_no_results(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    bad = [*GOOD]
    bad[bad.index("stolen_vehicle")] = "immigration_enforcement"
    code, out = run(data, "run", *bad, "--token", officer)
    assert code == 3, out  # documented: denied searches exit 3 (docs/node.md)
    assert out.startswith("denied")
    assert "[purpose.prohibited]" in out and "sighting" not in out


def test_held_search_is_approved_by_the_supervisor(tmp_path: Path) -> None:
    data, officer, sergeant = _node(tmp_path)
    code, out = run(data, "run", *GOOD, "--days", "9", "--token", officer, "--json")
    held = json.loads(out)
    assert held["status"] == "pending_approval" and held["results"] == []
    assert code == 4  # documented: held searches exit 4
    code, out = run(data, "fetch", held["request_id"], "--token", officer, "--json")
    assert code == 4 and json.loads(out)["status"] == "pending_approval"
    code, out = run(data, "pending", "--token", sergeant, "--json")
    assert [p["request_id"] for p in json.loads(out)] == [held["request_id"]]
    code, out = run(data, "pending", "--token", officer)
    assert code == 77  # the queue is for those who may decide it
    code, out = run(data, "approve", held["request_id"], "--note", "case file checked",
                    "--token", sergeant, "--json")  # fmt: skip
    done = json.loads(out)
    assert code == 0 and done["status"] == "approved" and done["results"] == []
    code, out = run(data, "fetch", held["request_id"], "--token", sergeant)
    assert code == 77 and "only the person who asked" in " ".join(out.split())
    code, out = run(data, "mine", "--token", officer, "--json")
    assert [(m["request_id"], m["status"]) for m in json.loads(out)] == [
        (held["request_id"], "approved")
    ]
    code, out = run(data, "fetch", held["request_id"], "--token", officer, "--json")
    got = json.loads(out)
    assert code == 0 and got["status"] == "completed" and len(got["results"]) == 9


def test_searching_without_a_token_fails_clearly(tmp_path: Path) -> None:
    data, _, _ = _node(tmp_path)
    code, out = run(data, "run", *GOOD)
    assert code == 77 and "--token" in out


def test_a_rejected_request_fetches_with_the_refused_code(tmp_path: Path) -> None:
    data, officer, sergeant = _node(tmp_path)
    code, out = run(data, "run", *GOOD, "--days", "9", "--token", officer, "--json")
    assert code == 4
    request_id = json.loads(out)["request_id"]
    code, out = run(data, "reject", request_id, "--note", "no case file", "--token", sergeant)
    assert code == 0, out  # the supervisor's rejection itself succeeded
    code, out = run(data, "fetch", request_id, "--token", officer, "--json")
    assert code == 3 and json.loads(out)["status"] == "rejected"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_exit_codes_are_the_same_through_a_running_service(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    _vehicles(data)
    with System(Settings.load(data, env={})) as system:
        server = uvicorn.Server(
            uvicorn.Config(create_app(system), host="127.0.0.1", port=_free_port(),
                           log_level="warning", lifespan="off")
        )  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "service did not start"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.config.port}"
        try:
            bad = [*GOOD]
            bad[bad.index("stolen_vehicle")] = "immigration_enforcement"
            assert run(data, "run", *bad, "--url", url, "--token", officer)[0] == 3
            code, out = run(data, "run", *GOOD, "--days", "9", "--url", url, "--token", officer)
            assert code == 4 and out.startswith("pending_approval"), out
            code, out = run(data, "run", *GOOD, "--days", "2", "--url", url, "--token", officer)
            assert code == 0 and out.startswith("completed"), out
            attribute = [*ATTRIBUTE, "--make", "chevy", "--colour", "blue", "--url", url,
                         "--token", officer, "--json"]  # fmt: skip
            assert run(data, "run", *attribute, "--basis", "none")[0] == 3
            code, out = run(data, "run", *attribute, "--basis", "warrant", "--warrant", "SW-1")
            assert code == 0 and len(json.loads(out)["results"]) == 2, out
        finally:
            server.should_exit = True
            thread.join(30)


def test_a_warrant_scope_from_the_options(tmp_path: Path) -> None:
    data, officer, sergeant = _node(tmp_path)
    warrant = [*GOOD, "--basis", "warrant", "--warrant", "SW-2026-0412", "--days", "40"]
    scope = ["--court", "Superior Court, New Haven", "--warrant-plates", "CLI123",
             "--warrant-from", (NOW - timedelta(days=60)).isoformat(),
             "--warrant-to", (NOW + timedelta(hours=1)).isoformat()]  # fmt: skip
    code, out = run(data, "run", *warrant, "--token", officer)
    assert code == 3 and "[window.too-long]" in out  # the number alone lifts no limit
    code, out = run(data, "run", *warrant, *scope, "--token", officer, "--json")
    held = json.loads(out)
    assert code == 4 and [r["rule"] for r in held["reasons"]] == ["approval.warrant-scope"]
    code, out = run(
        data, "approve", held["request_id"], "--note", "order on file", "--token", sergeant
    )
    assert code == 0, out
    code, out = run(data, "fetch", held["request_id"], "--token", officer, "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 10
    code, out = run(data, "run", *warrant, "--court", "Superior Court", "--token", officer)
    assert code == 65 and "--warrant-from" in out  # a scope without its window
    code, out = run(data, "run", *warrant, "--warrant-plates", "CLI123", "--token", officer)
    assert code == 65 and "--court" in out


ATTRIBUTE = ["--purpose", "violent_felony", "--case", "26-004513", "--offense", "homicide",
             "--reason", "homicide on Elm St, witness saw a dark blue Chevrolet pickup leave",
             "--type", "attribute", "--cameras", "cam-1", "--days", "1"]  # fmt: skip


def _vehicles(data: Path) -> None:
    at = NOW - timedelta(hours=2)
    with System(Settings.load(data, env={})) as system:
        system.ingest(
            [
                Read("BLU1111", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, make="Chevrolet",
                     colour="Blue", vehicle_type="pickup-truck"),
                Read("BLU2222", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, make="CHEVY",
                     colour="navy", vehicle_type="sedan"),
                Read("RED3333", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, make="Chevrolet",
                     colour="red", vehicle_type="pickup"),
            ]
        )  # fmt: skip


def test_an_attribute_search_from_the_options(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    _vehicles(data)
    wanted = ["--make", "chevy", "--colour", "blue"]
    code, out = run(data, "run", *ATTRIBUTE, *wanted, "--basis", "none", "--token", officer)
    assert code == 3 and "[legal-basis.insufficient]" in out and "BLU" not in out
    warrant = [*ATTRIBUTE, "--basis", "warrant", "--warrant", "SW-2026-0413"]
    code, out = run(data, "run", *warrant, *wanted, "--token", officer, "--json")
    assert code == 0, out
    assert sorted(r["plate"] for r in json.loads(out)["results"]) == ["BLU1111", "BLU2222"]
    code, out = run(
        data, "run", *warrant, *wanted, "--vehicle-type", "truck", "--pattern", "BLU*",
        "--token", officer, "--json",
    )  # fmt: skip
    assert code == 0 and [r["plate"] for r in json.loads(out)["results"]] == ["BLU1111"]


def test_attribute_options_are_checked_before_anything_runs(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    warrant = [*ATTRIBUTE, "--basis", "warrant", "--warrant", "SW-2026-0413"]
    code, out = run(data, "run", *warrant, "--colour", "plaid", "--token", officer)
    assert code == 65 and "--colour" in out and "accepted" in out
    code, out = run(data, "run", *warrant, "--token", officer)
    assert code == 65 and "--make" in out  # an attribute search names at least one
    code, out = run(data, "run", *GOOD, "--vehicle-type", "suv", "--token", officer)
    assert code == 65 and "--vehicle-type" in out and "only an attribute search" in out


def test_an_area_from_a_polygon_file_or_a_circle(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    _vehicles(data)
    base = [a for a in ATTRIBUTE if a not in ("--cameras", "cam-1")]
    warrant = [*base, "--basis", "warrant", "--warrant", "SW-2026-0413", "--make", "chevy"]
    square = [
        [-72.905, 41.295],
        [-72.895, 41.295],
        [-72.895, 41.305],
        [-72.905, 41.305],
        [-72.905, 41.295],
    ]
    inside = tmp_path / "inside.geojson"
    inside.write_text(json.dumps({"type": "Polygon", "coordinates": [square]}))
    code, out = run(data, "run", *warrant, "--polygon", str(inside), "--token", officer, "--json")
    assert code == 0, out
    assert sorted(r["plate"] for r in json.loads(out)["results"]) == [
        "BLU1111", "BLU2222", "RED3333"]  # fmt: skip
    elsewhere = [[lon + 1, lat] for lon, lat in square]
    outside = tmp_path / "outside.geojson"
    outside.write_text(json.dumps({"type": "Polygon", "coordinates": [elsewhere]}))
    code, out = run(data, "run", *warrant, "--polygon", str(outside), "--token", officer, "--json")
    assert code == 0 and json.loads(out)["results"] == []
    circle = ["--near", "41.3,-72.9", "--radius-m", "500", "--token", officer, "--json"]
    code, out = run(data, "run", *warrant, "--colour", "red", *circle)
    assert code == 0 and [r["plate"] for r in json.loads(out)["results"]] == ["RED3333"]


def test_bad_area_options_are_refused_naming_the_option(tmp_path: Path) -> None:
    data, officer, _ = _node(tmp_path)
    base = [a for a in ATTRIBUTE if a not in ("--cameras", "cam-1")]
    warrant = [*base, "--basis", "warrant", "--warrant", "SW-2026-0413", "--make", "chevy"]
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    unclosed = tmp_path / "unclosed.geojson"
    unclosed.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[-72.91, 41.29], [-72.89, 41.29], [-72.89, 41.31], [-72.91, 41.31]]]}))  # fmt: skip
    cases = [
        (["--polygon", str(tmp_path / "missing.geojson")], "--polygon", "cannot read"),
        (["--polygon", str(broken)], "--polygon", "not JSON"),
        (["--polygon", str(unclosed)], "--polygon", "end where it starts"),
        (["--near", "41.3"], "--near", "LAT,LON"),
        (["--near", "north,west", "--radius-m", "50"], "--near", "LAT,LON"),
        (["--near", "41.3,-72.9"], "--radius-m", "needs"),
        (["--near", "41.3,-72.9", "--radius-m", "1"], "--near", "out of range"),
        (["--radius-m", "100"], "--radius-m", "--near"),
        (["--polygon", str(broken), "--near", "41.3,-72.9"], "--polygon", "not both"),
    ]
    for options, option, words in cases:
        code, out = run(data, "run", *warrant, *options, "--token", officer)
        flat = " ".join(out.split())
        assert code == 65 and option in flat and words in flat, (options, out)
