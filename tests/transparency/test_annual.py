"""``trustlpr report annual``: a simulated node's year gives a report whose every number is the
one a reader recomputes from the public log download by hand; figures cite their statute."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustlpr.audit.export import export
from trustlpr.cli.main import app as cli
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.demo import demo_settings, prepare
from trustlpr.demo_history import begin_demo, replay
from trustlpr.runtime import System
from trustlpr.sim import TOWN
from trustlpr.transparency.statutes import FIGURES, STATUTES
from trustlpr.web.app import create_app

runner = CliRunner()
SAMPLE = 200  # every 200th vehicle of the town (and its stolen ones): seconds, not minutes
SEGMENTS = (  # (first hour, end): across New Year 2025, a summer day, and into 2026
    (datetime(2024, 12, 30, 6, tzinfo=UTC), datetime(2025, 1, 1, 12, tzinfo=UTC)),
    (datetime(2025, 7, 14, 0, tzinfo=UTC), datetime(2025, 7, 14, 20, tzinfo=UTC)),
    (datetime(2025, 12, 31, 18, tzinfo=UTC), datetime(2026, 1, 1, 3, tzinfo=UTC)),
)
OUTCOMES = ("stop", "arrest", "recovery", "no_contact", "wrong_vehicle", "other")


@dataclass
class Node:
    system: System
    data_dir: Path
    download: Path
    root_hash: str
    size: int


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Node]:
    settings = demo_settings(tmp_path_factory.mktemp("annual") / "data")
    first, _ = SEGMENTS[0]
    start = begin_demo(settings, shared_dir, days=3, sample=SAMPLE, end=SEGMENTS[0][1])
    system, clock = start.system, start.clock
    assert clock is not None
    try:
        clock.set(first)
        local_day = first.astimezone(ZoneInfo(TOWN.timezone)).date()
        city = prepare(settings, shared_dir, clock=clock, start=local_day, system=system)
        officer = "ofc-chen"
        picked = 0
        for begin, end in SEGMENTS:
            clock.set(begin)
            replay(system, city, clock, end=end, sample=SAMPLE)
            for alert in system.alerts.list_alerts(status="confirmed", limit=50):
                if alert.stop_outcome is None:
                    outcome = OUTCOMES[picked % len(OUTCOMES)]
                    note = "taken to the impound lot" if outcome == "other" else ""
                    system.alerts.record_outcome(alert.id, outcome, note=note, user=officer)
                    picked += 1
            if begin.month == 12 and begin.year == 2024:
                # the protected-plates registry publishes a day's dropped reads the day after
                # (trustlpr.protected.registry.publish_counts): 31 Dec counts for 2024
                system.audit.append(
                    AuditEvent(
                        EventType.PROTECTED_CHANGED,
                        clock(),
                        settings.agency_id,
                        {"action": "reads_not_recorded", "days": "2024-12-31", "count": 3},
                    )
                )
        checkpoint = system.audit.checkpoint()
        download = settings.data_dir.parent / "download.jsonl"
        with download.open("w", encoding="utf-8") as out:
            export(system.audit.log, out, "jsonl")
        root = base64.b64encode(checkpoint.root).decode()
        yield Node(system, settings.data_dir, download, root, checkpoint.size)
    finally:
        system.close()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def _report(node: Node, year: int, *more: str) -> dict[str, Any]:
    code, out = _run("report", "annual", "--year", str(year), "--format", "json",
                     "--log", str(node.download), *more)  # fmt: skip
    assert code == 0, out
    report: dict[str, Any] = json.loads(out)
    return report


def _by_hand(download: Path, year: int) -> dict[str, int]:
    """Every figure of the report, counted from the download's decoded leaves with nothing of
    trustlpr: what any reader of the public log can do."""
    n: dict[str, int] = {f.id: 0 for f in FIGURES}
    cameras: set[str] = set()
    for line in download.read_text(encoding="utf-8").splitlines():
        leaf = json.loads(line)["leaf"]
        kind, public, in_year = leaf["type"], leaf["public"], leaf["time"][:4] == str(year)
        dropped = kind == "protected_changed" and public.get("action") == "reads_not_recorded"
        if dropped and public["days"][:4] == str(year):
            n["protected_not_recorded"] += public["count"]
        if not in_year:
            continue
        if kind == "reads_ingested":
            n["reads"] += public["count"]
            cameras |= set(public.get("camera_counts") or {})
        elif kind == "alert_raised":
            n["hits"] += public.get("count", 1)
        elif kind == "alert_verified" and public.get("action") != "verify_possible":
            key = {"confirmed": "confirmed", "misread": "misreads"}.get(public["outcome"])
            n[key or "not_the_vehicle"] += public.get("count", 1)
        elif kind == "alert_outcome":
            n[f"outcome_{public['outcome']}"] += public.get("count", 1)
            n["outcomes_recorded"] += public.get("count", 1)
        elif kind == "search_decided":
            decision = public["decision"]
            n["searches"] += 1
            suffix = {"allow": "allowed", "deny": "denied", "needs_approval": "held"}[decision]
            n[f"searches_{suffix}"] += 1
            n["warrant_allowed"] += bool(public.get("warrant")) and decision == "allow"
            n["outside"] += bool(public.get("out_of_agency"))
            n["outside_denied"] += bool(public.get("out_of_agency")) and decision == "deny"
            n["federation_in"] += bool(public.get("federated"))
        elif kind == "camera_changed" and public.get("action") == "placement_refused":
            n["placements_refused"] += public.get("count", 1)
        elif kind == "reads_not_collected":
            n["reads_not_collected"] += public["count"]
        elif kind == "search_executed":
            n["searches_run"] += 1
        elif kind == "approval_decided":
            if public.get("outcome") in ("approved", "rejected"):
                n[public["outcome"]] += 1
        elif kind == "federation_search":
            asked = public.get("action") in ("answered", "no_answer") and public.get("purpose")
            n["federation_out"] += bool(asked)
        elif kind == "purge":
            n["purges"] += 1
            n["reads_purged"] += public.get("count", 0)
            n["keys_destroyed"] += len(public.get("key_ids") or [])
    n["cameras"] = len(cameras)
    return n


@pytest.mark.parametrize("year", [2024, 2025])
def test_every_number_equals_the_one_recounted_from_the_download(node: Node, year: int) -> None:
    report = _report(node, year)
    assert report["policy"] == "ct-pa-26-14"  # the demo's policy, as the log records it
    got = {row["id"]: row["value"] for row in report["figures"]}
    assert got == _by_hand(node.download, year)
    for busy in ("reads", "cameras", "searches", "searches_allowed", "searches_denied"):
        assert got[busy] > 0, (year, busy)  # the simulation gave each year something
    if year == 2024:
        assert got["protected_not_recorded"] == 3  # logged on 1 Jan 2025, for 31 Dec 2024
    else:
        assert got["protected_not_recorded"] == 0
        assert got["purges"] > 0 and got["keys_destroyed"] > 0  # December's keys, in July
    by_purpose = report["tables"]["searches_by_purpose"]
    assert sum(sum(row.values()) for row in by_purpose.values()) == got["searches"]
    classes: dict[str, dict[str, int]] = {}
    for line in node.download.read_text(encoding="utf-8").splitlines():
        leaf = json.loads(line)["leaf"]
        if leaf["type"] == "search_decided" and leaf["time"][:4] == str(year):
            kind = leaf["public"].get("offense_class", "not_recorded")
            row = classes.setdefault(kind, {"allow": 0, "deny": 0, "needs_approval": 0})
            row[leaf["public"]["decision"]] += 1
    assert report["tables"]["searches_by_offense_class"] == dict(sorted(classes.items()))
    assert "not_recorded" not in classes  # every search of this node logs its offense class
    assert report["log"]["size"] == node.size and report["log"]["root_hash"] == node.root_hash


def test_the_years_hold_the_alerts_and_outcomes_of_the_log(node: Node) -> None:
    """Alerts come when a stolen car passes (the hot list ends 60 days after set-up): the
    simulated year holds some, each with an outcome, split between the two years."""
    years = [{r["id"]: r["value"] for r in _report(node, y)["figures"]} for y in (2024, 2025)]
    everything = _by_hand(node.download, 2026)
    for fid in ("hits", "confirmed", "outcomes_recorded"):
        assert years[0][fid] + years[1][fid] > 0, fid
    assert everything["reads"] > 0 and everything["hits"] == 0  # 2026 is not in either


def test_local_log_and_download_give_the_same_report_and_html_says_its_checkpoint(
    node: Node,
) -> None:
    code, local = _run("--data-dir", str(node.data_dir), "report", "annual", "--year", "2025",
                       "--format", "json")  # fmt: skip
    assert code == 0, local
    assert json.loads(local) == _report(node, 2025)
    code, html = _run("report", "annual", "--year", "2025", "--log", str(node.download))
    assert code == 0, html
    assert f"log size {node.size}" in re.sub(r"<[^>]+>", "", html)
    assert node.root_hash in html
    reads = _by_hand(node.download, 2025)["reads"]
    assert re.search(rf'id="figure-reads">.*?<td class="n">{reads}</td>', html, re.S)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keeps the request lines off stderr, where the CLI's output is read."""


