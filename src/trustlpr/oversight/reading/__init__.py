"""Reading exports as agencies release them into one ``RecordTable``.

``import_files`` takes CSV and XLSX files of every known layout (``layout``), parses rows
(``rows``, with ``batch`` as the column-at-a-time fast path), in worker processes for big CSV
files (``csvread``), and admin event logs (``eventlog``); ``read_own_log`` and
``records_from_audit`` read TrustLPR's own transparency log.
"""

from .importer import ImportResult, import_files, total_bytes
from .layout import Layout, find_layout
from .ownlog import read_own_log, records_from_audit

__all__ = [
    "ImportResult",
    "Layout",
    "find_layout",
    "import_files",
    "read_own_log",
    "records_from_audit",
    "total_bytes",
]
