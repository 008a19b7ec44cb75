"""What a procedure can ask for with a parameter typed ``Context``: the run's time,
resources and journal, and ways to say things and record what it does."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from procedures.binding import Binder
from procedures.effects import Act, Effect, Journal, Safeguards
from procedures.errors import RunError

__all__ = ["Context"]

T = TypeVar("T")


class Context:
    """What a procedure can ask for with a parameter typed ``Context``: the run's
    ``now`` and time zone, the session's resources, a way to say things, and
    ``single``: whether the call asked for exactly one thing (``read an SMS
    message whose ...``), so that a procedure that changes things can refuse to
    change any when more match; ``batch``: how many things the call applies to,
    one procedure call each (``redact the SMS messages`` after a read).

    The order a call asks for: ``oldest``, its limit keeps the oldest N
    (``the oldest 5``), not the newest; ``ascending``, the list is given oldest
    first. A prepare hook that plans a read honours both; for a procedure with
    no such hook the runtime orders and cuts the list it gives (newest first).

    For a procedure that creates or changes things (effects.py): ``dry_run``
    says it must only say what it would do; a procedure that acts on a filter
    calls ``allow`` with what matched before it changes any of it, and records
    each change with ``act``. For the others the runtime does both; ``record``
    adds what only the procedure knows (what a created thing is for, the English
    that finds it if its outcome is unknown)."""

    def __init__(
        self,
        *,
        now: dt.datetime,
        timezone: dt.tzinfo,
        resources: dict[type, Any],
        say: Callable[[str], None],
        binder: Binder,
        single: bool = False,
        oldest: bool = False,
        ascending: bool = False,
        batch: int = 1,
        journal: Journal | None = None,
        effect: Effect = Effect.READS,
        verb: str = "",
        noun: str = "",
        item: int | None = None,
    ) -> None:
        self.now = now
        self.timezone = timezone
        self._resources = resources
        self._say = say
        self.binder = binder
        self.single = single
        self.oldest = oldest
        self.ascending = ascending
        self.batch = batch
        self.journal = journal if journal is not None else Journal(Safeguards())
        self.effect = effect
        self.verb = verb
        self.noun = noun
        self.item = item
        self.current: Act | None = None

    @property
    def dry_run(self) -> bool:
        """Whether to do nothing but say what would be done (a dry run, or a rehearsal)."""
        return self.journal.dry_run

    def allow(self, targets: list[str]) -> None:
        """Before changing what a filter matched: count it against what the run may
        do unasked (``ConfirmationError`` when over, before anything is changed)."""
        self.journal.allow(self.effect, self.verb, self.noun, targets)

    def act(self, target: str) -> AbstractContextManager[Act]:
        """Record one change around the code that makes it (see ``Journal.act``)."""
        return self.journal.act(self.effect, self.verb, self.noun, target, self.item)

    def checkpoint(self) -> None:
        """Stop here if the run was interrupted: a procedure that works a long
        while without yielding to the event loop (a long read, page after page)
        calls it now and then, so that Ctrl-C stops it at once."""
        if self.journal.interrupted:
            raise asyncio.CancelledError

    def record(
        self, *, target: str | None = None, find: str | None = None, status: str | None = None
    ) -> None:
        """Say more of the effect under way: what it is for, the English that finds
        it, and the status of what it made or changed (a sent message's "queued")."""
        if self.current is not None:
            if target is not None:
                self.current.target = target
            if find is not None:
                self.current.find = find
            if status is not None:
                self.current.status = status

    def resource(self, kind: type[T]) -> T:
        """The session's resource of this type (a connection, settings, ...)."""
        found = self._resources.get(kind)
        if found is None:
            for value in self._resources.values():
                if isinstance(value, kind):
                    return value
            raise RunError(f"this session has no {kind.__name__}")
        return found  # type: ignore[no-any-return]

    def say(self, text: str) -> None:
        """Print a line and record it in the run's output, as ``say`` does."""
        self._say(text)
