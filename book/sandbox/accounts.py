"""Accounts in the sandbox's store: credentials, API keys, numbers, Messaging Services and opt-outs."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from book.sandbox import sids
from book.sandbox.store import Store
from grammar.node import Record

__all__ = ["Account", "Accounts", "derived_sid"]


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


def derived_sid(prefix: str, account: str) -> str:
    """The SID of an account's own resource (its API key, its Messaging Service):
    the same for the same account, so that a known account gives known SIDs."""
    return sids.derived(prefix, account, prefix)


class Accounts(Store):
    """The store's accounts (``State`` has them, state.py)."""

    def create_account(
        self, *, numbers: Sequence[str], sid: str | None = None, token: str | None = None, now: int
    ) -> Account:
        """A new account with its numbers, an API key and one Messaging Service using them."""
        sid = sid or sids.random("AC")
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

    def created(self, account: str) -> int:
        """When an account was made (epoch seconds): when its numbers were bought."""
        with self._read() as db:
            found = db.execute("SELECT created FROM accounts WHERE sid = ?", (account,)).fetchone()
        return int(found[0]) if found else 0

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
        return self._has("numbers", "number", account, number)

    def has_service(self, account: str, sid: str) -> bool:
        return self._has("services", "sid", account, sid)

    def opted_out(self, account: str, number: str) -> bool:
        return self._has("opt_outs", "number", account, number)

    def _has(self, table: str, column: str, account: str, value: str) -> bool:
        """Whether one of the account's rows of ``table`` (a name of the schema's,
        never a caller's text) has ``value`` in ``column``."""
        with self._read() as db:
            found = db.execute(
                f"SELECT 1 FROM {table} WHERE account = ? AND {column} = ?",  # noqa: S608 - names are ours
                (account, value),
            ).fetchone()
        return found is not None

    def opt(self, account: str, number: str, out: bool) -> None:
        """Record a STOP (``out``) or a START from a recipient."""
        with self.transaction() as db:
            if out:
                db.execute("INSERT OR IGNORE INTO opt_outs VALUES (?, ?)", (account, number))
            else:
                db.execute("DELETE FROM opt_outs WHERE account = ? AND number = ?", (account, number))
