"""Identity events against the real transparency log: accepted, public leaves hold no people."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import FakeClock
from trustlpr.audit import open_audit
from trustlpr.core.identity import Role
from trustlpr.identity import IdentityStore, make_attestation

from .conftest import PASSWORD

PEOPLE = ("alice", "Alice Admin", "bob", "Bob Admin", "olivia", "Olivia", "Chief Rivera")


def test_every_identity_event_is_a_valid_public_leaf(tmp_path: Path, clock: FakeClock) -> None:
    with open_audit(tmp_path, agency_id="hartford-pd") as audit:
        with IdentityStore.open(tmp_path, audit, clock) as store:
            store.add_agency("hartford-pd", "Hartford Police", "CT", "local", actor=None)
            alice = store.add_user(
                "alice", "hartford-pd", Role.ADMIN, "Alice Admin", actor=None, password=PASSWORD
            )
            store.add_agency("boston-pd", "Boston Police", "MA", "local", actor=alice)
            bob = store.add_user("bob", "hartford-pd", Role.ADMIN, "Bob Admin", actor=None)
            store.add_user("olivia", "hartford-pd", Role.OFFICER, "Olivia", actor=alice)
            token = store.create_token("olivia", actor=alice, label="car 7")
            store.revoke_token(token.info.id, actor=alice)
            store.login("alice", PASSWORD)
            clock.advance(days=8)
            sharing = store.sharing
            by_agency = sharing.propose(
                "hartford-pd",
                grantee_agency_id="boston-pd",
                purposes=["stolen_vehicle", "amber_alert"],
                expires_at=clock.now + timedelta(days=90),
                actor=alice,
            )
            sharing.approve(by_agency.id, actor=bob)
            sharing.amend(by_agency.id, purposes=["amber_alert"], actor=bob)
            doc = make_attestation(
                "MOU-9",
                "Chief Rivera",
                clock.now,
                [
                    "no_immigration_enforcement",
                    "no_reproductive_health_investigation",
                    "no_gender_affirming_care_investigation",
                ],
            )
            sharing.attest(by_agency.id, doc, actor=bob)
            sharing.approve(by_agency.id, actor=alice)
            by_state = sharing.propose(
                "hartford-pd",
                grantee_state="RI",
                purposes=["amber_alert"],
                expires_at=clock.now + timedelta(days=30),
                actor=alice,
            )
            sharing.reject(by_state.id, actor=bob)
            sharing.revoke(by_agency.id, actor=alice)
        size = audit.log.size
        leaves = [audit.log.leaf(i) for i in range(size)]
        entries = [audit.log.entry(i) for i in range(size)]
        details = [audit.log.detail(i) for i in range(size)]
    assert [e["type"] for e in entries].count("sharing_changed") == 8
    assert [e["type"] for e in entries].count("token_changed") == 3  # created, revoked, login
    for leaf in leaves:
        for person in PEOPLE:
            assert person.encode() not in leaf
    approved = [e for e in entries if e["public"].get("action") == "approved"][-1]
    assert approved["public"]["grantee_agency"] == "boston-pd"
    assert approved["public"]["agency_state"] == "MA"
    assert approved["public"]["version"] == 3
    assert approved["public"]["purposes"] and approved["public"]["attestation"] is True
    assert approved["agency"] == "hartford-pd"
    # who acted, the signer and the full diff are in the committed private part
    approved_detail = [d.private for d in details if d.type == "sharing_changed"][4]
    assert approved_detail["actor"] == "alice"
    assert approved_detail["attestation"]["attested_by"] == "Chief Rivera"
    assert approved_detail["diff"]["attestation"] is True
