"""Rule thresholds: shipped defaults, validated overrides, precise errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from trustlpr.core.errors import ConfigError
from trustlpr.oversight import load_config
from trustlpr.oversight.rules import default_text


def test_defaults_parse_and_read_typed() -> None:
    cfg = load_config()
    assert cfg.get_int("repeat_plate", "min_searches") == 5
    assert cfg.get_float("volume_spike", "factor") == 5.0
    assert cfg.get_bool("hotlist", "flag_never_expires") is True
    assert cfg.partners() == {"CT": ["MA", "NY", "RI"]}
    assert tomllib.loads(default_text())["rules"]["disabled"] == []


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        "[repeat_plate]\nmin_searches = 9\n[volume_spike]\nfactor = 3\n"
        '[out_of_state]\nhome_state = "va"\n[out_of_state.partners]\nVA = ["MD"]\n'
        '[terms]\nprotest = ["sit-?down"]\n'
    )
    cfg = load_config(path)
    assert cfg.get_int("repeat_plate", "min_searches") == 9
    assert cfg.get_int("repeat_plate", "window_days") == 30
    assert cfg.get_float("volume_spike", "factor") == 3.0
    assert cfg.partners()["VA"] == ["MD"]
    assert cfg.extra_terms["protest"].search("SITDOWN outside")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[repeat_plate]\nmin_serches = 9\n", "unknown setting 'repeat_plate.min_serches'"),
        ("[nonsense]\n", "unknown setting 'nonsense'"),
        ("[repeat_plate]\nmin_searches = 'five'\n", "non-negative whole number"),
        ("[repeat_plate]\nmin_searches = -1\n", "non-negative whole number"),
        ("[hotlist]\nflag_never_expires = 1\n", "true or false"),
        ("[rules]\ndisabled = 'S1'\n", "list of strings"),
        ("[terms]\nprotest = ['(']\n", "not a regular expression"),
        ("repeat_plate = 3\n", "must be a table"),
        ("[repeat_plate\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace("[", r"\[")):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "nope.toml")


def test_rules_can_be_disabled_by_id_or_signal(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[rules]\ndisabled = ["S7", "S4.repeat-plate"]\n')
    cfg = load_config(path)
    assert not cfg.enabled("S7.off-hours") and not cfg.enabled("S4.repeat-plate")
    assert cfg.enabled("S5.linked-plates")
