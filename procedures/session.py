"""Sessions: English run one script or one step at a time, with context kept between steps.

A person runs a whole script; an agent issues one English step at a time and
reads back JSON. Both keep what the steps named and produced, so ``the SMS
messages`` in one step are those read by an earlier one.

>>> from procedures import Registry
>>> session = Session(Registry())
>>> session.run('the greeting is "hello"').value
'hello'
>>> session.step("say the greeting")  # what is said is in the answer (printed only when asked)
{'result': 'hello', 'said': ['hello']}
>>> session.step("say the farewell")["error"]["kind"]
'unknown reference'
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grammar import (
    BookError,
    Call,
    Determiner,
    EventName,
    Handler,
    NounPhrase,
    Script,
    Wait,
    find_all,
    parse_event,
    parse_script,
)
from grammar.node import Record
from procedures.clock import Clock, SystemClock
from procedures.core import core
from procedures.effects import ConfirmationError, Effect, InterruptedRunError, Journal, Safeguards, counted
from procedures.errors import ExplainError
from procedures.events import Event
from procedures.explaining import Explained, explanations
from procedures.jsonable import jsonable
from procedures.names import split_owner
from procedures.registry import Registry, Waiter
from procedures.runtime import Runner, answers, comparisons, loops
from procedures.scope import Scope
from procedures.templates import check_templates

STEP_SCHEMA: dict[str, Any] = json.loads(
    resources.files("procedures").joinpath("step.schema.json").read_text(encoding="utf-8")
)
"""The JSON schema of what ``Session.step`` returns (``procedures/step.schema.json``)."""

logger = logging.getLogger(__name__)

__all__ = ["Result", "Session", "jsonable", "timezone_named"]


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
    """Runs English against a registry (a book's; by default ``procedures.core``,
    the conversions every book has), keeping context between runs.

    ``clock`` tells the time (tests set it), ``timezone`` is the book's time zone
    (dates are whole days there), ``resources`` are objects procedures can ask
    for through their ``Context`` (a connection, settings), ``concurrency``
    bounds how many items of a loop run at once, and ``say`` is called with each
    line said (by default nothing is printed: each result holds what was said).
    ``confirm`` is asked before a run that would do more than it may unasked
    (``Safeguards``), with the refusal that lists all it would do; when it answers
    True the run goes ahead, allowed exactly that much (it may be async).
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
        confirm: Callable[[ConfirmationError], bool | Awaitable[bool]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        self.registry = registry if registry is not None else core
        self.clock = clock or SystemClock()
        self.timezone = timezone_named(timezone)
        self.resources: dict[type, Any] = {type(resource): resource for resource in resources}
        self.concurrency = concurrency
        self.scope = Scope()
        self._say = say if say is not None else _quiet
        self.confirm = confirm
        self._allowed: Safeguards | None = None  # what a confirmation allowed the run under way
        self._loop: asyncio.AbstractEventLoop | None = None
        self.journal = Journal(self.safeguards())
        """What the latest run did (effects.py): its report is what went out, after a failure too."""
        self.handlers: list[tuple[Event, Handler]] = []
        """The ``when ...`` blocks the session's scripts wrote, with their events."""

    def run(self, text: str | Script, parsed: Script | None = None) -> Result:
        """Run a script (or one step); ``BookError`` when something is wrong, and
        ``InterruptedRunError``, with what was done, when Ctrl-C stops it.

        In the main thread, the first Ctrl-C cancels the run instead of raising
        wherever Python happens to be (where it could be lost): the run unwinds,
        what was in flight is recorded as unknown, and the report is raised. A
        second Ctrl-C stops at once. ``parsed``: the script of ``text``, when the
        caller has parsed it already (it is not parsed again)."""
        loop = self._own_loop()
        task = loop.create_task(self.arun(text, parsed))
        interrupted = False

        def interrupt(signum: int, frame: Any) -> None:
            nonlocal interrupted
            if interrupted or task.done():
                raise KeyboardInterrupt
            interrupted = True
            self.journal.interrupted = True  # for a procedure at work that does not yield to the loop
            task.cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake the loop if it waits

        previous = _catch_interrupts(interrupt)
        try:
            return loop.run_until_complete(task)
        except BaseException:
            if not (interrupted or sys.exc_info()[0] is KeyboardInterrupt):
                raise
            if not task.done():  # Python's own KeyboardInterrupt: unwind the run as a cancellation would
                task.cancel()
                with contextlib.suppress(BaseException):
                    loop.run_until_complete(task)
            report = self.journal.report()
            raise InterruptedRunError(
                "interrupted: " + _outcome(report), report=report, hint=_doubt(report)
            ) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def keep_handlers(self, script: Script, source: str) -> Script:
        """Keep a script's ``when`` blocks, their events resolved (an unknown one is
        an error located in ``source``), before anything runs, so that an event that
        comes early finds them; the rest of the script, to run once."""
        blocks = [statement for statement in script.statements if isinstance(statement, Handler)]
        try:
            check_templates(script.statements, self._holds(self.runner()), self._outputs)
            self.handlers.extend((self.registry.resolve_event(block.event), block) for block in blocks)
        except BookError as error:
            raise error.locate(source) from None
        return script.replace(statements=tuple(s for s in script.statements if not isinstance(s, Handler)))

    def _own_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the session's synchronous calls share (made once)."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    async def handle(
        self, event: str | EventName, thing: Any, reply: Callable[[str], Awaitable[Any]] | None = None
    ) -> Result:
        """Run the blocks written for an event (``when an SMS message is received``)
        that happened to ``thing``: in each, ``the X`` is the thing, and ``reply with``
        calls ``reply``. What they said, and the last one's value. Several may run
        at once (a listener's events): each has a journal of its own, with the
        limits of one run."""
        name = parse_event(event) if isinstance(event, str) else event
        happened = self.registry.resolve_event(name)
        journal = Journal(self.safeguards())
        said: list[str] = []

        def say(line: str) -> None:
            said.append(line)
            self._say(line)

        value: Any = None
        for written, handler in list(self.handlers):
            if written != happened:
                continue
            runner = self.runner(say)
            runner.journal = journal
            runner.reply = reply
            inner = runner._with(Scope(self.scope, (handler.event.noun, thing)), say)
            value = await inner.run(handler.body)
        return Result(value, tuple(said), len(said))

    def safeguards(self) -> Safeguards:
        """What runs may do unasked: the session's ``Safeguards`` resource (the book's
        settings are one), else the defaults; during a confirmed run, what was confirmed."""
        if self._allowed is not None:
            return self._allowed
        for value in self.resources.values():
            if isinstance(value, Safeguards):
                return value
        return Safeguards()

    async def arun(self, text: str | Script, parsed: Script | None = None) -> Result:
        """``run`` for callers that already have an event loop."""
        try:
            return await self._arun(text, parsed)
        except ConfirmationError as error:
            if self.confirm is None or self.journal.acts:  # nothing was done, or it is not asked
                raise
            refusal = error
            answer = self.confirm(refusal)
            if not (await answer if inspect.isawaitable(answer) else answer):
                raise
        shown = {entry["effect"]: 0 for entry in refusal.would}
        for entry in refusal.would:
            shown[entry["effect"]] += entry["count"]
        limits = self.safeguards()
        self._allowed = limits.replace(  # exactly what was shown: a run that would do more is refused again
            changes=max(limits.changes, shown.get(Effect.CHANGES.value, 0)),
            creates=max(limits.creates, shown.get(Effect.CREATES.value, 0)),
        )
        try:
            return await self._arun(text, parsed)
        finally:
            self._allowed = None

    async def _arun(self, text: str | Script, parsed: Script | None = None) -> Result:
        self.journal = Journal(self.safeguards())
        script = parsed if parsed is not None else parse_script(text) if isinstance(text, str) else text
        source = text if isinstance(text, str) else str(script)
        said: list[str] = []

        def say(line: str) -> None:
            said.append(line)
            self._say(line)

        safeguards = self.safeguards()
        runner = self.runner(say)
        runner.journal = self.journal
        value, before = None, 0
        try:
            for comparison in comparisons(script.statements):
                runner.binder.no_empty_text(comparison)  # refused before anything is done
            self._known_states(script)
            check_templates(script.statements, self._holds(runner), self._outputs)
            if not (safeguards.yes or safeguards.dry_run) and self._spread(runner, script, safeguards):
                await self._rehearse(runner, script)
            for statement in script.statements:
                if answers(statement):
                    before = len(said)
                    value = await runner.run([statement])
                else:
                    await runner.run([statement])
        except BookError as error:
            raise error.locate(source) from error.__cause__
        lastly = len(said) - before
        if safeguards.dry_run and sum(entry["count"] for entry in self.journal.would()) > 1:
            totals = ", ".join(
                f"{entry['verb']} {counted(entry['count'], entry['noun'])}" for entry in self.journal.would()
            )
            say(f"dry run: in all, would {totals}; nothing was changed")
        return Result(value, tuple(said), lastly)

    @staticmethod
    def _holds(runner: Runner) -> Callable[[NounPhrase], bool]:
        """Whether the session already holds a value ``the X`` names."""

        def holds(noun: NounPhrase) -> bool:
            try:
                runner.scope.lookup(noun, many=True)
            except BookError:
                return False
            return True

        return holds

    def _outputs(self, call: Call) -> list[NounPhrase]:
        """The names a call's result is kept under, as the runtime keeps it: its
        procedure's output (none when it answers, as a send does: "the answer");
        the call's own noun when no procedure answers it (the run fails there)."""
        try:
            entry = self.registry.resolve(self.registry.expand(call))
        except BookError:
            return [call.noun]
        if not entry.output:
            return []
        owned = split_owner(entry.noun) if entry.owner is not None else None
        return [owned[0] if owned is not None else entry.noun]

    def _known_states(self, script: Script) -> None:
        """A ``wait until`` for a state no waiter of the book knows is refused before
        anything is done (the waiter that will wait is known only as it runs)."""
        waiters = self.registry.waiters
        for wait in find_all(script, Wait):
            if waiters and not any(_knows(waiter, wait.state) for waiter in waiters):
                waiters[0].state(wait.state, span=wait.span)  # the error, listing the states

    def _spread(self, runner: Runner, script: Script, safeguards: Safeguards) -> bool:
        """Whether a script's effects may pass what it may do unasked in ways no
        single call can count beforehand: effects inside a loop, or more calls with
        effects than the limits allow."""
        if any(runner.effects_within(loop.body) for loop in loops(script.statements)):
            return True
        effects = list(runner.effects(script.statements))
        return (
            effects.count(Effect.CHANGES) > safeguards.changes
            or effects.count(Effect.CREATES) > safeguards.creates
        )

    async def _rehearse(self, runner: Runner, script: Script) -> None:
        """Run the script as a dry run that says nothing, in a scope of its own, to
        count its effects: ``ConfirmationError``, listing them all, when they pass
        what it may do unasked. If the rehearsal fails, the run goes on: it meets the
        same error where it is, and its journal still refuses past the limits."""
        journal = Journal(runner.journal.safeguards, rehearsal=True)
        rehearsal = Runner(
            self.registry,
            Scope(self.scope),
            now=runner.now,
            timezone=self.timezone,
            resources=self.resources,
            concurrency=self.concurrency,
            say=lambda line: None,
            journal=journal,
        )
        try:
            await rehearsal.run(script.statements)
        except BookError:
            return
        if journal.over():
            raise journal.refusal()

    async def arefusal(self, text: str) -> ConfirmationError | None:
        """What refuses ``text`` before it does anything, when it would do more than
        it may unasked: found by running it as a silent dry run in a scope of its
        own (nothing is sent, changed or named); None when it may go ahead, or when
        it fails otherwise (running it says how)."""
        safeguards = self.safeguards()
        if safeguards.yes or safeguards.dry_run:
            return None
        try:
            await self._rehearse(self.runner(), parse_script(text))
        except ConfirmationError as refusal:
            return refusal
        except BookError:
            return None
        return None

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
            journal=Journal(self.safeguards()),
            handlers=self.handlers,
        )

    def explain(self, text: str) -> Any:
        """How the last read of ``text`` would be answered, without a request: its
        plan (the book's; ``explain()`` words it, ``to_json()`` gives it as data).
        ``explanations`` gives every read of a script; ``ExplainError`` when the
        last cannot be planned before the run, or there is none."""
        return self._own_loop().run_until_complete(self.aexplain(text))

    async def aexplain(self, text: str) -> Any:
        """``explain`` for callers that already have an event loop."""
        last = (await self.aexplanations(text))[-1]
        if last.plan is None:
            raise ExplainError(f"line {last.line} cannot be planned before the run: {last.why}").locate(text)
        return last.plan

    def explanations(self, text: str) -> list[Explained]:
        """How each read of a script would be answered, with the values the lines
        before it give, and without a request (explaining.py)."""
        return self._own_loop().run_until_complete(self.aexplanations(text))

    async def aexplanations(self, text: str) -> list[Explained]:
        """``explanations`` for callers that already have an event loop."""
        try:
            script = parse_script(text)
            return await explanations(self.runner(_quiet), self.registry, script.statements)
        except BookError as error:
            raise error.locate(text) from None

    def error_data(self, error: BookError) -> dict[str, Any]:
        """An error of the latest run as JSON-ready data, with what the run did
        (``outcomes``: each effect done, refused or unknown) when it did anything."""
        data = error.to_dict()
        if "outcomes" not in data and (self.journal.acts or self.journal.loops):
            data["outcomes"] = self.journal.report()
        return data

    def streams(self, script: Script) -> bool:
        """Whether ``stream`` gives the items of the script's last line: a read of a
        list that a procedure plans (nothing that changes or creates things)."""
        last = script.statements[-1] if script.statements else None
        if not isinstance(last, Call) or last.by is not None:
            return False
        try:
            entry = self.registry.resolve(self.registry.expand(last))
        except BookError:
            return False
        single = last.determiner in (Determiner.A, Determiner.AN)
        return entry.many and entry.prepare is not None and entry.effect is Effect.READS and not single

    def stream(self, text: str, parsed: Script | None = None) -> Iterator[Any]:
        """Run a script whose last line reads a list (``streams``), giving that list's
        items as they are read: a read of 100,000 messages holds a page at a time,
        not the list. The lines before it run as ``run`` runs them; what the last
        line reads is not kept for later lines. ``ExplainError`` for a script that
        does not end in such a read (run it with ``run``)."""
        script = parsed if parsed is not None else parse_script(text)
        if not self.streams(script):
            raise ExplainError(
                "only a script that ends by reading a list can be streamed",
                span=script.statements[-1].span if script.statements else None,
                hint="End it with a read, such as 'read some SMS messages whose ...', or run it whole.",
            ).locate(text)
        *setup, last = script.statements
        if setup:
            self.run(text, script.replace(statements=tuple(setup)))
        assert isinstance(last, Call)
        loop = self._own_loop()
        try:
            items = loop.run_until_complete(self.runner().call(last, lazy=True))
        except BookError as error:
            raise error.locate(text) from None
        yield from items

    def step(self, text: str) -> dict[str, Any]:
        """Run one English step for an agent: ``{"result": ..., "said": [...]}``, or
        ``{"error": {"kind", "message", "line", "column", "hint", "suggestions", ...}}``;
        no error escapes, so the agent can read it and correct itself. An error that
        is not the book's own is a fault in the book or in a procedure; it comes back
        as kind "internal", and is logged with its traceback. What it returns is
        described by the JSON schema ``STEP_SCHEMA`` (``procedures/step.schema.json``),
        and ``json.dumps`` always takes it."""
        try:
            return self.run(text).to_dict()
        except Exception as error:  # noqa: BLE001 - an agent reads errors: it must never crash on one (_failed logs it)
            return self._failed(error)

    async def astep(self, text: str) -> dict[str, Any]:
        """``step`` for callers that already have an event loop."""
        try:
            return (await self.arun(text)).to_dict()
        except Exception as error:  # noqa: BLE001 - an agent reads errors: it must never crash on one (_failed logs it)
            return self._failed(error)

    def _failed(self, error: Exception) -> dict[str, Any]:
        if isinstance(error, BookError):
            return {"error": self.error_data(error)}
        logger.exception("the step failed unexpectedly", exc_info=error)
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


