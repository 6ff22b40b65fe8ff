"""Every parameter of a policy names its source (issue 21 item 1): a section of law or a default."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.core.errors import PolicyError
from trustlpr.policy import list_policies, load_policy
from trustlpr.policy.loader import POLICY_DIR, parse_policy
from trustlpr.policy.sources import Sources, parameter_values

runner = CliRunner()


def _data(name: str) -> dict[str, Any]:
    return tomllib.loads((POLICY_DIR / f"{name}.toml").read_text(encoding="utf-8"))


def _sources(name: str) -> Sources:
    sources = load_policy(name).sources
    assert sources is not None
    return sources


def _parse(data: dict[str, Any], name: str = "ct-pa-26-14") -> Any:
    return parse_policy(data, POLICY_DIR / f"{name}.toml")


@pytest.mark.parametrize("name", list_policies())
def test_every_parameter_of_every_shipped_policy_has_a_source(name: str) -> None:
    policy = load_policy(name)
    assert policy.sources is not None
    params = parameter_values(_data(name))
    assert params and set(policy.sources.parameters) == set(params)
    for key, citation in policy.sources.parameters.items():
        assert len(citation.text) >= 12, (name, key)
        assert citation.status in {"cited", "unconfirmed", "default"}
        assert date(2026, 1, 1) <= citation.checked <= date.today()
    assert policy.sources.checked_against and all(policy.sources.checked_against)


@pytest.mark.parametrize("name", sorted(set(list_policies()) - {"strict-default"}))
def test_each_statute_template_cites_its_retention(name: str) -> None:
    """A jurisdiction's own number is cited, never silently a default (Illinois has none)."""
    nonhit = _sources(name).parameters["retention.nonhit"]
    if name == "il-625-2-130":
        assert nonhit.is_default and "sets no retention" in nonhit.text
    else:
        assert not nonhit.is_default and load_policy(name).statute.cite_as.split(" §")[0] in (
            nonhit.text
        )


def test_connecticut_retention_stays_marked_unconfirmed_until_read() -> None:
    citation = _sources("ct-pa-26-14").parameters["retention.nonhit"]
    assert citation.status == "unconfirmed" and "PA 26-14" in citation.text


def test_a_parameter_without_a_source_fails_and_names_it() -> None:
    data = _data("ct-pa-26-14")
    del data["sources"]["cite"]["retention.nonhit"]
    with pytest.raises(PolicyError, match=r"sources\.cite\.retention\.nonhit.*has no source"):
        _parse(data)


def test_a_new_parameter_without_a_source_fails() -> None:
    data = _data("va-2-2-5517")
    data["purposes"]["offense_required"] = ["felony_investigation"]
    with pytest.raises(PolicyError, match=r"purposes\.offense_required.*has no source"):
        _parse(data, "va-2-2-5517")


def test_a_table_covers_its_parameters_and_the_most_specific_key_wins() -> None:
    data = _data("ct-pa-26-14")
    cites = data["sources"]["cite"]
    for key in [k for k in cites if k.startswith("sharing.")]:
        del cites[key]
    cites["sharing"] = {"cite": "the whole sharing table's section"}
    cites["sharing.federal"] = {"default": "a narrower entry for federal access"}
    sources = _parse(data).sources
    assert sources.parameters["sharing.in_state"].text == "the whole sharing table's section"
    assert sources.parameters["sharing.in_state"].key == "sharing"
    assert sources.parameters["sharing.federal"].is_default


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"cite": "x section", "default": "y"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"cite": "  "}, "exactly one of"),
        ({"cite": "x section", "unconfirmd": True}, "unconfirmd.*unknown key"),
        ({"default": "why", "unconfirmed": True}, "applies to a citation"),
        ({"cite": "x section", "checked": "yesterday"}, "must be a date"),
        ({"cite": "x section", "unconfirmed": "yes"}, "true or false"),
        ("just text", "must be a table"),
    ],
)
def test_bad_citation_entries_fail_clearly(entry: object, message: str) -> None:
    data = _data("ct-pa-26-14")
    data["sources"]["cite"]["retention.nonhit"] = entry
    with pytest.raises(PolicyError, match=rf"sources\.cite\.retention\.nonhit.*{message}"):
        _parse(data)


@pytest.mark.parametrize("key", ["retention.nonhiit", "sharing.fed", "rules.no-such-rule", "x"])
def test_a_citation_that_names_nothing_fails(key: str) -> None:
    data = _data("ct-pa-26-14")
    data["sources"]["cite"][key] = {"cite": "some section"}
    with pytest.raises(PolicyError, match="names no parameter"):
        _parse(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("checked"), r"sources\.checked.*required"),
        (lambda s: s.__setitem__("checked", "2026-13-01"), "must be a date"),
        (lambda s: s.__setitem__("checked_against", []), "must list what was checked"),
        (lambda s: s.__setitem__("checked_against", [""]), "must list what was checked"),
        (lambda s: s.__setitem__("chekced", "x"), r"sources\.chekced.*unknown key"),
    ],
)
def test_the_sources_table_itself_is_checked(change: Any, message: str) -> None:
    data = _data("ct-pa-26-14")
    change(data["sources"])
    with pytest.raises(PolicyError, match=message):
        _parse(data)


def test_a_file_without_sources_fails() -> None:
    data = _data("nh-rsa-261-75b")
    del data["sources"]
    with pytest.raises(PolicyError, match=r"key 'sources': is required"):
        _parse(data, "nh-rsa-261-75b")


def test_validate_fails_on_a_parameter_with_neither_cite_nor_default(tmp_path: Path) -> None:
    text = (POLICY_DIR / "wa-sb-6002.toml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    kept = [x for x in lines if not x.startswith('"retention.nonhit" =')]
    assert len(kept) == len(lines) - 1
    path = tmp_path / "wa-sb-6002.toml"
    path.write_text("".join(kept), encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 78
    assert "retention.nonhit': has no source" in result.stderr.replace("\n", "")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 0 and "parameters sourced" in result.stdout


def test_show_prints_each_parameter_with_its_source_and_date() -> None:
    result = runner.invoke(app, ["policy", "show", "--json", "ct-pa-26-14"])
    sources = json.loads(result.stdout)["sources"]
    nonhit = sources["parameters"]["retention.nonhit"]
    assert nonhit["value"] == "21d" and nonhit["status"] == "unconfirmed"
    assert nonhit["checked"] == sources["checked"]
    assert sources["parameters"]["retention.hit"]["status"] == "default"
    result = runner.invoke(app, ["policy", "show", "va-2-2-5517"])
    assert result.exit_code == 0
    table = result.stdout.split("sources (checked 2026-12-02", 1)[1]
    for part in ("retention.nonhit", "retention.hit", "21d", "cited", "default", "2026-12-02"):
        assert part in table, part
    first = next(x for x in table.splitlines() if "retention.nonhit" in x)
    assert "21d" in first and "cited" in first
