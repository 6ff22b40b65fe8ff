"""Batch evaluation: one decision line per request line; bad lines are denied, not fatal."""

from __future__ import annotations

import json

from trustlpr.policy import PolicyEngine, evaluate_lines
from trustlpr.policy.batch import CHUNK, MAX_LINE

from .corpus import base_request


def _line(request_id: str, **change: object) -> str:
    request = base_request("CT")
    request["id"] = request_id
    request.update(change)
    return json.dumps(request)


def test_malformed_lines_are_denied_with_their_line_number() -> None:
    engine = PolicyEngine("ct-pa-26-14")
    lines = [
        _line("ok-1"),
        "",
        "{not json",
        "[1, 2, 3]",
        json.dumps({"id": "half", "purpose": "stolen_vehicle"}),
        "x" * (MAX_LINE + 1),
        _line("ok-2", reason="investigation"),
        "   ",
        _line("ok-3"),
    ]
    results = [r.to_json() for r in evaluate_lines(engine, lines)]
    assert [r["id"] for r in results] == ["ok-1", None, None, "half", None, "ok-2", "ok-3"]
    assert [r["decision"] for r in results] == ["allow"] + ["deny"] * 5 + ["allow"]
    assert results[1]["reasons"][0]["rule"] == "request.malformed"
    assert results[1]["reasons"][0]["text"].startswith("line 3:")
    assert results[2]["reasons"][0]["text"].startswith("line 4:")
    assert results[3]["reasons"][0]["rule"] == "request.invalid"
    assert "line 5" in results[3]["reasons"][0]["text"]
    assert "line 6" in results[4]["reasons"][0]["text"]
    assert results[5]["reasons"][0]["rule"] == "reason.vague"
    for row in results:
        assert set(row) == {"id", "decision", "reasons"}
        assert all(set(reason) == {"rule", "text"} for reason in row["reasons"])


def test_order_is_kept_across_chunks() -> None:
    engine = PolicyEngine("ct-pa-26-14")
    lines = []
    for i in range(CHUNK * 2 + 7):
        reason = "investigation" if i % 5 == 0 else "stolen grey Toyota from driveway"
        lines.append(_line(f"r{i}", reason=reason) if i % 97 else "{oops")
    seen = []
    results = list(evaluate_lines(engine, [*lines], on_line=seen.append))
    assert seen == list(range(1, len(lines) + 1))
    assert [r.line for r in results] == list(range(1, len(lines) + 1))
    for i, result in enumerate(results):
        if i % 97 == 0:
            assert result.id is None and result.decision.outcome.value == "deny"
        else:
            assert result.id == f"r{i}"
            assert result.decision.allowed == (i % 5 != 0)
