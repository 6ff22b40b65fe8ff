"""Questions to the sharing registry: which agreements are in force, who has access, whether
an attestation is on file, and the published change history.

Answers are computed from the stored versions, never from a hand-kept list, and hold for any
moment: a version counts from its approval until it is superseded, revoked or expires.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from ..core.errors import InputError, NotFoundError, PolicyDenied
from ..core.identity import Agency, AgencyType
from ..core.search import Purpose, Reason
from ._db import StoreBase, from_us, opt_dt, to_us
from .agreement import Attestation, Grantee, SharingAgreement, SharingChange, Status

_IN_FORCE_SQL = (
    "SELECT * FROM sharing_versions WHERE owner_agency_id = ? AND status IN "
    "('active', 'superseded', 'revoked') AND effective_from <= ? "
    "AND (ended_at IS NULL OR ended_at > ?) AND expires_at > ? ORDER BY agreement_id"
)


def agreement_from_row(row: sqlite3.Row) -> SharingAgreement:
    return SharingAgreement(
        id=row["agreement_id"],
        version=row["version"],
        owner_agency_id=row["owner_agency_id"],
        grantee_agency_id=row["grantee_agency_id"],
        grantee_state=row["grantee_state"],
        purposes=frozenset(Purpose(p) for p in json.loads(row["purposes"])),
        expires_at=from_us(row["expires_at"]),
        status=Status(row["status"]),
        proposed_at=from_us(row["proposed_at"]),
        proposed_by=row["proposed_by"],
        attestation=Attestation.from_json(json.loads(row["attestation"]))
        if row["attestation"]
        else None,
        base_version=row["base_version"],
        decided_by=row["decided_by"],
        decided_at=opt_dt(row["decided_at"]),
        effective_from=opt_dt(row["effective_from"]),
        ended_at=opt_dt(row["ended_at"]),
    )


class SharingQueries(StoreBase):
    """Read-only questions about sharing agreements (the registry adds the changes)."""

    # -- questions --------------------------------------------------------------------------

    def get(self, agreement_id: str) -> SharingAgreement:
        """The latest version of an agreement."""
        rows = self._db.query(
            "SELECT * FROM sharing_versions WHERE agreement_id = ? ORDER BY version DESC LIMIT 1",
            (agreement_id,),
        )
        if not rows:
            raise NotFoundError(f"no sharing agreement {str(agreement_id)[:40]!r}")
        return agreement_from_row(rows[0])

    def versions(self, agreement_id: str) -> list[SharingAgreement]:
        rows = self._db.query(
            "SELECT * FROM sharing_versions WHERE agreement_id = ? ORDER BY version",
            (agreement_id,),
        )
        return [agreement_from_row(r) for r in rows]

    def listing(self, owner_agency_id: str | None = None) -> list[SharingAgreement]:
        """The latest version of every agreement (of one owner, or all), in any status."""
        sql = (
            "SELECT v.* FROM sharing_versions v WHERE v.version = (SELECT MAX(version) FROM "
            "sharing_versions w WHERE w.agreement_id = v.agreement_id)"
        )
        params: tuple[str, ...] = ()
        if owner_agency_id is not None:
            sql, params = sql + " AND v.owner_agency_id = ?", (owner_agency_id,)
        return [
            agreement_from_row(r) for r in self._db.query(sql + " ORDER BY v.agreement_id", params)
        ]

    def pending(self, owner_agency_id: str | None = None) -> list[SharingAgreement]:
        """Proposals waiting for a second admin."""
        return [a for a in self.listing(owner_agency_id) if a.status is Status.PENDING]

    def agreements(
        self, owner_agency_id: str, at: datetime | None = None
    ) -> list[SharingAgreement]:
        """The agreements of ``owner_agency_id`` in force at ``at`` (default: now)."""
        moment = to_us(at or self._now())
        rows = self._db.query(_IN_FORCE_SQL, (owner_agency_id, moment, moment, moment))
        return [agreement_from_row(r) for r in rows]

    def attestation_on_file(
        self, owner_agency_id: str, grantee: Agency | str, at: datetime | None = None
    ) -> bool:
        """Whether an agreement in force covers ``grantee`` with a complete, dated attestation.
        An unknown grantee agency has none."""
        agency = self._resolve(grantee)
        moment = at or self._now()
        return agency is not None and any(
            a.covers(agency)
            and a.attestation is not None
            and a.attestation.complete
            and a.attestation.attested_at <= moment
            for a in self.agreements(owner_agency_id, moment)
        )

    def require_agreement(
        self,
        owner_agency_id: str,
        grantee: Agency,
        purpose: Purpose,
        at: datetime | None = None,
    ) -> SharingAgreement:
        """The agreement in force that lets ``grantee`` reach the owner's data for ``purpose``;
        ``PolicyDenied`` with reasons if there is none."""
        if grantee.id == owner_agency_id:
            raise InputError("the owner agency's own users need no agreement", field="grantee")
        covering = [a for a in self.agreements(owner_agency_id, at) if a.covers(grantee)]
        for agreement in covering:
            if purpose in agreement.purposes:
                return agreement
        if covering:
            reason = Reason(
                "sharing.purpose_not_covered",
                f"the sharing agreement does not cover the purpose {purpose.value!r}",
            )
        else:
            reason = Reason(
                "sharing.no_agreement",
                f"{owner_agency_id!r} has no sharing agreement in force with {grantee.id!r}",
            )
        raise PolicyDenied("no sharing agreement allows this access", [str(reason)])

    def grantees(self, owner_agency_id: str, at: datetime | None = None) -> list[Grantee]:
        """Every agency (or state's police) with access at ``at``, for the public portal."""
        found: list[Grantee] = []
        for a in self.agreements(owner_agency_id, at):
            agency = self._resolve(a.grantee_agency_id) if a.grantee_agency_id else None
            found.append(
                Grantee(
                    agreement_id=a.id,
                    agency_id=a.grantee_agency_id,
                    state=agency.state if agency else str(a.grantee_state),
                    name=agency.name if agency else a.grantee_label,
                    type=agency.type if agency else None,
                    purposes=tuple(sorted(a.purposes, key=lambda p: p.value)),
                    expires_at=a.expires_at,
                    attestation_on_file=a.attestation_complete,
                )
            )
        return found

    def history(self, owner_agency_id: str | None = None) -> list[SharingChange]:
        """Every change, oldest first, with its public diff (the portal's "sharing history")."""
        sql, params = "SELECT * FROM sharing_history", ()
        if owner_agency_id is not None:
            sql, params = sql + " WHERE owner_agency_id = ?", (owner_agency_id,)  # type: ignore[assignment]
        rows = self._db.query(sql + " ORDER BY seq", params)
        return [
            SharingChange(
                seq=r["seq"],
                at=from_us(r["at"]),
                agreement_id=r["agreement_id"],
                version=r["version"],
                owner_agency_id=r["owner_agency_id"],
                action=r["action"],
                diff=json.loads(r["public"]),
                actor_id=r["actor_id"],
            )
            for r in rows
        ]

    def _resolve(self, grantee: Agency | str | None) -> Agency | None:
        if isinstance(grantee, Agency):
            return grantee
        rows = self._db.query("SELECT * FROM agencies WHERE id = ?", (grantee,))
        if not rows:
            return None
        r = rows[0]
        return Agency(id=r["id"], name=r["name"], state=r["state"], type=AgencyType(r["type"]))
