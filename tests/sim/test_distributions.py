"""Rates and distributions of the town's reads stay within the bounds docs/sim.md states."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trustlpr.core.plates import REGIONS, is_normalized
from trustlpr.sim import OcrNoise, ReadBatch, Simulation
from trustlpr.sim.ocr import StateError, TextError

from .conftest import SMALL

MONDAY, SUNDAY = 0, 6  # day 0 (2026-11-02) is a Monday


@pytest.fixture(scope="module")
def monday(town: Simulation) -> ReadBatch:
    return town.day(MONDAY)


def test_reads_per_vehicle_per_day(town: Simulation, monday: ReadBatch) -> None:
    per_vehicle = len(monday) / town.config.vehicles
    assert 1.2 <= per_vehicle <= 2.5
    sunday = len(town.day(SUNDAY)) / town.config.vehicles
    assert 0.6 <= sunday < per_vehicle  # no commute on Sunday
    seen = np.unique(monday.vehicle).size / town.config.vehicles
    assert 0.45 <= seen <= 0.9  # many, not all, vehicles pass a camera on a weekday


def test_every_camera_reads_something(town: Simulation, monday: ReadBatch) -> None:
    counts = np.bincount(monday.camera, minlength=len(town.cameras))
    assert counts.min() > 0
    assert counts.max() < 0.2 * len(monday)  # no single camera sees everything


def test_ocr_error_shares(monday: ReadBatch) -> None:
    text_errors = np.mean(monday.text_error != TextError.EXACT)
    assert 0.02 <= text_errors <= 0.045
    assert 0.015 <= np.mean(monday.state_error == StateError.WRONG) <= 0.025
    assert 0.04 <= np.mean(monday.state_error == StateError.UNREAD) <= 0.06
    assert np.all((monday.state == -1) == (monday.state_error == StateError.UNREAD))


def test_misreads_are_one_confusion_or_one_dropped_character(
    town: Simulation, monday: ReadBatch
) -> None:
    confusable = {frozenset(p) for p in ("O0", "I1", "B8", "S5", "Z2", "G6", "D0", "Q0")}
    truth = town.population.plate[monday.vehicle]
    wrong = np.flatnonzero(monday.text_error != TextError.EXACT)
    assert wrong.size > 100
    for row in wrong.tolist():
        read, real = monday.plate[row].decode(), truth[row].decode()
        if monday.text_error[row] == TextError.SUBSTITUTED:
            diff = [(a, b) for a, b in zip(read, real, strict=True) if a != b]
            assert len(diff) == 1 and frozenset(diff[0]) in confusable
        else:
            assert len(read) == len(real) - 1
            assert any(real[:i] + real[i + 1 :] == read for i in range(len(real)))
    exact = monday.text_error == TextError.EXACT
    assert np.array_equal(monday.plate[exact], truth[exact])


def test_misses_drop_six_percent_of_passes() -> None:
    base = Simulation(SMALL).day(1)
    perfect = Simulation(replace(SMALL, noise=replace(OcrNoise(), miss=0.0))).day(1)
    assert 0.92 <= len(base) / len(perfect) <= 0.96


def test_confidence(monday: ReadBatch) -> None:
    assert np.all((monday.confidence >= 0) & (monday.confidence <= 1))
    exact = monday.text_error == TextError.EXACT
    assert monday.confidence[exact].mean() >= 0.85
    assert monday.confidence[~exact].mean() < monday.confidence[exact].mean() - 0.15
    assert 0.03 <= np.mean(monday.confidence < 0.7) <= 0.12


def test_plates_are_valid_and_the_state_mix_is_local(town: Simulation, monday: ReadBatch) -> None:
    plates = monday.plate.astype("U8")
    assert all(is_normalized(p) for p in np.unique(plates).tolist())
    codes = town.state_codes
    assert set(codes) <= REGIONS and codes[0] == "CT"
    true_state = town.population.state[monday.vehicle]
    assert 0.8 <= np.mean(true_state == 0) <= 0.93  # residents ~90% CT, through traffic less
    assert 0.02 <= np.mean(true_state >= 5) <= 0.05  # far-away states are rare
    fleet = np.bincount(town.population.state, minlength=len(codes)) / town.config.vehicles
    assert 0.8 <= fleet[0] <= 0.88


def test_morning_rush_on_weekdays_only(town: Simulation, monday: ReadBatch) -> None:
    def share_7_to_9(batch: ReadBatch, day: int) -> float:
        local = batch.t - town.midnight(day)
        return float(np.mean((local >= 7 * 3600) & (local < 9 * 3600)))

    assert share_7_to_9(monday, MONDAY) > 1.5 * share_7_to_9(town.day(SUNDAY), SUNDAY)


def test_hits_are_exactly_the_planted_plates(town: Simulation, monday: ReadBatch) -> None:
    stolen = {r["plate"] for r in town.stolen_records()}
    assert len(stolen) == town.config.stolen
    hits = set(monday.plate[monday.hit].astype("U8").tolist())
    assert hits and hits <= stolen
    of_stolen = np.isin(monday.vehicle, town.stolen) & (monday.text_error == TextError.EXACT)
    assert np.array_equal(of_stolen, monday.hit & (monday.text_error == TextError.EXACT))


def test_sensitive_visits_happen(town: Simulation) -> None:
    week = [town.day(d) for d in range(7)]
    visits = np.concatenate([b.visit_place for b in week])
    kinds = {town.places.places[i].kind.value for i in visits.tolist()}
    assert {"clinic", "place_of_worship"} <= kinds
    worship = sum(1 for i in visits.tolist() if town.places.places[i].kind == "place_of_worship")
    assert 0.1 * town.config.vehicles <= worship <= 0.3 * town.config.vehicles
