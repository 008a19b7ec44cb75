"""The record of the events ``book listen`` handled, so that each handler runs at most once.

Twilio sends a webhook again when one fails or times out, and the poller reads
again after a restart; so before a handler runs its event's key is claimed, and
after it the outcome is recorded:

- ``claim(key)`` records the key as started (the time, the process id) and says
  whether this caller may run the handler: only the first claim of a key is granted,
  and a key started or done is never granted again;
- ``done(key, outcome)`` records "ok" or the error's text (shortened);
- a key started and never done (the process died between the handler and the
  record) is *unknown*: ``unfinished()``, and ``unknown`` on a store just opened,
  report it; it stays claimed, never run again behind anyone's back, until an
  operator looks (did the reply go out?) and calls ``release(key)``. The one
  exception is a claim made with ``rerun=True``: its handler changes nothing
  outside (it only says things and answers with replies that go out after
  ``done``), so once the process that claimed it is gone (its run lock is free),
  the next claim takes it over (``Claim.retaken``) and the handler runs again.

A handler's replies are kept with its outcome (``done(key, outcome, replies)``), so
that a webhook Twilio sends again is answered with the same replies. Replies that
go out as sends (the poller's) are queued in the same transaction
(``outgoing=``); ``sending(n)`` claims one before it goes and ``sent(n, sid)``
records it; one left ``sending`` by a process that died is *in doubt*:
``to_send()`` returns it again, flagged, and the sender looks for it before
sending it again.

A key is ``("received", MessageSid)`` for an inbound message and
``("status", MessageSid, status)`` for a status callback; each part printable
text of at most 256 characters. The poller's durable cursor lives here too:
``cursor(name)`` and ``set_cursor(name, value)``, a JSON value the poller owns.

``EventStore`` is the interface; ``SqliteStore`` the default, one SQLite file.
Every change is one ``BEGIN IMMEDIATE`` transaction, on disk
(``synchronous = FULL``) before it returns. Several processes on one file (on
one machine: SQLite's locks do not hold on a network file system) therefore
claim each key once between them: at most one handler run per key across
processes, restarts and a power cut. A crash leaves the key unknown. While
several run, ``unfinished()`` also lists the keys another running process is
handling at that moment: its pid and start time say whose.

Another backend (one database shared by receivers on several machines) must
guarantee the same: ``claim`` an atomic, durable insert-if-absent of the key (a
unique key and a transaction, or a conditional put), answered only once it is
committed; ``done`` and ``release`` change a record only in the state they
expect; ``set_cursor`` atomic per name; and no claim that expires by itself (a
lease that lapses lets a slow handler run twice): an unknown key waits for
``release``.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     with SqliteStore.open(pathlib.Path(folder) / "listen.sqlite3") as store:
...         first = store.claim(("received", "SM" + "0" * 32))
...         again = store.claim(("received", "SM" + "0" * 32))
...         print(first.granted, again.granted, store.done(first.key, "ok").state)
True False done
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, TypeAlias

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no run is ever taken over
    fcntl = None  # type: ignore[assignment]

from book.errors import ListenError

__all__ = ["Claim", "EventStore", "Json", "Key", "Outgoing", "Record", "SqliteStore", "default_path"]

Key: TypeAlias = tuple[str, ...]
Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None

# the kinds of event, and what follows the kind in a key
_PARTS = {"received": ("MessageSid",), "status": ("MessageSid", "status")}
LONGEST_PART = 256
LONGEST_NAME = 100
LONGEST_OUTCOME = 500

_KEY_HINT = (
    'A key is ("received", MessageSid) or ("status", MessageSid, status): '
    f"each part printable text of 1 to {LONGEST_PART} characters."
)

APPLICATION_ID = 0x534D424C  # "SMBL"
SCHEMA_VERSION = 2
_MAGIC = b"SQLite format 3\x00"
_SCHEMA = (
    """CREATE TABLE events (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('started', 'done')),
        started TEXT NOT NULL,
        pid INTEGER NOT NULL,
        run TEXT NOT NULL,
        finished TEXT,
        outcome TEXT,
        rerun INTEGER NOT NULL DEFAULT 0,
        replies TEXT
    ) WITHOUT ROWID""",
    "CREATE INDEX events_unfinished ON events (started) WHERE state = 'started'",
    "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE outgoing (
        number INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        body TEXT NOT NULL,
        since TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('waiting', 'sending', 'sent')),
        run TEXT,
        sid TEXT
    )""",
    "CREATE INDEX outgoing_unsent ON outgoing (number) WHERE state != 'sent'",
)
# an event's record (``_record`` reads all but the last), and the run that claimed it
_ONE = "SELECT state, started, pid, finished, outcome, rerun, replies, run FROM events WHERE key = ?"
LONGEST_REPLY = 1600  # characters: Twilio's longest body
MOST_REPLIES = 10


