"""Policy files: every shipped one loads and cites its law; anything unknown fails loading."""

from __future__ import annotations

import copy
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import NotFoundError, PolicyError
from trustlpr.core.search import Purpose, SearchType
from trustlpr.policy import list_policies, load_policy
from trustlpr.policy.loader import POLICY_DIR, parse_policy

REQUIRED = {
    "strict-default",
    "ct-pa-26-14",
    "nh-rsa-261-75b",
    "va-2-2-5517",
    "ca-civ-1798-90",
    "il-625-2-130",
}


def _data(name: str) -> dict[str, Any]:
    return tomllib.loads((POLICY_DIR / f"{name}.toml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict[str, Any], name: str = "ct-pa-26-14") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(_dump(data), encoding="utf-8")
    return path


def _dump(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the shapes policy files use (tables, arrays of tables)."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines.append(f"[[{prefix}{key}]]\n" + _dump(item))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    text = "\n".join(lines) + "\n"
    for key, value in tables:
        text += f"\n[{prefix}{_key(key)}]\n" + _dump(value, f"{prefix}{_key(key)}.")
    return text


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else f'"{key}"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_required_policies_ship() -> None:
    assert set(list_policies()) >= REQUIRED


@pytest.mark.parametrize("name", list_policies())
def test_shipped_policy_cites_its_statute(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.statute.citation and policy.statute.url.startswith("https://")
    assert policy.statute.effective.year >= 2005
    assert policy.permitted_purposes and policy.prohibited_purposes
    assert not policy.permitted_purposes & policy.prohibited_purposes
    for purpose in (
        Purpose.IMMIGRATION_ENFORCEMENT,
        Purpose.REPRODUCTIVE_HEALTH,
        Purpose.GENDER_AFFIRMING_CARE,
        Purpose.PROTEST_MONITORING,
        Purpose.PERSONAL,
    ):
        assert purpose in policy.prohibited_purposes
    assert SearchType.EXACT in policy.search_types
    assert policy.retention_hit >= policy.retention_nonhit
    assert policy.to_dict()["name"] == name
    assert len(policy.digest) == 64 and policy.digest == load_policy(name).digest


def test_statute_parameters() -> None:
    nh, ct, va = (
        load_policy("nh-rsa-261-75b"),
        load_policy("ct-pa-26-14"),
        load_policy("va-2-2-5517"),
    )
    assert nh.retention_nonhit == timedelta(minutes=3) and nh.hit_only
    assert set(nh.search_types) == {SearchType.EXACT}
    assert ct.retention_nonhit == timedelta(days=21)
    assert ct.sharing.attestation_states == {"MA", "NY", "RI"}
    assert any("nconfirmed" in note for note in ct.statute.notes)
    assert va.sharing.out_of_state.value == "never" and va.sharing.federal.value == "never"
    assert "C" not in load_policy("strict-default").allowed_hotlist_categories
    assert load_policy("il-625-2-130").sharing.attestation_accepted_from("TX")
    assert load_policy("wa-sb-6002").sensitive_locations.no_cameras >= {"school", "courthouse"}


def test_load_by_path_and_unknown_name(tmp_path: Path) -> None:
    path = _write(tmp_path, _data("ct-pa-26-14"))
    assert load_policy(path).source == path
    assert load_policy(str(path)).name == "ct-pa-26-14"
    with pytest.raises(NotFoundError, match="shipped policies"):
        load_policy("xx-no-such-law")
    with pytest.raises(NotFoundError):
        load_policy(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["sharing"].update(federl="never"), "sharing.federl"),
        (lambda d: d.update(extra={"x": 1}), "extra"),
        (
            lambda d: d["purposes"].update(permitted=["stolen_vehicle", "stolen_vehicels"]),
            "purposes.permitted",
        ),
        (lambda d: d["purposes"].update(min_reason_length="12"), "purposes.min_reason_length"),
        (lambda d: d["purposes"].update(min_reason_length=True), "purposes.min_reason_length"),
        (lambda d: d["retention"].update(nonhit="21 fortnights"), "retention.nonhit"),
        (lambda d: d["retention"].update(hit="1d"), "retention.hit"),
        (lambda d: d["retention"].update(hit_only="no"), "retention.hit_only"),
        (lambda d: d["sharing"].update(federal="always"), "sharing.federal"),
        (lambda d: d["sharing"].update(federal="allow"), "sharing.federal"),
        (
            lambda d: d["sharing"].update(attestation_states=["MA", "ZZ"]),
            "sharing.attestation_states",
        ),
        (lambda d: d["sharing"].update(attestation_states=["CT"]), "sharing.attestation_states"),
        (lambda d: d["sharing"].update(warrant_offenses=["murdr"]), "sharing.warrant_offenses"),
        (lambda d: d["sharing"].update(warrant_offenses=[]), "sharing.warrant_offenses"),
        (
            lambda d: d["hotlist"].update(allowed_categories=["V", "IMM"]),
            "hotlist.allowed_categories",
        ),
        (
            lambda d: d["search_types"].update(visual={"legal_basis": ["warrant"]}),
            "search_types.visual",
        ),
        (
            lambda d: d["search_types"]["area"].update(legal_basis=["warrent"]),
            "search_types.area.legal_basis",
        ),
        (
            lambda d: d["search_types"]["area"].update(legal_basis=[]),
            "search_types.area.legal_basis",
        ),
        (
            lambda d: d["search_types"]["area"].update(max_cameras=0),
            "search_types.area.max_cameras",
        ),
        (lambda d: d["windows"].update(parking="1d"), "windows.parking"),
        (lambda d: d["windows"].update(stolen_vehicel="1d"), "windows.stolen_vehicel"),
        (lambda d: d["purposes"].update(prohibited=["stolen_vehicle"]), "purposes.prohibited"),
        (lambda d: d["policy"].update(jurisdiction="Connecticut"), "policy.jurisdiction"),
        (lambda d: d["policy"].update(effective="October 2026"), "policy.effective"),
        (lambda d: d["policy"].update(name="other-name"), "policy.name"),
        (lambda d: d["policy"].pop("citation"), "policy.citation"),
        (lambda d: d.pop("sharing"), "sharing"),
        (lambda d: d["approvals"].update(partial_plate="yes"), "approvals.partial_plate"),
        (
            lambda d: d["sensitive_locations"].update(categories=["church"]),
            "sensitive_locations.categories",
        ),
        (
            lambda d: d["sensitive_locations"].update(searches="warn"),
            "sensitive_locations.searches",
        ),
    ],
)
def test_invalid_policy_names_file_and_key(tmp_path: Path, mutate: Any, key: str) -> None:
    data = _data("ct-pa-26-14")
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in caught.value.message
    assert f"'{key}'" in caught.value.message


def test_not_toml_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "ct-pa-26-14.toml"
    path.write_text("[policy\nname = ", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(path)


def test_local_rule_with_attribute_typo_fails_schema_validation(tmp_path: Path) -> None:
    # REFERENCE.md §5: unvalidated, this forbid would error at run time and be skipped.
    data = _data("ct-pa-26-14")
    data["rules"] = [
        {
            "id": "no-parking",
            "text": "no parking searches",
            "effect": "deny",
            "when": 'context.purpse == "parking"',
        }
    ]
    data["sources"]["cite"]["rules"] = {"default": "a local rule of the agency's own"}
    with pytest.raises(PolicyError, match="schema validation") as caught:
        load_policy(_write(tmp_path, data))
    assert "local.no-parking" in caught.value.message


def test_local_rule_cannot_smuggle_a_permit(tmp_path: Path) -> None:
    data = _data("ct-pa-26-14")
    data["rules"] = [
        {
            "id": "sneaky",
            "text": "x",
            "effect": "deny",
            "when": "false }; permit (principal, action, resource) when { true",
        }
    ]
    data["sources"]["cite"]["rules"] = {"default": "a local rule of the agency's own"}
    with pytest.raises(PolicyError, match=r"rules\.sneaky\.when"):
        load_policy(_write(tmp_path, data))


def test_valid_local_rule_loads(tmp_path: Path) -> None:
    data = _data("ct-pa-26-14")
    data["rules"] = [
        {
            "id": "no-night-area",
            "text": "area searches need a day window",
            "effect": "approval",
            "when": 'context.search_type == "area" && context.window_seconds > 3600',
        }
    ]
    data["sources"]["cite"]["rules.no-night-area"] = {"default": "a local rule of the agency's own"}
    policy = load_policy(_write(tmp_path, data))
    assert policy.extra_rules[0].id == "no-night-area"
    del data["sources"]["cite"]["rules.no-night-area"]
    with pytest.raises(PolicyError, match=r"sources\.cite\.rules\.no-night-area.*no source"):
        load_policy(_write(tmp_path, data))


def _key_paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, value in data.items():
        paths.append((*prefix, key))
        if isinstance(value, dict):
            paths += _key_paths(value, (*prefix, key))
    return paths


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(REQUIRED)),
    pick=st.integers(min_value=0, max_value=10_000),
    edit=st.sampled_from(["drop", "double", "swap", "upper", "suffix"]),
    position=st.integers(min_value=0, max_value=40),
)
def test_any_key_typo_fails_loading(name: str, pick: int, edit: str, position: int) -> None:
    """A misspelt attribute anywhere in a policy file is refused, never silently ignored."""
    data = _data(name)
    paths = _key_paths(data)
    path = paths[pick % len(paths)]
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    at = position % len(key)
    typo = {
        "drop": key[:at] + key[at + 1 :],
        "double": key[:at] + key[at] + key[at:],
        "swap": key[:at] + key[at + 1 : at + 2] + key[at] + key[at + 2 :],
        "upper": key[:at] + key[at].upper() + key[at + 1 :],
        "suffix": key + "s",
    }[edit]
    if typo == key or typo in parent:
        return
    mutated = copy.deepcopy(data)
    target = mutated
    for part in path[:-1]:
        target = target[part]
    target[typo] = target.pop(key)
    with pytest.raises(PolicyError):
        parse_policy(mutated, POLICY_DIR / f"{name}.toml")


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(REQUIRED)),
    section=st.sampled_from(
        [
            "purposes.permitted",
            "purposes.prohibited",
            "sharing.federal",
            "sharing.out_of_state",
            "sharing.in_state",
            "hotlist.allowed_categories",
        ]
    ),
    junk=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
)
def test_any_unknown_value_fails_loading(name: str, section: str, junk: str) -> None:
    data = _data(name)
    table, key = section.split(".")
    current = data[table][key]
    data[table][key] = [*current, junk] if isinstance(current, list) else junk
    valid = {p.value for p in Purpose} | {"allow", "warrant", "never"} | set("AFWVPMHLRTCKX")
    if junk in valid:
        return
    with pytest.raises(PolicyError, match=section):
        parse_policy(data, POLICY_DIR / f"{name}.toml")
