"""A warrant-backed search through the service: the scope waits for a supervisor in the queue
(and survives it), the public log says a warrant was used and nothing more (issue 15 item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from trustlpr.audit import parse_leaf
from trustlpr.core import LegalBasis, Purpose
from trustlpr.core.search import WarrantScope
from trustlpr.search import SearchForm, Status
from trustlpr.search.body import SearchBody, body_of
from trustlpr.transparency import compute_figures

from .conftest import NOW, World
from .test_service import form

WARRANT = "SW-2026-0412"
COURT = "Superior Court, Judicial District of New Haven"


def _warrant_form(days: int, scope_days: int) -> SearchForm:
    base = form(
        days=days,
        purpose=Purpose.VIOLENT_FELONY,
        reason="homicide on Elm St, witness saw the fleeing car",
        basis=LegalBasis.WARRANT,
        warrant=WARRANT,
    )
    scope = WarrantScope(COURT, NOW - timedelta(days=scope_days), NOW, None, ("AB12345",))
    return replace(base, offense_code="homicide", warrant_scope=scope)


def test_a_scoped_warrant_opens_a_longer_window_after_a_supervisor(world: World) -> None:
    # The store holds 20 days; the strict default lets a warrantless homicide search look back
    # 60 days and holds anything over 7: here 90 days under a 100-day warrant.
    out = world.service.request(world.officer, world.owner, _warrant_form(90, 100))
    assert out.status is Status.PENDING
    assert [r.rule for r in out.decision.reasons] == ["approval.warrant-scope"]
    (held,) = world.service.pending(world.supervisor)
    assert held.request is not None and held.request.warrant_scope is not None
    assert held.request.warrant_scope.court == COURT  # the queue keeps the scope
    world.service.decide_pending(world.supervisor, out.request_id, approve=True)
    done = world.service.fetch(world.officer, out.request_id)
    assert done.status is Status.COMPLETED and done.results
    assert {s.plate for s in done.results} == {"AB12345"}


def test_outside_the_scope_is_refused_and_never_queued(world: World) -> None:
    out = world.service.request(world.officer, world.owner, _warrant_form(30, 20))
    assert out.status is Status.DENIED
    assert "warrant.outside-window" in [r.rule for r in out.decision.reasons]
    assert world.service.pending(world.supervisor) == []


def test_the_public_log_says_a_warrant_was_used_never_its_number(world: World) -> None:
    scoped = world.service.request(world.officer, world.owner, _warrant_form(5, 10))
    plain = world.service.request(world.officer, world.owner, form())
    assert scoped.status is Status.COMPLETED and plain.status is Status.COMPLETED
    entries = list(world.audit.log.entries())
    leaves = [leaf for _, leaf in entries]
    blob = b"".join(leaves)
    assert WARRANT.encode() not in blob and b"Judicial District" not in blob
    decided = {i: parse_leaf(leaves[i])["public"] for i in (scoped.audit_index, plain.audit_index)}
    assert decided[scoped.audit_index]["warrant"] is True
    assert decided[plain.audit_index]["warrant"] is False
    private = world.audit.log.detail(scoped.audit_index).private
    assert private["warrant_id"] == WARRANT and private["warrant_scope"]["court"] == COURT
    figures = compute_figures(entries)
    assert figures["searches"]["warrant"] == {"allow": 1, "deny": 0, "needs_approval": 0}


def test_the_scope_travels_to_partner_nodes_in_the_search_body() -> None:
    sent = _warrant_form(90, 100)
    body = body_of(sent)
    assert body.warrant_scope is not None and body.warrant_scope.court == COURT
    assert SearchBody.model_validate(body.model_dump(mode="json")).form() == sent
