"""The sandbox's state in SQLite: accounts, credentials, numbers and messages.

A file, so that separate runs of the ``book`` command see one account (WAL
journal, a busy timeout for runs that overlap), or memory for tests. A file is
read before anything is written to it: only no file, an empty one or a database
with no tables becomes a sandbox (marked with ``APPLICATION_ID``); any other file
that is not a sandbox's is refused, left exactly as it was. Each message is kept
as the JSON it is answered with, exactly, next to the columns that lists filter
and sort on, with indexes that keep a filtered page fast over hundreds of
thousands of messages. SQLite's errors never leave this module: they become
``SandboxError``.

The order of a list is Twilio's, newest first: by the date sent, or the date
created while a message has not been sent, then by sid.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from book.errors import SandboxError, SchemaError
from grammar.node import Record

__all__ = ["APPLICATION_ID", "Account", "Row", "State"]

SCHEMA_VERSION = "1"
APPLICATION_ID = 0x534D5342  # "SMSB"
"""``PRAGMA application_id`` of a sandbox file: what tells it from another application's."""
# a new file's stamp: SCHEMA_VERSION (were they to differ, every new file would be refused at once)
_STAMP = "INSERT OR IGNORE INTO meta VALUES ('schema', '1');"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (sid TEXT PRIMARY KEY, token TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (sid TEXT PRIMARY KEY, account TEXT NOT NULL, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    account TEXT NOT NULL, number TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (account, number)
);
CREATE TABLE IF NOT EXISTS services (sid TEXT PRIMARY KEY, account TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opt_outs (account TEXT NOT NULL, number TEXT NOT NULL, PRIMARY KEY (account, number));
CREATE TABLE IF NOT EXISTS messages (
    sid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    sort INTEGER NOT NULL,   -- epoch seconds of the date sent, else of the date created
    sent INTEGER,            -- epoch seconds of the date sent
    sender TEXT,
    recipient TEXT,
    status TEXT,
    next_at INTEGER,         -- when the lifecycle next moves this message
    data TEXT NOT NULL,      -- the message's JSON, as it is answered
    notes TEXT               -- what the sandbox remembers about it and Twilio does not show (JSON)
);
CREATE INDEX IF NOT EXISTS messages_by_order ON messages (account, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (account, recipient, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (account, sender, sort DESC, sid DESC);
CREATE INDEX IF NOT EXISTS messages_by_next ON messages (account, next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS deleted (sid TEXT PRIMARY KEY, account TEXT NOT NULL, sort INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS number_settings (
    account TEXT NOT NULL, number TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (account, number)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    at REAL NOT NULL,        -- when it was made (epoch seconds)
    data TEXT NOT NULL       -- what was delivered, where, and how it went (JSON)
);
"""
_STATEMENTS = tuple(statement.strip() for statement in SCHEMA.split(";") if statement.strip())
_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))
# how SQLite keeps the meta table's statement: what marks a sandbox made before APPLICATION_ID
_META = _STATEMENTS[0].replace(" IF NOT EXISTS", "")
_MAGIC = b"SQLite format 3\x00"


class Account(Record):
    """A sandbox account: its SID, auth token, API keys, numbers and Messaging Services."""

    sid: str
    token: str
    keys: tuple[tuple[str, str], ...]
    numbers: tuple[str, ...]
    services: tuple[str, ...]

    def __repr__(self) -> str:  # the token and the keys' secrets stay out, as real ones would
        keys = ", ".join(sid for sid, _ in self.keys)
        return f"Account(sid={self.sid!r}, keys=[{keys}], numbers={list(self.numbers)}, services={list(self.services)})"


def _created(row: Row) -> int:
    """A stored message's date created, in epoch seconds (its sort, if it has none)."""
    from book.wire import parse_rfc2822

    created = row.message().get("date_created")
    try:
        return int(parse_rfc2822(created).timestamp()) if isinstance(created, str) else row.sort
    except ValueError:
        return row.sort


def _merge(
    rows: list[Row],
    moved: list[Row],
    *,
    after: tuple[int, str] | None,
    before: tuple[int, str] | None,
    size: int,
) -> list[Row]:
    """Rows placed by their sort, and rows placed anew, in one page of the order."""
    if after is not None:
        moved = [row for row in moved if (row.sort, row.sid) < after]
    if before is not None:
        moved = [row for row in moved if (row.sort, row.sid) > before]
    descending = before is None
    merged = sorted([*rows, *moved], key=lambda row: (row.sort, row.sid), reverse=descending)
    return merged[:size]


class Row(Record):
    """A stored message: what lists sort and filter on, and its JSON."""

    sid: str
    sort: int
    sent: int | None
    sender: str | None
    recipient: str | None
    status: str | None
    next_at: int | None
    data: str
    notes: str | None = None

    def message(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.data)
        return loaded

    def remembered(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.notes) if self.notes else {}
        return loaded


def new_sid(prefix: str) -> str:
    """A new Twilio-style SID: a prefix and 32 hexadecimal digits."""
    return prefix + secrets.token_hex(16)


def derived_sid(prefix: str, account: str) -> str:
    """The SID of an account's own resource (its API key, its Messaging Service):
    the same for the same account, so that a known account gives known SIDs."""
    return prefix + hashlib.sha256(f"{account}:{prefix}".encode()).hexdigest()[:32]


PATIENCE = 10.0
"""Seconds to wait for another process that holds the sandbox file's lock."""


def _patiently(step: Callable[[], object]) -> None:
    """Run ``step``, again while another process holds the lock it needs. SQLite's
    busy timeout does not cover every wait: a change of journal mode, and a lock
    that would deadlock, fail at once."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            busy = _busy(exc)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.04)  # noqa: S311 - jitter, not a secret


class _NotOurs(Exception):  # noqa: N818 - never leaves this module: it becomes SandboxError
    """A file that is not a sandbox's: ``reason`` says what it is; ``unreadable``
    when it cannot be read as a database at all (a damaged sandbox, perhaps)."""

    def __init__(self, reason: str, *, unreadable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreadable = unreadable


def _classify(db: sqlite3.Connection) -> str | None:
    """What an open database is: None when it holds nothing (free to become a
    sandbox), a sandbox's schema stamp ("" when it cannot be read), or ``_NotOurs``.
    A sandbox is marked with APPLICATION_ID, or, made before the mark, holds only
    the sandbox's tables, with its meta table and a stamp in it."""
    (application,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    # as bytes, since another application may keep text that is not UTF-8
    objects = [
        tuple(bytes(value or b"").decode("utf-8", "replace") for value in row)
        for row in db.execute(
            "SELECT CAST(type AS BLOB), CAST(tbl_name AS BLOB), CAST(sql AS BLOB) FROM sqlite_master"
        )
    ]
    if not objects and application in (0, APPLICATION_ID) and version == 0:
        (check,) = db.execute("PRAGMA quick_check").fetchone()  # quick for a database with no tables
        if check != "ok":
            raise _NotOurs(f"it is a damaged SQLite database: {check}", unreadable=True)
        return None
    tables = {table for _, table, _ in objects if not table.startswith("sqlite_")}
    made_before_the_mark = (
        application == 0
        and version == 0
        and tables <= _TABLES
        and any(kind == "table" and " ".join(sql.split()) == _META for kind, _, sql in objects)
    )
    if application != APPLICATION_ID and not made_before_the_mark:
        if application not in (0, APPLICATION_ID):
            raise _NotOurs(f"it is another application's database, with application_id {application}")
        if tables - _TABLES:
            named = ", ".join(sorted(tables - _TABLES)[:5])
            raise _NotOurs(f"it is another application's database, with tables {named}")
        raise _NotOurs("it is a database the book did not make")
    try:
        row = db.execute("SELECT CAST(value AS BLOB) FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.DatabaseError as exc:
        if _busy(exc):
            raise
        row = None
    if row is None and made_before_the_mark:
        raise _NotOurs("it is a database the book did not make")
    return "" if row is None else bytes(row[0] or b"").decode("utf-8", "replace")


def _examine(path: Path) -> str | None:
    """What the file at ``path`` is, as ``_classify`` says, read without writing a
    byte, nor a journal next to it. No file, a zero-length one and a database with
    no tables are None; a directory, a file that is not SQLite and another
    application's database are ``_NotOurs``."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unusable(path, exc.strerror or exc) from exc
    if stat.S_ISDIR(status.st_mode):
        raise _NotOurs("it is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise _NotOurs("it is not a regular file")
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise _unusable(path, exc.strerror or exc) from exc
    if header and not header.startswith(_MAGIC):
        raise _NotOurs("it is not an SQLite database")
    if header and len(header) < 100:
        raise _NotOurs(
            f"it is not a whole SQLite database: it ends after {len(header)} bytes", unreadable=True
        )
    if header and not (header[18] in (1, 2) and header[19] in (1, 2)):  # SQLite could not write it
        raise _NotOurs(
            f"its SQLite file format (versions {header[18]} and {header[19]}) is not one the book writes"
        )
    # A read-only connection to a WAL file makes its -wal and -shm files; with no
    # -wal there is nothing in one, and an immutable read of the file makes none.
    quiet = 2 in header[18:20] and not Path(f"{path}-wal").exists()
    try:
        probe = sqlite3.connect(
            path.resolve().as_uri() + ("?immutable=1" if quiet else "?mode=ro"), uri=True, timeout=PATIENCE
        )
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from exc
    try:
        return _classify(probe)
    except sqlite3.DatabaseError as exc:
        if _busy(exc):
            raise _held(path) from exc
        if _unreadable(exc):
            raise _NotOurs(f"it cannot be read as an SQLite database: {exc}", unreadable=True) from exc
        raise _unusable(path, exc) from exc
    except UnicodeDecodeError as exc:  # SQLite's message quotes a damaged schema
        raise _NotOurs(
            "it cannot be read as an SQLite database: its schema is damaged", unreadable=True
        ) from exc
    finally:
        probe.close()


def _busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


# SQLite's errors about the file system, not about what a file holds
_ENVIRONMENT = (
    "SQLITE_AUTH",
    "SQLITE_CANTOPEN",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_NOLFS",
    "SQLITE_NOMEM",
    "SQLITE_PERM",
    "SQLITE_READONLY",
)


def _unreadable(error: sqlite3.Error) -> bool:
    """Whether SQLite failed on what the file holds (not a database, damaged, a
    format it does not know), rather than on the file system."""
    return not str(getattr(error, "sqlite_errorname", "")).startswith(_ENVIRONMENT)


def _held(path: Path | None) -> SandboxError:
    return SandboxError(
        f"the sandbox file {path} is busy: another process holds it",
        hint="Wait for the other book command (a 'book sandbox serve'?) to finish, and try again.",
    )


_WRITABLE = "Point --sandbox (or SMS_BOOK_SANDBOX) at a writable file."


def _unusable(path: Path | None, error: object, hint: str = _WRITABLE) -> SandboxError:
    return SandboxError(f"the sandbox file {path} cannot be used: {error}", hint=hint)


def _foreign(path: Path | None, error: _NotOurs) -> SandboxError:
    if error.unreadable:
        hint = (
            "If it is a sandbox, it is damaged past reading: delete it yourself. Otherwise point "
            "--sandbox (or SMS_BOOK_SANDBOX) at another path; the book leaves files it did not make as they are."
        )
    else:
        hint = (
            "Point --sandbox (or SMS_BOOK_SANDBOX) at another path: a new file, or a sandbox the book "
            "made. The book leaves files it did not make as they are."
        )
    return SandboxError(
        f"the file {path} cannot be used: it is not a sandbox's file ({error.reason})", hint=hint
    )


def _unstamped(path: Path | None) -> SandboxError:
    return SandboxError(
        f"the sandbox file {path} has no schema stamp that can be read",
        hint="Reset it with 'book sandbox reset --yes' (its messages are lost), or point --sandbox at another file.",
    )


def _outdated(path: Path | None, version: str) -> SchemaError:
    return SchemaError(
        f"the sandbox file {path} has schema {version}, this version reads {SCHEMA_VERSION}",
        hint="Reset it with 'book sandbox reset --yes', or point --sandbox at another file.",
    )


class State:
    """The SQLite store (see the module's docstring); safe to share between threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        found = None
        if self.path is not None:
            # before anything is written: a file that is not a sandbox's is left as it is
            try:
                found = _examine(self.path)
            except _NotOurs as exc:
                raise _foreign(self.path, exc) from None
            if found == "":
                raise _unstamped(self.path)
            if found is not None and found != SCHEMA_VERSION:
                raise _outdated(self.path, found)
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path) if self.path else ":memory:",
                check_same_thread=False,
                isolation_level=None,
                timeout=PATIENCE,
            )
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(self.path, exc) from exc
        try:
            self._prepare(sandbox=found is not None)
        except BaseException:
            self._db.close()
            raise

    def _prepare(self, *, sandbox: bool) -> None:
        """Set the connection up, and make or check the schema (``sandbox``: the file
        was found to be a sandbox's already). In one write transaction taken up
        front, so that processes opening a new file together wait for each other
        instead of deadlocking; WAL only once the file is the sandbox's."""
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(PATIENCE * 1000)}")
            _patiently(lambda: self._db.execute("BEGIN IMMEDIATE"))
            try:
                self._settle()
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if self.path is not None:
                _patiently(lambda: self._db.execute("PRAGMA journal_mode = WAL"))
                self._db.execute("PRAGMA synchronous = NORMAL")
        except _NotOurs as exc:
            raise _foreign(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            if _busy(exc):
                raise _held(self.path) from exc
            if not sandbox and _unreadable(exc):
                # a database with no tables, damaged where only a write finds it
                unreadable = _NotOurs(f"it cannot be read as an SQLite database: {exc}", unreadable=True)
                raise _foreign(self.path, unreadable) from exc
            hint = _WRITABLE
            if sandbox:
                hint = (
                    "Reset it with 'book sandbox reset --yes' (its messages are lost), "
                    "or point --sandbox (or SMS_BOOK_SANDBOX) at another file."
                )
            raise _unusable(self.path, exc, hint) from exc
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from exc
        except UnicodeDecodeError as exc:  # SQLite's message quotes a damaged schema
            if sandbox:
                raise _unusable(self.path, "its schema is damaged") from exc
            unreadable = _NotOurs(
                "it cannot be read as an SQLite database: its schema is damaged", unreadable=True
            )
            raise _foreign(self.path, unreadable) from exc
        self._lock = threading.RLock()
        self._depth = 0

    def _settle(self) -> None:
        """Inside the write transaction: look at the file again (it may have changed
        since it was examined), then make the schema, stamp and mark it."""
        found = _classify(self._db)
        if found == "":
            raise _unstamped(self.path)
        if found is not None and found != SCHEMA_VERSION:
            raise _outdated(self.path, found)
        for statement in _STATEMENTS:
            self._db.execute(statement)
        self._db.execute(_STAMP)
        (application,) = self._db.execute("PRAGMA application_id").fetchone()
        if application != APPLICATION_ID:  # a new file, or a sandbox made before the mark
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    @staticmethod
    def discard(path: str | Path) -> None:
        """Delete a sandbox file this version cannot use (another schema, damage),
        with its journal. ``SandboxError`` for a file that is not a sandbox's, and
        for one another process has open: it is deleted only while no one else
        holds it, under an exclusive lock."""
        path = Path(path)
        try:
            found = _examine(path)
        except _NotOurs as exc:
            raise SandboxError(
                f"{path} is not a sandbox file, so it is not deleted ({exc.reason})",
                hint=_foreign(path, exc).hint,
            ) from None
        if found is None:
            raise SandboxError(
                f"{path} is not a sandbox file, so it is not deleted (it holds nothing)",
                hint="Point --sandbox (or SMS_BOOK_SANDBOX) at another file.",
            )
        try:
            holder = sqlite3.connect(str(path), timeout=1.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise SandboxError(f"the sandbox file {path} cannot be opened to delete it: {exc}") from exc
        try:
            try:
                # Leaving WAL mode needs the only connection to the file; an
                # exclusive lock then keeps anyone from starting to read it.
                mode = holder.execute("PRAGMA journal_mode = DELETE").fetchone()
                if mode is None or str(mode[0]).lower() != "delete":
                    raise _held(path)
                holder.execute("BEGIN EXCLUSIVE")
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    raise _held(path) from exc
                # damaged beyond reading: no one can be using it
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError as exc:
            raise SandboxError(
                f"the sandbox file {path} cannot be deleted: {exc.strerror}",
                hint="Delete it yourself, or point --sandbox (or SMS_BOOK_SANDBOX) at another file.",
            ) from exc
        finally:
            holder.close()

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
            self._db.close()

    # ------------------------------------------------------------ accounts

    def create_account(
        self, *, numbers: Sequence[str], sid: str | None = None, token: str | None = None, now: int
    ) -> Account:
        """A new account with its numbers, an API key and one Messaging Service using them."""
        sid = sid or new_sid("AC")
        token = token or secrets.token_hex(16)
        with self.transaction() as db:
            db.execute("INSERT INTO accounts VALUES (?, ?, ?)", (sid, token, now))
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?)", (derived_sid("SK", sid), sid, secrets.token_hex(16))
            )
            db.executemany(
                "INSERT INTO numbers VALUES (?, ?, ?)",
                [(sid, number, rank) for rank, number in enumerate(numbers)],
            )
            db.execute("INSERT INTO services VALUES (?, ?)", (derived_sid("MG", sid), sid))
        account = self.account()
        assert account is not None
        return account

    def first_account(self, *, numbers: Sequence[str], now: int) -> Account:
        """The first account, made (with these numbers) if there is none yet: in one
        transaction, so that processes opening a new file together share one account."""
        with self.transaction():
            found = self.account()
            return found if found is not None else self.create_account(numbers=numbers, now=now)

    def account(self, sid: str | None = None) -> Account | None:
        """An account by SID, or the first one."""
        with self._read() as db:
            if sid is None:
                found = db.execute("SELECT sid, token FROM accounts ORDER BY created, sid LIMIT 1").fetchone()
            else:
                found = db.execute("SELECT sid, token FROM accounts WHERE sid = ?", (sid,)).fetchone()
            if found is None:
                return None
            sid, token = found
            keys = db.execute(
                "SELECT sid, secret FROM api_keys WHERE account = ? ORDER BY sid", (sid,)
            ).fetchall()
            numbers = db.execute(
                "SELECT number FROM numbers WHERE account = ? ORDER BY rank", (sid,)
            ).fetchall()
            services = db.execute(
                "SELECT sid FROM services WHERE account = ? ORDER BY sid", (sid,)
            ).fetchall()
        return Account(
            sid, token, tuple(map(tuple, keys)), tuple(n for (n,) in numbers), tuple(s for (s,) in services)
        )

    def authenticate(self, username: str, password: str) -> str | None:
        """The account a username and password (token, or API key secret) open, or None."""
        with self._read() as db:
            found = db.execute(
                "SELECT sid FROM accounts WHERE sid = ? AND token = ?", (username, password)
            ).fetchone()
            if found is None:
                found = db.execute(
                    "SELECT account FROM api_keys WHERE sid = ? AND secret = ?", (username, password)
                ).fetchone()
        return found[0] if found else None

    def owns(self, account: str, number: str) -> bool:
        with self._read() as db:
            found = db.execute(
                "SELECT 1 FROM numbers WHERE account = ? AND number = ?", (account, number)
            ).fetchone()
        return found is not None

    def has_service(self, account: str, sid: str) -> bool:
        with self._read() as db:
            found = db.execute(
                "SELECT 1 FROM services WHERE account = ? AND sid = ?", (account, sid)
            ).fetchone()
        return found is not None

    def opted_out(self, account: str, number: str) -> bool:
        with self._read() as db:
            found = db.execute(
                "SELECT 1 FROM opt_outs WHERE account = ? AND number = ?", (account, number)
            ).fetchone()
        return found is not None

    def opt(self, account: str, number: str, out: bool) -> None:
        """Record a STOP (``out``) or a START from a recipient."""
        with self.transaction() as db:
            if out:
                db.execute("INSERT OR IGNORE INTO opt_outs VALUES (?, ?)", (account, number))
            else:
                db.execute("DELETE FROM opt_outs WHERE account = ? AND number = ?", (account, number))

    def counter(self, name: str) -> int:
        """The next value of a named counter, from 1 (kept in the file)."""
        with self.transaction() as db:
            found = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            value = int(found[0]) + 1 if found else 1
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, str(value)))
        return value

    # ------------------------------------------------------------ messages

    def put(self, account: str, rows: Iterable[Row], *, replace: bool = True) -> int:
        """Insert messages, replacing those of the same sids (or, without ``replace``,
        keeping them); how many were written."""
        values = [
            (
                row.sid,
                account,
                row.sort,
                row.sent,
                row.sender,
                row.recipient,
                row.status,
                row.next_at,
                row.data,
                row.notes,
            )
            for row in rows
        ]
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(f"{verb} INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            return db.total_changes - before

    def get(self, account: str, sid: str) -> Row | None:
        with self._read() as db:
            found = db.execute(
                "SELECT sid, sort, sent, sender, recipient, status, next_at, data, notes FROM messages WHERE account = ? AND sid = ?",
                (account, sid),
            ).fetchone()
        return Row(*found) if found else None

    def delete(self, account: str, sid: str) -> bool:
        """Delete a message, keeping its place in the order for page tokens that name it."""
        with self.transaction() as db:
            found = db.execute(
                "SELECT sort FROM messages WHERE account = ? AND sid = ?", (account, sid)
            ).fetchone()
            if found is None:
                return False
            db.execute("DELETE FROM messages WHERE sid = ?", (sid,))
            db.execute("INSERT OR REPLACE INTO deleted VALUES (?, ?, ?)", (sid, account, found[0]))
        return True

    def place(self, account: str, sid: str) -> tuple[int, str] | None:
        """Where a message stands (or stood, if deleted) in the order: (sort, sid)."""
        with self._read() as db:
            found = db.execute(
                "SELECT sort FROM messages WHERE account = ? AND sid = ? "
                "UNION ALL SELECT sort FROM deleted WHERE account = ? AND sid = ? LIMIT 1",
                (account, sid, account, sid),
            ).fetchone()
        return (found[0], sid) if found else None

    def page(
        self,
        account: str,
        *,
        to: str | None,
        sender: str | None,
        sent_from: int | None,
        sent_until: int | None,
        after: tuple[int, str] | None,
        before: tuple[int, str] | None,
        size: int,
        asof: int | None = None,
    ) -> list[Row]:
        """Up to ``size`` messages in the order, newest first, filtered, strictly after
        (older than) ``after`` or, for a page backwards, strictly before ``before``;
        ``sent_from`` <= date sent < ``sent_until`` (epoch seconds) when given.

        ``asof``: the order and the date-sent filter as they stood at that moment
        (when a pagination began), so that what is sent meanwhile does not move in
        the order: a message's place is its date sent if it was sent by then, else
        its date created. Only messages whose ``sort`` is later than ``asof`` can
        have moved, and they are few: they are placed here, one by one."""
        where = ["account = ?"]
        values: list[Any] = [account]
        if to is not None:
            where.append("recipient = ?")
            values.append(to)
        if sender is not None:
            where.append("sender = ?")
            values.append(sender)
        filters, filtered = list(where), list(values)
        dated = sent_from is not None or sent_until is not None
        if dated:
            where.append("sent IS NOT NULL")
        if (
            sent_from is not None
        ):  # sort is the date sent once there is one: the order's index serves the range
            where.append("sort >= ? AND sent >= ?")
            values += [sent_from, sent_from]
        if sent_until is not None:
            where.append("sort < ? AND sent < ?")
            values += [sent_until, sent_until]
        if asof is not None:
            where.append("sort <= ?")
            values.append(asof)
        descending = before is None
        if after is not None:
            where.append("(sort, sid) < (?, ?)")
            values += list(after)
        if before is not None:
            where.append("(sort, sid) > (?, ?)")
            values += list(before)
        order = "sort DESC, sid DESC" if descending else "sort ASC, sid ASC"
        # Only the fixed clauses above are joined; every value is a bound parameter.
        columns = "sid, sort, sent, sender, recipient, status, next_at, data, notes"
        query = f"SELECT {columns} FROM messages WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"  # noqa: S608
        with self._read() as db:
            rows = [Row(*found) for found in db.execute(query, [*values, size])]
            if asof is not None and not dated:  # (sent after asof: not sent as of then, so never dated)
                late = f"SELECT {columns} FROM messages WHERE {' AND '.join(filters)} AND sort > ?"  # noqa: S608
                moved = [Row(*found) for found in db.execute(late, [*filtered, asof])]
                moved = [row.replace(sort=_created(row)) for row in moved]
                rows = _merge(rows, moved, after=after, before=before, size=size)
        return rows if descending else rows[::-1]

    def queue_slot(self, account: str, sender: str, earliest: int, spacing: float) -> int:
        """When a sender can send its next message: ``earliest``, or ``spacing``
        seconds after the one it sends last, whichever is later (in whole seconds,
        as the sandbox keeps times)."""
        key = f"queue:{account}:{sender}"
        with self.transaction() as db:
            found = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            slot = max(float(earliest), float(found[0]) + spacing) if found else float(earliest)
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, repr(slot)))
        return math.ceil(slot)

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

    def due(self, account: str, now: int) -> list[Row]:
        """Messages whose lifecycle is due to move by ``now``."""
        with self._read() as db:
            found = db.execute(
                "SELECT sid, sort, sent, sender, recipient, status, next_at, data, notes FROM messages "
                "WHERE account = ? AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, sid",
                (account, now),
            ).fetchall()
        return [Row(*row) for row in found]

    def count(self, account: str) -> int:
        with self._read() as db:
            (found,) = db.execute("SELECT count(*) FROM messages WHERE account = ?", (account,)).fetchone()
        return int(found)

    def reset(self) -> None:
        """Forget everything: accounts, numbers and messages."""
        with self.transaction() as db:
            for table in sorted(_TABLES - {"meta"}):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - the fixed table names above
            db.execute(
                "DELETE FROM meta WHERE key LIKE 'sids:%' OR key LIKE 'seedings:%' OR key LIKE 'queue:%'"
            )