def _quiet(line: str) -> None:
    """What a session does with a line said when no one listens: nothing (it is in the result)."""


def _knows(waiter: Waiter, state: str) -> bool:
    try:
        waiter.state(state)
    except BookError:
        return False
    return True


def _catch_interrupts(handler: Callable[[int, Any], None]) -> Any:
    """Handle SIGINT with ``handler`` while a run runs, where that is Python's to
    do (the main thread, SIGINT left to Python's default); the handler it had, to
    put back, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    return signal.signal(signal.SIGINT, handler)


def _outcome(report: dict[str, Any]) -> str:
    """``114 done, 6 unknown, 180 not started``: a journal's report in a few words."""
    waiting = sum(_size(loop["items"]) for loop in report["not started"])
    parts = [f"{report['done']:,} done"] if report["done"] or not report["acts"] else []
    parts += [f"{report[state]:,} {state}" for state in ("refused", "unknown") if report[state]]
    if waiting:
        parts.append(f"{waiting:,} not started")
    return ", ".join(parts) if report["acts"] or waiting else "nothing had been done"


def _size(ranges: str) -> int:
    """How many numbers ``1-3, 7`` holds."""
    total = 0
    for part in filter(None, ranges.split(", ")):
        first, _, last = part.partition("-")
        total += int(last or first) - int(first) + 1
    return total


def _doubt(report: dict[str, Any]) -> str:
    """What to do after an interrupted or failed run, so that nothing is done twice."""
    if report["unknown"]:
        return (
            "What was done is listed under 'outcomes'. Those in doubt ('unknown') may have gone through: "
            "look for each before doing it again (its 'find' is the English that does)."
        )
    return "What was done is listed under 'outcomes'; what was refused or never started did not happen."
