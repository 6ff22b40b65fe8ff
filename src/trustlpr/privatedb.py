"""Private SQLite files: the one way TrustLPR opens a small database that may hold a plate.

Identity, cameras, hot lists, alerts, the approval queue, the audit detail store, the witness
state and each read-store partition are SQLite files in the data directory. Each is opened by
:class:`PrivateDB`, which makes the same promises for all of them:

- **private from creation**: the file is created by ``os.open(..., 0o600)`` *before* SQLite
  touches it, so there is no moment at which another user could open it; SQLite creates its
  ``-wal``, ``-shm`` and ``-journal`` files with the mode of the database file, so they are
  private from creation too. Nothing is ``chmod``-ed after the fact (a file left too open by an
  older version is tightened once, before it is opened, with a warning);
- **durable**: WAL journal and ``synchronous=FULL``: a committed change survives a power cut;
- **forgetful**: ``secure_delete=ON`` zeroes deleted rows in the file, and :meth:`checkpoint`
  truncates the WAL after a purge, so expired plates do not linger in free pages or old frames;
- **one transaction helper**: :meth:`write` is ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back
  on any exception, with SQLite's errors translated once into the project's error tree.

This module sits beside ``core`` at the bottom of the layers: every mechanism may use it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .core.errors import ConflictError, StoreError, TrustLPRError

PRIVATE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")
_log = logging.getLogger(__name__)


def create_private(path: Path) -> bool:
    """Creates ``path`` empty with mode 0600 (its directory 0700) unless it exists.

    Returns whether it was created. An existing file readable by others is tightened once,
    before anything reads it, with a warning: it was left so by an older version or by hand.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
        return True
    except FileExistsError:
        pass
    for candidate in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            _log.warning("%s had mode %o; tightening it to 600", candidate.name, mode)
            os.chmod(candidate, PRIVATE_MODE)
    return False


class PrivateDB:
    """One private SQLite file, opened once and used under one lock from any thread.

    ``label`` names the file in error messages ("identity database"); ``error`` is the error
    class SQLite failures become (``StoreError``, or ``AuditError`` for the audit files).
    ``readonly`` opens an existing file without creating or changing it.
    """

    def __init__(
        self,
        path: Path,
        *,
        schema: str = "",
        label: str = "database",
        error: type[TrustLPRError] = StoreError,
        readonly: bool = False,
        foreign_keys: bool = False,
        named_rows: bool = False,
        synchronous: str = "FULL",
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = path
        self.label = label
        self.lock = threading.RLock()
        self._error = error
        try:
            if readonly:
                if not path.is_file():
                    raise FileNotFoundError(f"no such file {path}")
                self.conn = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                create_private(path)
                self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute(f"PRAGMA synchronous={synchronous}")
                self.conn.execute("PRAGMA secure_delete=ON")
                if foreign_keys:
                    self.conn.execute("PRAGMA foreign_keys=ON")
                if schema:
                    self.conn.executescript(schema)
            if named_rows:
                self.conn.row_factory = sqlite3.Row
        except (OSError, sqlite3.Error) as exc:
            raise error(f"cannot open the {label} {path}: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed if the block returns, rolled back if it raises.

        A constraint violation becomes ``ConflictError``; any other SQLite failure the
        database's error class. Errors of the project raised inside the block pass unchanged.
        """
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(f"{self.label} is busy or broken: {exc}") from exc
            try:
                yield self.conn
            except sqlite3.IntegrityError as exc:
                self._rollback()
                raise ConflictError(f"{self.label} refused the change: {exc}") from exc
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error(f"{self.label} write failed: {exc}") from exc
            except BaseException:
                self._rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error(f"{self.label} commit failed: {exc}") from exc

    def _rollback(self) -> None:
        # If SQLite already aborted the transaction there is nothing to undo; the error the
        # caller is raising is the one that matters.
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                raise self._error(f"{self.label} rollback failed: {exc}") from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for a few consistent reads (under the lock, no transaction)."""
        with self.lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise self._error(f"{self.label} read failed: {exc}") from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of one statement, read under the lock."""
        with self.lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(f"{self.label} read failed: {exc}") from exc

    def checkpoint(self) -> None:
        """Copies the WAL into the file and truncates it: after a purge, deleted rows' old
        page images leave the WAL too."""
        with self.lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise self._error(f"{self.label} checkpoint failed: {exc}") from exc

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error as exc:
                raise self._error(f"cannot close the {self.label}: {exc}") from exc

    def __repr__(self) -> str:
        return f"PrivateDB({self.path.name!r})"
