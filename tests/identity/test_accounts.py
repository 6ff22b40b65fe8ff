"""Agencies and users: set-up, validation, who may change whom, and the audit trail."""

from __future__ import annotations

import pytest

from trustlpr.core.errors import (
    AuditError,
    AuthError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
)
from trustlpr.core.events import EventType
from trustlpr.core.identity import Agency, AgencyType, Role, User
from trustlpr.identity import IdentityStore

from .conftest import ListSink, Node


def test_the_first_two_admins_are_created_unsigned_then_credentials_are_required(
    store: IdentityStore,
) -> None:
    agency = store.add_agency("hartford-pd", "Hartford Police", "ct", "local", actor=None)
    assert agency == Agency("hartford-pd", "Hartford Police", "CT", AgencyType.LOCAL)
    # an officer first does not close the set-up window: only an active admin does
    store.add_user("olivia", "hartford-pd", "officer", "Olivia", actor=None)
    alice = store.add_user("alice", "hartford-pd", "admin", "Alice", actor=None)
    with pytest.raises(ForbiddenError, match="administrator's credentials"):
        store.add_user("oscar", "hartford-pd", "officer", "Oscar", actor=None)
    with pytest.raises(ForbiddenError):
        store.add_agency("other-pd", "Other", "CT", "local", actor=None)
    with pytest.raises(ForbiddenError, match="second admin is created at set-up"):
        store.add_user("bob", "hartford-pd", Role.ADMIN, "Bob", actor=alice)
    assert store.add_user("bob", "hartford-pd", Role.ADMIN, "Bob", actor=None).active
    with pytest.raises(ForbiddenError, match="administrator's credentials"):
        store.add_user("mallory", "hartford-pd", "admin", "Mallory", actor=None)
    assert [u.id for u in store.users()] == ["alice", "bob", "olivia"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("Hartford PD", "Hartford", "CT", "local"), "agency_id"),
        (("-bad", "Hartford", "CT", "local"), "agency_id"),
        (("x" * 65, "Hartford", "CT", "local"), "agency_id"),
        (("hpd", "", "CT", "local"), "name"),
        (("hpd", "a\nb", "CT", "local"), "name"),
        (("hpd", "n" * 201, "CT", "local"), "name"),
        (("hpd", "Hartford", "XX", "local"), "state"),
        (("hpd", "Hartford", "Connecticut", "local"), "state"),
        (("hpd", "Hartford", "CT", "county"), "type"),
    ],
)
def test_bad_agency_fields_name_the_field(
    store: IdentityStore, args: tuple[str, str, str, str], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        store.add_agency(*args, actor=None)
    assert caught.value.field == field
    assert store.agencies() == []


def test_bad_user_fields_and_unknown_agency(node: Node) -> None:
    s, alice = node.store, node.alice
    with pytest.raises(InputError) as caught:
        s.add_user("Bad Id", "hartford-pd", "officer", "X", actor=alice)
    assert caught.value.field == "user_id"
    with pytest.raises(InputError) as caught:
        s.add_user("x1", "hartford-pd", "chief", "X", actor=alice)
    assert caught.value.field == "role"
    with pytest.raises(InputError) as caught:
        s.add_user("x1", "hartford-pd", "officer", "X", actor=alice, password="short")
    assert caught.value.field == "password"
    with pytest.raises(NotFoundError):
        s.add_user("x1", "nowhere-pd", "officer", "X", actor=alice)
    with pytest.raises(NotFoundError):
        s.user("x1")
    with pytest.raises(NotFoundError):
        s.agency("nowhere-pd")


def test_duplicates_conflict(node: Node) -> None:
    with pytest.raises(ConflictError):
        node.store.add_agency("boston-pd", "Again", "MA", "local", actor=node.alice)
    with pytest.raises(ConflictError):
        node.store.add_user("olivia", "hartford-pd", "officer", "Again", actor=node.alice)


def test_only_admins_of_the_agency_manage_its_users(node: Node) -> None:
    s = node.store
    with pytest.raises(ForbiddenError):
        s.add_user("o2", "hartford-pd", "officer", "O2", actor=node.olivia)
    with pytest.raises(ForbiddenError):
        s.add_user("o2", "hartford-pd", "officer", "O2", actor=node.sam)
    with pytest.raises(ForbiddenError):  # Boston's admin is not Hartford's
        s.add_user("o2", "hartford-pd", "officer", "O2", actor=node.boston_admin)
    with pytest.raises(ForbiddenError):
        s.set_role("olivia", "supervisor", actor=node.boston_admin)
    with pytest.raises(ForbiddenError):
        s.add_agency("evil-pd", "Evil", "TX", "local", actor=node.olivia)
    # an agency with no admin yet may be seeded by an admin of another agency (and a second)
    assert not s.add_user("ri-admin", "providence-pd", "admin", "R", actor=node.alice).active
    assert s.approve_admin("ri-admin", actor=node.bob).active
    with pytest.raises(ForbiddenError):  # ...but once it has one, only its own admins
        s.add_user("ri-2", "providence-pd", "officer", "R2", actor=node.alice)


def test_caller_supplied_role_is_not_trusted(node: Node) -> None:
    forged = User("olivia", "hartford-pd", Role.ADMIN, "Olivia")
    with pytest.raises(ForbiddenError):
        node.store.add_user("o2", "hartford-pd", "officer", "O2", actor=forged)
    ghost = User("ghost", "hartford-pd", Role.ADMIN)
    with pytest.raises(AuthError):
        node.store.add_user("o2", "hartford-pd", "officer", "O2", actor=ghost)
    node.store.disable("carol", actor=node.alice)
    with pytest.raises(ForbiddenError, match="disabled"):
        node.store.add_user("o2", "hartford-pd", "officer", "O2", actor=node.carol)


def test_role_changes_disable_and_enable(node: Node, sink: ListSink) -> None:
    s = node.store
    assert s.set_role("olivia", "supervisor", actor=node.alice).role is Role.SUPERVISOR
    assert s.user("olivia").role is Role.SUPERVISOR
    with pytest.raises(ConflictError):
        s.set_role("olivia", Role.SUPERVISOR, actor=node.alice)
    assert not s.disable("olivia", actor=node.bob).active
    assert not s.user("olivia").active
    assert s.enable("olivia", actor=node.bob).active
    actions = [e.public["action"] for e in sink.of(EventType.USER_CHANGED)][-3:]
    assert actions == ["role_changed", "user_disabled", "user_enabled"]


def test_the_last_admin_cannot_be_removed(store: IdentityStore) -> None:
    store.add_agency("hpd", "Hartford", "CT", "local", actor=None)
    alice = store.add_user("alice", "hpd", "admin", "Alice", actor=None)
    with pytest.raises(ConflictError, match="last active admin"):
        store.disable("alice", actor=alice)
    with pytest.raises(ConflictError, match="last active admin"):
        store.set_role("alice", "officer", actor=alice)
    bob = store.add_user("bob", "hpd", "admin", "Bob", actor=None)
    store.set_role("alice", "officer", actor=bob)
    with pytest.raises(ForbiddenError):  # and the set-up path stays closed
        store.add_user("x", "hpd", "admin", "X", actor=None)


def test_user_events_keep_ids_and_names_private(node: Node, sink: ListSink) -> None:
    events = sink.of(EventType.USER_CHANGED)
    # six agencies, seven users (alice included), two admin grants proposed and approved
    assert len(events) == 1 + 5 + 7 + 4
    first_user = events[1]
    assert first_user.agency_id == "hartford-pd"
    assert dict(first_user.public) == {"action": "user_added", "category": "admin"}
    assert first_user.private["user_id"] == "alice"
    assert first_user.private["actor"] == "bootstrap"
    assert events[2].public["action"] == "agency_added"
    assert events[2].private["actor"] == "alice"
    for event in events:
        text = repr(dict(event.public))
        for secret in ("alice", "Alice", "Olivia", "olivia", "bob"):
            assert secret not in text


def test_a_refused_audit_append_undoes_the_change(node: Node, sink: ListSink) -> None:
    sink.refuse = True
    with pytest.raises(AuditError):
        node.store.add_user("o2", "hartford-pd", "officer", "O2", actor=node.alice)
    with pytest.raises(AuditError):
        node.store.set_role("olivia", "admin", actor=node.alice)
    sink.refuse = False
    with pytest.raises(NotFoundError):
        node.store.user("o2")
    assert node.store.user("olivia").role is Role.OFFICER


def test_listing_by_agency(node: Node) -> None:
    assert [u.id for u in node.store.users("boston-pd")] == ["bpd-admin"]
    assert [a.id for a in node.store.agencies()][:2] == ["acme-vendor", "boston-pd"]
    assert node.store.agency("fbi-boston").type is AgencyType.FEDERAL
