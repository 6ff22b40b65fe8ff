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
from trustlpr.core.errors import ConflictError
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
        with pytest.raises(ConflictError):
            store.verify(f"id-{name}", Verdict.CONFIRMED, user="officer-2", note="x", at=T0)
        again = store.get(f"id-{name}")
        assert (again.status, again.verified_by) == (verdict.value, "officer-1")
    assert store.find(status=UNVERIFIED) == []
    wal = store.path.with_name("alerts.db-wal")
    blob = store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"JPEG-id-pconf" in blob, "positive control"
    for gone in (b"JPEG-id-pmis", b"JPEG-id-pntv", b"PLPMIS", b"PLPNTV"):
        assert gone not in blob, f"{gone!r} outlived its redaction"
