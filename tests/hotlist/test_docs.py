"""docs/hotlist.md stays honest: every command, option, route and audit action is in it; the
package's public surface does not grow by accident."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

import trustlpr.hotlist as hotlist
from trustlpr.cli.hotlist_cmds import alerts_app, hotlist_app
from trustlpr.web.alerts import router

DOC = (Path(__file__).parents[2] / "docs" / "hotlist.md").read_text(encoding="utf-8")
COMMANDS = [
    (group, name, command)
    for group, app in (("hotlist", hotlist_app), ("alerts", alerts_app))
    for name, command in get_command(app).commands.items()  # type: ignore[attr-defined]
]


@pytest.mark.parametrize(("group", "name", "command"), COMMANDS, ids=lambda v: str(v))
def test_every_command_and_option_is_documented(group: str, name: str, command: object) -> None:
    section = f"### `trustlpr {group} {name}"
    assert section in DOC, f"{section} missing"
    text = DOC[DOC.index(section) :].split("\n### ", 1)[0]
    for param in command.params:  # type: ignore[attr-defined]
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert opt in text, f"{group} {name}: {opt} not documented"
    assert command.help, f"{group} {name} has no --help text"  # type: ignore[attr-defined]


def test_every_route_is_documented() -> None:
    for route in router.routes:
        path = route.path  # type: ignore[attr-defined]
        assert path in DOC, f"{path} not documented"


@pytest.mark.parametrize(
    "word",
    ["hotlist_changed", "alert_raised", "alert_verified", "sharing_changed", "replace", "add",
     "remove", "delete_list", "prune", "verify_alert", "verify_possible", "alert_target_added",
     "alert_target_removed", "X-TrustLPR-Signature", "trustlpr/alerts", "Last-Event-ID",
     "state_not_read", "no_state_match", "X-TrustLPR-Alert-Id", "pending"],
)  # fmt: skip
def test_audit_actions_and_wire_names_are_documented(word: str) -> None:
    assert f"`{word}`" in DOC or word in DOC


def test_public_surface() -> None:
    assert sorted(hotlist.__all__) == sorted(
        [
            "SIGNATURE_HEADER",
            "AlertKind",
            "AlertRecord",
            "AlertService",
            "AlertStats",
            "BufferedRead",
            "Candidate",
            "HitOnlyBuffer",
            "HotlistMatcher",
            "HotlistService",
            "ImportReport",
            "Match",
            "Verdict",
            "Why",
            "agreement_check",
            "verify_signature",
        ]
    )
    for name in hotlist.__all__:
        assert getattr(hotlist, name) is not None
