from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.core import ConfigError
from trustlpr.settings import Settings


def test_config_round_trips_through_toml_including_awkward_names(tmp_path: Path) -> None:
    original = Settings.load(
        tmp_path,
        env={},
        agency_name='O\'Brien "County" Sheriff \\ Dept — Ünit',
        policy="nh-rsa-261-75b",
        nonhit_retention="3m",
    )
    original.config_path.write_text(original.to_toml(), encoding="utf-8")
    loaded = Settings.load(tmp_path, env={})
    assert loaded.agency_name == original.agency_name
    assert loaded.policy == "nh-rsa-261-75b"
    assert loaded.nonhit_retention == timedelta(minutes=3)


def test_environment_overrides_the_file_and_bad_files_fail_clearly(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('policy = "ct-pa-26-14"\n')
    assert Settings.load(tmp_path, env={"TRUSTLPR_POLICY": "va-2-2-5517"}).policy == "va-2-2-5517"
    (tmp_path / "config.toml").write_text('polcy = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(tmp_path, env={})
    (tmp_path / "config.toml").write_text('hit_retention = "forever"\n')
    with pytest.raises(ConfigError, match="not a duration"):
        Settings.load(tmp_path, env={})
