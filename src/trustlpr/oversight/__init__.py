"""Oversight: find misuse in Flock audit exports and in TrustLPR's own audit log.

``import_files`` reads exports as agencies release them (CSV and XLSX, every known layout,
admin event logs) into a de-duplicated ``RecordTable``; ``run_rules`` applies the misuse
rules (thresholds from ``load_config``); ``write_report`` writes ``report.html`` and
``findings.csv``. ``records_from_audit`` turns our own audit events into ``SearchRecord``s,
and ``read_own_log`` reads them from a data directory. See docs/oversight.md.

The sub-packages follow the flow: ``reading`` (exports → table), ``table`` (the columnar
store), ``rules`` (table → findings), ``report`` (outputs). Imports point one way only:
``report`` → ``rules`` and ``reading`` → ``table`` → ``records`` and ``text`` (what a search
is, what a reason says); ``tests/oversight/test_layering.py`` holds them to it.
"""

from typing import TYPE_CHECKING, Any

from .reading import ImportResult, import_files, read_own_log, records_from_audit
from .records import HotlistEvent, SearchRecord
from .rules import Finding, RuleConfig, RuleRun, load_config, run_rules
from .table import RecordTable

if TYPE_CHECKING:
    from .report import write_report


def __getattr__(name: str) -> Any:
    """``write_report`` is imported on first use: it pulls in matplotlib and jinja2, which the
    import's worker processes (they import this package) never need."""
    if name == "write_report":
        from .report import write_report

        return write_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Finding",
    "HotlistEvent",
    "ImportResult",
    "RecordTable",
    "RuleConfig",
    "RuleRun",
    "SearchRecord",
    "import_files",
    "load_config",
    "read_own_log",
    "records_from_audit",
    "run_rules",
    "write_report",
]
