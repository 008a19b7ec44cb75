"""Events and handlers (issue 14, the runtime's part): a book registers its events; a
script's ``when ...`` blocks are kept, and run, with ``the X`` the thing the event
happened to, each time the book says the event happened; ``reply with`` answers it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from procedures import Concept, Registry, Session
from procedures.core import core
from procedures.errors import RegistrationError


class Parcel(Concept):
    english = "parcel"
    key = "code"

    code: str
    status: str | None = None


def _session() -> Session:
    book = Registry().merge(core)
    book.event("when a parcel is delivered", Parcel)
    book.event("when a parcel's status changes", Parcel)
    return Session(registry=book, clock=None, say=lambda line: None)


def test_a_handler_runs_when_its_event_happens_with_the_thing_and_its_replies() -> None:
    session = _session()
    kept = session.step(
        "when a parcel is delivered\n"
        "  say the parcel's code\n"
        '  reply with "Thanks"\n'
        "when a parcel's status changes\n"
        "  say the parcel's status\n"
    )
    assert "error" not in kept and kept["said"] == []  # nothing runs until an event happens
    replies: list[str] = []

    async def reply(text: str) -> None:
        replies.append(text)

    delivered = asyncio.run(
        session.handle("when a parcel is delivered", Parcel(code="P1", status="delivered"), reply)
    )
    assert (delivered.said, replies) == (("P1",), ["Thanks"])
    changed = asyncio.run(
        session.handle("when the parcel's status changes", Parcel(code="P2", status="lost"))
    )
    assert changed.said == ("lost",)


def test_unknown_events_and_misplaced_replies_are_the_books_errors() -> None:
    session = _session()
    unknown = session.step("when a parcel is lost\n  say 1\n")["error"]
    assert unknown["kind"] == "unknown event"
    assert "when a parcel is delivered" in unknown["message"] and unknown["line"] == 1
    stray = session.step('reply with "hi"')["error"]
    assert stray["kind"] == "run" and "none is here" in stray["message"]
    with pytest.raises(RegistrationError):
        Registry().event("when a box is delivered", Parcel)  # names no parcel
    with pytest.raises(Exception, match="no field"):
        Registry().event("when a parcel's weight changes", Parcel)


def test_a_handler_without_replies_runs_its_block_once_per_event() -> None:
    session = _session()
    session.step("when a parcel is delivered\n  say the parcel's code\n")
    said: list[Any] = []
    for code in ("A", "B", "C"):
        said += asyncio.run(session.handle("when a parcel is delivered", Parcel(code=code))).said
    assert said == ["A", "B", "C"]
