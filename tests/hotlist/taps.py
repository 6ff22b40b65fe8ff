"""Listening in on what an alert causes: the SSE broker's events and the audit log's entries."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from trustlpr.audit import AuditLog, parse_leaf
from trustlpr.hotlist.delivery import AlertBroker, SseEvent

_SENTINEL = "sentinel"


class SseTap:
    """A real subscriber of an ``AlertBroker``, on its own event loop in a thread."""

    def __init__(self, broker: AlertBroker) -> None:
        self.broker = broker
        self.events: list[SseEvent] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._seen = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._consume())

    async def _consume(self) -> None:
        sub = self.broker.subscribe()
        self._ready.set()
        try:
            while True:
                event = await sub.get(60.0)
                if event is None:
                    continue
                with self._seen:
                    self.events.append(event)
                    self._seen.notify_all()
                if event.event == _SENTINEL and event.id == "stop":
                    return
        finally:
            sub.close()

    def __enter__(self) -> SseTap:
        self._thread.start()
        assert self._ready.wait(10), "the SSE tap did not subscribe"
        return self

    def settle(self, mark: str) -> Counter[str]:
        """Counts of events by kind, once every event published before this call arrived."""
        self.broker.publish(SseEvent(_SENTINEL, mark, "{}"))
        with self._seen:
            assert self._seen.wait_for(
                lambda: any(e.event == _SENTINEL and e.id == mark for e in self.events), 10
            ), "the sentinel event never arrived"
            return Counter(e.event for e in self.events if e.event != _SENTINEL)

    def __exit__(self, *exc: object) -> None:
        self.settle("stop")
        self._thread.join(10)
        self._loop.close()


def logged(log: AuditLog) -> Counter[str]:
    """How many entries of each type the real audit log holds."""
    return Counter(str(parse_leaf(leaf)["type"]) for _, leaf in log.entries())
