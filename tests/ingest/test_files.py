from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from trustlpr.core import FormatError, Read
from trustlpr.ingest.files import Rejected, iter_read_file, read_csv, read_jsonl

GOOD = {
    "plate": "ab 123",
    "state": "CT",
    "observed_at": "2026-11-02T08:00:00Z",
    "camera_id": "cam-1",
    "confidence": 0.9,
    "lat": 41.3,
    "lon": -72.9,
}


def _jsonl(*lines: str | dict[str, object]) -> io.BytesIO:
    text = "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n"
    return io.BytesIO(text.encode())


def _reasons(items: list[tuple[int, Read | Rejected]]) -> dict[int, str]:
    return {line: item.reason for line, item in items if isinstance(item, Rejected)}


def test_jsonl_keeps_good_lines_around_bad_ones() -> None:
    items = list(
        read_jsonl(
            _jsonl(
                GOOD,
                "{not json",
                {**GOOD, "observed_at": "2026-11-02 08:00"},
                {**GOOD, "plate": "AB\u202e12"},
                {k: v for k, v in GOOD.items() if k != "camera_id"},
                {**GOOD, "confidence": "high"},
                {**GOOD, "lat": 123},
                "[1, 2]",
                "",
                GOOD,
            )
        )
    )
    reads = [item for _, item in items if isinstance(item, Read)]
    assert [r.plate for r in reads] == ["AB123", "AB123"]
    reasons = _reasons(items)
    assert "bad JSON" in reasons[2]
    assert "no UTC offset" in reasons[3]
    assert "U+202E" in reasons[4]
    assert "camera_id" in reasons[5] and "required" in reasons[5]
    assert "confidence" in reasons[6]
    assert "lat" in reasons[7]
    assert "must be an object" in reasons[8]
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 8}


def test_oversized_line_is_rejected_without_holding_it() -> None:
    huge = '{"plate": "' + "A" * 300_000 + '"}'
    items = list(read_jsonl(_jsonl(GOOD, huge, GOOD), limit=1024))
    assert _reasons(items) == {2: "line is longer than 1024 bytes"}
    assert sum(isinstance(i, Read) for _, i in items) == 2


def test_deeply_nested_json_is_rejected() -> None:
    items = list(read_jsonl(_jsonl("[" * 100_000 + "]" * 100_000), limit=1 << 20))
    assert "bad JSON" in _reasons(items)[1]


def test_csv_with_header_by_name_and_bad_rows() -> None:
    data = (
        "\ufefflon,lat,plate,state,observed_at,camera_id,confidence\n"
        "-72.9,41.3,AB-123,CT,2026-11-02T08:00:00Z,cam-1,0.9\n"
        "-72.9,41.3,AB-124,CT,2026-11-02T08:00:00Z,cam-1\n"
        "-72.9,41.3,AB-125,XX,2026-11-02T08:00:00Z,cam-1,0.9\n"
        '-72.9,41.3,"AB\n126",CT,2026-11-02T08:00:00Z,cam-1,0.9\n'
        "-72.9,41.3,AB-127,CT,2026-11-02T08:00:00Z,cam-1,0.5\n"
    ).encode()
    items = list(read_csv(io.BytesIO(data)))
    assert [i.plate for _, i in items if isinstance(i, Read)] == ["AB123", "AB127"]
    reasons = _reasons(items)
    assert "6 fields" in reasons[3]
    assert "unknown issuing" in reasons[4]
    assert "U+000A" in reasons[6]


def test_csv_without_required_columns_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="lacks column"):
        list(read_csv(io.BytesIO(b"plate,when\nAB1,now\n")))


def test_format_detection_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "reads.data"
    path.write_text(json.dumps(GOOD) + "\n")
    assert [type(i) for _, i in iter_read_file(path)] == [Read]
    with pytest.raises(FormatError, match="unknown format"):
        list(iter_read_file(path, fmt="xml"))
