"""The protected-plates registry: two admins for every change, sealed storage, counts only in
the public log, expiry and review dates."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.identity.conftest import ListSink, Node
from trustlpr.core.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from trustlpr.core.events import EventType
from trustlpr.core.protected import ProtectedHandling
from trustlpr.core.reads import Read
from trustlpr.keys import StandingKeys
from trustlpr.protected import EntryStatus, ProtectedPlates

from .conftest import HANDLING

PLATE = "DV4417"


def _read(plate: str, clock: FakeClock) -> Read:
    return Read(plate, "CT", 0.9, clock.now, "cam-1", "hartford-pd", 41.76, -72.68)


def _protect(registry: ProtectedPlates, node: Node, plate: str = PLATE, **kw: object) -> str:
    expiry = node.clock.now + timedelta(days=200)
    entry = registry.propose(
        plate, category=kw.pop("category", "survivor"), expires_at=expiry, actor=node.bob, **kw
    )
    registry.approve(entry.id, actor=node.alice)
    return entry.id


def test_a_proposal_protects_nothing_until_an_independent_admin_approves(
    registry: ProtectedPlates, node: Node
) -> None:
    entry = registry.propose(
        PLATE, category="survivor", expires_at=node.clock.now + timedelta(days=90),
        actor=node.bob, note="ACP authorisation 2026-114",
    )  # fmt: skip
    assert entry.status is EntryStatus.PENDING
    assert registry.handling_of(PLATE) is None
    with pytest.raises(ForbiddenError, match="someone else"):
        registry.approve(entry.id, actor=node.bob)
    # carol was appointed on bob's proposal: she is not a second person for bob's changes
    with pytest.raises(ForbiddenError, match="not independent"):
        registry.approve(entry.id, actor=node.carol)
    with pytest.raises(ForbiddenError):
        registry.approve(entry.id, actor=node.sam)  # a supervisor is not an admin
    with pytest.raises(ForbiddenError):
        registry.approve(entry.id, actor=node.boston_admin)  # another agency's admin
    approved = registry.approve(entry.id, actor=node.alice)
    assert approved.status is EntryStatus.ACTIVE
    assert registry.handling_of(PLATE) is ProtectedHandling.NOT_RECORDED
    assert registry.handling_of("DV44I7") is ProtectedHandling.NOT_RECORDED  # a misread of it


def test_only_admins_propose_and_a_plate_is_entered_once(
    registry: ProtectedPlates, node: Node
) -> None:
    expiry = node.clock.now + timedelta(days=30)
    for who in (node.olivia, node.sam, node.audrey, node.boston_admin):
        with pytest.raises(ForbiddenError):
            registry.propose(PLATE, category="survivor", expires_at=expiry, actor=who)
    _protect(registry, node)
    with pytest.raises(ConflictError, match="already covers"):
        registry.propose("DV44I7", category="undercover", expires_at=expiry, actor=node.alice)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("category", {"category": "witness"}),
        ("expires_at", {"expires_at": "2020-01-01T00:00:00Z"}),
        ("expires_at", {"days": 6 * 366}),
        ("review_at", {"review_days": 400, "days": 300}),
        ("plate", {"plate": "DV-44😀"}),
        ("state", {"state": "XX"}),
        ("note", {"note": "line\nbreak"}),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    registry: ProtectedPlates, node: Node, field: str, kwargs: dict[str, object]
) -> None:
    now = node.clock.now
    days = int(kwargs.pop("days", 30))  # type: ignore[call-overload]
    review = kwargs.pop("review_days", None)
    args: dict[str, object] = {
        "category": "survivor",
        "expires_at": now + timedelta(days=days),
        "review_at": now + timedelta(days=int(review)) if review else None,  # type: ignore[call-overload]
    }
    args.update(kwargs)
    plate = str(args.pop("plate", PLATE))
    with pytest.raises(InputError) as caught:
        registry.propose(plate, actor=node.bob, **args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_storage_holds_only_a_blind_index_and_ciphertext(
    registry: ProtectedPlates, node: Node, data_dir: Path, root_key: bytes, sink: ListSink
) -> None:
    _protect(registry, node, note="ACP-SECRET-NOTE", state="CT")
    blob = b"".join(p.read_bytes() for p in data_dir.glob("protected.db*"))
    assert PLATE.encode() not in blob and b"ACP-SECRET-NOTE" not in blob
    # the public log holds counts only; the private part neither plate nor note
    for event in sink.of(EventType.PROTECTED_CHANGED):
        assert PLATE not in repr(dict(event.public)) + repr(dict(event.private))
    last = sink.of(EventType.PROTECTED_CHANGED)[-1].public
    assert last["action"] == "approved" and last["two_person"] is True
    assert last["active"] == 1 and last["active_by_category"]["survivor"] == 1  # type: ignore[index]
    # another root key cannot open the entry: the key file is wrapped
    (entry,) = registry.entries(actor=node.carol)
    assert entry.secret is not None and entry.secret.plate == PLATE
    with pytest.raises(Exception, match="root key"):
        StandingKeys(data_dir / "keys", bytes(reversed(root_key)), "protected")


def test_removal_takes_two_admins_and_erases_the_plate(
    registry: ProtectedPlates, node: Node, data_dir: Path
) -> None:
    entry_id = _protect(registry, node)
    registry.propose_removal(entry_id, actor=node.bob)
    assert registry.handling_of(PLATE) is ProtectedHandling.NOT_RECORDED  # still in force
    with pytest.raises(ForbiddenError):
        registry.approve(entry_id, actor=node.carol)
    removed = registry.approve(entry_id, actor=node.alice)
    assert removed.status is EntryStatus.REMOVED and removed.secret is None
    assert registry.handling_of(PLATE) is None
    with sqlite3.connect(data_dir / "protected.db") as conn:
        row = conn.execute("SELECT sealed, plate_index FROM entries").fetchone()
    assert row == (None, None)
    assert registry.entries(actor=node.alice) == []
    assert [e.status for e in registry.entries(actor=node.alice, ended=True)] == [
        EntryStatus.REMOVED
    ]


def test_rejection_withdraws_and_expiry_ends_entries(
    registry: ProtectedPlates, node: Node, clock: FakeClock, sink: ListSink
) -> None:
    pending = registry.propose(
        "UC1234", category="undercover", expires_at=clock.now + timedelta(days=3), actor=node.bob
    )
    assert registry.reject(pending.id, actor=node.bob).status is EntryStatus.REJECTED
    with pytest.raises(NotFoundError):
        registry.approve(pending.id, actor=node.alice)
    entry_id = _protect(registry, node, "UC1234", category="undercover")
    assert registry.handling_of("UC1234") is ProtectedHandling.SECOND_SUPERVISOR
    clock.advance(days=201)
    assert registry.handling_of("UC1234") is None  # past its expiry: protects nothing at once
    assert registry.expire() == 1
    (ended,) = registry.entries(actor=node.alice, ended=True)[-1:]
    assert ended.id == entry_id and ended.status is EntryStatus.EXPIRED
    assert sink.of(EventType.PROTECTED_CHANGED)[-1].public["action"] == "expired"


def test_review_date_defaults_to_a_year_and_shows_when_due(
    registry: ProtectedPlates, node: Node, clock: FakeClock
) -> None:
    entry = registry.propose(
        PLATE, category="survivor", expires_at=clock.now + timedelta(days=700), actor=node.bob
    )
    assert entry.review_at == clock.now + timedelta(days=365)
    registry.approve(entry.id, actor=node.alice)
    clock.advance(days=366)
    (current,) = registry.entries(actor=node.alice)
    assert current.review_due(clock.now)


def test_a_change_the_audit_log_refuses_does_not_happen(
    registry: ProtectedPlates, node: Node, sink: ListSink
) -> None:
    entry = registry.propose(
        PLATE, category="survivor", expires_at=node.clock.now + timedelta(days=9), actor=node.bob
    )
    sink.refuse = True
    with pytest.raises(Exception, match="audit log unavailable"):
        registry.approve(entry.id, actor=node.alice)
    sink.refuse = False
    assert registry.handling_of(PLATE) is None
    assert registry.entries(actor=node.alice)[0].status is EntryStatus.PENDING


def test_not_recorded_reads_are_counted_per_finished_day(
    registry: ProtectedPlates, node: Node, clock: FakeClock, sink: ListSink
) -> None:
    _protect(registry, node)
    _protect(registry, node, "OF5522", category="protected_official")
    reads = [_read(PLATE, clock), _read("OF5522", clock), _read("OTHER1", clock)]
    assert registry.not_recorded(reads) == [True, False, False]
    assert registry.not_recorded(reads[:1]) == [True]
    assert registry.publish_counts() == 0  # the day is not over: no count marks the moment
    clock.advance(days=1)
    assert registry.publish_counts() == 1
    published = sink.of(EventType.PROTECTED_CHANGED)[-1].public
    assert published["action"] == "reads_not_recorded" and published["count"] == 2
    assert registry.publish_counts() == 0  # once


def test_the_policy_decides_per_category(
    node: Node, sink: ListSink, clock: FakeClock, data_dir: Path, root_key: bytes
) -> None:
    keys = StandingKeys(data_dir / "keys", root_key, "protected")
    every = dict.fromkeys(HANDLING, ProtectedHandling.SECOND_SUPERVISOR)
    registry = ProtectedPlates(
        data_dir, keys, agency_id="hartford-pd", people=node.store, audit=sink,
        handling=every, clock=clock,
    )  # fmt: skip
    try:
        _protect(registry, node)
        assert registry.not_recorded([_read(PLATE, clock)]) == [False]
        assert registry.handling_of(PLATE) is ProtectedHandling.SECOND_SUPERVISOR
    finally:
        registry.close()
