"""The protected-plates registry's changes as admin actions (``protected.add`` …), so they run
the same way in-process, over the admin socket while ``trustlpr serve`` holds the data
directory, and through ``POST /api/v1/admin/{action}``.

The registry itself enforces the two-admin rule and audits each change; an answer names the
plate only masked, whichever face asked.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..core.clock import iso
from ..core.identity import User
from ..core.protected import ProtectedCategory
from ..protected import ProtectedEntry
from .actions import Action, AdminService, Result, _action, _signed

EntryId = Annotated[str, Field(min_length=1, max_length=64)]


def entry_row(entry: ProtectedEntry) -> Result:
    """An entry as every face shows it: never its plate in full, never its note."""
    return {
        "id": entry.id,
        "status": entry.status.value,
        "category": entry.category.value,
        "plate": entry.masked_plate,
        "expires_at": iso(entry.expires_at),
        "review_at": iso(entry.review_at),
        "removal_proposed": entry.removal_proposed_by is not None,
    }


@_action("protected.add")
class ProtectedAdd(Action):
    plate: str = Field(min_length=1, max_length=64)
    category: ProtectedCategory
    expires_at: str = Field(min_length=1, max_length=64)
    review_at: str | None = Field(None, max_length=64)
    state: str | None = Field(None, max_length=8)
    note: str = ""

    def __repr__(self) -> str:  # the plate and note are what the registry protects
        return f"ProtectedAdd(category={self.category.value!r})"

    def run(self, admin: AdminService, actor: User | None) -> Result:
        entry = admin.protected.propose(
            self.plate, category=self.category, expires_at=self.expires_at,
            review_at=self.review_at, state=self.state, note=self.note, actor=_signed(actor),
        )  # fmt: skip
        return entry_row(entry)


@_action("protected.approve")
class ProtectedApprove(Action):
    id: EntryId

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return entry_row(admin.protected.approve(self.id, actor=_signed(actor)))


@_action("protected.reject")
class ProtectedReject(Action):
    id: EntryId

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return entry_row(admin.protected.reject(self.id, actor=_signed(actor)))


@_action("protected.remove")
class ProtectedRemove(Action):
    id: EntryId

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return entry_row(admin.protected.propose_removal(self.id, actor=_signed(actor)))
