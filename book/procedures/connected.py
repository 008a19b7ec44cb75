"""What the book's procedures take from their context: the connection, the run's settings, its progress display, and readers made of them.

Each procedures module (one per resource) uses these, so that a session without a
connection is told how to make one the same way whichever procedure it called.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from book.connection import Connection, Progress, Settings
from book.resource import Resource
from book.resources.messages import MESSAGES
from grammar import BookError
from procedures import Context, RunError

if TYPE_CHECKING:  # the reader, and the client with httpx, load with the first read
    from book.reading import Reader

__all__ = ["connection", "page_read", "progress", "reader", "settings"]


def connection(context: Context) -> Connection:
    """The session's connection (Twilio or the sandbox), or a ``RunError`` saying how to give it one."""
    try:
        return context.resource(Connection)
    except RunError as error:
        error.hint = (
            "Make the session with book.open_session(), which connects it to Twilio or the sandbox, or give "
            "it one: Session(resources=[Connection.choose(), Settings()])."
        )
        raise


def settings(context: Context) -> Settings:
    """The run's settings (the defaults when the session has none)."""
    try:
        return context.resource(Settings)
    except BookError:
        return Settings()


def progress(context: Context) -> Progress:
    """The run's progress display (one that shows nothing when the session has none)."""
    try:
        return context.resource(Progress)
    except BookError:
        return Progress()


def page_read(context: Context, shown: Progress, what: str, amount: int) -> None:
    """After each page of a read: stop if the run was interrupted, else show progress."""
    context.checkpoint()
    shown.tick(what, amount)


def reader(context: Context, resource: Resource[Any] = MESSAGES) -> Reader:
    """A reader of a resource (messages, unless told) on the session's connection,
    with the run's scan budget, that shows progress and stops when the run is
    interrupted."""
    from book.reading import Reader

    return Reader(
        connection(context).client(),
        resource=resource,
        timezone=context.timezone,
        scan_budget=settings(context).scan_budget,
        on_page=functools.partial(page_read, context, progress(context)),
    )
