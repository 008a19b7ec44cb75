"""How a file becomes a sandbox's, or is refused: it is read before anything is written to it.

Only no file, an empty one or a database with no tables becomes a sandbox
(marked with ``APPLICATION_ID``); any other file that is not a sandbox's is
refused, left exactly as it was. A sandbox's file is WAL-journalled, with a busy
timeout for runs that overlap. SQLite's errors about a file never leave this
module: they become ``SandboxError`` (``SchemaError`` for another schema).

A file this process already holds through SQLite is never opened and closed by
Python: POSIX locks belong to a process, so closing any descriptor of the file
drops the locks SQLite keeps on it for the other connections, and another
process's writes then corrupt it ("How To Corrupt An SQLite Database File",
2.2). Such a file is examined through SQLite alone.
"""

from __future__ import annotations

import random
import sqlite3
import stat
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from book.errors import SandboxError, SchemaError
from book.sandbox.schema import APPLICATION_ID, MAGIC, META, SCHEMA_VERSION, STAMP, STATEMENTS, TABLES

__all__ = ["connect", "discard", "release"]

_open_here: Counter[tuple[int, int]] = Counter()
"""The files (device, inode) this process has sandbox connections to, and how many."""


def _patiently(step: Callable[[], object], patience: float) -> None:
    """Run ``step``, again while another process holds the lock it needs. SQLite's
    busy timeout does not cover every wait: a change of journal mode, and a lock
    that would deadlock, fail at once."""
    deadline = time.monotonic() + patience
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
        and tables <= TABLES
        and any(kind == "table" and " ".join(sql.split()) == META for kind, _, sql in objects)
    )
    if application != APPLICATION_ID and not made_before_the_mark:
        if application not in (0, APPLICATION_ID):
            raise _NotOurs(f"it is another application's database, with application_id {application}")
        if tables - TABLES:
            named = ", ".join(sorted(tables - TABLES)[:5])
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


def _examine(path: Path, patience: float) -> str | None:
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
    if _open_here[(status.st_dev, status.st_ino)]:  # see the module's docstring
        return _probe(path, "?mode=ro", patience)
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise _unusable(path, exc.strerror or exc) from exc
    if header and not header.startswith(MAGIC):
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
    return _probe(path, "?immutable=1" if quiet else "?mode=ro", patience)


def _probe(path: Path, mode: str, patience: float) -> str | None:
    """``_classify`` through a read-only connection (``mode``: its URI's query)."""
    try:
        probe = sqlite3.connect(path.resolve().as_uri() + mode, uri=True, timeout=patience)
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


def connect(path: Path | None, *, patience: float) -> sqlite3.Connection:
    """A connection to the sandbox file at ``path`` (None: memory), its schema made
    or checked; ``patience``: seconds to wait for another process that holds the
    file's lock. A file that is not a sandbox's is refused before anything is
    written to it."""
    found = None
    if path is not None:
        # before anything is written: a file that is not a sandbox's is left as it is
        try:
            found = _examine(path, patience)
        except _NotOurs as exc:
            raise _foreign(path, exc) from None
        _check(path, found)
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            str(path) if path else ":memory:",
            check_same_thread=False,
            isolation_level=None,
            timeout=patience,
        )
    except (OSError, sqlite3.Error) as exc:
        raise _unusable(path, exc) from exc
    try:
        _prepare(db, path, sandbox=found is not None, patience=patience)
    except BaseException:
        db.close()
        raise
    if path is not None:
        _open_here[_inode(path)] += 1
    return db


def release(path: Path | None, db: sqlite3.Connection) -> None:
    """Close a connection ``connect`` made."""
    db.close()
    if path is not None:
        key = _inode(path)
        _open_here[key] -= 1
        if _open_here[key] <= 0:
            del _open_here[key]


def _inode(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (-1, -1)
    return (status.st_dev, status.st_ino)


def _check(path: Path | None, found: str | None) -> None:
    """Refuse a sandbox's file this version cannot read (``found``: its schema stamp)."""
    if found == "":
        raise _unstamped(path)
    if found is not None and found != SCHEMA_VERSION:
        raise _outdated(path, found)


def _prepare(db: sqlite3.Connection, path: Path | None, *, sandbox: bool, patience: float) -> None:
    """Set the connection up, and make or check the schema (``sandbox``: the file
    was found to be a sandbox's already). In one write transaction taken up
    front, so that processes opening a new file together wait for each other
    instead of deadlocking; WAL only once the file is the sandbox's."""
    try:
        db.execute(f"PRAGMA busy_timeout = {int(patience * 1000)}")
        _patiently(lambda: db.execute("BEGIN IMMEDIATE"), patience)
        try:
            _settle(db, path)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if path is not None:
            _patiently(lambda: db.execute("PRAGMA journal_mode = WAL"), patience)
            db.execute("PRAGMA synchronous = NORMAL")
    except _NotOurs as exc:
        raise _foreign(path, exc) from None
    except sqlite3.DatabaseError as exc:
        if _busy(exc):
            raise _held(path) from exc
        if not sandbox and _unreadable(exc):
            # a database with no tables, damaged where only a write finds it
            unreadable = _NotOurs(f"it cannot be read as an SQLite database: {exc}", unreadable=True)
            raise _foreign(path, unreadable) from exc
        hint = _WRITABLE
        if sandbox:
            hint = (
                "Reset it with 'book sandbox reset --yes' (its messages are lost), "
                "or point --sandbox (or SMS_BOOK_SANDBOX) at another file."
            )
        raise _unusable(path, exc, hint) from exc
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from exc
    except UnicodeDecodeError as exc:  # SQLite's message quotes a damaged schema
        if sandbox:
            raise _unusable(path, "its schema is damaged") from exc
        unreadable = _NotOurs(
            "it cannot be read as an SQLite database: its schema is damaged", unreadable=True
        )
        raise _foreign(path, unreadable) from exc


def _settle(db: sqlite3.Connection, path: Path | None) -> None:
    """Inside the write transaction: look at the file again (it may have changed
    since it was examined), then make the schema, stamp and mark it."""
    found = _classify(db)
    _check(path, found)
    for statement in STATEMENTS:
        db.execute(statement)
    db.execute(STAMP)
    (application,) = db.execute("PRAGMA application_id").fetchone()
    if application != APPLICATION_ID:  # a new file, or a sandbox made before the mark
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def discard(path: Path, *, patience: float) -> None:
    """Delete a sandbox file this version cannot use (another schema, damage),
    with its journal. ``SandboxError`` for a file that is not a sandbox's, and
    for one another process has open: it is deleted only while no one else
    holds it, under an exclusive lock."""
    try:
        found = _examine(path, patience)
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
