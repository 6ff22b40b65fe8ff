"""``approvals.db``: private from its first byte, durable settings, erased bytes gone, and the
node's purge expiring held requests (issue 12 item 8)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import trustlpr.search.approvals as approvals_module
from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.search import ApprovalQueue, Status
from trustlpr.settings import Settings

from .conftest import World
from .test_service import form


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_queue_file_is_private_before_sqlite_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None
) -> None:
    seen: list[int | None] = []
    real_connect = sqlite3.connect

    def watching(path: Path, *args: object, **kwargs: object) -> sqlite3.Connection:
        seen.append(stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None)
        return real_connect(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(approvals_module.sqlite3, "connect", watching)
    queue = ApprovalQueue(tmp_path / "approvals.db")
    try:
        assert seen == [0o600]  # created owner-only, never widened then narrowed
        for suffix in ("", "-wal", "-shm"):
            path = tmp_path / f"approvals.db{suffix}"
            assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    finally:
        queue.close()


def test_an_existing_loose_queue_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "approvals.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    ApprovalQueue(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_queue_runs_wal_full_sync_and_secure_delete(world: World) -> None:
    db = world.approvals._db  # the queue's own connection: these are per-connection settings
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_an_older_queue_is_adopted_and_expires_at_the_next_purge(world: World) -> None:
    path = world.data_dir / "old-approvals.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE pending (request_id TEXT PRIMARY KEY, agency_id TEXT, user_id TEXT, "
            "created_at TEXT, audit_index INTEGER, reasons TEXT, request TEXT)"
        )
        old.execute(
            "INSERT INTO pending VALUES ('s-old', 'nhpd', 'off1', '2026-01-01T00:00:00Z', 3, "
            "'[]', NULL)"
        )
    queue = ApprovalQueue(path)
    try:
        (held,) = queue.expire(datetime.now(UTC), record=lambda h: 0)
        assert held.request_id == "s-old"
        assert b"s-old" not in b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    finally:
        queue.close()


def test_the_nodes_purge_expires_held_requests(tmp_path: Path) -> None:
    settings = Settings.load(
        tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT", approval_max_age="2h"
    )
    initialise(settings)
    now = datetime.now(UTC)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        officer = ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        system.ingest([Read("PRG1234", "CT", 0.9, now - timedelta(hours=1), "cam-1", "nhpd",
                            41.3, -72.9)])  # fmt: skip
        held = system.search.request(officer, system.owner, form("PRG1234", days=14))
        assert held.status is Status.PENDING and held.expires_at is not None
        assert held.expires_at - now < timedelta(hours=2, minutes=1)
        system.purge(now + timedelta(hours=1))
        assert system.approvals.get(held.request_id).status.value == "pending"
        system.purge(now + timedelta(hours=2, minutes=1))
        assert system.search.mine(officer) == []
        last = [leaf for _, leaf in system.audit.log.entries()][-2:]
        assert any(b"approval_decided" in leaf and b"expired" in leaf for leaf in last)
    blob = b"".join(p.read_bytes() for p in (tmp_path / "node").glob("approvals.db*"))
    assert b"PRG1234" not in blob
