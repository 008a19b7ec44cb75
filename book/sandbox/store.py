"""One SQLite connection to a sandbox's file (or memory), shared between threads.

Reads take the lock, each statement its own snapshot; a change is one
transaction, and transactions nest. SQLite's errors never leave here: they
become ``SandboxError``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from book.errors import SandboxError
from book.sandbox.files import connect, release

__all__ = ["Store"]


class Store:
    """The connection that ``State`` keeps its tables through (state.py): the
    file's schema made or checked when it opens (files.py)."""

    def __init__(self, path: str | Path | None, *, patience: float) -> None:
        self.path = Path(path) if path is not None else None
        self._db = connect(self.path, patience=patience)
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read: the lock, each statement its own snapshot."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise SandboxError(f"the sandbox store failed: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: the thread lock and BEGIN IMMEDIATE (which also keeps
        other processes' writes out), then COMMIT, or ROLLBACK on an error.
        Transactions nest: only the outermost one begins and ends."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                finally:
                    self._depth = 0
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise SandboxError(f"the sandbox store failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            release(self.path, self._db)
