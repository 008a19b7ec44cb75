"""Waiting on an SMS message: ``wait until the SMS message is delivered within 2 minutes``.

The runtime (``procedures``) finds the waiter a book registered for the thing's
concept and gives it the status waited for and the time; the book's waiter,
``wait_for_message``, watches the message until its status is that one:

- It fetches the message by sid at once, then again and again, further apart
  each time (1 second, doubling up to 10), until the status is reached, or can
  no longer come, or the time runs out (``procedures.WaitError`` in both cases,
  saying the status it is in).
- When the session is listening for Twilio's status callbacks, a ``Statuses``
  object is among its resources; the listener calls ``Statuses.notify(sid,
  status)`` for each callback, and a wait on that message wakes at once instead
  of at its next look (which, listening, comes less often: 5 seconds, doubling
  up to 30, in case a callback is lost).
- Time is a ``Timer``'s: the machine's by default. A sandbox whose clock stands
  still (a ``FixedClock``: tests, SMS_BOOK_NOW) gets a ``ClockTimer``, which moves
  that clock on instead of sleeping, so its messages go through their life at
  once and a timeout comes as soon as the clock has moved that far. A session
  may give its own ``Timer`` as a resource.

A status is reached when the message is in it, or in one that comes after it
on the way of a message that goes well (accepted, queued, sending, sent,
delivered, read): a message ``delivered`` has been ``sent``. A status can no
longer come when the message is in one from which Twilio never moves to it:
``undelivered``, ``failed``, ``canceled``, ``received`` and ``read`` are final,
and nothing but ``read`` follows ``delivered``.

>>> reached("sent", "delivered"), reached("delivered", "sent"), never("delivered", "undelivered")
(True, False, True)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import TypeVar

from book.connection import Connection, Settings
from book.procedures import connected
from book.resources.messages import SmsMessage, message_from_wire
from grammar import BookError
from procedures import Context, FixedClock, RunError, WaitError
from procedures.runtime import duration

__all__ = [
    "FOLLOWS",
    "PROGRESS",
    "ClockTimer",
    "Statuses",
    "Timer",
    "never",
    "reached",
    "wait_for_message",
]

PROGRESS = ("accepted", "queued", "sending", "sent", "delivered", "read")
"""The statuses of a message that goes well, in order: each one reached means
those before it were passed."""

_OUT = frozenset({"sending", "sent", "delivered", "undelivered", "failed", "read", "partially_delivered"})
FOLLOWS: dict[str, frozenset[str]] = {
    "accepted": _OUT | {"scheduled", "queued", "canceled"},
    "scheduled": _OUT | {"queued", "canceled"},
    "queued": _OUT,
    "sending": _OUT - {"sending"},
    "sent": _OUT - {"sending", "sent"},
    "partially_delivered": frozenset({"delivered", "undelivered", "read"}),
    "delivered": frozenset({"read"}),
    "receiving": frozenset({"received"}),
    "received": frozenset(),
    "read": frozenset(),
    "undelivered": frozenset(),
    "failed": frozenset(),
    "canceled": frozenset(),
}
"""The statuses that may still come after each (a status not listed: any)."""

T = TypeVar("T")

FIRST, LONGEST = 1.0, 10.0  # seconds between looks: the first, and the most, when not listening
FIRST_LISTENING, LONGEST_LISTENING = 5.0, 30.0  # the same while status callbacks come in


def reached(wanted: str, status: str | None) -> bool:
    """Whether a message in ``status`` is in ``wanted``, or past it on the way of a message that goes well."""
    if status is None:
        return False
    if status == wanted:
        return True
    return wanted in PROGRESS and status in PROGRESS and PROGRESS.index(status) > PROGRESS.index(wanted)


def never(wanted: str, status: str | None) -> bool:
    """Whether a message in ``status`` will never be in ``wanted``."""
    if status is None or reached(wanted, status) or status not in FOLLOWS:
        return False
    return wanted not in FOLLOWS[status]


class Timer:
    """The time a wait keeps, in seconds: by default the machine's
    (``time.monotonic`` and ``asyncio.sleep``). Give a session another as a
    resource (``Session(resources=[..., ClockTimer(clock)])``) to change it."""

    def now(self) -> float:
        """The time now, in seconds from any fixed point."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ClockTimer(Timer):
    """Time on a ``FixedClock``, which stands still until it is moved: sleeping
    moves it on, at once. A sandbox on that clock moves its messages on with it."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(dt.timedelta(seconds=seconds))
        await asyncio.sleep(0)  # let the others run, as a sleep would

    def __repr__(self) -> str:
        return f"ClockTimer({self.clock!r})"


class _Watch:
    """One wait's ear for the status callbacks of one message: what they said
    since it last looked, and an event set when they say more."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        self._heard: list[str] = []
        self._lock = threading.Lock()

    def hear(self, status: str) -> None:
        """A callback said ``status`` (from any thread)."""
        with self._lock:
            self._heard.append(status)
        with suppress(RuntimeError):  # the wait's loop is closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(self._woken.set)

    def take(self) -> list[str]:
        """What the callbacks said since the last time, now forgotten."""
        with self._lock:
            heard, self._heard = self._heard, []
        self._woken.clear()
        return heard

    async def woken(self) -> None:
        """Return when a callback says something."""
        await self._woken.wait()


