"""``open_session``: a session of the Twilio book, for programs and agents (``book.open_session``)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from book.connection import Connection, Progress, Settings, clock_from
from book.errors import ConfigurationError
from book.procedures import registry
from procedures import Session, timezone_named
from procedures.effects import ConfirmationError

__all__ = ["open_session"]


def open_session(
    *,
    sandbox: str | Path | None = None,
    settings: Settings | None = None,
    timezone: str = "UTC",
    say: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    confirm: Callable[[ConfirmationError], bool | Awaitable[bool]] | None = None,
) -> Session:
    """A session of the Twilio book (its registry, ``book.procedures.registry``), as
    the ``book`` command makes one: Twilio when the environment has credentials,
    else the sandbox at ``sandbox`` (default: ``default_sandbox()``), on the run's
    clock (SMS_BOOK_NOW fixes it). What steps say is in their results (``say``
    also gets each line). ``settings`` are the run's (``Settings(dry_run=True)``
    sends and changes nothing); ``confirm`` is asked, with everything a step would
    do, before a step that needs confirmation, and allows exactly that.

    For example::

        with open_session(sandbox="demo.sqlite3") as session:
            session.step("read the first 5 SMS messages whose date sent is today")
    """
    try:
        zone = timezone_named(timezone)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    environ = os.environ if environ is None else environ
    settings = settings or Settings()
    clock = clock_from(environ)
    connection = Connection.choose(sandbox, environ)
    return Session(
        registry,
        clock=connection.sandbox.clock if connection.sandbox is not None else clock,
        timezone=zone,
        resources=[connection, settings, progress or Progress()],
        concurrency=settings.concurrency,
        say=say,
        confirm=confirm,
    )