@dataclass(frozen=True)
class Record:
    """What the store knows of one event: started (by process ``pid``) or done,
    with its ``outcome``: "ok" or the error's text."""

    key: Key
    state: Literal["started", "done"]
    started: datetime
    pid: int
    finished: datetime | None = None
    outcome: str | None = None
    rerun: bool = False
    replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """The answer to ``claim``: ``granted`` when this caller may run the handler
    (then it calls ``done``); ``record`` is the key's record, this claim's or
    the earlier one that refused it; ``retaken`` when it was granted by taking
    over a rerunnable claim whose process is gone. True when granted."""

    key: Key
    granted: bool
    record: Record
    retaken: bool = False

    def __bool__(self) -> bool:
        return self.granted


@dataclass(frozen=True)
class Outgoing:
    """A send queued by ``done``: a reply, from the number that received a message
    to its sender. ``since``: the received message's ``date_created`` (ISO 8601),
    where a search for it begins. ``number`` is its place in the queue (0 until
    queued); ``doubt`` when a process that is gone was sending it."""

    sender: str
    recipient: str
    body: str
    since: str
    number: int = 0
    key: Key = ()
    doubt: bool = False


class EventStore(Protocol):
    """The exactly-once record of events, whatever keeps it (see the module's
    docstring for what an implementation guarantees)."""

    def claim(self, key: Key, *, rerun: bool = False) -> Claim:
        """Record ``key`` as started, unless it is started or done already (or
        started with ``rerun`` by a process that is gone: then taken over)."""
        ...

    def done(
        self, key: Key, outcome: str, replies: Sequence[str] = (), outgoing: Sequence[Outgoing] = ()
    ) -> Record:
        """Record the outcome of the handler this store's claim of ``key`` ran, its
        replies, and the sends to make for it (``outgoing``)."""
        ...

    def to_send(self) -> tuple[Outgoing, ...]:
        """The sends queued and not yet sent, oldest first: waiting ones, and ones in
        doubt (``doubt``: a process that is gone was sending them)."""
        ...

    def sending(self, number: int) -> bool:
        """Claim queued send ``number`` for this store's process; whether granted."""
        ...

    def sent(self, number: int, sid: str) -> None:
        """Record that send ``number`` went out as message ``sid``."""
        ...

    def sids(self, sender: str, recipient: str) -> frozenset[str]:
        """The sids of the sends recorded from ``sender`` to ``recipient``."""
        ...

    def release(self, key: Key) -> Record:
        """Forget a key left started (unknown), so it can be claimed again."""
        ...

    def record(self, key: Key) -> Record | None:
        """What is known of ``key``; None when it was never claimed."""
        ...

    def unfinished(self) -> tuple[Record, ...]:
        """Keys started and not done by others than this store: unknown ones."""
        ...

    def cursor(self, name: str) -> Json:
        """The value last set for the cursor ``name``; None when there is none."""
        ...

    def set_cursor(self, name: str, value: Json) -> None:
        """Set the cursor ``name`` to a JSON value."""
        ...

    def close(self) -> None: ...


def default_path() -> Path:
    """Where the record lives unless told: next to the sandbox's default file, in
    the user's state directory."""
    import platformdirs

    return Path(platformdirs.user_state_dir("sms-book", appauthor=False)) / "listen.sqlite3"


