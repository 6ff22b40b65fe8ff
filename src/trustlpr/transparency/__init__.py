"""Transparency figures: every number of the public portal, recomputable from the public log.

``Tally`` / ``compute_figures`` reduce public leaves to the portal's figures; the portal and
``trustlpr audit recompute-stats`` both use them. ``snapshot_retained_vehicles`` and
``record_policy_in_force`` log what no other event carries. ``annual.annual_report`` is the
statutory annual report of a year (``trustlpr report annual``). See docs/portal.md.
"""

from .explain import explain_reason, reason_texts
from .figures import WINDOW_DAYS, Tally, compute_figures
from .jobs import (
    SNAPSHOT_INTERVAL,
    policy_file,
    record_policy_in_force,
    snapshot_retained_vehicles,
)
from .source import (
    check_checkpoint,
    jsonl_leaves,
    log_leaves,
    read_jsonl,
    recompute,
    tally_lines,
)

__all__ = [
    "SNAPSHOT_INTERVAL",
    "WINDOW_DAYS",
    "Tally",
    "check_checkpoint",
    "compute_figures",
    "explain_reason",
    "jsonl_leaves",
    "log_leaves",
    "policy_file",
    "read_jsonl",
    "reason_texts",
    "recompute",
    "record_policy_in_force",
    "snapshot_retained_vehicles",
    "tally_lines",
]
