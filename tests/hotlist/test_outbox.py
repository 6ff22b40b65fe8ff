"""Side effects after the commit: a store write that fails and is retried raises each alert
once — one stored alert, one ``alert_raised`` entry, one webhook delivery, one SSE event."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tests.hotlist.servers import WebhookReceiver
from tests.hotlist.taps import SseTap, logged
from trustlpr.core import Read
from trustlpr.core.errors import StoreError
from trustlpr.runtime import System

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "webhook-secret-0123456789"


def _read(plate: str, seconds: int = 0) -> Read:
    at = NOW - timedelta(minutes=5) + timedelta(seconds=seconds)
    return Read(plate, "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9)


class FlakyAppend:
    """The real store's ``append`` behind our own seam: call ``fail_on`` raises once (a full
    disk); call ``hold_on`` waits for ``gate`` so that later submissions queue up."""

    def __init__(self, system: System, *, fail_on: int, hold_on: int | None = None) -> None:
        self.real = system.store.append
        self.calls = 0
        self.fail_on, self.hold_on = fail_on, hold_on
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(
        self,
        reads: Sequence[Read],
        *,
        hits: Sequence[bool] | None = None,
        images: Mapping[int, bytes] | None = None,
    ) -> list[str]:
        self.calls += 1
        if self.calls == self.hold_on:
            self.entered.set()
            assert self.gate.wait(10)
        if self.calls == self.fail_on:
            raise StoreError("disk full (test)")
        return self.real(reads, hits=hits, images=images)


def _outcome(node: System, hook: WebhookReceiver, tap: SseTap) -> tuple[int, int, int, int]:
    assert node.alerts.dispatcher.flush(20)
    alerts = node.alerts.list_alerts()
    events = tap.settle("done")
    raised = logged(node.audit.log)["alert_raised"]
    return len(alerts), raised, len(hook.requests), events["alert"]


def test_a_batch_retried_job_by_job_raises_its_alert_once(
    node: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyAppend(node, hold_on=1, fail_on=2)
    monkeypatch.setattr(node.store, "append", flaky)
    with WebhookReceiver() as hook, SseTap(node.alerts.broker) as tap:
        node.alerts.add_target(hook.url, actor="adm", secret=SECRET)
        warmup = node.pipeline.submit([_read("WARM01")])
        assert flaky.entered.wait(10)
        # both queue behind the held write and become one batch; that batch's write fails and
        # the pipeline retries each job alone
        hit = node.pipeline.submit([_read("AB1234")], images={0: b"jpeg-of-the-car"})
        other = node.pipeline.submit([_read("ZZ9999", 1)])
        flaky.gate.set()
        assert warmup.result(10).kept == 1
        assert hit.result(10).kept == 1 and other.result(10).kept == 1
        assert flaky.calls == 4
        assert _outcome(node, hook, tap) == (1, 1, 1, 1)
    (alert,) = node.alerts.list_alerts()
    assert node.alerts.store.deliveries(alert.id)[0]["status"] == "sent"
    assert hook.requests[0][0]["X-TrustLPR-Alert-Id"] == alert.id


def test_a_failed_write_sent_again_raises_its_alert_once(
    node: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node.store, "append", FlakyAppend(node, fail_on=1))
    with WebhookReceiver() as hook, SseTap(node.alerts.broker) as tap:
        node.alerts.add_target(hook.url, actor="adm", secret=SECRET)
        with pytest.raises(StoreError):
            node.ingest([_read("AB1234")])
        assert node.ingest([_read("AB1234")]) == 1  # the camera sends it again
        assert _outcome(node, hook, tap) == (1, 1, 1, 1)


def test_the_same_read_sent_again_after_a_restart_raises_no_second_alert(
    node: System,
) -> None:
    # the read was stored and alerted; its sender never saw the answer and sends it again to
    # the restarted node, whose deduper has forgotten it
    assert node.ingest([_read("AB1234")]) == 1
    settings = node.settings
    node.close()
    with System(settings) as again:
        assert again.ingest([_read("AB1234")]) == 1
        assert len(again.alerts.list_alerts()) == 1
        assert logged(again.audit.log)["alert_raised"] == 1
