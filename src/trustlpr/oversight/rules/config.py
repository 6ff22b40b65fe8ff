"""Rule thresholds: defaults shipped as ``default_rules.toml``, overridden by ``--config``.

The defaults file is the schema: a user file may only name sections and keys it has, with
values of the same type (an int where an int is expected; floats accept ints). Anything else is
a ``ConfigError`` naming the key, so a typo never silently leaves a default in force.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from ...core.errors import ConfigError

DEFAULTS_NAME = "default_rules.toml"
SEVERITIES = ("high", "medium", "low")


def default_text() -> str:
    """The shipped defaults, comments included (what ``trustlpr oversight config`` prints)."""
    return resources.files(__package__).joinpath(DEFAULTS_NAME).read_text(encoding="utf-8")


def _merge(base: dict[str, Any], override: dict[str, Any], where: str, source: str) -> None:
    for key, value in override.items():
        path = f"{where}.{key}" if where else key
        if key not in base:
            if where == "out_of_state.partners":
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise ConfigError(f"{source}: {path} must be a list of state codes")
                base[key] = value
                continue
            raise ConfigError(f"{source}: unknown setting {path!r}")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: {path} must be a table ([{path}])")
            _merge(current, value, path, source)
        elif isinstance(current, bool) or isinstance(value, bool):
            if not (isinstance(current, bool) and isinstance(value, bool)):
                raise ConfigError(f"{source}: {path} must be true or false")
            base[key] = value
        elif isinstance(current, float):
            if not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{source}: {path} must be a non-negative number")
            base[key] = float(value)
        elif isinstance(current, int):
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"{source}: {path} must be a non-negative whole number")
            base[key] = value
        elif isinstance(current, list):
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{source}: {path} must be a list of strings")
            base[key] = value
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{source}: {path} must be a string")
            base[key] = value


class RuleConfig:
    """Validated thresholds, read with typed accessors such as ``cfg.get_int(section, key)``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.disabled = frozenset(self.get_strings("rules", "disabled"))
        self.extra_terms: dict[str, re.Pattern[str]] = {}
        for category, terms in self.data["terms"].items():
            if terms:
                try:
                    self.extra_terms[category] = re.compile(
                        "|".join(f"(?:{t})" for t in terms), re.I
                    )
                except re.error as exc:
                    raise ConfigError(
                        f"terms.{category}: not a regular expression ({exc})"
                    ) from exc

    def _get(self, section: str, key: str) -> Any:
        return self.data[section][key]

    def get_int(self, section: str, key: str) -> int:
        return int(self._get(section, key))

    def get_float(self, section: str, key: str) -> float:
        return float(self._get(section, key))

    def get_bool(self, section: str, key: str) -> bool:
        return bool(self._get(section, key))

    def get_str(self, section: str, key: str) -> str:
        return str(self._get(section, key))

    def get_strings(self, section: str, key: str) -> list[str]:
        return [str(v) for v in self._get(section, key)]

    def partners(self) -> dict[str, list[str]]:
        table = self.data["out_of_state"].get("partners", {})
        return {k.upper(): [v.upper() for v in vs] for k, vs in table.items()}

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled and rule.split(".")[0] not in self.disabled


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> RuleConfig:
    """The defaults, overlaid with ``path`` and then ``overrides`` (same shape as the file,
    e.g. ``{"out_of_state": {"home_state": "CT"}}``); ``ConfigError`` on a bad key or value."""
    data = tomllib.loads(default_text())
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
        _merge(data, override, "", str(path))
    if overrides:
        _merge(data, overrides, "", "option")
    return RuleConfig(data)
