"""Batch evaluation: a file of JSON requests in, one JSON decision per line out.

For oversight and testing (``trustlpr policy evaluate``): each line is judged exactly as the
live search judges it, by the same engine. A line that is not JSON, not an object, or not a
valid request gives a ``deny`` line that names the line number; nothing stops the run. Blank
lines are skipped. Lines are decided in chunks through Cedar's batch API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import InputError
from ..core.search import Decision, Outcome, Reason, SearchRequest
from .engine import PolicyEngine
from .request_json import request_from_json

CHUNK = 256
MAX_LINE = 64 * 1024


@dataclass(frozen=True, slots=True)
class LineResult:
    """The decision on one input line, with the request id when one could be read."""

    line: int
    id: str | None
    decision: Decision

    def to_json(self) -> dict[str, Any]:
        """Exactly ``{"id", "decision", "reasons"}``; reasons are ``{"rule", "text"}``."""
        return {
            "id": self.id,
            "decision": self.decision.outcome.value,
            "reasons": [{"rule": r.rule, "text": r.text} for r in self.decision.reasons],
        }


def decision_to_json(decision: Decision, request_id: str | None) -> dict[str, Any]:
    """One decision in the batch output form."""
    return LineResult(0, request_id, decision).to_json()


def _deny(engine: PolicyEngine, line: int, rule: str, text: str) -> Decision:
    return Decision(Outcome.DENY, (Reason(rule, f"line {line}: {text}"),), engine.policy.name)


def _peek_id(obj: object) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:200]
    return None


def evaluate_lines(
    engine: PolicyEngine,
    lines: Iterable[str],
    *,
    approved: bool = False,
    on_line: Callable[[int], None] | None = None,
) -> Iterator[LineResult]:
    """Decides every non-blank line of ``lines`` in order; never raises on bad input.

    ``approved`` judges every request as if a supervisor had approved it (what-if runs).
    """
    pending: list[tuple[int, str | None, SearchRequest]] = []
    for number, raw in enumerate(lines, start=1):
        if on_line is not None:
            on_line(number)
        text = raw.strip()
        if not text:
            continue
        if len(text) > MAX_LINE:
            yield from _flush(engine, pending, approved)
            message = f"line is longer than {MAX_LINE} bytes"
            yield LineResult(number, None, _deny(engine, number, "request.malformed", message))
            continue
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield from _flush(engine, pending, approved)
            message = f"not valid JSON ({getattr(exc, 'msg', type(exc).__name__)})"
            yield LineResult(number, None, _deny(engine, number, "request.malformed", message))
            continue
        request_id = _peek_id(obj)
        try:
            request = request_from_json(obj)
        except InputError as exc:
            yield from _flush(engine, pending, approved)
            yield LineResult(
                number, request_id, _deny(engine, number, "request.invalid", exc.message)
            )
            continue
        pending.append((number, request.id, request))
        if len(pending) >= CHUNK:
            yield from _flush(engine, pending, approved)
    yield from _flush(engine, pending, approved)


def _flush(
    engine: PolicyEngine, pending: list[tuple[int, str | None, SearchRequest]], approved: bool
) -> Iterator[LineResult]:
    if not pending:
        return
    decisions = engine.decide_many([r for _, _, r in pending], approved=approved)
    batch = list(pending)
    pending.clear()
    for (number, request_id, _), decision in zip(batch, decisions, strict=True):
        yield LineResult(number, request_id, decision)
