"""Tables give the next command what it needs: ids whole, on a pipe and on a narrow terminal;
``stats`` prints sentences, not a Python dict (issue 25 item 5)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from trustlpr.cli.common import new_table
from trustlpr.core import Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

LONG = "Whalley Avenue at Fitch Street, eastbound, the camera on the second pole"


def _node(tmp_path: Path) -> tuple[Path, list[str]]:
    data = tmp_path / "node"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        system.identity.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids = [
            system.cameras.add(f"{LONG} {i}", 41.3, -72.9, agency_id="nhpd")[0].id for i in range(3)
        ]
    return data, ids


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command with stdout a pipe and a narrow COLUMNS, as `… | grep` runs it."""
    env = {**os.environ, "COLUMNS": "40", "TRUSTLPR_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "trustlpr.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_ids_are_whole_when_stdout_is_a_pipe(tmp_path: Path) -> None:
    data, ids = _node(tmp_path)
    done = _cli(data, "camera", "list")
    assert done.returncode == 0, done.stderr
    for cid in ids:
        assert cid in done.stdout
    assert "…" not in done.stdout  # no column was cut


def test_id_columns_survive_a_narrow_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, width=40, force_terminal=True, color_system=None)
    columns = ["id", "name", "agency_id", "lat", "lon", "direction", "adapter", "enabled"]
    shown = new_table("cameras", columns)
    shown.add_row("cam-207598b7", LONG, "new-haven-pd", "41.3", "-72.9", "", "native", "yes")
    terminal.print(shown)
    assert "cam-207598b7" in out.getvalue()  # the other columns gave way


def test_stats_prints_text_not_a_dict(tmp_path: Path) -> None:
    data, _ = _node(tmp_path)
    done = _cli(data, "stats")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "{" not in done.stdout and "'" not in done.stdout, done.stdout
    with System(Settings.load(data, env={})) as system:
        kept = system.retention.describe()  # the policy's, whatever it says
    assert first == f"0 reads (0 hits); non-hits kept {kept['nonhit']}, hits kept {kept['hit']}"
