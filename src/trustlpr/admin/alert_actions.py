"""An officer's record of what came of a confirmed alert (``alerts.outcome``) as an action of
the one table, so ``trustlpr alerts outcome`` works while ``trustlpr serve`` holds the data
directory (through the admin socket) as well as without it.

The alert service records the outcome once and audits it; this action checks that the signer
is an officer or supervisor of this node's agency, as ``POST /api/v1/alerts/{id}/outcome``
does.
"""

from __future__ import annotations

from pydantic import Field

from ..core.clock import iso
from ..core.hotlist import StopOutcome
from ..core.identity import Role, User
from ..identity import require_role, require_same_agency
from .actions import Action, AdminService, Result, _action, _signed

OFFICERS = (Role.OFFICER, Role.SUPERVISOR)


@_action("alerts.outcome")
class AlertOutcome(Action):
    id: str = Field(min_length=1, max_length=64)
    outcome: StopOutcome
    note: str = Field("", max_length=1000)

    def __repr__(self) -> str:  # the note may name people
        return f"AlertOutcome(outcome={self.outcome.value!r})"

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _signed(actor)
        require_role(user, *OFFICERS)
        require_same_agency(user, admin.agency_id)
        record = admin.alerts.record_outcome(
            self.id, self.outcome.value, note=self.note, user=user.id
        )
        return {
            "id": record.id,
            "outcome": self.outcome.value,
            "by": record.outcome_by,
            "at": iso(record.outcome_at) if record.outcome_at else None,
        }
