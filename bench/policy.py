"""Policy decision latency: the full engine against two floors measured in the same run.

    .venv/bin/python bench/policy.py [--json] [--decisions N]

The request mix is the acceptance corpus (tests/data/policy_requests_<policy>.jsonl: every
shipped policy, allows, denies and holds in their real proportions), already parsed, as the
governed search hands them over. Timed per decision:

- ``engine``: ``PolicyEngine.decide`` (screening + facts + Cedar with schema + reasons);
- ``raw_cedar``: baseline, cedarpy ``is_authorized`` of a one-line permit with a one-entity
  set: the cost of crossing into Cedar at all;
- ``python``: baseline, a plain-Python decision of the same requests (set lookups on
  purpose, case number, search type), no screening, no reasons: what no policy engine costs.

The variants run item by item in alternating order, over several rounds of the whole mix
(``_rounds.interleave``); each ratio is the median over rounds of ours / baseline p99 (lower is
better), with ``_min`` and ``_max``. Also: the facts step alone (screening + context), and
``decide_many`` throughput. ``decision_p99_ms`` is wall clock; on a
machine shared with other work its tail is the OS time slice (~4 ms), so the on-CPU
``decision_cpu_p99_ms`` and the 1-minute load average are reported beside it. The last line is
one JSON object with ``decision_p50_ms`` and ``decision_p99_ms``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import cedarpy  # noqa: E402

from _common import emit  # noqa: E402
from _rounds import Interleaved, interleave  # noqa: E402
from trustlpr.core.errors import InputError  # noqa: E402
from trustlpr.core.search import SearchRequest  # noqa: E402
from trustlpr.policy import PolicyEngine, list_policies, request_from_json  # noqa: E402
from trustlpr.policy.facts import case_number_ok, derive  # noqa: E402

DATA = ROOT / "tests" / "data"
OWNER = {"strict-default": "CT"}


def load_mix() -> list[tuple[PolicyEngine, SearchRequest]]:
    """Every parseable corpus request, paired with the engine of its policy."""
    mix = []
    for name in list_policies():
        path = DATA / f"policy_requests_{name}.jsonl"
        if not path.is_file():
            raise SystemExit(f"missing {path}; run: python -m tests.policy.corpus")
        engine = PolicyEngine(name, owner_state=OWNER.get(name))
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                mix.append((engine, request_from_json(json.loads(line))))
            except InputError:
                continue  # invalid requests never reach the engine in the live search
    return mix


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def raw_cedar_fn() -> Callable[[Any], object]:
    policies = cedarpy.PolicySet.from_str("permit (principal, action, resource);")
    entities = json.dumps([{"uid": {"type": "User", "id": "u"}, "attrs": {}, "parents": []}])
    request = {
        "principal": 'User::"u"',
        "action": 'Action::"search"',
        "resource": 'Dataset::"d"',
        "context": {"purpose": "stolen_vehicle"},
    }
    return lambda _item: cedarpy.is_authorized(request, policies, entities)


def python_decision(item: tuple[PolicyEngine, SearchRequest]) -> bool:
    engine, request = item
    policy = engine.policy
    return (
        request.purpose in policy.permitted_purposes
        and case_number_ok(request.case_number)
        and request.query.type in policy.search_types
        and request.legal_basis in policy.search_types[request.query.type].legal_basis
        and request.requester.agency_state == engine.owner_state
        and request.query.window_end > request.query.window_start
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON result line")
    parser.add_argument(
        "--decisions", type=int, default=20_000, help="decisions timed per variant (default 20000)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    mix = load_mix()
    rounds = max(2, args.decisions // len(mix))
    gc.collect()
    times = interleave(
        mix,
        {
            "engine": lambda item: item[0].decide(item[1]),
            "facts": lambda item: derive(item[1]),
            "raw_cedar": raw_cedar_fn(),
            "python": python_decision,
        },
        rounds,
        warmup=200,
        cpu=True,
    )
    engine_ms, facts_ms = times.all("engine"), times.all("facts")
    engine_cpu = times.all("engine_cpu")
    raw_ms, python_ms = times.all("raw_cedar"), times.all("python")

    by_engine: dict[str, list[SearchRequest]] = {}
    engines = {}
    for engine, request in mix:
        by_engine.setdefault(engine.policy.name, []).append(request)
        engines[engine.policy.name] = engine
    batch_start = time.perf_counter()
    for _ in range(rounds):
        for name, requests in by_engine.items():
            engines[name].decide_many(requests)
    batch_rate = rounds * len(mix) / (time.perf_counter() - batch_start)
    single_rate = 1000 / (sum(engine_ms) / len(engine_ms))

    outcomes: dict[str, int] = {}
    for engine, request in mix:
        key = engine.decide(request).outcome.value
        outcomes[key] = outcomes.get(key, 0) + 1

    p50, p99 = pct(engine_ms, 0.50), pct(engine_ms, 0.99)
    result = {
        "decision_p50_ms": round(p50, 4),
        "decision_p99_ms": round(p99, 4),
        "decision_p999_ms": round(pct(engine_ms, 0.999), 4),
        "decision_max_ms": round(max(engine_ms), 4),
        "decision_cpu_p50_ms": round(pct(engine_cpu, 0.50), 4),
        "decision_cpu_p99_ms": round(pct(engine_cpu, 0.99), 4),
        "facts_p50_ms": round(pct(facts_ms, 0.50), 4),
        "raw_cedar_p50_ms": round(pct(raw_ms, 0.50), 4),
        "raw_cedar_p99_ms": round(pct(raw_ms, 0.99), 4),
        "python_p50_ms": round(pct(python_ms, 0.50), 4),
        "python_p99_ms": round(pct(python_ms, 0.99), 4),
        **_ratios(times, "raw_cedar", "ratio", 2),  # the headline ratio: vs raw Cedar
        **_ratios(times, "raw_cedar", "ratio_p99_vs_raw_cedar", 2),
        **_ratios(times, "python", "ratio_p99_vs_python", 1),
        "batch_decisions_per_s": round(batch_rate),
        "single_decisions_per_s": round(single_rate),
        "ratio_batch_vs_single": round(batch_rate / single_rate, 2),
        "goal_p99_le_1ms": p99 <= 1.0,
        "goal_cpu_p99_le_1ms": pct(engine_cpu, 0.99) <= 1.0,
        "requests": len(mix),
        "decisions_timed": len(engine_ms),
        "outcomes": outcomes,
        "policies": len(engines),
        "seconds": round(time.perf_counter() - started, 1),
    }
    emit(result, args.json)


def _ratios(times: Interleaved, baseline: str, key: str, digits: int) -> dict[str, float | int]:
    """The engine's p99 over ``baseline``'s, per round: median as ``key``, its min and max."""
    figures = times.rounds("engine", baseline, lambda ms: pct(ms, 0.99)).ratio(digits)
    ratio_max = figures["ratio_max"]
    return {key: figures["ratio"], f"{key}_min": figures["ratio_min"], f"{key}_max": ratio_max}


if __name__ == "__main__":
    main()
