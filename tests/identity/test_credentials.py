"""Tokens, passwords and sessions: every way authentication can go right or wrong."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.core.errors import AuthError, ForbiddenError, InputError, NotFoundError
from trustlpr.core.events import EventType
from trustlpr.core.identity import Role
from trustlpr.identity import IdentityStore
from trustlpr.identity.credentials import LOCKOUT, MAX_FAILED_LOGINS

from .conftest import PASSWORD, ListSink, Node


def test_a_token_authenticates_to_its_user_and_agency(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia, label="patrol laptop")
    assert created.plaintext.startswith(f"tlpr_{created.info.id}_")
    user, agency = node.store.authenticate(created.plaintext)
    assert (user.id, user.role, agency.id, agency.state) == (
        "olivia",
        Role.OFFICER,
        "hartford-pd",
        "CT",
    )
    assert created.plaintext not in repr(created)
    assert "patrol" not in repr(created.info)


@pytest.mark.parametrize(
    "presented",
    ["", "garbage", "tlpr_", "tlpr_abc", "tlps_x_y", "bearer tlpr_a_b", "tlpr_" + "a" * 300],
)
def test_malformed_and_unknown_tokens_are_refused(node: Node, presented: str) -> None:
    with pytest.raises(AuthError) as caught:
        node.store.authenticate(presented)
    assert type(caught.value) is AuthError


def test_a_wrong_secret_with_a_real_id_is_refused(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    forged = created.plaintext[:-4] + ("AAAA" if not created.plaintext.endswith("AAAA") else "BBBB")
    with pytest.raises(AuthError, match="invalid credential"):
        node.store.authenticate(forged)
    with pytest.raises(AuthError):
        node.store.authenticate(12345)  # type: ignore[arg-type]


def test_revocation_takes_effect_at_once_even_when_cached(node: Node, sink: ListSink) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    node.store.authenticate(created.plaintext)  # now in the verified cache
    info = node.store.revoke_token(created.info.id, actor=node.alice)
    assert info.revoked_at == node.clock.now
    with pytest.raises(AuthError, match="revoked"):
        node.store.authenticate(created.plaintext)
    actions = [e.public["action"] for e in sink.of(EventType.TOKEN_CHANGED)]
    assert actions == ["token_created", "token_revoked"]
    with pytest.raises(NotFoundError):
        node.store.revoke_token("nope", actor=node.alice)


def test_expired_tokens_are_refused(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia, expires_in=timedelta(days=1))
    node.store.authenticate(created.plaintext)
    node.clock.advance(days=1)
    with pytest.raises(AuthError, match="expired"):
        node.store.authenticate(created.plaintext)
    assert node.store.tokens("olivia")[0].status(node.clock.now) == "expired"


def test_a_disabled_users_tokens_stop_working(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    node.store.disable("olivia", actor=node.alice)
    with pytest.raises(AuthError, match="disabled"):
        node.store.authenticate(created.plaintext)
    node.store.enable("olivia", actor=node.alice)
    assert node.store.authenticate(created.plaintext)[0].active


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(days=-1), timedelta(days=367)])
def test_token_lifetime_is_bounded(node: Node, lifetime: timedelta) -> None:
    with pytest.raises(InputError) as caught:
        node.store.create_token("olivia", actor=node.olivia, expires_in=lifetime)
    assert caught.value.field == "expires_in"


def test_who_may_issue_tokens(node: Node) -> None:
    s = node.store
    assert s.create_token("olivia", actor=node.alice).info.user_id == "olivia"  # agency admin
    with pytest.raises(ForbiddenError):  # an officer, for someone else
        s.create_token("sam", actor=node.olivia)
    with pytest.raises(ForbiddenError):  # another agency's admin
        s.create_token("olivia", actor=node.boston_admin)
    with pytest.raises(ForbiddenError, match="their own"):  # admins cannot mint each other's
        s.create_token("bob", actor=node.alice)
    with pytest.raises(ForbiddenError):
        s.revoke_token(s.create_token("sam", actor=node.sam).info.id, actor=node.olivia)
    with pytest.raises(NotFoundError):
        s.create_token("nobody", actor=node.alice)


def test_last_used_is_recorded_at_minute_granularity(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    assert node.store.tokens("olivia")[0].last_used_at is None
    node.store.authenticate(created.plaintext)
    first = node.clock.now
    node.clock.advance(seconds=10)
    node.store.authenticate(created.plaintext)
    assert node.store.tokens("olivia")[0].last_used_at == first
    node.clock.advance(minutes=2)
    node.store.authenticate(created.plaintext)
    assert node.store.tokens("olivia")[0].last_used_at == node.clock.now


def test_login_gives_a_short_lived_session(node: Node) -> None:
    session = node.store.login("olivia", PASSWORD)
    assert session.startswith("tlps_")
    assert node.store.authenticate(session)[0].id == "olivia"
    assert node.store.tokens("olivia") == []  # sessions are not API tokens
    assert len(node.store.tokens("olivia", sessions=True)) == 1
    node.clock.advance(minutes=59)
    node.store.authenticate(session)
    node.clock.advance(minutes=2)
    with pytest.raises(AuthError, match="expired"):
        node.store.authenticate(session)


def test_logout_ends_the_session(node: Node) -> None:
    session = node.store.login("olivia", PASSWORD)
    node.store.logout(session)
    with pytest.raises(AuthError, match="revoked"):
        node.store.authenticate(session)
    with pytest.raises(AuthError):
        node.store.logout(session)


def test_wrong_passwords_lock_the_account(node: Node, sink: ListSink) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthError, match="invalid user or password"):
            node.store.login("olivia", "not the password at all")
    node.store.login("olivia", PASSWORD)  # a success resets the count
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError):
            node.store.login("olivia", "not the password at all")
    with pytest.raises(AuthError, match="locked"):
        node.store.login("olivia", PASSWORD)
    assert sink.of(EventType.TOKEN_CHANGED)[-1].public["action"] == "login_locked"
    node.clock.advance(seconds=LOCKOUT.total_seconds() + 1)
    assert node.store.login("olivia", PASSWORD).startswith("tlps_")


@pytest.mark.parametrize(
    ("user_id", "password"),
    [("nobody", PASSWORD), ("sam", PASSWORD), ("olivia", ""), ("olivia", "x" * 5000)],
)
def test_logins_that_cannot_succeed(node: Node, user_id: str, password: str) -> None:
    # unknown user; user without a password; empty and oversized passwords
    with pytest.raises(AuthError, match="invalid user or password"):
        node.store.login(user_id, password)


def test_a_disabled_user_cannot_log_in(node: Node) -> None:
    node.store.disable("olivia", actor=node.alice)
    with pytest.raises(AuthError, match="disabled"):
        node.store.login("olivia", PASSWORD)


def test_setting_a_password_ends_open_sessions(node: Node) -> None:
    session = node.store.login("olivia", PASSWORD)
    node.store.set_password("olivia", "a brand new passphrase", actor=node.olivia)
    with pytest.raises(AuthError, match="revoked"):
        node.store.authenticate(session)
    with pytest.raises(AuthError):
        node.store.login("olivia", PASSWORD)
    assert node.store.login("olivia", "a brand new passphrase")
    node.store.set_password("sam", "sams first passphrase", actor=node.alice)
    assert node.store.login("sam", "sams first passphrase")
    with pytest.raises(ForbiddenError, match="their own"):
        node.store.set_password("bob", "alice knows this one", actor=node.alice)
    with pytest.raises(ForbiddenError):
        node.store.set_password("sam", "olivia sets sams pass", actor=node.olivia)


def test_token_events_keep_ids_private(node: Node, sink: ListSink) -> None:
    created = node.store.create_token("olivia", actor=node.alice)
    event = sink.of(EventType.TOKEN_CHANGED)[-1]
    assert event.agency_id == "hartford-pd"
    assert dict(event.public) == {"action": "token_created", "category": "officer"}
    assert event.private == {"actor": "alice", "user_id": "olivia", "token_id": created.info.id}


def test_the_database_is_owner_only(node: Node, data_dir: Path) -> None:
    node.store.create_token("olivia", actor=node.olivia)
    files = sorted(data_dir.glob("identity.db*"))
    assert {p.name for p in files} == {"identity.db", "identity.db-wal", "identity.db-shm"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_no_secret_reaches_the_disk(node: Node, data_dir: Path, sink: ListSink) -> None:
    tokens = [
        node.store.create_token(u, actor=a).plaintext
        for u, a in [("olivia", node.olivia), ("sam", node.alice)]
    ]
    session = node.store.login("olivia", PASSWORD)
    for token in tokens:
        node.store.authenticate(token)
    node.store.close()  # flush everything the WAL holds
    blob = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert blob, "nothing was written"
    for plaintext in [*tokens, session]:
        secret = plaintext.split("_", 2)[2]
        assert secret.encode() not in blob
    assert PASSWORD.encode() not in blob
    for event in sink.events:  # nor does the audit trail hold one
        assert all(t.split("_", 2)[2] not in repr(event.private) for t in [*tokens, session])


def test_reopening_keeps_everything(node: Node, data_dir: Path, sink: ListSink) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    node.store.close()
    with IdentityStore.open(data_dir, sink, node.clock) as again:
        assert again.authenticate(created.plaintext)[0].id == "olivia"
        assert len(again.users()) == 7