class SqliteStore:
    """The record in one SQLite file, shared by the threads of a process and by
    processes on one machine. Made by ``SqliteStore.open``; ``unknown`` holds
    the keys earlier runs left started and never done."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.path = path
        self._db = db
        self._lock = threading.Lock()
        self._run = uuid.uuid4().hex
        self._closed = False
        self._runs = Runs(path)
        try:
            self._runs.hold(self._run)
            self.unknown = self.unfinished()
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, path: str | Path | None = None, *, patience: float = 5.0) -> SqliteStore:
        """The store in the file at ``path`` (default: ``default_path()``), made when
        there is none; ``patience``: seconds to wait for another process's lock."""
        where = Path(path) if path is not None else default_path()
        return cls(_connect(where, patience), where)

    def claim(self, key: Key, *, rerun: bool = False) -> Claim:
        parts, text = _key(key)
        now = _now()
        with self._transaction() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO events (key, state, started, pid, run, rerun)"
                " VALUES (?, 'started', ?, ?, ?, ?)",
                (text, now, os.getpid(), self._run, int(rerun)),
            ).rowcount
            row = db.execute(_ONE, (text,)).fetchone()
            record = _record(parts, row)
            retaken = (
                not added
                and record.state == "started"
                and record.rerun
                and row[-1] != self._run
                and not self._runs.alive(str(row[-1]))
            )
            if retaken:
                db.execute(
                    "UPDATE events SET started = ?, pid = ?, run = ?, rerun = ? WHERE key = ?",
                    (now, os.getpid(), self._run, int(rerun), text),
                )
                row = db.execute(_ONE, (text,)).fetchone()
        return Claim(parts, granted=added == 1 or retaken, record=_record(parts, row), retaken=retaken)

    def done(
        self, key: Key, outcome: str, replies: Sequence[str] = (), outgoing: Sequence[Outgoing] = ()
    ) -> Record:
        parts, text = _key(key)
        said = _shortened(outcome)
        answers = _replies(replies)
        sends = [_outgoing(send) for send in outgoing]
        with self._transaction() as db:
            row = db.execute(_ONE, (text,)).fetchone()
            if row is None:
                raise ListenError(
                    f"the event {_shown(parts)} was never claimed, so it cannot be done",
                    hint="Claim it (claim(key)) before its handler runs.",
                )
            record = _record(parts, row)
            if record.state == "done":
                raise ListenError(f"the event {_shown(parts)} is done already: {record.outcome}")
            if row[-1] != self._run:
                raise ListenError(
                    f"the event {_shown(parts)} was claimed by another run "
                    f"(process {record.pid}, at {record.started.isoformat()})",
                    hint="Only the run that claimed an event says it is done; release it if that run died.",
                )
            finished = _now()
            db.execute(
                "UPDATE events SET state = 'done', finished = ?, outcome = ?, replies = ? WHERE key = ?",
                (finished, said, json.dumps(answers, ensure_ascii=False), text),
            )
            db.executemany(
                "INSERT INTO outgoing (key, sender, recipient, body, since, state)"
                " VALUES (?, ?, ?, ?, ?, 'waiting')",
                [(text, send.sender, send.recipient, send.body, send.since) for send in sends],
            )
        return Record(
            parts,
            "done",
            record.started,
            record.pid,
            datetime.fromisoformat(finished),
            said,
            record.rerun,
            tuple(answers),
        )

    def to_send(self) -> tuple[Outgoing, ...]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT number, key, sender, recipient, body, since, state, run FROM outgoing"
                " WHERE state != 'sent' ORDER BY number"
            ).fetchall()
        found = []
        for number, key, sender, recipient, body, since, state, run in rows:
            doubt = state == "sending"
            if doubt and (run == self._run or self._runs.alive(str(run))):
                continue  # being sent now, by this process or another
            found.append(Outgoing(sender, recipient, body, since, number, tuple(json.loads(key)), doubt))
        return tuple(found)

    def sending(self, number: int) -> bool:
        with self._transaction() as db:
            row = db.execute("SELECT state, run FROM outgoing WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise ListenError(f"there is no send {number} in the queue")
            state, run = row
            if state == "sent" or (state == "sending" and (run == self._run or self._runs.alive(str(run)))):
                return False
            db.execute("UPDATE outgoing SET state = 'sending', run = ? WHERE number = ?", (self._run, number))
        return True

    def sent(self, number: int, sid: str) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE outgoing SET state = 'sent', sid = ? WHERE number = ? AND state = 'sending' AND run = ?",
                (sid, number, self._run),
            ).rowcount
            if not changed:
                raise ListenError(
                    f"send {number} is not being sent by this process",
                    hint="Claim it with sending(number) before it goes.",
                )

    def sids(self, sender: str, recipient: str) -> frozenset[str]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT sid FROM outgoing WHERE sender = ? AND recipient = ? AND state = 'sent'",
                (sender, recipient),
            ).fetchall()
        return frozenset(str(sid) for (sid,) in rows)

    def release(self, key: Key) -> Record:
        parts, text = _key(key)
        with self._transaction() as db:
            row = db.execute(_ONE, (text,)).fetchone()
            if row is None:
                raise ListenError(f"the event {_shown(parts)} was never claimed: there is nothing to release")
            record = _record(parts, row)
            if record.state == "done":
                raise ListenError(
                    f"the event {_shown(parts)} is done ({record.outcome}): only an unknown one is released",
                    hint="Release an event listed as unknown, once you know its handler did not finish.",
                )
            db.execute("DELETE FROM events WHERE key = ?", (text,))
        return record

    def record(self, key: Key) -> Record | None:
        parts, text = _key(key)
        with self._reading() as db:
            row = db.execute(_ONE, (text,)).fetchone()
        return None if row is None else _record(parts, row)

    def unfinished(self) -> tuple[Record, ...]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT key, state, started, pid, finished, outcome, rerun, replies FROM events"
                " WHERE state = 'started' AND run != ? ORDER BY started, key",
                (self._run,),
            ).fetchall()
        return tuple(_record(tuple(json.loads(row[0])), row[1:]) for row in rows)

    def cursor(self, name: str) -> Json:
        _name(name)
        with self._reading() as db:
            row = db.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            value: Json = json.loads(row[0])
        except ValueError as exc:
            raise ListenError(f"the cursor {name!r} in {self.path} cannot be read: {exc}") from exc
        return value

    def set_cursor(self, name: str, value: Json) -> None:
        _name(name)
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ListenError(
                f"the cursor {name!r} cannot be set: its value is not JSON ({exc})",
                hint="Give text, numbers, booleans, None, and lists and dicts of them.",
            ) from exc
        with self._transaction() as db:
            db.execute(
                "INSERT INTO cursors (name, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (name, text, _now()),
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One change: the thread lock and BEGIN IMMEDIATE (which keeps other
        processes' changes out until COMMIT), or ROLLBACK on an error."""
        with self._lock:
            self._check_open()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise _failed(self.path, exc) from exc

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._check_open()
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise _failed(self.path, exc) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise ListenError(f"the record of events {self.path} is closed")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
                self._runs.let_go()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"


def _key(key: object) -> tuple[Key, str]:
    """The key as a tuple, and as the text it is kept under; ``ListenError`` for
    anything that is not a key."""
    if isinstance(key, str | bytes) or not isinstance(key, Sequence):
        raise ListenError(f"{_shown(key)} is not a key: give a tuple", hint=_KEY_HINT)
    parts = tuple(key)
    names = _PARTS.get(parts[0]) if parts and isinstance(parts[0], str) else None
    if names is None:
        raise ListenError(
            f"{_shown(key)} is not a key: its kind is not 'received' or 'status'", hint=_KEY_HINT
        )
    if len(parts) != 1 + len(names):
        raise ListenError(
            f"{_shown(key)} is not a key: a {parts[0]!r} key is the kind and {', '.join(names)}",
            hint=_KEY_HINT,
        )
    for name, part in zip(names, parts[1:], strict=True):
        if not isinstance(part, str) or not part or len(part) > LONGEST_PART or not part.isprintable():
            raise ListenError(
                f"{_shown(key)} is not a key: its {name} is not printable text of 1 to {LONGEST_PART} characters",
                hint=_KEY_HINT,
            )
    return parts, json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _name(name: object) -> None:
    if not isinstance(name, str) or not name or len(name) > LONGEST_NAME or not name.isprintable():
        raise ListenError(
            f"{_shown(name)} is not a cursor's name",
            hint=f"Name a cursor with printable text of 1 to {LONGEST_NAME} characters.",
        )


def _shown(value: object) -> str:
    """A value in a message, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _shortened(outcome: object) -> str:
    if not isinstance(outcome, str) or not outcome:
        raise ListenError(f"{_shown(outcome)} is not an outcome", hint='Say "ok", or the error\'s text.')
    text = outcome.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogates
    return text if len(text) <= LONGEST_OUTCOME else text[: LONGEST_OUTCOME - 3] + "..."


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _record(key: Key, row: Sequence[object]) -> Record:
    state, started, pid, finished, outcome, rerun, replies = row[:7]
    return Record(
        key,
        "done" if state == "done" else "started",
        datetime.fromisoformat(str(started)),
        int(str(pid)),
        None if finished is None else datetime.fromisoformat(str(finished)),
        None if outcome is None else str(outcome),
        bool(rerun),
        tuple(json.loads(str(replies))) if replies else (),
    )


def _replies(replies: object) -> list[str]:
    """Replies as the store keeps them, or ``ListenError``."""
    if isinstance(replies, str | bytes) or not isinstance(replies, Sequence):
        raise ListenError(f"{_shown(replies)} is not a list of replies")
    if len(replies) > MOST_REPLIES or not all(
        isinstance(reply, str) and len(reply) <= LONGEST_REPLY for reply in replies
    ):
        raise ListenError(
            f"{_shown(replies)} is not a list of replies",
            hint=f"Give at most {MOST_REPLIES} texts of at most {LONGEST_REPLY} characters.",
        )
    return [reply.encode("utf-8", "backslashreplace").decode("utf-8") for reply in replies]


def _outgoing(send: object) -> Outgoing:
    if not isinstance(send, Outgoing) or not all(
        isinstance(part, str) and part for part in (send.sender, send.recipient, send.since)
    ):
        raise ListenError(f"{_shown(send)} is not a send to queue")
    _replies([send.body])
    return send


class Runs:
    """Which processes are alive, by run: each store holds an exclusive lock on a
    file of its own (``<record>.runs/<run>.lock``) while it is open, so a free lock
    means its process is gone (a crash lets go of it too); a reused process id
    cannot mislead it. Without ``fcntl`` every run counts as alive (nothing is
    taken over)."""

    def __init__(self, path: Path) -> None:
        self.folder = path.with_name(path.name + ".runs")
        self._held: Any = None

    def hold(self, run: str) -> None:
        if fcntl is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            held = (self.folder / f"{run}.lock").open("a")
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ListenError(
                f"the record of events cannot keep its run lock in {self.folder}: {exc}"
            ) from exc
        self._held = held

    def alive(self, run: str) -> bool:
        if fcntl is None:
            return True
        lock = self.folder / f"{run}.lock"
        try:
            with lock.open("a") as file:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return True
                lock.unlink(missing_ok=True)  # its process is gone; the lock file is no longer needed
                return False
        except OSError:
            return True

    def let_go(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            Path(held.name).unlink(missing_ok=True)
            held.close()


def _busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _failed(path: Path, error: sqlite3.Error) -> ListenError:
    if _busy(error):
        return ListenError(
            f"the record of events {path} is busy: another process holds it",
            hint="Wait for the other 'book listen' to finish a step, or give it more patience.",
        )
    return ListenError(f"the record of events {path} cannot be used: {error}")


def _foreign(path: Path, reason: str) -> ListenError:
    return ListenError(
        f"the file {path} cannot be used: it is not a record of events ({reason})",
        hint="Point book listen at a new file, or one it made; it leaves other files as they are.",
    )


def _connect(path: Path, patience: float) -> sqlite3.Connection:
    """A connection to the record at ``path``, its schema made or checked. A file
    that is not SQLite is refused before it is opened; another application's
    database is refused with its content untouched."""
    try:
        found = path.stat()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ListenError(f"the record of events {path} cannot be used: {exc.strerror}") from exc
    if found is not None:
        if not stat.S_ISREG(found.st_mode):
            raise _foreign(path, "it is a directory" if stat.S_ISDIR(found.st_mode) else "not a regular file")
        try:
            with path.open("rb") as file:
                header = file.read(len(_MAGIC))
        except OSError as exc:
            raise ListenError(f"the record of events {path} cannot be read: {exc.strerror}") from exc
        if header and header != _MAGIC:
            raise _foreign(path, "it is not an SQLite database")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=patience)
    except (OSError, sqlite3.Error) as exc:
        raise ListenError(f"the record of events {path} cannot be opened: {exc}") from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {int(patience * 1000)}")
        db.execute("BEGIN IMMEDIATE")
        try:
            _settle(db, path)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        _wal(db, patience)
        db.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        db.close()
        raise _failed(path, exc) from exc
    except BaseException:
        db.close()
        raise
    return db


def _settle(db: sqlite3.Connection, path: Path) -> None:
    """Inside the opening transaction: check the file is the record's, or make it so
    when it holds nothing."""
    (application,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if application == APPLICATION_ID:
        if version != SCHEMA_VERSION:
            raise ListenError(
                f"the record of events {path} has schema {version}, this version reads {SCHEMA_VERSION}",
                hint="Use the version of the book that made it, or point book listen at a new file.",
            )
        return
    (tables,) = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if application != 0:
        raise _foreign(path, f"it is another application's database, with application_id {application}")
    if tables or version:
        raise _foreign(path, "it is a database the book did not make")
    for statement in _SCHEMA:
        db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _wal(db: sqlite3.Connection, patience: float) -> None:
    """WAL journalling, which keeps readers and the writer apart. Changing to it
    takes the file's lock without waiting, so wait here while others hold it."""
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
