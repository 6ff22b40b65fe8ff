"""HTML to PDF with the Chromium the node already has (the browser tests use it too).

Headless Chromium's ``--print-to-pdf`` renders the page exactly as a browser prints it, so the
PDF holds the same text as the HTML. The binary is ``TRUSTLPR_CHROMIUM`` or
``/usr/bin/chromium``; without it a PDF is a ``ConfigError`` (HTML and JSON still work).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from ..core.errors import ConfigError

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT = 120.0


def chromium_path() -> Path:
    """The Chromium binary that prints, or ``ConfigError`` saying how to get one."""
    path = Path(os.environ.get("TRUSTLPR_CHROMIUM") or DEFAULT_CHROMIUM)
    if not path.is_file():
        raise ConfigError(
            f"a PDF needs Chromium at {path} (apt-get install chromium, or set "
            "TRUSTLPR_CHROMIUM); --format html or json need nothing"
        )
    return path


def html_to_pdf(html: str) -> bytes:
    """The PDF Chromium prints of the self-contained page ``html``."""
    binary = chromium_path()
    with tempfile.TemporaryDirectory(prefix="trustlpr-pdf-") as work:
        page, out = Path(work) / "report.html", Path(work) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = [
            str(binary), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={out}", page.as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"Chromium could not print the report: {exc}") from exc
        if done.returncode != 0 or not out.is_file():
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise ConfigError(f"Chromium could not print the report: {' '.join(tail)}")
        return out.read_bytes()
