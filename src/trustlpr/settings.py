"""Configuration: where the data directory and the shared models/data live, and overrides.

Precedence: explicit arguments, then environment (``TRUSTLPR_*``), then ``config.toml`` in the
data directory (written by ``trustlpr init``), then defaults. The shared models/data directory
has no default at run time: code that needs it raises ``ConfigError`` naming the variable; what
the main job needs from it (camera positions, default models) falls back to the copy packaged
in ``trustlpr.assets`` (``data_root``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import assets
from .core.clock import format_duration, parse_duration
from .core.errors import ConfigError, InputError

DEFAULT_DATA_DIR = Path("trustlpr-data")
DEFAULT_POLICY = "strict-default"
CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    shared_dir: Path | None = None
    database_url: str | None = None
    policy: str = DEFAULT_POLICY
    agency_id: str = "local"
    agency_name: str = "Local Police Department"
    agency_state: str = "CT"
    agency_type: str = "local"
    public_url: str | None = None
    nonhit_retention: timedelta | None = None
    hit_retention: timedelta | None = None
    purge_interval: timedelta = timedelta(minutes=1)
    approval_max_age: timedelta = timedelta(days=3)
    federation_deadline: float = 2.0
    """Seconds each partner has to answer a federated request before it counts as silent."""
    map_tiles: str | None = None
    """Tile URL template (``https://host/{z}/{x}/{y}.png``) for street maps behind the portal's
    and console's camera maps; unset, the maps are the offline SVG ones."""
    map_attribution: str | None = None
    """Credit shown on tiled maps (plain text); unset, the OpenStreetMap contributors'."""

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_FILE

    def require_shared_dir(self) -> Path:
        """The models/data directory, or a ``ConfigError`` telling how to set it."""
        if self.shared_dir is None:
            raise ConfigError(
                "the shared models/data directory is not configured; set TRUSTLPR_SHARED_DIR "
                "or shared_dir in config.toml"
            )
        if not self.shared_dir.is_dir():
            raise ConfigError(f"shared models/data directory {self.shared_dir} does not exist")
        return self.shared_dir

    def data_root(self) -> Path:
        """Where camera positions (``data/cameras``) and models (``models``) are read from:
        the shared directory when one is configured, else the copy packaged with TrustLPR."""
        return assets.ROOT if self.shared_dir is None else self.require_shared_dir()

    @classmethod
    def load(
        cls, data_dir: Path | None = None, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        env = os.environ if env is None else env
        base = Path(data_dir or env.get("TRUSTLPR_DATA_DIR") or DEFAULT_DATA_DIR)
        values: dict[str, Any] = {"data_dir": base}
        config = base / CONFIG_FILE
        if config.is_file():
            values.update(_from_toml(config))
        for key, var in (
            ("shared_dir", "TRUSTLPR_SHARED_DIR"),
            ("database_url", "TRUSTLPR_DATABASE_URL"),
            ("policy", "TRUSTLPR_POLICY"),
            ("public_url", "TRUSTLPR_PUBLIC_URL"),
            ("federation_deadline", "TRUSTLPR_FEDERATION_DEADLINE"),
            ("map_tiles", "TRUSTLPR_MAP_TILES"),
        ):
            if env.get(var):
                values[key] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("shared_dir") is not None:
            values["shared_dir"] = Path(values["shared_dir"])
        for key in ("nonhit_retention", "hit_retention", "purge_interval", "approval_max_age"):
            if isinstance(values.get(key), str):
                values[key] = parse_duration(values[key], field=key)
        values["federation_deadline"] = _deadline(values.get("federation_deadline", 2.0))
        if values.get("map_tiles") is not None:
            values["map_tiles"] = tile_template(values["map_tiles"])
        if values.get("map_attribution") is not None:
            values["map_attribution"] = _attribution(values["map_attribution"])
        return replace(cls(), **values)

    def to_toml(self) -> str:
        """The settings worth persisting in ``config.toml`` (never secrets)."""
        # JSON string escapes are valid TOML basic-string escapes.
        values: dict[str, str] = {
            "policy": self.policy,
            "agency_id": self.agency_id,
            "agency_name": self.agency_name,
            "agency_state": self.agency_state,
            "agency_type": self.agency_type,
        }
        for key in ("public_url", "map_tiles", "map_attribution"):
            value = getattr(self, key)
            if value:
                values[key] = value
        for key in ("nonhit_retention", "hit_retention"):
            value = getattr(self, key)
            if value is not None:
                values[key] = format_duration(value)
        if self.database_url:
            values["database_url"] = self.database_url
        if self.shared_dir:
            values["shared_dir"] = str(self.shared_dir)
        lines = ["# TrustLPR configuration; see `trustlpr --help` and docs/node.md"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        return "\n".join(lines) + "\n"


_KNOWN = {
    "policy", "agency_id", "agency_name", "agency_state", "agency_type", "public_url",
    "nonhit_retention", "hit_retention", "database_url", "shared_dir", "purge_interval",
    "approval_max_age", "federation_deadline", "map_tiles", "map_attribution",
}  # fmt: skip
_PLACEHOLDERS = re.compile(r"\{([^{}]*)\}")
_TILE_FIELDS = {"z", "x", "y", "r"}
_UNSAFE = re.compile(r"[\s\"'<>\\;,`]")


def tile_template(value: object) -> str:
    """``map_tiles``: an http(s) URL template with ``{z}``, ``{x}`` and ``{y}`` (``{r}`` for
    high-density tiles) on one named host, which the pages' Content-Security-Policy then
    allows as the only image source besides the node; so no ``{s}`` subdomains, no
    credentials in the URL, and nothing that could end a header or an attribute."""
    text = str(value).strip()
    if not text or len(text) > 500 or _UNSAFE.search(text):
        raise ConfigError(
            "map_tiles must be a URL template of at most 500 characters without spaces, "
            "quotes, angle brackets, backslashes, commas or semicolons"
        )
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"map_tiles must be an http:// or https:// URL, not {text[:60]!r}")
    if "@" in parts.netloc or "{" in parts.netloc:
        raise ConfigError(
            "map_tiles must name one tile host, with no credentials and no {s} subdomains: "
            "the Content-Security-Policy allows exactly that host"
        )
    fields = set(_PLACEHOLDERS.findall(text))
    if not {"z", "x", "y"} <= fields or fields - _TILE_FIELDS:
        raise ConfigError(
            "map_tiles must contain {z}, {x} and {y} (and may contain {r}), for example "
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        )
    return text


def _attribution(value: object) -> str:
    text = " ".join(str(value).split())
    if not text or len(text) > 200:
        raise ConfigError("map_attribution must be 1 to 200 characters of plain text")
    return text


def _deadline(value: object) -> float:
    """``federation_deadline``: seconds, more than 0 and at most 60."""
    try:
        seconds = float(str(value))
    except ValueError:
        text = str(value)[:20]
        raise ConfigError(f"federation_deadline must be seconds, not {text!r}") from None
    if not 0 < seconds <= 60:
        raise ConfigError("federation_deadline must be more than 0 and at most 60 seconds")
    return seconds


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    unknown = set(data) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        for key in ("nonhit_retention", "hit_retention", "purge_interval", "approval_max_age"):
            if key in data:
                parse_duration(str(data[key]), field=key)
    except InputError as exc:
        raise ConfigError(f"{path}: {exc.message}") from exc
    return data
