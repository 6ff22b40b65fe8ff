"""Oversight: find misuse in Flock audit exports and in TrustLPR's own audit log.

``import_files`` reads exports as agencies release them (CSV and XLSX, every known layout,
admin event logs) into a de-duplicated ``RecordTable``; ``run_rules`` applies the misuse
rules (thresholds from ``load_config``); ``write_report`` writes ``report.html`` and
``findings.csv``. ``records_from_audit`` turns our own audit events into ``SearchRecord``s,
and ``read_own_log`` reads them from a data directory. See docs/oversight.md.
"""

from .config import RuleConfig, load_config
from .findings import Finding, RuleRun, run_rules
from .importer import ImportResult, import_files
from .ownlog import read_own_log, records_from_audit
from .records import HotlistEvent, SearchRecord
from .report import write_report
from .table import RecordTable

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
