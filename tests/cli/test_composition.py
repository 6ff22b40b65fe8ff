"""The CLI gets its components from the composition root: read-only commands run while the
service holds the audit log, and changes behave exactly as through the web faces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.store import RetentionClass

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Node:
    data: Path
    settings: Settings
    admin: str
    officer: str


@pytest.fixture
def node(tmp_path: Path) -> Node:
    data = tmp_path / "node"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        system.hotlists.add_entry(
            {"plate": "AB1234", "state": "CT", "category": "V", "reason": "stolen sedan",
             "case_number": "26-000001", "owner": "auto-theft",
             "expires_at": (NOW + timedelta(days=5)).isoformat()},
            list_id="stolen", actor="adm",
        )  # fmt: skip
        system.ingest(
            [Read("A81234", "CT", 0.9, NOW - timedelta(minutes=5), "cam-1", "nhpd", 41.3, -72.9)]
        )  # fmt: skip — OCR-confusable with the listed plate
        return Node(
            data,
            settings,
            ids.create_token("adm", actor=admin).plaintext,
            ids.create_token("ofc", actor=admin).plaintext,
        )


def run(node: Node, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(node.data), *args])
    return result.exit_code, result.output


@pytest.fixture
def serving(node: Node) -> Iterator[System]:
    """The node opened for writing, as ``trustlpr serve`` holds it (the log's flock)."""
    with System(node.settings) as system:
        yield system


READ_ONLY = [
    ("stats", "--json"),
    ("hotlist", "lists", "--json"),
    ("alerts", "stats", "--json"),
    ("agency", "list", "--json"),
    ("user", "list", "--json"),
    ("token", "list", "--json"),
    ("camera", "list", "--json"),
    ("sharing", "list", "--json"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a[:2]))
def test_read_only_commands_run_while_the_service_holds_the_log(
    node: Node, serving: System, args: tuple[str, ...]
) -> None:
    code, out = run(node, *args)
    assert code == 0, out
    json.loads(out)  # one JSON document, nothing else on stdout


def test_signed_read_only_commands_run_while_the_service_holds_the_log(
    node: Node, serving: System
) -> None:
    code, out = run(node, "alerts", "list", "--json", "--token", node.officer)
    assert code == 0, out
    assert [a["kind"] for a in json.loads(out)] == ["possible"]
    code, out = run(node, "search", "mine", "--json", "--token", node.officer)
    assert code == 0 and json.loads(out) == [], out
    assert json.loads(run(node, "stats", "--json")[1])["reads_total"] == 1


def test_a_change_while_the_service_runs_is_refused_in_one_clear_line(
    node: Node, serving: System
) -> None:
    code, out = run(node, "hotlist", "prune", "--token", node.admin)
    assert code != 0
    assert out.count("\n") == 1 and "open for writing by another process" in out


def test_alerts_verify_promotes_a_confirmed_possible_match_to_the_hit_class(node: Node) -> None:
    """As the console does: a confirmed possible match's read is kept as long as hits."""
    code, out = run(node, "alerts", "list", "--json", "--token", node.officer)
    (possible,) = json.loads(out)
    code, out = run(node, "alerts", "verify", possible["id"], "--outcome", "confirmed",
                    "--note", "image shows AB1234", "--token", node.officer)  # fmt: skip
    assert code == 0, out
    with System(node.settings) as system:
        (stored,) = system.store.lookup("A81234", NOW - timedelta(hours=1), NOW)
        assert stored.retention is RetentionClass.HIT


@pytest.mark.parametrize(
    "args",
    [
        ("search", "run", "--purpose", "stolen_vehicle", "--case", "26-1", "--basis", "hotlist",
         "--reason", "stolen white Honda", "--plate", "AB1234",
         "--from", "0001-01-01T00:00:00+14:00", "--to", "0001-01-01T01:00:00+14:00"),
        ("hotlist", "add", "--list", "x", "--plate", "AB1234", "--state", "CT", "--category",
         "V", "--reason", "stolen", "--case-number", "C-1", "--owner", "Det", "--expires",
         "9999-12-31"),
    ],
    ids=["window before year 1 in UTC", "expiry on the last representable day"],
)  # fmt: skip
def test_times_at_the_edges_of_the_date_range_are_a_one_line_input_error(
    node: Node, args: tuple[str, ...]
) -> None:
    token = node.officer if args[0] == "search" else node.admin
    code, out = run(node, *args, "--token", token)
    assert code == 65, out
    assert out.count("\n") == 1 and "Traceback" not in out
