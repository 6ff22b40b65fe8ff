"""Kill -9 between the commit of an alert and its delivery: after the restart the alert is
delivered, audited and stored exactly once. Also the recovery step itself, in-process: an
``alert_raised`` entry appended just before a crash is not appended again."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, make_read
from tests.hotlist.servers import WebhookReceiver
from tests.hotlist.taps import logged
from trustlpr.audit import open_audit
from trustlpr.hotlist import HotlistService
from trustlpr.hotlist.outbox import raised_event
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.store.factory import detail_keys, key_rings

from .crashnode import PLATE

ROOT = Path(__file__).parents[2]
SECRET = "webhook-secret-0123456789"


def _node(tmp_path: Path, hook_url: str) -> Settings:
    settings = Settings.load(tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        expires = (datetime.now(UTC) + timedelta(days=5)).isoformat()
        system.hotlists.add_entry(
            {**ENTRY, "plate": PLATE, "expires_at": expires}, list_id="stolen", actor="test"
        )
        system.alerts.add_target(hook_url, actor="adm", secret=SECRET)
    return settings


def _run(data_dir: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hotlist.crashnode", str(data_dir), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("kill_when", ["committed", "request_in_flight"])
def test_an_alert_committed_before_kill_9_is_delivered_once_after_restart(
    tmp_path: Path, kill_when: str
) -> None:
    with WebhookReceiver(hold=True) as hook:
        settings = _node(tmp_path, hook.url)
        child = _run(settings.data_dir, "ingest")
        try:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            assert line == "committed", child.stderr.read() if child.stderr else line
            if kill_when == "request_in_flight":
                assert hook.arrived.wait(20), "the node never tried to deliver"
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(10)
        before_restart = len(hook.requests)
        hook.released.set()
        again = _run(settings.data_dir, "recover")
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0 and out.strip() == "recovered", err

    with System(settings) as system:
        (alert,) = system.alerts.list_alerts()
        assert logged(system.audit.log)["alert_raised"] == 1
        (delivery,) = system.alerts.store.deliveries(alert.id)
    assert delivery["status"] == "sent"
    assert hook.acknowledged == [alert.id]  # delivered once, after the restart
    assert {headers["X-TrustLPR-Alert-Id"] for headers, _ in hook.requests} == {alert.id}
    if kill_when == "request_in_flight":  # sent before the kill, never acknowledged
        assert before_restart == 1 and len(hook.requests) == 2


def test_recovery_does_not_audit_again_what_reached_the_log_before_a_crash(
    tmp_path: Path, clock: FakeClock
) -> None:
    # as in a node: the day keys seal alert details (without them none are kept to look in)
    keys = detail_keys(key_rings(tmp_path, secrets.token_bytes(32)))
    audit = open_audit(tmp_path, agency_id="ctpd", detail_keys=keys)
    service = HotlistService.open(
        tmp_path, audit=audit, agency_id="ctpd", clock=clock, audit_log=audit.log
    )
    try:
        service.add_entry(ENTRY, list_id="ncic", actor="sup")
        alerts = service.alerts
        matched = service.judge([make_read("ABC1234", "CT", clock.now)])
        (record,) = matched.alerts
        # the state a crash leaves between appending alert_raised and noting it was done:
        alerts.store.stage([record], {}, audit_mark=audit.log.size)
        audit.append(raised_event(record, "ctpd"))
        assert alerts.outbox.drain() == 1
        assert logged(audit.log)["alert_raised"] == 1
        # and one that never reached the log is appended
        other = service.judge([make_read("ABC1234", "CT", clock.now + timedelta(minutes=1))])
        alerts.store.stage(other.alerts, {}, audit_mark=audit.log.size)
        assert alerts.outbox.drain() == 1
        assert logged(audit.log)["alert_raised"] == 2
        assert alerts.outbox.drain() == 0
    finally:
        service.close()
        audit.close()
