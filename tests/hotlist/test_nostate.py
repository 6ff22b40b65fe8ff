"""Cameras that read no state (Frigate): the policy decides whether an exact plate-text match
is an alert, pushed and marked "state not read", or a possible match; the portal counts the
alerts on the plate text alone apart, from the public log like every figure."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import open_node
from tests.hotlist.servers import WebhookReceiver
from trustlpr.audit import parse_leaf
from trustlpr.core import Read
from trustlpr.core.errors import PolicyError
from trustlpr.hotlist import HotlistMatcher, Why
from trustlpr.hotlist.matcher import ListIndex
from trustlpr.policy import load_policy
from trustlpr.policy.loader import POLICY_DIR, parse_policy
from trustlpr.runtime import System
from trustlpr.store import RetentionClass
from trustlpr.transparency import compute_figures

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "webhook-secret-0123456789"


def test_the_policy_parameter_is_read_checked_and_defaults_to_possible() -> None:
    assert load_policy("ct-pa-26-14").alerts_without_state
    assert not load_policy("strict-default").alerts_without_state
    assert not load_policy("nh-rsa-261-75b").alerts_without_state
    path = POLICY_DIR / "ct-pa-26-14.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    del data["hotlist"]["no_state_match"]
    del data["sources"]["cite"]["hotlist.no_state_match"]  # its citation would name nothing
    policy = parse_policy(data, path)
    assert policy.no_state_match.value == "possible" and not policy.alerts_without_state
    data["hotlist"]["no_state_match"] = "always"
    with pytest.raises(PolicyError, match=r"hotlist\.no_state_match.*alert, possible"):
        parse_policy(data, path)
    assert load_policy("ct-pa-26-14").to_dict()["hotlist"]["no_state_match"] == "alert"


def test_the_matcher_alerts_on_an_unread_state_only_when_told(clock: FakeClock) -> None:
    index = ListIndex("ncic")
    index.add(1, "ABC1234", "CT", "V", (clock.now + timedelta(days=1)).timestamp())
    for alerting, expected in ((False, ()), (True, (Why.STATE_UNKNOWN,))):
        matcher = HotlistMatcher(clock, alert_unknown_state=alerting)
        matcher.install(index)
        no_state = matcher.match_plate("ABC1234", None)
        assert tuple(c.why for c in no_state.alerts) == expected
        assert no_state.hit is alerting and bool(no_state)
        # another state, or a confusion sibling, is never an alert
        assert not matcher.match_plate("ABC1234", "NY").hit
        assert not matcher.match_plate("A8C1234", None).hit


@pytest.fixture(params=["ct-pa-26-14", "strict-default"])
def node(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    yield from open_node(tmp_path, request.param)


def test_a_frigate_read_follows_the_policy(node: System) -> None:
    alerting = node.policy.alerts_without_state
    frigate = Read("AB1234", None, 0.91, NOW - timedelta(minutes=2), "cam-1", "nhpd", 41.3, -72.9)
    with WebhookReceiver() as hook:
        node.alerts.add_target(hook.url, actor="adm", secret=SECRET)
        assert node.ingest([frigate], {0: b"jpeg"}) == 1
        assert node.alerts.dispatcher.flush(20)
    (found,) = node.alerts.list_alerts()
    assert found.why == "state_unknown" and "state_unknown" in found.warnings
    (stored,) = node.store.lookup("AB1234", NOW - timedelta(hours=1), NOW)
    leaves = [parse_leaf(leaf) for _, leaf in node.audit.log.entries()]
    raised = [leaf["public"] for leaf in leaves if leaf["type"] == "alert_raised"]
    figures = compute_figures(node.audit.log.entries())["hotlist"]
    stats = node.alerts.stats()
    if alerting:
        assert found.kind.value == "alert" and "state not read" in found.to_json()["label"]
        assert stored.retention is RetentionClass.HIT
        (pushed,) = [json.loads(body) for _, body in hook.requests]
        assert pushed["id"] == found.id and pushed["why"] == "state_unknown"
        assert "state not read" in pushed["label"]
        assert raised == [
            {"list_id": "stolen", "category": "V", "action": "state_not_read", "count": 1}
        ]
        assert (figures["hits"], figures["state_not_read"]) == (1, 1)
        assert (stats.hits, stats.state_not_read) == (1, 1)
    else:
        assert found.kind.value == "possible" and found.to_json()["label"] == "possible — verify"
        assert stored.retention is RetentionClass.NONHIT
        assert hook.requests == [] and raised == []
        assert (figures["hits"], figures["state_not_read"]) == (0, 0)
    # an exact match with the state read is an ordinary alert, not counted apart
    read = Read("AB1234", "CT", 0.91, NOW - timedelta(minutes=1), "cam-1", "nhpd", 41.3, -72.9)
    node.ingest([read])
    figures = compute_figures(node.audit.log.entries())["hotlist"]
    assert (figures["hits"], figures["state_not_read"]) == (1 + alerting, int(alerting))
