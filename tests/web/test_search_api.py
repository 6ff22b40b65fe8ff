"""The search API over a real node: who asks comes from the token; bad input is a 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings.load(tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        ids.add_user("sgt", "nhpd", Role.SUPERVISOR, "Sergeant", actor=admin)
        tokens = {  # each mints their own: a token minted by another names its minter too
            who: ids.create_token(who, actor=ids.user(who)).plaintext
            for who in ("ofc", "sgt", "adm")
        }
        system.ingest(
            [Read("API123", "CT", 0.9, NOW - timedelta(days=d, hours=2), "cam-1", "nhpd", 41.3,
                  -72.9) for d in range(10)]
            + [Read(plate, "CT", 0.9, NOW - timedelta(hours=2), "cam-1", "nhpd", 41.3, -72.9,
                    make=make, colour="blue") for plate, make in (("BLU111", "Chevrolet"),
                                                                  ("BLU222", "Ford"))]
        )  # fmt: skip
        yield TestClient(create_app(system)), tokens


def body(days: float = 5, **changes: object) -> dict[str, object]:
    query = {
        "type": "exact",
        "plate": "API123",
        "window_start": (NOW - timedelta(days=days)).isoformat(),
        "window_end": NOW.isoformat(),
    }
    query.update(changes.pop("query", {}))  # type: ignore[call-overload]
    data: dict[str, object] = {
        "purpose": "stolen_vehicle",
        "case_number": "26-000777",
        "legal_basis": "hotlist",
        "reason": "stolen white Honda reported by owner 11/2",
        "query": query,
    }
    data.update(changes)
    return data


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_allowed_search_answers_200_with_results(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    answer = client.post("/api/v1/searches", json=body(), headers=bearer(tokens["ofc"]))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["decision"] == "allow" and len(data["results"]) == 5
    assert data["audit_index"] < data["result_audit_index"]


def test_denied_search_answers_403_with_reasons(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    answer = client.post(
        "/api/v1/searches",
        json=body(purpose="immigration_enforcement"),
        headers=bearer(tokens["ofc"]),
    )
    assert answer.status_code == 403
    data = answer.json()
    assert data["results"] == [] and {r["rule"] for r in data["reasons"]}


def test_held_search_is_approved_through_the_api(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    held = client.post("/api/v1/searches", json=body(days=9), headers=bearer(tokens["ofc"]))
    assert held.status_code == 202
    request_id = held.json()["request_id"]
    pending = client.get("/api/v1/searches/pending", headers=bearer(tokens["sgt"])).json()
    assert [p["request_id"] for p in pending] == [request_id]
    own = client.post(
        f"/api/v1/searches/{request_id}/approve", json={"note": "mine"},
        headers=bearer(tokens["ofc"]),
    )  # fmt: skip
    assert own.status_code == 403
    for nosy in ("ofc",):  # the queue is for those who may decide it
        assert (
            client.get("/api/v1/searches/pending", headers=bearer(tokens[nosy])).status_code == 403
        )
    waiting = client.get(f"/api/v1/searches/{request_id}", headers=bearer(tokens["ofc"]))
    assert waiting.status_code == 202 and waiting.json()["status"] == "pending_approval"
    done = client.post(
        f"/api/v1/searches/{request_id}/approve", json={"note": "case file checked"},
        headers=bearer(tokens["sgt"]),
    )  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["results"] == []  # the supervisor sees the decision, not the sightings
    again = client.post(
        f"/api/v1/searches/{request_id}/approve", json={"note": "x"},
        headers=bearer(tokens["sgt"]),
    )  # fmt: skip
    assert again.status_code == 409
    peek = client.get(f"/api/v1/searches/{request_id}", headers=bearer(tokens["sgt"]))
    assert peek.status_code == 403 and "results" not in peek.json()
    mine = client.get("/api/v1/searches/mine", headers=bearer(tokens["ofc"])).json()
    assert [(m["request_id"], m["status"]) for m in mine] == [(request_id, "approved")]
    got = client.get(f"/api/v1/searches/{request_id}", headers=bearer(tokens["ofc"]))
    assert got.status_code == 200 and len(got.json()["results"]) == 9
    unknown = client.get("/api/v1/searches/s-none", headers=bearer(tokens["ofc"]))
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(query={"window_start": "2026-11-01T00:00:00"}), "window_start"),
        (body(purpose="revenge"), "purpose"),
        (body(requester={"user_id": "someone-else"}), "requester"),
        (body(query={"plate": "X" * 40}), "plate"),
    ],
)
def test_malformed_requests_are_422_naming_the_field(
    api: tuple[TestClient, dict[str, str]], payload: dict[str, object], field: str
) -> None:
    client, tokens = api
    answer = client.post("/api/v1/searches", json=payload, headers=bearer(tokens["ofc"]))
    assert answer.status_code == 422
    assert field in answer.text


def test_no_or_bad_credentials_are_401(api: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = api
    assert client.post("/api/v1/searches", json=body()).status_code == 401
    bad = client.post("/api/v1/searches", json=body(), headers=bearer("tlpr_nope_nope"))
    assert bad.status_code == 401


def test_bad_plate_text_is_422_not_500(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    answer = client.post(
        "/api/v1/searches", json=body(query={"plate": "AB\u202e12"}), headers=bearer(tokens["ofc"])
    )
    assert answer.status_code == 422 and "plate" in answer.text


def test_malformed_query_is_refused_before_anything_is_logged(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = api
    system = client.app.state.system  # type: ignore[attr-defined]
    size = system.audit.log.size
    for query in (
        {"plate": "AB\u202e12"},
        {"type": "partial", "plate": None, "pattern": "A*"},
        {"type": "area", "plate": None},
        {"window_end": (NOW - timedelta(days=30)).isoformat()},
    ):
        answer = client.post(
            "/api/v1/searches", json=body(query=query), headers=bearer(tokens["ofc"])
        )
        assert answer.status_code == 422, (query, answer.text)
    assert system.audit.log.size == size


def test_a_warrant_scope_is_carried_and_checked(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    scope = {
        "court": "Superior Court, New Haven",
        "window_start": (NOW - timedelta(days=60)).isoformat(),
        "window_end": NOW.isoformat(),
        "plates": ["api 123"],
    }
    warrant = {"legal_basis": "warrant", "warrant_id": "SW-2026-0412"}
    plain = client.post(
        "/api/v1/searches", json=body(days=40, **warrant), headers=bearer(tokens["ofc"])
    )
    assert plain.status_code == 403 and "window.too-long" in plain.text
    held = client.post(
        "/api/v1/searches", json=body(days=40, warrant_scope=scope, **warrant),
        headers=bearer(tokens["ofc"]),
    )  # fmt: skip
    assert held.status_code == 202, held.text
    assert [r["rule"] for r in held.json()["reasons"]] == ["approval.warrant-scope"]
    [queued] = client.get("/api/v1/searches/pending", headers=bearer(tokens["sgt"])).json()
    assert (queued["legal_basis"], queued["warrant_id"]) == ("warrant", "SW-2026-0412")
    assert queued["warrant_scope"] == {  # what the order authorises; its plates only counted
        "court": "Superior Court, New Haven",
        "window_start": (NOW - timedelta(days=60)).isoformat().replace("+00:00", "Z"),
        "window_end": NOW.isoformat().replace("+00:00", "Z"), "cameras": None, "plates_count": 1,
    }  # fmt: skip
    for bad, field in (
        ({**scope, "plates": ["\u0410PI123"]}, "warrant_scope.plates"),
        ({**scope, "window_end": scope["window_start"]}, "warrant_scope.window_end"),
        ({**scope, "court": ""}, "court"),
        ({**scope, "number": "SW-1"}, "number"),
    ):
        answer = client.post(
            "/api/v1/searches", json=body(warrant_scope=bad, **warrant),
            headers=bearer(tokens["ofc"]),
        )  # fmt: skip
        assert answer.status_code == 422 and field in answer.text, (bad, answer.text)


def test_an_attribute_search_is_judged_like_an_area_search(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = api
    attribute = {
        "type": "attribute",
        "plate": None,
        "cameras": ["cam-1"],
        "make": "chevy",
        "colour": "navy",
        "window_start": (NOW - timedelta(hours=20)).isoformat(),
    }
    grave = {"purpose": "violent_felony", "offense_code": "homicide", "query": attribute,
             "reason": "homicide on Elm St, witness saw a dark blue Chevrolet leave"}  # fmt: skip
    refused = client.post("/api/v1/searches", json=body(**grave), headers=bearer(tokens["ofc"]))
    assert refused.status_code == 403 and refused.json()["results"] == []
    assert "legal-basis.insufficient" in {r["rule"] for r in refused.json()["reasons"]}
    allowed = client.post(
        "/api/v1/searches", json=body(legal_basis="warrant", warrant_id="SW-1", **grave),
        headers=bearer(tokens["ofc"]),
    )  # fmt: skip
    assert allowed.status_code == 200, allowed.text
    assert [r["plate"] for r in allowed.json()["results"]] == ["BLU111"]
    system = client.app.state.system  # type: ignore[attr-defined]
    size = system.audit.log.size
    for query, field in (
        ({**attribute, "colour": "plaid"}, "colour"),
        ({**attribute, "make": None, "colour": None}, "make"),
        ({"make": "ford"}, "make"),  # on an exact search
    ):
        answer = client.post(
            "/api/v1/searches", json=body(query=query), headers=bearer(tokens["ofc"])
        )
        assert answer.status_code == 422 and field in answer.text, (query, answer.text)
    assert system.audit.log.size == size


def test_an_area_search_takes_geojson_and_bad_areas_get_precise_errors(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = api
    square = [[-72.905, 41.295], [-72.895, 41.295], [-72.895, 41.305], [-72.905, 41.305],
              [-72.905, 41.295]]  # fmt: skip
    area = {"type": "area", "plate": None, "area": {"type": "Polygon", "coordinates": [square]},
            "window_start": (NOW - timedelta(hours=3)).isoformat()}  # fmt: skip
    grave = {"purpose": "violent_felony", "offense_code": "homicide", "legal_basis": "warrant",
             "warrant_id": "SW-2",
             "reason": "homicide on Elm St, cars passing within the hour"}  # fmt: skip
    found = client.post("/api/v1/searches", json=body(query=area, **grave),
                        headers=bearer(tokens["ofc"]))  # fmt: skip
    assert found.status_code == 200, found.text
    assert sorted(r["plate"] for r in found.json()["results"]) == ["API123", "BLU111", "BLU222"]
    system = client.app.state.system  # type: ignore[attr-defined]
    size = system.audit.log.size
    crossing = [[-72.905, 41.295], [-72.895, 41.305], [-72.895, 41.295], [-72.905, 41.305],
                [-72.905, 41.295]]  # fmt: skip
    many = [[-72.9 + 0.001 * (i % 7), 41.3 + 0.0001 * i] for i in range(1200)]
    for shape, status, says in (
        ({"type": "Polygon", "coordinates": [crossing]}, 422, "Self-intersection"),
        ({"type": "Polygon", "coordinates": [square[:-1]]}, 422, "must end where it starts"),
        ({"type": "Point", "coordinates": [-72.9, 41.3], "radius_m": 99_000}, 422, "radius_m"),
        ({"type": "Point", "coordinates": [-72.9, 41.3]}, 422, "needs radius_m"),
        ({"type": "LineString", "coordinates": square}, 422, "not a Polygon"),
        ({"type": "Polygon", "coordinates": [[*many, many[0]]]}, 413, "at most 1000"),
        ({"type": "Point", "coordinates": [-72.9, 41.3], "radius_m": 20_000}, 403, "scope.area"),
    ):
        answer = client.post(
            "/api/v1/searches", json=body(query={**area, "area": shape}, **grave),
            headers=bearer(tokens["ofc"]),
        )  # fmt: skip
        assert answer.status_code == status and says in answer.text, (shape, answer.text)
    assert system.audit.log.size == size + 1  # only the judged (refused) search is logged
