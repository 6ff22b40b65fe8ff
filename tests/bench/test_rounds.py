"""The benches' alternation helper: both sides run in alternating order, one ratio per round."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _rounds import Rounds, alternate, interleave


def test_alternate_swaps_the_order_every_round_and_passes_the_round_number() -> None:
    calls: list[tuple[str, int]] = []
    figures = {"a": [4.0, 6.0, 9.0, 2.0], "b": [2.0, 2.0, 3.0, 4.0]}

    def side(name: str):  # type: ignore[no-untyped-def]
        def run(k: int) -> float:
            calls.append((name, k))
            return figures[name][k]

        return run

    rounds = alternate(side("a"), side("b"), 4)
    assert calls == [("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2), ("b", 3),
                     ("a", 3)]  # fmt: skip
    assert rounds.ratios == [2.0, 3.0, 3.0, 0.5]
    assert rounds.ratio() == {"ratio": 2.5, "ratio_min": 0.5, "ratio_max": 3.0, "rounds": 4}
    assert rounds.medians() == (5.0, 2.5)


def test_alternate_without_swap_keeps_ours_first_and_warmup_is_not_recorded() -> None:
    calls: list[tuple[str, int]] = []
    rounds = alternate(
        lambda k: calls.append(("a", k)) or 1.0,  # type: ignore[func-returns-value]
        lambda k: calls.append(("b", k)) or 1.0,  # type: ignore[func-returns-value]
        2,
        warmup=True,
        swap=False,
    )
    assert calls == [("a", -1), ("b", -1), ("a", 0), ("b", 0), ("a", 1), ("b", 1)]
    assert len(rounds.ours) == len(rounds.baseline) == 2


def test_alternate_refuses_zero_rounds() -> None:
    with pytest.raises(ValueError):
        alternate(lambda k: 1.0, lambda k: 1.0, 0)


def test_interleave_reverses_the_variants_item_by_item_and_times_every_call() -> None:
    order: list[str] = []
    ticks = iter(range(0, 10**9, 1_000_000))  # every clock reading 1 ms after the last
    times = interleave(
        [1, 2, 3],
        {"a": lambda i: order.append(f"a{i}"), "b": lambda i: order.append(f"b{i}")},
        2,
        warmup=1,
        clock=lambda: next(ticks),
    )
    assert order[:2] == ["a1", "b1"]  # the warm-up, untimed
    assert order[2:] == ["a1", "b1", "b2", "a2", "a3", "b3",  # round 0
                         "b1", "a1", "a2", "b2", "b3", "a3"]  # fmt: skip
    assert [len(r) for r in times.calls["a"]] == [3, 3]
    assert times.all("b") == [1.0] * 6
    assert isinstance(times.rounds("a", "b", sum), Rounds)
    assert times.rounds("a", "b", sum).ratios == [1.0, 1.0]
