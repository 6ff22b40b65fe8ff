"""``AlertStore.expire`` and ``verify`` on the store itself, at the exact cutoffs: what is due
goes with its deliveries and outbox row and leaves the WAL; what is not due stays whole; a
verdict is recorded once and redacts only an unconfirmed possible match."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.core import Read
from trustlpr.core.errors import ConflictError, StoreError
from trustlpr.core.plates import mask_plate
from trustlpr.hotlist.alertstore import AlertStore
from trustlpr.hotlist.records import UNVERIFIED, AlertKind, AlertRecord, Verdict, read_fields

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _record(
    name: str, kind: AlertKind, *, raised: datetime, observed: datetime | None = None
) -> AlertRecord:
    at = observed or raised
    read = Read(f"PL{name.upper()}", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, image_ref="i")
    return AlertRecord(
        id=f"id-{name}",
        kind=kind,
        why="exact",
        raised_at=raised,
        read=read_fields(read),
        entry={"list_id": "ncic", "category": "stolen", "entry_id": 1},
        has_image=True,
    )


def _rows(store: AlertStore, table: str) -> set[str]:
    with sqlite3.connect(store.path) as db:
        column = "id" if table == "alerts" else "alert_id"
        return {r[0] for r in db.execute(f"SELECT {column} FROM {table}")}


def _file_bytes(store: AlertStore) -> bytes:
    wal = store.path.with_name("alerts.db-wal")
    return store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AlertStore]:
    s = AlertStore(tmp_path / "alerts.db")
    yield s
    s.close()


def _stage(store: AlertStore, *records: AlertRecord) -> None:
    images = {r.id: f"JPEG-{r.id}".encode() for r in records}
    store.stage(list(records), images, audit_mark=7)
    alerts = [r.id for r in records if r.kind is AlertKind.ALERT]
    target = store.add_target("webhook", "http://127.0.0.1:9/", None, actor="admin", at=T0)
    for alert_id in alerts:
        store.record_delivery(alert_id, target.id, "pending", 0, None, T0)


def test_hits_expire_strictly_before_the_hit_cutoff_with_their_side_rows(
    store: AlertStore,
) -> None:
    at_cut = _record("cut", AlertKind.ALERT, raised=T0)
    before = _record("old", AlertKind.ALERT, raised=T0 - timedelta(seconds=1))
    # raised late, but its read was observed before the cutoff: the read's age counts
    old_read = _record(
        "oldread",
        AlertKind.ALERT,
        raised=T0 + timedelta(hours=1),
        observed=T0 - timedelta(seconds=1),
    )
    _stage(store, at_cut, before, old_read)
    assert _rows(store, "outbox") == {"id-cut", "id-old", "id-oldread"}
    assert _rows(store, "deliveries") == {"id-cut", "id-old", "id-oldread"}

    far = T0 - timedelta(days=365)
    assert store.expire(hit_before=T0, nonhit_before=far) == 2
    for table in ("alerts", "outbox", "deliveries"):
        assert _rows(store, table) == {"id-cut"}, table
    assert store.get("id-cut").has_image
    wal = store.path.with_name("alerts.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "expired bytes stayed in the WAL"
    blob = store.path.read_bytes()
    assert b"JPEG-id-cut" in blob, "positive control: the kept image is in the file"
    assert b"JPEG-id-old" not in blob and b"PLOLD" not in blob

    # nothing more is due: no count, no change
    assert store.expire(hit_before=T0, nonhit_before=far) == 0
    assert _rows(store, "alerts") == {"id-cut"}


def test_unconfirmed_possibles_go_with_the_non_hit_cutoff_confirmed_ones_with_hits(
    store: AlertStore,
) -> None:
    nonhit_cut = T0 - timedelta(days=30)
    kinds = {
        "pcut": nonhit_cut,
        "pold": nonhit_cut - timedelta(seconds=1),
        "pconf": nonhit_cut - timedelta(seconds=1),
        "pmis": nonhit_cut - timedelta(seconds=1),
        "hit": nonhit_cut - timedelta(seconds=1),
    }
    records = [
        _record(n, AlertKind.ALERT if n == "hit" else AlertKind.POSSIBLE, raised=at)
        for n, at in kinds.items()
    ]
    _stage(store, *records)
    assert _rows(store, "outbox") == {"id-hit"}, "possible matches are not pushed"
    store.verify("id-pconf", Verdict.CONFIRMED, user="o", note="is it", at=T0)
    store.verify("id-pmis", Verdict.MISREAD, user="o", note="not it", at=T0)

    assert store.expire(hit_before=nonhit_cut - timedelta(days=1), nonhit_before=nonhit_cut) == 2
    assert _rows(store, "alerts") == {"id-pcut", "id-pconf", "id-hit"}
    assert _rows(store, "outbox") == {"id-hit"}

    assert store.expire(hit_before=nonhit_cut, nonhit_before=nonhit_cut) == 2
    assert _rows(store, "alerts") == {"id-pcut"}
    assert _rows(store, "outbox") == set() and _rows(store, "deliveries") == set()


def test_a_verdict_is_recorded_once_and_redacts_only_an_unconfirmed_possible(
    store: AlertStore,
) -> None:
    names = ("pmis", "pntv", "pconf", "amis")
    _stage(
        store,
        *(
            _record(n, AlertKind.ALERT if n[0] == "a" else AlertKind.POSSIBLE, raised=T0)
            for n in names
        ),
    )
    verdicts = {
        "pmis": Verdict.MISREAD,
        "pntv": Verdict.NOT_THE_VEHICLE,
        "pconf": Verdict.CONFIRMED,
        "amis": Verdict.MISREAD,
    }
    for name, verdict in verdicts.items():
        got = store.verify(f"id-{name}", verdict, user="officer-1", note=f"n-{name}", at=T0)
        assert (got.status, got.verified_by, got.note) == (verdict.value, "officer-1", f"n-{name}")
        assert got.verified_at == T0
        redacted = name in ("pmis", "pntv")
        assert got.has_image is not redacted, name
        assert (store.image(f"id-{name}") is None) is redacted, name
        plate = f"PL{name.upper()}"
        assert got.read["plate"] == (mask_plate(plate) if redacted else plate), name
        assert got.read["image_ref"] == (None if redacted else "i"), name
        assert set(got.read) == set(_record(name, AlertKind.ALERT, raised=T0).read), name
        if redacted:  # gone at once, from the file and the WAL
            for gone in (f"JPEG-id-{name}".encode(), plate.encode()):
                assert gone not in _file_bytes(store), f"{gone!r} outlived its redaction"
        with pytest.raises(ConflictError):
            store.verify(f"id-{name}", Verdict.CONFIRMED, user="officer-2", note="x", at=T0)
        again = store.get(f"id-{name}")
        assert (again.status, again.verified_by) == (verdict.value, "officer-1")
    assert store.find(status=UNVERIFIED) == []
    blob = _file_bytes(store)
    assert b"JPEG-id-pconf" in blob, "positive control"
    for gone in (b"JPEG-id-pmis", b"JPEG-id-pntv", b"PLPMIS", b"PLPNTV"):
        assert gone not in blob, f"{gone!r} outlived its redaction"


def _fail_on(store: AlertStore, table: str, event: str) -> None:
    """A real SQLite failure inside the store's transaction (a trigger that aborts)."""
    with sqlite3.connect(store.path) as db:
        db.execute(
            f"CREATE TRIGGER fail_{table} BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble (test)'); END"
        )


