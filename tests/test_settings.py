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


def test_map_tiles_is_a_one_host_url_template_kept_in_the_config(tmp_path: Path) -> None:
    url = "https://tiles.example.org:8443/osm/{z}/{x}/{y}{r}.png?key=abc"
    settings = Settings.load(tmp_path, env={}, map_tiles=url, map_attribution=" Our  tiles ")
    assert settings.map_tiles == url and settings.map_attribution == "Our tiles"
    settings.config_path.write_text(settings.to_toml(), encoding="utf-8")
    loaded = Settings.load(tmp_path, env={})
    assert (loaded.map_tiles, loaded.map_attribution) == (url, "Our tiles")
    env = {"TRUSTLPR_MAP_TILES": "http://127.0.0.1:9/{z}/{x}/{y}.png"}
    assert Settings.load(tmp_path, env=env).map_tiles == env["TRUSTLPR_MAP_TILES"]
    assert Settings.load(tmp_path / "none", env={}).map_tiles is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "one tile host"),
        ("https://user:pw@tiles.example.org/{z}/{x}/{y}.png", "one tile host"),
        ("javascript:alert(1)//{z}/{x}/{y}", "http:// or https://"),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "http:// or https://"),
        ("https://tiles.example.org/{z}/{x}.png", r"must contain \{z\}"),
        ("https://tiles.example.org/{z}/{x}/{y}/{style}.png", r"must contain \{z\}"),
        ("https://tiles.example.org/{z}/{x}/{y}.png; script-src *", "semicolons"),
        ('https://tiles.example.org/{z}/{x}/{y}.png"onload="x', "quotes"),
        ("https://tiles.example.org/{z}/{x}/{y}.png https://evil.example", "spaces"),
        ("https://tiles.example.org/{z}/{x}/{y}.png," + "a" * 10, "commas"),
        ("", "at most 500"),
    ],
)
def test_map_tiles_refuses_what_the_policy_cannot_pin(tmp_path: Path, url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        Settings.load(tmp_path, env={}, map_tiles=url)


def test_map_tiles_from_the_config_file_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('map_tiles = "https://{s}.example.org/{z}/{x}/{y}.png"\n')
    with pytest.raises(ConfigError, match="no \\{s\\} subdomains"):
        Settings.load(tmp_path, env={})
    (tmp_path / "config.toml").write_text(f'map_attribution = "{"x" * 201}"\n')
    with pytest.raises(ConfigError, match="map_attribution"):
        Settings.load(tmp_path, env={})
