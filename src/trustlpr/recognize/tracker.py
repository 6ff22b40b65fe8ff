"""Following plates across frames, and voting: one read per vehicle pass.

Like OpenALPR's ``alpr_group``, a plate seen in many frames becomes one read. Each frame's
reads are matched to the open tracks by, in order of trust: box overlap (IoU), distance to
where the track's motion predicts the plate (a car at 30 km/h moves several plate widths
between frames sampled at 10 fps, so overlap alone loses it), and the same text. A track that
has not been seen for ``max_gap`` seconds ends. Its reads vote: each candidate of each frame
adds its confidence × the detector's score to its string, and the string with the most votes
wins. The pass's confidence is the winner's mean confidence per frame; its image is the crop
of the frame that read the winner most confidently.

A plate that stays in view (a parked car) is reported once, after ``max_duration``, and not
again until it has left.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..core.plates import mask_plate
from .types import Box, Candidate, FrameResult, Image, PlateRead
from .video import Frame


@dataclass(frozen=True)
class Observation:
    frame: int
    time: float
    captured_at: datetime
    read: PlateRead


@dataclass(frozen=True)
class PlatePass:
    """One vehicle pass: the voted plate, its alternatives, and the best frame's box and
    crop. ``frames`` counts the frames that saw it; times are the source's (seconds)."""

    plate: str
    confidence: float
    candidates: tuple[Candidate, ...]
    region: str | None
    box: Box
    frame: int
    captured_at: datetime
    first_time: float
    last_time: float
    frames: int
    crop: Image | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"PlatePass({mask_plate(self.plate)!r}, frames={self.frames}, frame={self.frame})"


@dataclass
class _Track:
    id: int
    observations: list[Observation] = field(default_factory=list)
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per second
    reported: bool = False

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    def predicted(self, t: float) -> tuple[float, float]:
        cx, cy = self.last.read.box.center
        dt = t - self.last.time
        return cx + self.velocity[0] * dt, cy + self.velocity[1] * dt

    def add(self, obs: Observation) -> None:
        if self.observations:
            prev = self.last
            dt = obs.time - prev.time
            if dt > 0:
                (x0, y0), (x1, y1) = prev.read.box.center, obs.read.box.center
                vx, vy = (x1 - x0) / dt, (y1 - y0) / dt
                if len(self.observations) > 1:  # smooth: detector boxes jitter
                    vx, vy = (vx + self.velocity[0]) / 2, (vy + self.velocity[1]) / 2
                self.velocity = (vx, vy)
        self.observations.append(obs)

    def leader(self) -> str:
        return self.last.read.plate


class PlateTracker:
    """Feed it every sampled frame's reads with ``update``; it returns finished passes."""

    def __init__(
        self,
        *,
        max_gap: float = 1.0,
        max_duration: float = 30.0,
        min_iou: float = 0.1,
        max_jump: float = 2.5,
        min_frames: int = 1,
    ) -> None:
        self.max_gap = max_gap
        self.max_duration = max_duration
        self.min_iou = min_iou
        self.max_jump = max_jump  # plate widths between prediction and detection
        self.min_frames = min_frames
        self._tracks: list[_Track] = []
        self._ids = itertools.count(1)

    def update(
        self, frame: int, t: float, captured_at: datetime, reads: list[PlateRead]
    ) -> list[PlatePass]:
        """Adds one frame's reads; returns the passes that ended (or ran long) by ``t``."""
        unmatched = list(range(len(reads)))
        for track, i in self._match(t, reads):
            track.add(Observation(frame, t, captured_at, reads[i]))
            unmatched.remove(i)
        for i in unmatched:
            track = _Track(next(self._ids))
            track.add(Observation(frame, t, captured_at, reads[i]))
            self._tracks.append(track)
        done: list[PlatePass] = []
        for track in list(self._tracks):
            if t - track.last.time > self.max_gap:
                self._tracks.remove(track)
                if not track.reported and (found := self._vote(track)):
                    done.append(found)
            elif not track.reported and t - track.observations[0].time >= self.max_duration:
                track.reported = True
                if found := self._vote(track):
                    done.append(found)
        return done

    def flush(self) -> list[PlatePass]:
        """Ends every open track (the source ended)."""
        tracks, self._tracks = self._tracks, []
        return [p for t in tracks if not t.reported and (p := self._vote(t))]

    def _match(self, t: float, reads: list[PlateRead]) -> list[tuple[_Track, int]]:
        pairs: list[tuple[float, int, int]] = []  # (cost, track index, read index)
        for ti, track in enumerate(self._tracks):
            last = track.last.read.box
            px, py = track.predicted(t)
            for ri, read in enumerate(reads):
                overlap = read.box.iou(last)
                cx, cy = read.box.center
                jump = math.hypot(cx - px, cy - py) / max(read.box.width, last.width, 1.0)
                same_text = read.plate == track.leader()
                if overlap >= self.min_iou:
                    cost = 1.0 - overlap
                elif jump <= self.max_jump:
                    cost = 1.0 + jump
                elif same_text and jump <= 4 * self.max_jump:
                    cost = 1.0 + self.max_jump + jump
                else:
                    continue
                pairs.append((cost, ti, ri))
        taken_tracks: set[int] = set()
        taken_reads: set[int] = set()
        matched: list[tuple[_Track, int]] = []
        for _, ti, ri in sorted(pairs):
            if ti not in taken_tracks and ri not in taken_reads:
                taken_tracks.add(ti)
                taken_reads.add(ri)
                matched.append((self._tracks[ti], ri))
        return matched

    def _vote(self, track: _Track) -> PlatePass | None:
        observations = track.observations
        if len(observations) < self.min_frames:
            return None
        votes: dict[str, float] = {}
        for obs in observations:
            for c in obs.read.candidates:
                votes[c.plate] = votes.get(c.plate, 0.0) + c.confidence * obs.read.box.score
        if not votes:
            return None
        n = len(observations)
        weights = sum(obs.read.box.score for obs in observations) or 1.0
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])[:5]
        formats = {c.plate: c.formats for o in observations for c in o.read.candidates}
        candidates = tuple(Candidate(p, min(1.0, v / weights), formats[p]) for p, v in ranked)
        winner = candidates[0].plate

        def winner_confidence(obs: Observation) -> float:
            found = next((c for c in obs.read.candidates if c.plate == winner), None)
            return (found.confidence if found else 0.0) * obs.read.box.score

        best = max(observations, key=winner_confidence)
        return PlatePass(
            plate=winner,
            confidence=candidates[0].confidence,
            candidates=candidates,
            region=best.read.region,
            box=best.read.box,
            frame=best.frame,
            captured_at=best.captured_at,
            first_time=observations[0].time,
            last_time=observations[-1].time,
            frames=n,
            crop=best.read.crop,
        )


def read_passes(
    recognize: Callable[[Image], FrameResult],
    frames: Iterable[Frame],
    *,
    tracker: PlateTracker | None = None,
    on_frame: Callable[[Frame, FrameResult], None] | None = None,
) -> Iterator[PlatePass]:
    """Recognises every frame and yields each vehicle pass as soon as it has ended."""
    tracker = tracker or PlateTracker()
    for frame in frames:
        result = recognize(frame.image)
        if on_frame is not None:
            on_frame(frame, result)
        yield from tracker.update(frame.index, frame.time, frame.captured_at, result.reads)
    yield from tracker.flush()