def test_the_download_can_be_fetched_from_a_url(node: Node) -> None:
    handler = functools.partial(_Quiet, directory=str(node.download.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{node.download.name}"
        code, out = _run("report", "annual", "--year", "2025", "--format", "json", "--log", url)
        assert code == 0, out
        assert json.loads(out) == _report(node, 2025)
        code, out = _run("report", "annual", "--year", "2025", "--log", url + ".missing")
        assert code != 0 and "404" in out
    finally:
        server.shutdown()
        server.server_close()


def test_figures_cite_the_statute_reference_md_states(node: Node, shared_dir: Path) -> None:
    reference = " ".join((shared_dir / "docs" / "REFERENCE.md").read_text().split())
    for name, statute in STATUTES.items():
        if name != "strict-default":
            assert statute.citation in reference, name
        for requirement in statute.requirements:
            assert requirement.asks in reference, (name, requirement.asks)
    va = _report(node, 2025, "--policy", "va-2-2-5517")
    rows = {row["id"]: row for row in va["figures"]}
    assert rows["outcome_stop"]["cite"] == "Virginia §2.2-5517"
    assert rows["outcome_stop"]["asks"] == "stop records note whether an ALPR alert caused the stop"
    assert va["statute"]["subsection"] is None and "subsection" in va["statute"]["note"]
    nh = _report(node, 2025, "--policy", "nh-rsa-261-75b")
    cited = {row["id"] for row in nh["figures"] if row["cite"] == "RSA 261:75-b"}
    assert {"hits", "outcomes_recorded", "outcome_arrest", "reads_purged"} <= cited
    assert all(row["cite"] is None for row in _report(node, 2025, "--policy", "me-29a-2117a")[
        "figures"])  # fmt: skip


def test_a_year_without_entries_gives_zeros(node: Node) -> None:
    code, out = _run("report", "annual", "--year", "2023", "--log", str(node.download))
    assert code != 0 and "--policy" in out  # no policy was in force yet: the log says so
    report = _report(node, 2023, "--policy", "wa-sb-6002")
    assert all(row["value"] == 0 for row in report["figures"])
    assert report["tables"]["searches_by_purpose"] == {} and report["period"]["days"] == 365


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--year", "99"), "--year"),
        (("--year", "twenty"), "--year"),
        (("--year", "2025", "--format", "docx"), "--format"),
        (("--year", "2025", "--format", "pdf"), "--out"),
        (("--year", "2025", "--policy", "xx-none"), "va-2-2-5517"),
    ],
)
def test_bad_options_are_one_clear_error(node: Node, args: tuple[str, ...], expected: str) -> None:
    code, out = _run("report", "annual", "--log", str(node.download), *args)
    assert code != 0 and expected in out and "Traceback" not in out


