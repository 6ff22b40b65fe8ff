"""Property: one admin acting alone can never widen sharing, whatever they try in what order —
also through accounts they create (admins included), promote, set passwords for or mint tokens
for, and sign in as."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FakeClock
from trustlpr.core.errors import TrustLPRError
from trustlpr.core.identity import Role, User
from trustlpr.core.search import Purpose
from trustlpr.identity import Commitment, IdentityStore, make_attestation

from .conftest import PASSWORD, ListSink

PURPOSES = sorted(p.value for p in Purpose)
START_PURPOSES = {"stolen_vehicle", "amber_alert"}

action = st.one_of(
    st.tuples(st.just("purposes"), st.sets(st.sampled_from(PURPOSES), max_size=5)),
    st.tuples(st.just("expiry"), st.integers(min_value=1, max_value=400)),
    st.tuples(st.just("attest"), st.sets(st.sampled_from([c.value for c in Commitment]))),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("approve"), st.none()),
    st.tuples(st.just("reject"), st.none()),
    st.tuples(st.just("revoke"), st.none()),
    st.tuples(st.just("propose"), st.sampled_from(["providence-pd", "boston-pd", "MA", "RI"])),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=24 * 20)),
    st.tuples(st.just("account"), st.sampled_from([r.value for r in Role])),
    st.tuples(st.just("promote"), st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("approve_admin"), st.none()),
    st.tuples(st.just("mint"), st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("password"), st.integers(min_value=0, max_value=7)),
)
PUPPET_PASSWORD = "a password alice chose"


class Alice:
    """Every way alice can sign: as herself, or as an account she made or credentialed."""

    def __init__(self, store: IdentityStore) -> None:
        self.store = store
        self.accounts: list[str] = []
        self.tokens: dict[str, str] = {}

    def sign(self, who: int) -> User:
        if who == 0 or not self.accounts:
            return self.store.verify_password("alice", PASSWORD)[0]
        user_id = self.accounts[who % len(self.accounts)]
        if user_id in self.tokens and who % 2:
            return self.store.authenticate(self.tokens[user_id])[0]
        return self.store.verify_password(user_id, PUPPET_PASSWORD)[0]

    def pick(self, index: object) -> str:
        return self.accounts[int(index) % len(self.accounts)] if self.accounts else "alice"  # type: ignore[call-overload]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(action, st.integers(min_value=0, max_value=7)), min_size=1, max_size=14))
def test_a_lone_admin_never_widens_access(steps: list[tuple[tuple[str, object], int]]) -> None:
    clock = FakeClock()
    with (
        tempfile.TemporaryDirectory() as tmp,
        IdentityStore.open(Path(tmp), ListSink(), clock) as store,
    ):
        store.add_agency("hpd", "Hartford", "CT", "local", actor=None)
        alice = store.add_user("alice", "hpd", Role.ADMIN, "Alice", actor=None, password=PASSWORD)
        bob = store.add_user("bob", "hpd", Role.ADMIN, "Bob", actor=None)
        for agency_id, state in (("boston-pd", "MA"), ("providence-pd", "RI")):
            store.add_agency(agency_id, agency_id, state, "local", actor=alice)
        clock.advance(days=8)
        start_expiry = clock.now + timedelta(days=100)
        first = store.sharing.propose(
            "hpd",
            grantee_agency_id="boston-pd",
            purposes=START_PURPOSES,
            expires_at=start_expiry,
            actor=bob,
        )
        store.sharing.approve(first.id, actor=alice)
        me = Alice(store)
        for (kind, arg), who in steps:
            with suppress(TrustLPRError):  # refusals are expected; what matters is what got through
                _act(store, first.id, clock, kind, arg, me, me.sign(who))
            for agreement in store.sharing.agreements("hpd"):
                assert agreement.id == first.id, "a new agreement came into force"
                assert {p.value for p in agreement.purposes} <= START_PURPOSES
                assert agreement.expires_at <= start_expiry
                assert agreement.attestation is None
            for agency_id in ("boston-pd", "providence-pd"):
                assert not store.sharing.attestation_on_file("hpd", agency_id)


def _act(
    store: IdentityStore,
    agreement_id: str,
    clock: FakeClock,
    kind: str,
    arg: object,
    me: Alice,
    actor: User,
) -> None:
    sharing = store.sharing
    if kind == "account":
        user_id = f"puppet{len(me.accounts)}"
        me.accounts.append(user_id)
        store.add_user(user_id, "hpd", str(arg), "P", actor=actor, password=PUPPET_PASSWORD)
    elif kind == "promote":
        store.set_role(me.pick(arg), Role.ADMIN, actor=actor)
    elif kind == "approve_admin":
        for proposal in store.admin_proposals():
            store.approve_admin(proposal.user_id, actor=actor)
    elif kind == "mint":
        user_id = me.pick(arg)
        me.tokens[user_id] = store.create_token(user_id, actor=actor).plaintext
    elif kind == "password":
        store.set_password(me.pick(arg), PUPPET_PASSWORD, actor=actor)
    elif kind == "purposes":
        sharing.amend(agreement_id, purposes=arg, actor=actor)  # type: ignore[arg-type]
    elif kind == "expiry":
        sharing.amend(agreement_id, expires_at=clock.now + timedelta(days=arg), actor=actor)  # type: ignore[arg-type]
    elif kind == "attest":
        doc = make_attestation("MOU", "Chief", clock.now, arg)  # type: ignore[arg-type]
        sharing.attest(agreement_id, doc, actor=actor)
    elif kind == "drop":
        sharing.amend(agreement_id, drop_attestation=True, actor=actor)
    elif kind in ("approve", "reject", "revoke"):
        for pending in sharing.pending("hpd") or [sharing.get(agreement_id)]:
            getattr(sharing, kind)(pending.id, actor=actor)
    elif kind == "propose":
        grantee = {"grantee_state": arg} if len(str(arg)) == 2 else {"grantee_agency_id": arg}
        sharing.propose(
            "hpd",
            purposes=["parking"],
            expires_at=clock.now + timedelta(days=9),
            actor=actor,
            **grantee,
        )  # type: ignore[arg-type]
    elif kind == "wait":
        clock.advance(hours=arg)  # type: ignore[arg-type]