class Statuses:
    """What Twilio's status callbacks say, told to the waits under way.

    A listener that receives status callbacks (``book listen``) puts one in the
    session's resources and calls ``notify`` with each callback's message sid
    and status; any thread may call it::

        statuses = Statuses()
        session = Session(registry, resources=[connection, settings, statuses])
        ...
        session.resources[Statuses].notify(form["MessageSid"], form["MessageStatus"])
        # or, the same: session.resources[Statuses].callback(form)

    Only the waits under way hear it: nothing is kept for a wait that starts
    later (it fetches the message first anyway).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[str, list[_Watch]] = {}

    def notify(self, sid: str, status: str) -> None:
        """A status callback said message ``sid`` is now ``status``: wake the waits on it."""
        with self._lock:
            watches = list(self._watches.get(sid, ()))
        for watch in watches:
            watch.hear(status.strip().lower())

    def callback(self, form: Mapping[str, str]) -> None:
        """``notify`` with a status callback's parameters (``MessageSid`` and
        ``MessageStatus``, or the older ``SmsSid``/``SmsStatus``); one without
        them is ignored."""
        sid = form.get("MessageSid") or form.get("SmsSid")
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if sid and status:
            self.notify(sid, status)

    @contextmanager
    def watch(self, sid: str) -> Iterator[_Watch]:
        """Hear what the callbacks say of message ``sid`` while inside (in a running event loop)."""
        watch = _Watch()
        with self._lock:
            self._watches.setdefault(sid, []).append(watch)
        try:
            yield watch
        finally:
            with self._lock:
                self._watches[sid].remove(watch)
                if not self._watches[sid]:
                    del self._watches[sid]

    def __repr__(self) -> str:
        return f"Statuses(watching {len(self._watches)} messages)"


def _resource(context: Context, kind: type[T]) -> T | None:
    """The session's resource of this type, or None."""
    try:
        return context.resource(kind)
    except BookError:
        return None


def timer_of(context: Context, connection: Connection) -> Timer:
    """The session's ``Timer``; else, on a sandbox whose clock stands still, a
    ``ClockTimer`` on that clock; else the machine's time."""
    given = _resource(context, Timer)
    if given is not None:
        return given
    clock = connection.sandbox.clock if connection.sandbox is not None else None
    return ClockTimer(clock) if isinstance(clock, FixedClock) else Timer()


def _status(message: SmsMessage, status: str) -> str:
    """A status as an error says it, with the message's error when it has one."""
    if message.status == status and message.error_code is not None:
        return f"{status} (error {message.error_code}: {message.error_message or 'no message'})"
    return status


async def _first(sleep: asyncio.Task[None], woken: asyncio.Task[None] | None) -> None:
    """Return when the sleep ends or, if given, a callback wakes the wait; the other is cancelled."""
    tasks = [sleep] if woken is None else [sleep, woken]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # a timer that failed fails the wait


async def wait_for_message(
    sms_message: SmsMessage, status: str, timeout: dt.timedelta, context: Context
) -> SmsMessage:
    """Wait until an SMS message's status is ``status`` (or past it), at most
    ``timeout``; the message as it is then. ``WaitError`` when the time runs out,
    or at once when the message reaches a status from which ``status`` cannot come."""
    sid = sms_message.sid
    if not sid:
        raise RunError(
            "this SMS message has no sid, so its status cannot be looked up",
            hint="Wait on a message read from the account: read an SMS message whose sid is ...",
        )
    connection = connected.connection(context)
    client = connection.async_client((_resource(context, Settings) or Settings()).concurrency)
    timer = timer_of(context, connection)
    statuses = _resource(context, Statuses)
    interval, longest = (FIRST, LONGEST) if statuses is None else (FIRST_LISTENING, LONGEST_LISTENING)
    deadline = timer.now() + timeout.total_seconds()
    watching: AbstractContextManager[_Watch | None] = (
        nullcontext() if statuses is None else statuses.watch(sid)
    )
    with watching as watch:
        while True:
            context.checkpoint()
            heard = watch.take() if watch is not None else []
            message = message_from_wire(await client.fetch_message(sid))
            for seen in [*heard, message.status]:
                if seen is not None and reached(status, seen):
                    if reached(status, message.status):
                        return message
                    return message.model_copy(update={"status": seen})  # the callback is ahead of the fetch
                if seen is not None and never(status, seen):
                    raise WaitError(
                        f"SMS message {sid} is {_status(message, seen)}, so it will never be {status}",
                        state=status,
                        reached=seen,
                        timed_out=False,
                        hint="It ended there, and waiting longer cannot change it"
                        + (
                            f"; its error says why: https://www.twilio.com/docs/errors/{message.error_code}"
                            if message.status == seen and message.error_code is not None
                            else "."
                        ),
                    )
            left = deadline - timer.now()
            if left <= 0:
                now = message.status or "of unknown status"
                raise WaitError(
                    f"SMS message {sid} was not {status} within {duration(timeout)}: it is {now} now",
                    state=status,
                    reached=message.status,
                    timed_out=True,
                    hint=f"Wait longer ('wait until ... is {status} within {duration(timeout * 2)}'), or "
                    "say the SMS message's status to see where it stands.",
                )
            woken = asyncio.ensure_future(watch.woken()) if watch is not None else None
            await _first(asyncio.ensure_future(timer.sleep(min(interval, left))), woken)
            interval = min(interval * 2, longest)