def test_pdf_is_printed_by_chromium(node: Node, tmp_path: Path) -> None:
    pdf = tmp_path / "annual.pdf"
    code, out = _run("report", "annual", "--year", "2025", "--format", "pdf",
                     "--log", str(node.download), "--out", str(pdf))  # fmt: skip
    assert code == 0, out
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 2000


def test_the_portal_has_a_page_per_year_with_the_same_numbers(node: Node) -> None:
    app = create_app(node.system, portal_ttl=0, exposure=False)
    try:
        client = TestClient(app)
        index = client.get("/")
        assert index.status_code == 200 and 'href="/reports"' in index.text
        years = client.get("/reports")
        assert years.status_code == 200
        assert re.findall(r'href="/reports/(\d{4})"', years.text) == ["2026", "2025", "2024"]
        page = client.get("/reports/2025")
        assert page.status_code == 200
        shown = dict(
            re.findall(r'id="figure-([a-z_]+)"><td>[^<]*</td><td class="n">(\d+)<', page.text)
        )
        want = {row["id"]: str(row["value"]) for row in _report(node, 2025)["figures"]}
        assert shown == want
        assert f"log size {node.size}" in re.sub(r"<[^>]+>", "", page.text)
        for bad in ("/reports/1999", "/reports/20x5", "/reports/02025"):
            assert client.get(bad).status_code == 404, bad
    finally:
        app.state.portal.close()
