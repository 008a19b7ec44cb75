"""Messages in the sandbox's store: each kept as the JSON it is answered with, in Twilio's order.

The order of a list is Twilio's, newest first: by the date sent, or the date
created while a message has not been sent, then by sid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from book.sandbox.store import Store
from grammar.node import Record

__all__ = ["Messages", "Row"]


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


class Messages(Store):
    """The store's messages (``State`` has them, state.py)."""

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
        now: int | None = None,
    ) -> list[Row]:
        """Up to ``size`` messages in the order, newest first, filtered, strictly after
        (older than) ``after`` or, for a page backwards, strictly before ``before``;
        ``sent_from`` <= date sent < ``sent_until`` (epoch seconds) when given.

        ``asof``: the order and the date-sent filter as they stood at that moment
        (when a pagination began), so that what is sent meanwhile does not move in
        the order: a message's place is its date sent if it was sent by then, else
        its date created. Only messages whose ``sort`` is later than ``asof`` and
        not later than ``now`` can have moved (the lifecycle dates what it does
        with the time it does it; a message dated past ``now`` came so, loaded or
        seeded, and never moved), and they are few: they are placed here, one by one."""
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
        moving = asof is not None and now is not None and now > asof
        if moving:
            where.append("(sort <= ? OR sort > ?)")
            values += [asof, now]
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
            if moving and not dated:  # (sent after asof: not sent as of then, so never dated)
                late = (
                    f"SELECT {columns} FROM messages WHERE {' AND '.join(filters)} AND sort > ? AND sort <= ?"  # noqa: S608
                )
                moved = [Row(*found) for found in db.execute(late, [*filtered, asof, now])]
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
