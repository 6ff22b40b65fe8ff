"""Reads leave the simulator in the native field set, and survive the ingest parser."""

from __future__ import annotations

import io
import json

import numpy as np

from trustlpr.core import Read, normalize_plate, normalize_region, read_from_mapping
from trustlpr.sim import NATIVE_FIELDS, ReadFormatter, Simulation, iter_reads, write_jsonl


def test_jsonl_lines_parse_and_match_the_dicts(small: Simulation) -> None:
    fmt = ReadFormatter(small)
    batch = small.day(0)
    dicts = fmt.dicts(batch)
    lines = fmt.jsonl(batch).splitlines()
    assert len(lines) == len(dicts) == len(batch)
    for line, expected in zip(lines[::37], dicts[::37], strict=True):
        raw = json.loads(line)
        assert raw == expected
        assert set(raw) == set(NATIVE_FIELDS)
        read = read_from_mapping(raw)
        assert read.plate == raw["plate"]
        assert read.observed_at.isoformat().replace("+00:00", "Z") == raw["observed_at"]


def test_core_reads_agree_with_the_dicts(small: Simulation) -> None:
    fmt = ReadFormatter(small)
    batch = small.day(1).select(np.arange(500))
    for read, raw in zip(fmt.reads(batch), fmt.dicts(batch), strict=True):
        assert isinstance(read, Read)
        assert read == read_from_mapping(raw)


def test_write_jsonl_with_truth_line_for_line(small: Simulation) -> None:
    out, truth = io.StringIO(), io.StringIO()
    seen: list[int] = []
    count = write_jsonl(
        small, small.batches(2), out, truth=truth, on_batch=lambda b: seen.append(len(b))
    )
    reads = out.getvalue().splitlines()
    rows = truth.getvalue().splitlines()
    assert count == len(reads) == len(rows) == sum(seen)
    pop = small.population
    for line, row in zip(reads[::101], rows[::101], strict=True):
        read, true = json.loads(line), json.loads(row)
        index = int(true["vehicle_id"][1:])
        assert true["true_plate"] == pop.plate_text(index)
        assert (read["plate"] == true["true_plate"]) == (true["text_error"] == "exact")
        if true["state_error"] == "right":
            assert read["state"] == true["true_state"]


def test_iter_reads_yields_dicts_in_time_order(small: Simulation) -> None:
    times = [r["observed_at"] for r in iter_reads(small, 2)]
    assert times == sorted(times)
    assert len(times) == sum(len(b) for b in small.batches(2))


def test_camera_list_and_planted_plates(small: Simulation) -> None:
    cameras = small.camera_records()
    assert len(cameras) == 30 and len({c["id"] for c in cameras}) == 30
    for cam in cameras:
        assert {"id", "name", "lat", "lon", "direction", "agency_id"} == set(cam)
        assert 0 <= float(cam["direction"]) < 360
        assert cam["agency_id"] == "local"
    stolen = small.stolen_records()
    assert len(stolen) == 4
    for entry in stolen:
        assert normalize_plate(entry["plate"]) == entry["plate"]
        assert normalize_region(entry["state"]) == entry["state"]
        assert entry["category"] == "V"
    places = [p.as_dict() for p in small.places.places]
    assert any(p["sensitive"] for p in places) and any(not p["sensitive"] for p in places)
