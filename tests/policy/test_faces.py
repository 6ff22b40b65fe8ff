"""Reason screening, the length cap and offense codes at every face: service, API, console
and CLI (issues 24 and 15).

A prohibited word is put at several positions of a reason up to the cap (first character,
middle, the very end of a reason exactly ``MAX_REASON_LENGTH`` long): every face denies it,
with the screening rule as the reason. One character over the cap, every face refuses the
request before judging it (a precise 4xx, CLI exit 65) and nothing is logged. NIBRS offense
codes are accepted by every face, and an unknown code is denied with the nearest valid ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustlpr.cli import app as cli_app
from trustlpr.core import Query, Role, SearchType
from trustlpr.core.errors import InputError
from trustlpr.core.search import LegalBasis, Outcome, Purpose
from trustlpr.policy.screening import MAX_REASON_LENGTH
from trustlpr.runtime import System, initialise
from trustlpr.search import SearchForm
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

PASSWORD = "correct horse battery staple 42"
WORD = "deportation"
FILLER = "stolen white Honda reported by owner on Elm St, "


def reason(at: int, length: int) -> str:
    """A reason ``length`` characters long with ``WORD`` starting at ``at`` (``-1``: none)."""
    body = (FILLER * (length // len(FILLER) + 2))[:length]
    if at < 0:
        return body
    at = min(at, length - len(WORD))
    before = body[: at - 1] + " " if at else ""
    return before + WORD + (" " + body)[: length - len(before) - len(WORD)]


POSITIONS = [0, 40, MAX_REASON_LENGTH // 2, MAX_REASON_LENGTH - len(WORD)]


def test_the_reasons_built_here_are_what_they_say() -> None:
    for at in POSITIONS:
        text = reason(at, MAX_REASON_LENGTH)
        assert len(text) == MAX_REASON_LENGTH and text[at : at + len(WORD)] == WORD, at
    assert WORD not in reason(-1, MAX_REASON_LENGTH)


@dataclass
class Node:
    settings: Settings
    token: str


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Node:
    data = tmp_path_factory.mktemp("faces") / "node"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin, password=PASSWORD)
        token = ids.create_token("ofc", actor=admin).plaintext
    return Node(settings, token)


@pytest.fixture
def system(node: Node) -> Iterator[System]:
    with System(node.settings) as opened:
        yield opened


def _form(text: str) -> SearchForm:
    now = datetime.now(UTC)
    return SearchForm(
        purpose=Purpose.STOLEN_VEHICLE,
        case_number="26-000777",
        legal_basis=LegalBasis.HOTLIST,
        reason=text,
        query=Query(SearchType.EXACT, now - timedelta(days=2), now, plate="FACE123"),
    )


def test_service(system: System, node: Node) -> None:
    user, agency = system.identity.authenticate(node.token)
    assert system.search.request(user, agency, _form(reason(-1, MAX_REASON_LENGTH))).decision
    for at in POSITIONS:
        outcome = system.search.request(user, agency, _form(reason(at, MAX_REASON_LENGTH)))
        assert outcome.decision.outcome is Outcome.DENY, at
        assert "reason.immigration" in {r.rule for r in outcome.decision.reasons}, at
    size = system.audit.log.size
    for over in (reason(-1, MAX_REASON_LENGTH + 1), reason(MAX_REASON_LENGTH, 50_000)):
        with pytest.raises(InputError) as info:
            system.search.request(user, agency, _form(over))
        assert info.value.field == "reason" and f"at most {MAX_REASON_LENGTH:,}" in str(info.value)
    assert system.audit.log.size == size


def _api_body(text: str, offense: str | None = None) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "purpose": "stolen_vehicle",
        "case_number": "26-000777",
        "legal_basis": "hotlist",
        "reason": text,
        "offense_code": offense,
        "query": {
            "type": "exact",
            "plate": "FACE123",
            "window_start": (now - timedelta(days=2)).isoformat(),
            "window_end": now.isoformat(),
        },
    }


def test_api(system: System, node: Node) -> None:
    client = TestClient(create_app(system))
    headers = {"Authorization": f"Bearer {node.token}"}
    answer = client.post("/api/v1/searches", json=_api_body(reason(-1, 2000)), headers=headers)
    assert answer.status_code == 200, answer.text
    for at in POSITIONS:
        body = _api_body(reason(at, MAX_REASON_LENGTH))
        answer = client.post("/api/v1/searches", json=body, headers=headers)
        assert answer.status_code == 403, at
        assert "reason.immigration" in {r["rule"] for r in answer.json()["reasons"]}, at
    size = system.audit.log.size
    body = _api_body(reason(MAX_REASON_LENGTH - 5, MAX_REASON_LENGTH + 1))
    answer = client.post("/api/v1/searches", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "reason"
    assert f"at most {MAX_REASON_LENGTH:,}" in answer.json()["detail"]
    assert system.audit.log.size == size


def _console(system: System) -> TestClient:
    client = TestClient(create_app(system), follow_redirects=False)
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    answer = client.post(
        "/console/login",
        data={"csrf": csrf.group(1), "user_id": "ofc", "password": PASSWORD, "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    client.cookies.set("trustlpr_session", answer.cookies["trustlpr_session"])
    return client


def _console_search(client: TestClient, text: str, offense: str = "") -> tuple[int, str]:
    page = client.get("/console/search")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    now = datetime.now(UTC)
    data = {
        "csrf": csrf.group(1),
        "purpose": "stolen_vehicle",
        "legal_basis": "hotlist",
        "search_type": "exact",
        "plate": "FACE123",
        "case_number": "26-000777",
        "window_start": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "window_end": now.strftime("%Y-%m-%dT%H:%M"),
        "reason": text,
        "offense_code": offense,
    }
    answer = client.post("/console/search", data=data)
    return answer.status_code, answer.text


def test_console(system: System) -> None:
    client = _console(system)
    status, _ = _console_search(client, reason(-1, MAX_REASON_LENGTH))
    assert status == 200
    for at in POSITIONS:
        status, page = _console_search(client, reason(at, MAX_REASON_LENGTH))
        assert status == 403 and "reason.immigration" in page, at
    size = system.audit.log.size
    status, page = _console_search(client, reason(-1, MAX_REASON_LENGTH + 1))
    assert status == 422
    assert re.search(r'id="reason"[^>]*aria-invalid="true"', page)
    assert f"at most {MAX_REASON_LENGTH:,}" in page
    assert system.audit.log.size == size


def _cli(node: Node, text: str, *more: str) -> tuple[int, str]:
    args = ["--data-dir", str(node.settings.data_dir), "search", "run", "--purpose",
            "stolen_vehicle", "--case", "26-000777", "--basis", "hotlist", "--reason", text,
            "--plate", "FACE123", "--days", "2", "--token", node.token, "--json",
            *more]  # fmt: skip
    result = CliRunner().invoke(cli_app, args)
    return result.exit_code, result.output


def test_cli(node: Node) -> None:
    def run(text: str) -> tuple[int, str]:
        return _cli(node, text)

    code, out = run(reason(-1, MAX_REASON_LENGTH))
    assert code == 0 and json.loads(out)["decision"] == "allow", out
    for at in POSITIONS:
        code, out = run(reason(at, MAX_REASON_LENGTH))
        answer = json.loads(out)
        assert answer["decision"] == "deny", at
        assert "reason.immigration" in {r["rule"] for r in answer["reasons"]}, at
    code, out = run(reason(MAX_REASON_LENGTH - 5, MAX_REASON_LENGTH + 1))
    assert code == 65, out
    assert "reason" in out and f"at most {MAX_REASON_LENGTH:,}" in " ".join(out.split())


GOOD = "stolen white Honda reported by owner on Elm St"


def _rules(reasons: list[dict[str, str]]) -> set[str]:
    return {r["rule"] for r in reasons}


def test_nibrs_codes_at_the_api(system: System, node: Node) -> None:
    client = TestClient(create_app(system))
    headers = {"Authorization": f"Bearer {node.token}"}
    for code in ("240", "23F", "Motor Vehicle Theft", "larceny of a motor vehicle"):
        answer = client.post("/api/v1/searches", json=_api_body(GOOD, code), headers=headers)
        assert answer.status_code == 200, (code, answer.text)
    answer = client.post("/api/v1/searches", json=_api_body(GOOD, "24O"), headers=headers)
    assert answer.status_code == 403
    [unknown] = [r for r in answer.json()["reasons"] if r["rule"] == "offense.unknown"]
    assert "240 Motor Vehicle Theft" in unknown["text"], unknown


def test_nibrs_codes_in_the_console(system: System) -> None:
    client = _console(system)
    page = client.get("/console/search").text
    assert '<optgroup label="NIBRS Group A">' in page and '<optgroup label="NIBRS Group B">' in page
    assert '<option value="13A">13A Aggravated Assault</option>' in page
    assert 'value="30A"' not in page  # Illegal Entry into the United States: never offered
    status, _ = _console_search(client, GOOD, "240")
    assert status == 200
    status, page = _console_search(client, GOOD, "13Z")
    assert status == 403 and "offense.unknown" in page and "13A Aggravated Assault" in page


def test_nibrs_codes_at_the_cli(node: Node) -> None:
    code, out = _cli(node, GOOD, "--offense", "240")
    assert code == 0 and json.loads(out)["decision"] == "allow", out
    code, out = _cli(node, GOOD, "--offense", "30A")
    answer = json.loads(out)
    assert answer["decision"] == "deny"
    assert "offense.prohibited-topic" in _rules(answer["reasons"])
