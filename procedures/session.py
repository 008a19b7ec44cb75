"""Sessions: English run one script or one step at a time, with context kept between steps.

A person runs a whole script; an agent issues one English step at a time and
reads back JSON. Both keep what the steps named and produced, so ``the SMS
messages`` in one step are those read by an earlier one.

>>> from procedures import Registry
>>> session = Session(Registry())
>>> session.run('the greeting is "hello"').value
'hello'
>>> session.step("say the greeting")
hello
{'result': 'hello', 'said': ['hello']}
>>> session.step("say the farewell")["error"]["kind"]
'unknown reference'
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grammar import BookError, Script, parse_script
from grammar.node import Record
from procedures.clock import Clock, SystemClock
from procedures.concepts import Concept, fields_of
from procedures.registry import Registry
from procedures.registry import registry as default_registry
from procedures.runtime import Runner, comparisons
from procedures.scope import Scope

logger = logging.getLogger(__name__)

__all__ = ["Result", "Session", "jsonable", "timezone_named"]


def jsonable(value: Any) -> Any:
    """A value as JSON-ready data: concepts by their field names, numbers as
    numbers (a decimal no binary number holds exactly, such as
    0.1234567890123456789, as its digits in a string, never rounded), dates and
    times in ISO 8601 (instants in UTC, with Z)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)  # JSON integers keep every digit
        rounded = float(value)
        return rounded if Decimal(repr(rounded)) == value else format(value, "f")  # never silently rounded
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Concept):
        return {field.name: jsonable(getattr(value, field.name)) for field in fields_of(type(value))}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(item) for item in value]
    return str(value)


def timezone_named(name: str | dt.tzinfo) -> dt.tzinfo:
    """A time zone from its IANA name (``Europe/Paris``), or ``ValueError`` saying what to write."""
    if isinstance(name, dt.tzinfo):
        return name
    if name.upper() in ("UTC", "Z", "GMT"):
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a time zone: use a name such as UTC or Europe/Paris") from exc


class Result(Record):
    """What a run gives: the value of its last statement and the lines it said."""

    value: Any
    said: tuple[str, ...]
    lastly: int = 0
    """How many of the lines said were said by the script's last statement."""

    def to_dict(self) -> dict[str, Any]:
        """``{"result": ..., "said": [...]}`` as JSON-ready data."""
        return {"result": jsonable(self.value), "said": list(self.said)}


class Session:
    """Runs English against a registry, keeping context between runs.

    ``clock`` tells the time (tests set it), ``timezone`` is the book's time zone
    (dates are whole days there), ``resources`` are objects procedures can ask
    for through their ``Context`` (a connection, settings), ``concurrency``
    bounds how many items of a loop run at once, and ``say`` is called with each
    line said (default: print it).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        clock: Clock | None = None,
        timezone: str | dt.tzinfo = "UTC",
        resources: Iterable[Any] = (),
        concurrency: int = 8,
        say: Callable[[str], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        self.registry = registry if registry is not None else default_registry
        self.clock = clock or SystemClock()
        self.timezone = timezone_named(timezone)
        self.resources: dict[type, Any] = {type(resource): resource for resource in resources}
        self.concurrency = concurrency
        self.scope = Scope()
        self._say = say if say is not None else print
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, text: str | Script) -> Result:
        """Run a script (or one step); ``BookError`` when something is wrong."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self.arun(text))

    async def arun(self, text: str | Script) -> Result:
        """``run`` for callers that already have an event loop."""
        script = parse_script(text) if isinstance(text, str) else text
        source = text if isinstance(text, str) else str(script)
        said: list[str] = []

        def say(line: str) -> None:
            said.append(line)
            self._say(line)

        runner = self.runner(say)
        value, before = None, 0
        try:
            for comparison in comparisons(script.statements):
                runner.binder.no_empty_text(comparison)  # refused before anything is done
            for statement in script.statements:
                before = len(said)
                value = await runner.run([statement])
        except BookError as error:
            raise error.locate(source) from error.__cause__
        return Result(value, tuple(said), len(said) - before)

    def runner(self, say: Callable[[str], None] | None = None) -> Runner:
        """A runner on this session's context, for one run (``now`` is read once, here),
        or for looking at calls without running them."""
        return Runner(
            self.registry,
            self.scope,
            now=self.clock.now(),
            timezone=self.timezone,
            resources=self.resources,
            concurrency=self.concurrency,
            say=say or self._say,
        )

    def step(self, text: str) -> dict[str, Any]:
        """Run one English step for an agent: ``{"result": ..., "said": [...]}``, or
        ``{"error": {"kind", "message", "line", "column", "hint", "suggestions", ...}}``;
        no error escapes, so the agent can read it and correct itself. An error that
        is not the book's own is a fault in the book or in a procedure; it comes back
        as kind "internal", and is logged with its traceback."""
        try:
            return self.run(text).to_dict()
        except BookError as error:
            return {"error": error.to_dict()}
        except Exception as error:  # an agent reads errors: it must never crash on one
            logger.exception("the step failed unexpectedly")
            internal = BookError(
                f"the step failed unexpectedly: {type(error).__name__}: {error}",
                hint="This is a fault in the book or one of its procedures, not in the English; "
                "please report it with the step that caused it.",
            )
            return {"error": {**internal.to_dict(), "kind": "internal"}}

    def close(self) -> None:
        """Close the session's event loop (the one its steps share, so that what a
        step opens, such as a connection, serves the next)."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        loop = getattr(self, "_loop", None)  # None too when the constructor failed
        if loop is not None and not loop.is_closed() and not loop.is_running() and not sys.is_finalizing():
            loop.close()