def _heal(store: AlertStore, table: str) -> None:
    with sqlite3.connect(store.path) as db:
        db.execute(f"DROP TRIGGER fail_{table}")


def test_a_failed_stage_stores_no_alert_without_its_outbox_row(store: AlertStore) -> None:
    hit = _record("hit", AlertKind.ALERT, raised=T0)
    possible = _record("pos", AlertKind.POSSIBLE, raised=T0)
    _fail_on(store, "outbox", "INSERT")
    with pytest.raises(StoreError):
        store.stage([possible, hit], {})
    assert _rows(store, "alerts") == set(), "an alert was stored without its outbox row"
    _heal(store, "outbox")
    assert store.stage([possible, hit], {}, audit_mark=3) == [possible, hit]
    assert store.stage([possible, hit], {}, audit_mark=4) == [], "a retry is a no-op"
    assert [(r.id, mark) for r, mark in store.outbox()] == [("id-hit", 3)]
    # insert (the service's path for possibles and late confirmations) queues nothing
    late = _record("late", AlertKind.ALERT, raised=T0)
    store.insert([late], {})
    assert _rows(store, "outbox") == {"id-hit"} and "id-late" in _rows(store, "alerts")


def test_a_failed_expiry_deletes_nothing_and_the_next_one_completes(store: AlertStore) -> None:
    _stage(store, _record("old", AlertKind.ALERT, raised=T0 - timedelta(days=1)))
    _fail_on(store, "alerts", "DELETE")
    with pytest.raises(StoreError):
        store.expire(hit_before=T0, nonhit_before=T0)
    for table in ("alerts", "outbox", "deliveries"):
        assert _rows(store, table) == {"id-old"}, f"a failed purge half-emptied {table}"
    _heal(store, "alerts")
    assert store.expire(hit_before=T0, nonhit_before=T0) == 1
    for table in ("alerts", "outbox", "deliveries"):
        assert _rows(store, table) == set(), table
