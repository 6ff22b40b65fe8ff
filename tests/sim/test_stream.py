"""Streaming reads into a running service: one camera per batch, its key, pacing, backoff."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from trustlpr.core.errors import (
    AuthError,
    ConfigError,
    ForbiddenError,
    FormatError,
    InputError,
    OverloadedError,
)
from trustlpr.sim import ReadStreamer, Simulation, iter_reads, load_keys
from trustlpr.sim.stream import retry_after

from .receiver import Receiver


def _keys(sim: Simulation) -> dict[str, str]:
    return {c["id"]: f"key-{c['id']}" for c in sim.camera_records()}


def _reads(sim: Simulation, n: int) -> list[dict[str, Any]]:
    return list(islice(iter_reads(sim, 1), n))


def test_every_read_arrives_once_under_its_cameras_key(small: Simulation) -> None:
    keys = _keys(small)
    reads = _reads(small, 3_000)
    with Receiver(keys, busy=3) as rx:
        streamer = ReadStreamer(rx.url, keys, max_batch=50)
        stats = streamer.run(reads, rate=0)
        streamer.close()
    assert stats.sent == len(reads) == len(rx.accepted)
    assert stats.retries == 3  # three 503s, each retried after Retry-After: 0
    assert Counter(r["plate"] + r["observed_at"] for r in rx.accepted) == Counter(
        r["plate"] + r["observed_at"] for r in reads
    )
    assert all(size <= 50 for _, size in rx.batches)


def test_overload_that_does_not_end_raises(small: Simulation) -> None:
    keys = _keys(small)
    slept: list[float] = []
    with Receiver(keys, busy=100, retry_after="2") as rx:
        streamer = ReadStreamer(rx.url, keys, max_retries=3, workers=1, sleep=slept.append)
        with pytest.raises(OverloadedError) as err:
            streamer.run(_reads(small, 10))
    assert slept == [2.0, 2.0, 2.0]  # Retry-After honoured, not a guess
    assert err.value.retry_after == 2.0 and rx.requests == 4


def test_a_batch_too_large_is_split(small: Simulation) -> None:
    keys = _keys(small)
    reads = [r for r in _reads(small, 2_000) if r["camera_id"] == "cam-0001"][:40]
    with Receiver(keys, max_reads=8) as rx:
        ReadStreamer(rx.url, keys, max_batch=40).run(reads)
    assert len(rx.accepted) == len(reads) and max(n for _, n in rx.batches) <= 8


def test_refusals_become_precise_errors(small: Simulation) -> None:
    keys = _keys(small)
    reads = _reads(small, 5)
    with Receiver(keys) as rx:
        wrong = {k: "not-the-key" for k in keys}
        with pytest.raises(AuthError, match=reads[0]["camera_id"]):
            ReadStreamer(rx.url, wrong).run(reads)
        swapped = dict(zip(keys, reversed(list(keys.values())), strict=True))
        with pytest.raises(ForbiddenError):
            ReadStreamer(rx.url, swapped).run(reads)
        bad = [{**reads[0], "lat": 123.0}]
        with pytest.raises(InputError, match="HTTP 422"):
            ReadStreamer(rx.url, keys).run(bad)
        with pytest.raises(InputError, match="no key for camera"):
            ReadStreamer(rx.url, {"other": "k"}).run(reads)
    assert rx.accepted == []


def test_unreachable_service() -> None:
    streamer = ReadStreamer("http://127.0.0.1:9", {"c": "k"}, max_retries=1, sleep=lambda s: None)
    with pytest.raises(ConfigError, match="cannot reach"):
        streamer.send("c", [{"camera_id": "c"}])
    with pytest.raises(InputError):
        ReadStreamer("ftp://example", {"c": "k"})


def test_pacing_and_live_time(small: Simulation) -> None:
    keys = _keys(small)
    reads = _reads(small, 1_000)
    clock = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds

    stamp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with Receiver(keys) as rx:
        streamer = ReadStreamer(rx.url, keys, sleep=sleep, monotonic=lambda: clock["t"],
                                now=lambda: stamp)  # fmt: skip
        stats = streamer.run(reads, rate=200)
    assert sum(slept) == pytest.approx(1_000 / 200)  # 5 s of simulated waiting, no real sleep
    assert stats.seconds == pytest.approx(5.0)
    assert {r["observed_at"] for r in rx.accepted} == {"2030-01-02T03:04:05Z"}
    with pytest.raises(InputError):
        streamer.run(reads, rate=-1)


def test_retry_after_forms() -> None:
    assert retry_after("3", 0) == 3.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 0) == 0.0  # in the past
    assert retry_after(None, 0) == 0.25 and retry_after(None, 3) == 2.0
    assert retry_after("soon", 10) == 30.0


def test_keys_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"cam-1": "abc"}')
    assert load_keys(path) == {"cam-1": "abc"}
    for text, error in (("[1]", FormatError), ("{}", FormatError), ("nope", FormatError),
                        ('{"cam-1": 5}', InputError)):  # fmt: skip
        path.write_text(text)
        with pytest.raises(error) as exc:
            load_keys(path)
        assert exc.value.field == "keys"
    with pytest.raises(InputError):
        load_keys(tmp_path / "missing.json")
