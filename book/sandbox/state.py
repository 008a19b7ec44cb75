"""The sandbox's state in SQLite: accounts, credentials, numbers and messages.

A file, so that separate runs of the ``book`` command see one account (WAL
journal, a busy timeout for runs that overlap), or memory for tests. A file is
read before anything is written to it: only no file, an empty one or a database
with no tables becomes a sandbox (marked with ``APPLICATION_ID``); any other file
that is not a sandbox's is refused, left exactly as it was (files.py). Each
message is kept as the JSON it is answered with, exactly, next to the columns
that lists filter and sort on, with indexes that keep a filtered page fast over
hundreds of thousands of messages (schema.py). SQLite's errors never leave the
store: they become ``SandboxError``.

The order of a list is Twilio's, newest first: by the date sent, or the date
created while a message has not been sent, then by sid (messages.py).

``State`` is the whole store: its accounts (accounts.py) and messages
(messages.py) over one connection (store.py); here, its counters and what the
webhooks keep.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Account, Row, the SIDs, the schema's names and SchemaError are still importable from here.
from book.errors import SchemaError as SchemaError
from book.sandbox import files
from book.sandbox.accounts import Account as Account
from book.sandbox.accounts import Accounts
from book.sandbox.accounts import derived_sid as derived_sid
from book.sandbox.messages import Messages
from book.sandbox.messages import Row as Row
from book.sandbox.schema import APPLICATION_ID as APPLICATION_ID
from book.sandbox.schema import SCHEMA as SCHEMA
from book.sandbox.schema import SCHEMA_VERSION as SCHEMA_VERSION
from book.sandbox.schema import TABLES

__all__ = ["APPLICATION_ID", "Account", "Row", "State"]

PATIENCE = 10.0
"""Seconds to wait for another process that holds the sandbox file's lock (read each
time a ``State`` opens or discards a file)."""


class State(Accounts, Messages):
    """The SQLite store (see the module's docstring); safe to share between threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path, patience=PATIENCE)

    def copy(self) -> State:
        """A copy in memory of all the store holds now (SQLite's backup): a fresh
        sandbox from a prepared one, without preparing it again."""
        twin = State()
        with self._read() as db:
            db.backup(twin._db)
        return twin

    @staticmethod
    def discard(path: str | Path) -> None:
        """Delete a sandbox file this version cannot use, with its journal
        (``files.discard``): only while no one else holds it."""
        files.discard(Path(path), patience=PATIENCE)

    def counter(self, name: str) -> int:
        """The next value of a named counter, from 1 (kept in the file)."""
        with self.transaction() as db:
            found = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            value = int(found[0]) + 1 if found else 1
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, str(value)))
        return value

    # ------------------------------------------------------------ webhooks

    def number_settings(self, account: str, number: str) -> dict[str, Any]:
        """What the account set on one of its numbers (``sms_url``, ``sms_method``, ...)."""
        with self._read() as db:
            found = db.execute(
                "SELECT settings FROM number_settings WHERE account = ? AND number = ?", (account, number)
            ).fetchone()
        loaded: dict[str, Any] = json.loads(found[0]) if found else {}
        return loaded

    def set_number_settings(self, account: str, number: str, settings: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO number_settings VALUES (?, ?, ?)",
                (account, number, json.dumps(settings, ensure_ascii=False)),
            )

    def record_delivery(self, account: str, at: float, data: dict[str, Any], keep: int = 1000) -> None:
        """Record a webhook delivery; only the latest ``keep`` of an account are kept."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (account, at, data) VALUES (?, ?, ?)",
                (account, at, json.dumps(data, ensure_ascii=False)),
            )
            db.execute(
                "DELETE FROM deliveries WHERE account = ? AND id NOT IN "
                "(SELECT id FROM deliveries WHERE account = ? ORDER BY id DESC LIMIT ?)",
                (account, account, keep),
            )

    def deliveries(self, account: str, last: int = 10) -> list[dict[str, Any]]:
        """The latest webhook deliveries, newest first."""
        with self._read() as db:
            found = db.execute(
                "SELECT data FROM deliveries WHERE account = ? ORDER BY id DESC LIMIT ?", (account, last)
            ).fetchall()
        return [json.loads(data) for (data,) in found]

    def reset(self) -> None:
        """Forget everything: accounts, numbers and messages."""
        with self.transaction() as db:
            for table in sorted(TABLES - {"meta"}):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - the schema's fixed table names
            db.execute(
                "DELETE FROM meta WHERE key LIKE 'sids:%' OR key LIKE 'seedings:%' OR key LIKE 'queue:%'"
            )
