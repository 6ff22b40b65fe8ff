"""Ours against a baseline in alternating rounds, so both sides run under the same load.

On a shared 2-core machine the load moves by a factor of two within a minute; timing each
side once, one after the other, measures the load as much as the code (issue 19 saw one
ingest ratio read 0.35, 0.54, 0.57 and 0.66 in four runs). Every bench that compares ours with
a baseline runs them here in several short rounds, A B, B A, A B ... (the order swapped every
round, so a trend in the load during a round pair favours neither side), takes one ratio per
round and reports the median with its spread (``ratio_min``, ``ratio_max``). Absolute figures
are medians too and are for information only: they move with the machine.

Before every side of every round the garbage collector runs, so neither side pays for the
other's garbage; a bench whose figure depends on a warm cache warms it before the first round
(``warmup``) and says so.

Two shapes:

- :func:`alternate`: each side is a callable doing one short round of work and returning its
  figure (a rate or a latency), e.g. inserting 20,000 reads;
- :func:`interleave`: per-call latencies over the same items, item by item A B / B A within a
  round, for benches whose figures are percentiles of single calls.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Rounds:
    """Per-round figures of each side and their ratios (``ours`` / ``baseline`` per round)."""

    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.baseline, strict=True) if b]

    def ratio(self, digits: int = 3) -> dict[str, float | int]:
        """``ratio`` (median of the per-round ratios), ``ratio_min``, ``ratio_max``, ``rounds``."""
        ratios = self.ratios
        return {
            "ratio": round(statistics.median(ratios), digits),
            "ratio_min": round(min(ratios), digits),
            "ratio_max": round(max(ratios), digits),
            "rounds": len(ratios),
        }

    def medians(self) -> tuple[float, float]:
        """The median figure of each side over the rounds (information only)."""
        return statistics.median(self.ours), statistics.median(self.baseline)


def _order(round_number: int) -> tuple[bool, bool]:
    return (True, False) if round_number % 2 == 0 else (False, True)


def alternate(
    ours: Callable[[int], float],
    baseline: Callable[[int], float],
    rounds: int,
    *,
    warmup: bool = False,
    swap: bool = True,
) -> Rounds:
    """Runs ``ours(k)`` and ``baseline(k)`` for rounds k = 0..rounds-1, alternating.

    Each callable gets the round number (to pick that round's slice of the data) and returns
    the round's figure. ``swap=False`` keeps A before B in every round, for a baseline that
    needs what ours produced in the same round. ``warmup`` runs one unrecorded round first.
    """
    if rounds < 1:
        raise ValueError("at least one round")
    result = Rounds()
    if warmup:
        for side in (ours, baseline):
            gc.collect()
            side(-1)
    for k in range(rounds):
        for is_ours in _order(k) if swap else (True, False):
            gc.collect()
            if is_ours:
                result.ours.append(ours(k))
            else:
                result.baseline.append(baseline(k))
    return result


@dataclass
class Interleaved:
    """Per-call wall-clock ms of every variant, per round, from :func:`interleave`."""

    calls: dict[str, list[list[float]]]

    def all(self, name: str) -> list[float]:
        return [ms for per_round in self.calls[name] for ms in per_round]

    def rounds(self, ours: str, baseline: str, figure: Callable[[list[float]], float]) -> Rounds:
        """Per-round ``figure`` (e.g. the p99) of ``ours`` and ``baseline``, as ``Rounds``."""
        return Rounds(
            [figure(r) for r in self.calls[ours]], [figure(r) for r in self.calls[baseline]]
        )


def interleave(
    items: Sequence[T],
    variants: Mapping[str, Callable[[T], object]],
    rounds: int,
    *,
    warmup: int = 50,
    cpu: bool = False,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> Interleaved:
    """Times every variant on every item, item by item, the variants' order reversed on every
    other item and round; the first ``warmup`` items run once untimed (caches, lazy imports).

    With ``cpu`` each call's on-CPU time of this thread is kept too, as ``<name>_cpu``: on a
    shared machine the wall clock's tail is the OS time slice given to other processes.
    """
    names = list(variants)
    for item in items[:warmup]:
        for fn in variants.values():
            fn(item)
    keys = names + [f"{name}_cpu" for name in names] if cpu else names
    calls: dict[str, list[list[float]]] = {key: [] for key in keys}
    thread_clock = time.thread_time_ns
    for k in range(rounds):
        gc.collect()
        per_round: dict[str, list[float]] = {key: [] for key in keys}
        for i, item in enumerate(items):
            order = names if (i + k) % 2 == 0 else names[::-1]
            for name in order:
                fn = variants[name]
                start, start_cpu = clock(), thread_clock()
                fn(item)
                spent_cpu, spent = thread_clock() - start_cpu, clock() - start
                per_round[name].append(spent / 1e6)
                if cpu:
                    per_round[f"{name}_cpu"].append(spent_cpu / 1e6)
        for key in keys:
            calls[key].append(per_round[key])
    return Interleaved(calls)
