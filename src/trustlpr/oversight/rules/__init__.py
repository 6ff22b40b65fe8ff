"""The misuse rules over a ``RecordTable``.

``RULES`` is the catalogue, ``load_config`` the thresholds; ``run_rules`` derives a
``Context`` (per-row facts every rule shares) and runs every enabled rule, each returning
``Finding``s with their evidence rows.
"""

from .catalog import RULES, RuleInfo
from .config import RuleConfig, default_text, load_config
from .context import Context, Finding
from .run import RuleRun, run_rules

__all__ = [
    "RULES",
    "Context",
    "Finding",
    "RuleConfig",
    "RuleInfo",
    "RuleRun",
    "default_text",
    "load_config",
    "run_rules",
]
