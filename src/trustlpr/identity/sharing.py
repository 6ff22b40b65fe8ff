"""The sharing registry: agreements between agencies, changed only in the open.

Misuse signal 18 is an administrator quietly widening sharing. So every change that can give
more access — a new agreement, an added purpose, a later expiry, a new attestation — is only a
proposal until a second admin of the owner agency, independent of the proposer
(``independence``), approves it; changes that only take access away (fewer purposes, an
earlier expiry, revocation) apply at once, by one admin. Each step is kept in a history the
portal publishes (``history()``: the diff of terms, without people) and audited as
``SHARING_CHANGED``: the public leaf carries the action and the agreement's terms and diff
(never who acted), so anyone can rebuild the sharing history from the public log; who acted
and the attestation's signer are in the committed private part. Versions are never edited in
place, so ``agreements(owner, at)`` answers for any past moment.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from ..core.clock import parse_utc
from ..core.errors import ConflictError, InputError, NotFoundError
from ..core.events import EventType, PublicValue
from ..core.identity import User
from ..core.search import Purpose
from ._db import to_us
from .accounts import validate_id, validate_state
from .admin_grants import PROPOSAL_TTL
from .agreement import (
    Attestation,
    SharingAgreement,
    Status,
    check_terms,
    is_narrowing,
    parse_purposes,
    terms_diff,
)
from .independence import Signature, decode_signers, encode_signers, require_independent, signature
from .roles import require_admin
from .sharing_queries import SharingQueries, agreement_from_row

MAX_TERM = timedelta(days=5 * 366)


class SharingRegistry(SharingQueries):
    """Agreements in ``identity.db``; every change needs an admin of the owner agency."""

    # -- changes ----------------------------------------------------------------------------

    def propose(
        self,
        owner_agency_id: str,
        *,
        purposes: Iterable[Purpose | str],
        expires_at: datetime | str,
        actor: User,
        grantee_agency_id: str | None = None,
        grantee_state: str | None = None,
        attestation: Attestation | None = None,
    ) -> SharingAgreement:
        """Proposes a new agreement; it grants nothing until another admin approves it."""
        if (grantee_agency_id is None) == (grantee_state is None):
            raise InputError("name either a grantee agency or a grantee state", field="grantee")
        if grantee_agency_id is not None:
            validate_id(grantee_agency_id, "grantee_agency_id")
        state = validate_state(grantee_state, "grantee_state") if grantee_state else None
        terms = parse_purposes(purposes)
        now = self._now()
        expiry = self._expiry(expires_at, now)
        self._check_attestation(attestation, now)
        check_terms(terms, attestation)
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            require_admin(acting, owner_agency_id)
            if grantee_agency_id == owner_agency_id:
                raise InputError("an agency needs no agreement with itself", field="grantee")
            if (
                grantee_agency_id is not None
                and not conn.execute(
                    "SELECT 1 FROM agencies WHERE id = ?", (grantee_agency_id,)
                ).fetchone()
            ):
                raise NotFoundError(f"no agency {grantee_agency_id!r}; add it first")
            clash = conn.execute(
                "SELECT agreement_id FROM sharing_versions WHERE owner_agency_id = ? AND "
                "grantee_agency_id IS ? AND grantee_state IS ? AND status IN ('pending', 'active')",
                (owner_agency_id, grantee_agency_id, state),
            ).fetchone()
            if clash:
                raise ConflictError(
                    f"agreement {clash[0]} already covers this grantee; amend or revoke it"
                )
            new = SharingAgreement(
                id=f"shr-{secrets.token_hex(4)}",
                version=1,
                owner_agency_id=owner_agency_id,
                grantee_agency_id=grantee_agency_id,
                grantee_state=state,
                purposes=terms,
                expires_at=expiry,
                status=Status.PENDING,
                proposed_at=now,
                proposed_by=acting.id,
                attestation=attestation,
            )
            self._insert(conn, new, signature(conn, acting))
            self._record(conn, new, "proposed", terms_diff(None, new), acting, now)
        return new

    def amend(
        self,
        agreement_id: str,
        *,
        actor: User,
        purposes: Iterable[Purpose | str] | None = None,
        expires_at: datetime | str | None = None,
        attestation: Attestation | None = None,
        drop_attestation: bool = False,
    ) -> SharingAgreement:
        """New terms for an agreement in force. Narrowing applies at once; anything that
        widens access becomes a proposal for a second admin to approve."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            old = self._active(conn, agreement_id)
            require_admin(acting, old.owner_agency_id)
            if self._pending(conn, agreement_id) is not None:
                raise ConflictError(f"{agreement_id} already has a pending change; decide it first")
            terms = old.purposes if purposes is None else parse_purposes(purposes)
            expiry = old.expires_at if expires_at is None else self._expiry(expires_at, now)
            attest = (
                None
                if drop_attestation
                else (attestation if attestation is not None else old.attestation)
            )
            if attestation is not None:
                self._check_attestation(attestation, now)
            check_terms(terms, attest)
            if (terms, expiry, attest) == (old.purposes, old.expires_at, old.attestation):
                raise InputError("the new terms are the same as the old ones")
            narrowing = is_narrowing(old, terms, expiry, attest)
            new = SharingAgreement(
                id=old.id,
                version=old.version + 1,
                owner_agency_id=old.owner_agency_id,
                grantee_agency_id=old.grantee_agency_id,
                grantee_state=old.grantee_state,
                purposes=terms,
                expires_at=expiry,
                status=Status.ACTIVE if narrowing else Status.PENDING,
                proposed_at=now,
                proposed_by=acting.id,
                attestation=attest,
                base_version=old.version,
                decided_by=acting.id if narrowing else None,
                decided_at=now if narrowing else None,
                effective_from=now if narrowing else None,
            )
            if narrowing:
                self._end(conn, old, Status.SUPERSEDED, now)
            self._insert(conn, new, signature(conn, acting))
            action = "narrowed" if narrowing else "proposed"
            self._record(conn, new, action, terms_diff(old, new), acting, now)
        return new

    def attest(
        self, agreement_id: str, attestation: Attestation, *, actor: User
    ) -> SharingAgreement:
        """Puts a (new) written attestation on file: widening, so it needs a second admin."""
        return self.amend(agreement_id, actor=actor, attestation=attestation)

    def approve(self, agreement_id: str, *, actor: User) -> SharingAgreement:
        """Approves the pending version; the approver must be another admin of the owner."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            pending = self._pending(conn, agreement_id)
            if pending is None:
                raise NotFoundError(f"{agreement_id} has no pending change to approve")
            require_admin(acting, pending.owner_agency_id)
            require_independent(
                conn, self._proposer(conn, pending), signature(conn, acting),
                what="approving a sharing change",
            )  # fmt: skip
            if now - pending.proposed_at > PROPOSAL_TTL:
                raise ConflictError("the proposal is older than 14 days; reject it, propose again")
            if pending.expires_at <= now:
                raise ConflictError("the proposed expiry has passed; reject it, propose again")
            old = None
            if pending.base_version is not None:
                old = self._active(conn, agreement_id)
                if old.version != pending.base_version:
                    raise ConflictError("the agreement changed since this proposal; propose again")
                self._end(conn, old, Status.SUPERSEDED, now)
            conn.execute(
                "UPDATE sharing_versions SET status = ?, decided_by = ?, decided_at = ?, "
                "effective_from = ? WHERE agreement_id = ? AND version = ?",
                (
                    Status.ACTIVE.value,
                    acting.id,
                    to_us(now),
                    to_us(now),
                    agreement_id,
                    pending.version,
                ),
            )
            approved = self._version(conn, agreement_id, pending.version)
            diff = {**terms_diff(old, approved), "two_person": True}
            self._record(conn, approved, "approved", diff, acting, now)
        return approved

    def reject(self, agreement_id: str, *, actor: User) -> SharingAgreement:
        """Refuses (or, by its proposer, withdraws) the pending version."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            pending = self._pending(conn, agreement_id)
            if pending is None:
                raise NotFoundError(f"{agreement_id} has no pending change to reject")
            require_admin(acting, pending.owner_agency_id)
            self._decide(conn, pending, Status.REJECTED, acting, now)
            rejected = self._version(conn, agreement_id, pending.version)
            self._record(conn, rejected, "rejected", rejected.public(), acting, now)
        return rejected

    def revoke(self, agreement_id: str, *, actor: User) -> SharingAgreement:
        """Ends an agreement at once (one admin suffices: it only takes access away)."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            old = self._active(conn, agreement_id)
            require_admin(acting, old.owner_agency_id)
            pending = self._pending(conn, agreement_id)
            if pending is not None:
                self._decide(conn, pending, Status.REJECTED, acting, now)
            self._end(conn, old, Status.REVOKED, now)
            revoked = self._version(conn, agreement_id, old.version)
            self._record(conn, revoked, "revoked", revoked.public(), acting, now)
        return revoked

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _proposer(conn: sqlite3.Connection, pending: SharingAgreement) -> Signature:
        """The proposer's signature as recorded with the proposal."""
        row = conn.execute(
            "SELECT proposed_signers FROM sharing_versions WHERE agreement_id = ? AND version = ?",
            (pending.id, pending.version),
        ).fetchone()
        return Signature(pending.proposed_by, decode_signers(row[0], pending.proposed_by))

    def _expiry(self, raw: datetime | str, now: datetime) -> datetime:
        expiry = parse_utc(raw, field="expires_at")
        if expiry <= now:
            raise InputError("must be in the future", field="expires_at")
        if expiry - now > MAX_TERM:
            raise InputError("agreements run at most 5 years; renew them", field="expires_at")
        return expiry

    @staticmethod
    def _check_attestation(attestation: Attestation | None, now: datetime) -> None:
        if attestation is not None and attestation.attested_at > now:
            raise InputError("an attestation cannot be dated in the future", field="attested_at")

    @staticmethod
    def _version(conn: sqlite3.Connection, agreement_id: str, version: int) -> SharingAgreement:
        row = conn.execute(
            "SELECT * FROM sharing_versions WHERE agreement_id = ? AND version = ?",
            (agreement_id, version),
        ).fetchone()
        return agreement_from_row(row)

    @staticmethod
    def _pending(conn: sqlite3.Connection, agreement_id: str) -> SharingAgreement | None:
        row = conn.execute(
            "SELECT * FROM sharing_versions WHERE agreement_id = ? AND status = 'pending'",
            (agreement_id,),
        ).fetchone()
        return agreement_from_row(row) if row else None

    @staticmethod
    def _active(conn: sqlite3.Connection, agreement_id: str) -> SharingAgreement:
        row = conn.execute(
            "SELECT * FROM sharing_versions WHERE agreement_id = ? AND status = 'active'",
            (agreement_id,),
        ).fetchone()
        if row is None:
            known = conn.execute(
                "SELECT 1 FROM sharing_versions WHERE agreement_id = ?", (agreement_id,)
            ).fetchone()
            if known is None:
                raise NotFoundError(f"no sharing agreement {str(agreement_id)[:40]!r}")
            raise ConflictError(f"agreement {agreement_id} is not in force (pending or ended)")
        return agreement_from_row(row)

    @staticmethod
    def _end(
        conn: sqlite3.Connection, old: SharingAgreement, status: Status, now: datetime
    ) -> None:
        conn.execute(
            "UPDATE sharing_versions SET status = ?, ended_at = ? WHERE agreement_id = ? AND "
            "version = ?",
            (status.value, to_us(now), old.id, old.version),
        )

    @staticmethod
    def _decide(
        conn: sqlite3.Connection,
        pending: SharingAgreement,
        status: Status,
        acting: User,
        now: datetime,
    ) -> None:
        conn.execute(
            "UPDATE sharing_versions SET status = ?, decided_by = ?, decided_at = ? WHERE "
            "agreement_id = ? AND version = ?",
            (status.value, acting.id, to_us(now), pending.id, pending.version),
        )

    @staticmethod
    def _insert(conn: sqlite3.Connection, a: SharingAgreement, proposer: Signature) -> None:
        conn.execute(
            "INSERT INTO sharing_versions (agreement_id, version, owner_agency_id, "
            "grantee_agency_id, grantee_state, purposes, expires_at, attestation, status, "
            "base_version, proposed_by, proposed_at, decided_by, decided_at, effective_from, "
            "proposed_signers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a.id,
                a.version,
                a.owner_agency_id,
                a.grantee_agency_id,
                a.grantee_state,
                json.dumps(sorted(p.value for p in a.purposes)),
                to_us(a.expires_at),
                json.dumps(a.attestation.to_json()) if a.attestation else None,
                a.status.value,
                a.base_version,
                a.proposed_by,
                to_us(a.proposed_at),
                a.decided_by,
                to_us(a.decided_at) if a.decided_at else None,
                to_us(a.effective_from) if a.effective_from else None,
                encode_signers(proposer.signers),
            ),
        )

    def _record(
        self,
        conn: sqlite3.Connection,
        agreement: SharingAgreement,
        action: str,
        diff: dict[str, PublicValue],
        acting: User,
        now: datetime,
    ) -> None:
        """History row and audit event of one change, in the change's own transaction."""
        conn.execute(
            "INSERT INTO sharing_history (at, agreement_id, version, owner_agency_id, action, "
            "public, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                to_us(now),
                agreement.id,
                agreement.version,
                agreement.owner_agency_id,
                action,
                json.dumps(diff, sort_keys=True),
                acting.id,
            ),
        )
        # The agreement's terms are public (the portal lists them); who acted is not.
        public: dict[str, PublicValue] = {"action": action, **diff}
        if agreement.grantee_agency_id is not None:
            row = conn.execute(
                "SELECT state, type FROM agencies WHERE id = ?", (agreement.grantee_agency_id,)
            ).fetchone()
            public["agency_state"], public["agency_type"] = row["state"], row["type"]
        private: dict[str, object] = {
            "actor": acting.id,
            "proposed_by": agreement.proposed_by,
            "diff": diff,
        }
        if agreement.attestation is not None:
            private["attestation"] = agreement.attestation.to_json()
        self._emit(EventType.SHARING_CHANGED, agreement.owner_agency_id, public, private, now)
