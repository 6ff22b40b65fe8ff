"""A federated attribute search over real HTTP: the partner that owns the reads judges it by
its own policy (here Connecticut's: a warrant, a short window, named cameras), whatever the
requester's policy allowed; a partner older than attribute searches refuses them clearly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.hotlist.servers import AppServer
from trustlpr.audit.leaf import parse_leaf
from trustlpr.core.reads import Read
from trustlpr.core.search import LegalBasis, Purpose, Query, SearchType
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.search import SearchForm, Status
from trustlpr.transparency import compute_figures

from .conftest import FedNode
from .test_search import PERMISSIVE, _agree, _decided, _form, _link, _officer, _run


def _attribute_form(basis: LegalBasis, warrant: str | None = None) -> SearchForm:
    end = datetime.now(UTC) - timedelta(minutes=30)  # the nodes' clock stands a little earlier
    return SearchForm(
        purpose=Purpose.VIOLENT_FELONY, case_number="26-004513", legal_basis=basis,
        reason="homicide on Elm St, a witness saw a dark blue Chevrolet leave",
        offense_code="homicide", warrant_id=warrant,
        query=Query(SearchType.ATTRIBUTE, end - timedelta(hours=20), end, cameras=("cam-1",),
                    vehicle=VehicleAttributes.parse(make="chevy", colour="navy")),
    )  # fmt: skip


def _owner(make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer],
           requester: FedNode) -> FedNode:  # fmt: skip
    ct = make_node("ct-town", "CT", policy="ct-pa-26-14")
    at = ct.system.clock() - timedelta(hours=3)
    ct.system.ingest([
        Read("BLU1111", "CT", 0.9, at, "cam-1", ct.id, 41.3, -72.9, make="Chevrolet",
             colour="Blue"),
        Read("RED2222", "CT", 0.9, at, "cam-1", ct.id, 41.3, -72.9, make="Chevrolet",
             colour="red"),
        Read("BLU3333", "CT", 0.9, at, "cam-9", ct.id, 41.3, -72.9, make="Chevrolet",
             colour="blue"),  # a camera the search does not name
    ])  # fmt: skip
    _link(ct, requester, serve(ct))
    _agree(ct, requester.id, ["violent_felony", "stolen_vehicle"], attested=True)
    return ct


def test_the_partner_judges_an_attribute_search_by_its_own_policy(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    ma = make_node("ma-town", "MA", policy=PERMISSIVE)  # allows it without a warrant
    ct = _owner(make_node, serve, ma)
    officer = _officer(ma)
    refused = _run(ma, officer, _attribute_form(LegalBasis.NONE), ["ct-town"])
    assert refused.local.status is Status.COMPLETED  # the requester's own policy allowed it
    [part] = refused.partners
    assert part.answered and part.decision == "deny" and part.results == ()
    assert "legal-basis.insufficient" in {r.rule for r in part.reasons}
    allowed = _run(ma, officer, _attribute_form(LegalBasis.WARRANT, "SW-2026-0413"), ["ct-town"])
    [part] = allowed.partners
    assert part.status == "completed" and part.decision == "allow", part
    assert [row["plate"] for row in part.results] == ["BLU1111"]
    decided = _decided(ct, "ma-town")
    assert [(d["search_type"], d["decision"]) for d in decided] == [
        ("attribute", "deny"), ("attribute", "allow")]  # fmt: skip


def test_a_partner_older_than_a_field_refuses_it_with_a_clear_note(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ma = make_node("ma-town", "MA", policy=PERMISSIVE)
    _owner(make_node, serve, ma)
    federated = ma.system.federated
    plain = federated._ask_body(_officer(ma), ma.system.owner, _form(), "s-ma1")
    assert not {"make", "colour", "vehicle_type"} & set(plain["query"])  # an exact search
    ask = federated._ask_body

    def newer(*args: Any) -> dict[str, Any]:
        body = ask(*args)
        body["query"]["wheels"] = 4  # what a newer node sends and this partner does not know
        return body

    monkeypatch.setattr(federated, "_ask_body", newer)
    outcome = _run(ma, ma.system.identity.user("ofc"), _form(), ["ct-town"])
    [part] = outcome.partners
    assert part.status == "unsupported" and part.results == ()
    assert "older version" in part.note and "query.wheels" in part.note, part.note
    assert part.decision == "error"  # not the partner's policy saying no
    log = ma.system.audit.log
    [(index, public)] = [
        (i, leaf["public"]) for i, leaf in ((i, parse_leaf(raw)) for i, raw in log.entries())
        if leaf["type"] == "federation_search" and leaf["public"]["action"] == "answered"
    ]  # fmt: skip
    assert (public["decision"], public["status"]) == ("error", "unsupported"), public
    assert "query.wheels" in log.detail(index).private["note"]  # the reason, privately
    figures = compute_figures(log.entries())
    [row] = figures["federation"]["out"]
    assert (row["partner"], row["decision"], row["count"]) == ("ct-town", "error", 1)
    assert figures["federation"]["requests_out"] == 1  # counted as asked, not as denied
