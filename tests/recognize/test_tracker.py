"""The tracker over synthetic reads: one pass per vehicle, votes, parked cars, crossings."""

from __future__ import annotations

from datetime import UTC, datetime

from trustlpr.recognize import Box, Candidate, PlateRead
from trustlpr.recognize.tracker import PlateTracker

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def read(x: float, y: float, *plates: tuple[str, float], score: float = 0.9) -> PlateRead:
    box = Box(x, y, x + 60, y + 30, score)
    return PlateRead(box, tuple(Candidate(p, c) for p, c in plates), "United States", (0.9,))


def run(tracker: PlateTracker, frames: list[list[PlateRead]], fps: float = 10.0) -> list:
    passes = []
    for i, reads in enumerate(frames):
        passes += tracker.update(i, i / fps, T0, reads)
    return passes + tracker.flush()


def test_a_fast_plate_is_one_pass_and_the_majority_reading_wins() -> None:
    # moving 150 px (2.5 plate widths) per frame: boxes never overlap between frames
    frames = []
    for i in range(8):
        misread = i in (2, 5)
        first = ("ABC1234", 0.9) if not misread else ("A8C1234", 0.6)
        second = ("A8C1234", 0.05) if not misread else ("ABC1234", 0.3)
        frames.append([read(20 + 150 * i, 300, first, second)])
    passes = run(PlateTracker(), frames)
    assert len(passes) == 1
    found = passes[0]
    assert found.plate == "ABC1234" and found.frames == 8
    assert [c.plate for c in found.candidates][:2] == ["ABC1234", "A8C1234"]
    assert 0.5 < found.confidence <= 1.0
    assert found.frame not in (2, 5)  # the image comes from a frame that read the winner


def test_two_cars_in_the_same_frames_stay_apart() -> None:
    frames = [
        [read(100 + 20 * i, 100, ("LEFT111", 0.9)), read(900 - 20 * i, 500, ("RIGHT22", 0.9))]
        for i in range(6)
    ]
    plates = sorted(p.plate for p in run(PlateTracker(), frames))
    assert plates == ["LEFT111", "RIGHT22"]


def test_a_plate_seen_again_after_the_gap_is_a_new_pass() -> None:
    frames = [[read(100, 100, ("ABC123", 0.9))] for _ in range(3)]
    frames += [[] for _ in range(15)]  # 1.5 s without it
    frames += [[read(100, 100, ("ABC123", 0.9))] for _ in range(3)]
    passes = run(PlateTracker(max_gap=1.0), frames)
    assert [p.plate for p in passes] == ["ABC123", "ABC123"]


def test_a_parked_car_is_reported_once() -> None:
    frames = [[read(400, 300, ("PARKED1", 0.95))] for _ in range(600)]  # a minute in view
    passes = run(PlateTracker(max_duration=30.0), frames)
    assert len(passes) == 1 and passes[0].plate == "PARKED1"


def test_passes_end_while_the_stream_goes_on() -> None:
    tracker = PlateTracker(max_gap=0.5)
    ended = []
    for i in range(5):
        ended += tracker.update(i, i / 10, T0, [read(100 + 30 * i, 100, ("GONE123", 0.9))])
    assert ended == []
    for i in range(5, 12):
        ended += tracker.update(i, i / 10, T0, [])
    assert [p.plate for p in ended] == ["GONE123"]
    assert tracker.flush() == []
