"""Where the book's requests go: Twilio, or the local sandbox; and the settings of a run.

``Connection.choose()`` takes Twilio when the conventional environment holds
credentials (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and
TWILIO_API_SECRET), and otherwise the local sandbox at its default path.
``book.open_session()`` (book/session.py) gives a session of the book on that
connection, for programs and agents. The connection makes the clients, the sync
one once and the async one once per
event loop, and says which it is without showing a secret.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from book.credentials import Credentials, checked_url, shown_url
from book.pace import CONCURRENCY
from book.places import SANDBOX_VARIABLE, default_sandbox
from procedures.effects import Safeguards

if TYPE_CHECKING:  # the clients, with httpx, load when a request is to be made
    from book.client import AsyncClient, Client

__all__ = [
    "CONCURRENCY",
    "DEFAULT_SCAN_BUDGET",
    "SANDBOX_VARIABLE",
    "Connection",
    "Progress",
    "Settings",
    "clock_from",
    "default_sandbox",
]


DEFAULT_SCAN_BUDGET = 20_000
"""How many messages a read may fetch only to discard before it stops, unless told."""


class Settings(Safeguards):
    """How a run behaves: what it may do unasked (``Safeguards``: ``dry_run`` sends and
    changes nothing; ``yes`` confirms changes to more than one message and more
    than ``creates`` sends); ``scan_budget`` bounds what a read may fetch only to
    discard; ``concurrency`` bounds the requests in flight."""

    scan_budget: int | None = DEFAULT_SCAN_BUDGET
    concurrency: int = CONCURRENCY


class Progress:
    """Counts what a run is doing, for a progress display (the command shows one on
    a terminal); by default it shows nothing."""

    def __init__(self, show: Callable[[str, int], None] | None = None) -> None:
        self._show = show

    def tick(self, what: str, amount: int = 1) -> None:
        if self._show is not None:
            self._show(what, amount)


class Connection:
    """Twilio (``credentials``, their host) or the sandbox (``sandbox``, in process)."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        sandbox: Any = None,
        base_url: str | None = None,
        messaging_service: str | None = None,
    ) -> None:
        if (credentials is None) == (sandbox is None):
            raise ValueError("a connection is to Twilio (credentials) or to a sandbox, one of them")
        self.credentials = credentials if credentials is not None else sandbox.credentials()
        self.sandbox = sandbox
        self.base_url = checked_url(base_url) if base_url is not None else None
        self.messaging_service = messaging_service or (
            sandbox.account.services[0] if sandbox is not None else None
        )
        self.status_callback: str | None = None
        """Where sends ask Twilio to report their statuses unless they say (book listen's /status)."""
        self._client: Client | None = None
        self._async: dict[int, AsyncClient] = {}

    @classmethod
    def choose(
        cls, sandbox_path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Connection:
        """Twilio when the environment has credentials (at SMS_BOOK_TWILIO_URL when
        set: a sandbox served on loopback, a proxy); else the sandbox at
        ``sandbox_path`` (default: ``default_sandbox()``). SMS_BOOK_TWILIO_URL,
        when set, must be an http(s) URL without credentials (``user:password@``),
        used or not: ``ConfigurationError`` otherwise."""
        environ = os.environ if environ is None else environ
        found = environ.get("SMS_BOOK_TWILIO_URL")
        url = checked_url(found, "SMS_BOOK_TWILIO_URL") if found else None
        sandbox_path = default_sandbox(environ) if sandbox_path is None else sandbox_path
        credentials = Credentials.from_environment(environ)
        if credentials is not None:
            return cls(
                credentials=credentials,
                base_url=url,
                messaging_service=environ.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            )
        from book.sandbox import Sandbox

        return cls(sandbox=Sandbox(str(sandbox_path), clock=clock_from(environ)))

    def describe(self) -> str:
        """Which connection this is, for the person at the terminal."""
        if self.sandbox is not None:
            where = self.sandbox.state.path or "memory"
            return f"the local sandbox at {where} (account {self.credentials.account_sid})"
        host = shown_url(self.base_url or self.credentials.base_url)
        return f"Twilio at {host} (account {self.credentials.account_sid})"

    def _options(self) -> dict[str, Any]:
        if self.sandbox is not None:
            return {"credentials": self.credentials, "transport": self.sandbox.transport()}
        return {"credentials": self.credentials, "base_url": self.base_url}

    def client(self) -> Client:
        """The sync client (made once)."""
        if self._client is None:
            from book.client import Client

            self._client = Client(**self._options())
        return self._client

    def async_client(self, concurrency: int = CONCURRENCY) -> AsyncClient:
        """The async client of the running event loop (made once per loop)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._async:
            from book.client import AsyncClient

            self._async[loop] = AsyncClient(concurrency=concurrency, **self._options())
        return self._async[loop]

    def __repr__(self) -> str:
        return f"Connection({self.describe()})"


def clock_from(environ: Mapping[str, str]) -> Any:
    """The clock a run follows: SMS_BOOK_NOW (an ISO 8601 instant) fixes it, for
    reproducible runs and demos; otherwise the system's."""
    from procedures import FixedClock, SystemClock

    fixed = environ.get("SMS_BOOK_NOW")
    if not fixed:
        return SystemClock()
    import datetime as dt

    from book.errors import ConfigurationError

    try:
        moment = dt.datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigurationError(f"SMS_BOOK_NOW={fixed!r} is not an ISO 8601 date and time") from exc
    if moment.tzinfo is None:
        raise ConfigurationError("SMS_BOOK_NOW needs an offset, such as 2024-06-01T12:00:00Z")
    return FixedClock(moment)
