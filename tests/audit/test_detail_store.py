"""The detail store on its own: which sealed details a purge shreds (and that nothing of them
stays in the file or its WAL), and what opening a commitment accepts in each detail state.

Written against the audit group's surviving mutants (``make mutate``): a shred that counted
only the last retention class, kept the read at the cutoff, or skipped the WAL checkpoint; a
``check`` that let a sealed detail or a wrong commitment pass.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.audit.conftest import alert_event, plate_search_event
from trustlpr.audit.detail import Detail, DetailState, DetailStore
from trustlpr.audit.leaf import SALT_BYTES, PreparedEntry, prepare
from trustlpr.core import AuditEvent, EventType
from trustlpr.core.errors import AuditError, VerificationError
from trustlpr.keys import ReadKeys
from trustlpr.store.factory import detail_keys, key_rings

CUTOFF = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SALT = bytes(range(SALT_BYTES))


def _keys(tmp_path: Path) -> ReadKeys:
    return detail_keys(key_rings(tmp_path / "node", secrets.token_bytes(32)))


def _entry(event: AuditEvent) -> PreparedEntry:
    return prepare(event, secrets.token_bytes(SALT_BYTES))


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_shred_empties_exactly_the_sealed_details_read_before_their_class_cutoff(
    tmp_path: Path,
) -> None:
    store = DetailStore(tmp_path / "detail.db", keys=_keys(tmp_path))
    entries = [
        _entry(alert_event("HIT0001", CUTOFF - timedelta(microseconds=1))),  # 0: hit, before
        _entry(alert_event("HIT0002", CUTOFF)),  # 1: hit, exactly at the cutoff: kept
        _entry(alert_event("HIT0003", CUTOFF - timedelta(days=1))),  # 2: hit, a day before
        _entry(alert_event("NON0001", CUTOFF - timedelta(hours=1), "nonhit")),  # 3: nonhit, before
        _entry(alert_event("NON0002", CUTOFF - timedelta(hours=3), "nonhit")),  # 4: nonhit, before
        _entry(plate_search_event("SRCH001")),  # 5: not sealed: never shredded
    ]
    store.insert_many(0, entries)
    cutoffs = {"hit": CUTOFF, "nonhit": CUTOFF - timedelta(hours=2)}
    assert store.shred(cutoffs) == 3  # 2 hit + 1 nonhit: counted across both classes
    states = {i: store.get(i).state for i in range(len(entries))}
    assert states == {
        0: DetailState.DESTROYED,
        1: DetailState.OPEN,
        2: DetailState.DESTROYED,
        3: DetailState.OPEN,  # after its own class's cutoff
        4: DetailState.DESTROYED,
        5: DetailState.OPEN,
    }
    assert store.get(1).private["plate"] == "HIT0002"
    assert store.get(5).private["plate"] == "SRCH001"
    assert store.shred(cutoffs) == 0  # a shredded detail is not counted again
    # one class's cutoff never shreds the other class's reads
    assert store.shred({"nonhit": CUTOFF + timedelta(days=5)}) == 1
    assert store.get(1).state is DetailState.OPEN
    assert store.get(3).state is DetailState.DESTROYED
    store.close()


def test_shred_leaves_no_sealed_bytes_in_the_file_or_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "detail.db"
    store = DetailStore(path, keys=_keys(tmp_path))
    store.insert_many(0, [_entry(alert_event("GONE123", CUTOFF - timedelta(minutes=5)))])
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        ((sealed, nonce),) = conn.execute("SELECT private, nonce FROM detail").fetchall()
    conn.close()
    assert len(sealed) > 16 and sealed in _file_bytes(path)
    assert store.shred({"hit": CUTOFF}) == 1
    on_disk = _file_bytes(path)
    assert sealed not in on_disk and nonce not in on_disk
    store.close()


def test_check_opens_the_commitment_of_an_open_detail_only(tmp_path: Path) -> None:
    store = DetailStore(tmp_path / "detail.db", keys=_keys(tmp_path))
    mine, other = _entry(plate_search_event("SRCH001")), _entry(plate_search_event("SRCH002"))
    store.insert_many(0, [mine])
    detail = store.get(0)
    assert detail.state is DetailState.OPEN
    assert detail.check(mine.leaf) is None
    with pytest.raises(VerificationError, match="entry 0: detail does not match"):
        detail.check(other.leaf)
    store.close()


def test_check_of_a_destroyed_detail_accepts_any_leaf_and_a_sealed_one_refuses(
    tmp_path: Path,
) -> None:
    leaf = _entry(plate_search_event("SRCH001")).leaf
    base = (4, EventType.ALERT_RAISED.value, "nhpd", "2026-11-03T10:00:00Z", SALT, b"")
    destroyed = Detail(*base, "hit:2026-11-03", DetailState.DESTROYED)
    assert destroyed.check(leaf) is None  # nothing left to open: the commitment stands
    sealed = Detail(*base, "hit:2026-11-03", DetailState.SEALED)
    with pytest.raises(AuditError) as raised:
        sealed.check(leaf)
    assert type(raised.value) is AuditError  # not a failed verification: a missing key
    message = raised.value.message
    assert message.startswith("entry 4: its detail is sealed with day key hit:2026-11-03; ")
    assert message.endswith("open the log with the node's keys to read it")
