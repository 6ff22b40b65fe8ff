"""The outputs: ``report.html`` (self-contained, charts inline), ``findings.csv``, a summary.

Imported on first use only (it pulls in matplotlib and jinja2, which the import's worker
processes never need).
"""

from .evidence import CSV_COLUMNS
from .summary import import_summary, summary
from .write import write_report

__all__ = ["CSV_COLUMNS", "import_summary", "summary", "write_report"]
