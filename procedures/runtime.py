"""The runtime: runs the statements of a script against a registry of procedures.

What a script can refer to lives in a ``Scope``: named values (``the start
date is ...``), ``the above`` (the last statement's result), ``the answer`` (the
last result of a procedure with no output concept), the results of procedures
with an output concept (``the SMS messages`` after a read), and inside
``process each X`` the current X. A loop's block runs once per item, in a scope
of its own; when every procedure it calls is asynchronous, the items run
concurrently (up to a bound) and what they say is still printed in order.
Every item is attempted; if some fail, the loop then fails with an error that
lists each failed item. What the items did (their results and answers) is
gathered into the loop's scope either way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from grammar import (
    And,
    Assignment,
    BookError,
    Call,
    Comparison,
    Count,
    Date,
    DateTime,
    Determiner,
    Each,
    Expect,
    Filter,
    Given,
    Handler,
    If,
    Node,
    NounPhrase,
    Number,
    Order,
    Period,
    Reference,
    Relative,
    Reply,
    Say,
    Statement,
    Text,
    Use,
    Value,
    Wait,
    find_all,
    transform,
)
from grammar.node import Record
from procedures.binding import Binder
from procedures.concepts import Concept, field_of, refers_to
from procedures.context import Context
from procedures.effects import Act, Effect, Journal, Safeguards, counted, failure_hint
from procedures.errors import (
    AmbiguousReferenceError,
    ExpectationError,
    MissingArgumentError,
    RunError,
    UnknownCallError,
    UnknownReferenceError,
    ValueTypeError,
)
from procedures.events import Event
from procedures.jsonable import jsonable
from procedures.kinds import Kind, Type
from procedures.names import same_noun, singular_words, split_owner, words_of
from procedures.registry import ORDERING, Procedure, Registry
from procedures.scope import Scope, describe

__all__ = ["DEFAULT_WAIT", "LoopError", "Prepared", "Runner", "WaitError", "duration"]

N = TypeVar("N", bound=Node)

DEFAULT_WAIT = dt.timedelta(minutes=10)
"""How long ``wait until ...`` waits when it does not say ``within ...``."""
GRACE = dt.timedelta(minutes=1)
"""How much longer than its time a wait may take, by the machine's clock, before the
runtime ends it whatever the book's waiter does: nothing waits forever."""


class WaitError(RunError):
    """``wait until`` ended without the state it waited for: the time ran out
    (``timed_out``), or the thing reached a state from which that one cannot come
    (a message ``undelivered`` never becomes ``delivered``). ``state`` is the state
    waited for, ``reached`` the one the thing was last seen in (None: unknown)."""

    kind = "wait"

    def __init__(
        self, message: str, *, state: str, reached: str | None, timed_out: bool, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.state = state
        self.reached = reached
        self.timed_out = timed_out

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(state=self.state, reached=self.reached, timed_out=self.timed_out)
        return data


class LoopError(RunError):
    """Some items of a ``process each`` loop failed. ``failures`` pairs each failed
    item's position (from 1) with its error; ``results`` holds every item's result
    (None for the failed ones), so that what did happen (messages sent) is known."""

    def __init__(
        self, message: str, failures: list[tuple[int, Exception]], results: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.failures = failures
        self.results = results

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["failures"] = [
            {"item": position, **(error.to_dict() if hasattr(error, "to_dict") else {"message": str(error)})}
            for position, error in self.failures
        ]
        data["results"] = jsonable(self.results)
        return data


class Prepared(Record):
    """A call made ready to run (``Runner.prepare``): the procedure, what it will be
    passed, the limit, whether the call asks for exactly one thing (``a``/``an``),
    and what the procedure's prepare hook made (the Twilio book's plan of a read),
    or None when it has no hook."""

    entry: Procedure
    arguments: dict[str, Any]
    limit: int | None
    single: bool
    plan: Any = None


def answers(statement: Statement) -> bool:
    """Whether a statement's value can be a script's answer: not an ``expect`` (a
    check), a ``given`` (a test's set-up) or a ``when`` block (kept for its event)."""
    return not isinstance(statement, (Expect, Given, Handler))


class Runner:
    """Runs statements for a session: one ``now``, one list of things said."""

    def __init__(
        self,
        registry: Registry,
        scope: Scope,
        *,
        now: dt.datetime,
        timezone: dt.tzinfo,
        resources: dict[type, Any],
        concurrency: int,
        say: Callable[[str], None],
        journal: Journal | None = None,
        item: int | None = None,
        handlers: list[tuple[Event, Handler]] | None = None,
        reply: Callable[[str], Awaitable[Any]] | None = None,
    ) -> None:
        self.registry = registry
        self._counts: dict[int, Count] = {}  # the counts a statement's values were, by the value's id
        self.handlers = handlers if handlers is not None else []
        """The script's ``when ...`` blocks, with the events they name."""
        self.reply = reply
        """How ``reply with`` answers the message a handler was given (None: no handler runs)."""
        self.scope = scope
        self.now = now
        self.timezone = timezone
        self.resources = resources
        self.concurrency = concurrency
        self.say = say
        self.journal = journal if journal is not None else Journal(Safeguards())
        self.item = item
        self.binder = Binder(now=now, timezone=timezone, resolve=self.resolve)

    def _with(self, scope: Scope, say: Callable[[str], None], item: int | None = None) -> Runner:
        return Runner(
            self.registry,
            scope,
            now=self.now,
            timezone=self.timezone,
            resources=self.resources,
            concurrency=self.concurrency,
            say=say,
            journal=self.journal,
            item=item,
            handlers=self.handlers,
            reply=self.reply,
        )

    # --------------------------------------------------------- references

    def resolve(self, reference: Reference) -> tuple[Any, Type | None]:
        """The value of ``the X`` or ``the X's Y's Z`` and, when known, its type."""
        value, declared = self.scope.lookup(reference.noun, span=reference.span)
        owner = reference.noun
        for noun in reference.path[1:]:
            if isinstance(value, Concept):
                field = field_of(type(value), noun)
                value, declared = getattr(value, field.name), field.type
            elif isinstance(value, dict) and " ".join(words_of(noun)) in value:
                value, declared = value[" ".join(words_of(noun))], None
            else:
                raise ValueTypeError(
                    f"'the {owner}' is {describe(value) if isinstance(value, str) else 'not a thing with fields'}"
                    f", so it has no '{noun}'",
                    span=noun.span,
                )
            owner = noun
        return value, declared

    # --------------------------------------------------------- statements

    async def run(self, statements: Iterable[Statement]) -> Any:
        """Run statements in order; the value of the last one that has a value: an
        ``expect`` checks, a ``given`` sets up a test and a ``when`` block is kept,
        and none of them is a script's answer (a script that reads, then expects,
        gives what it read)."""
        value: Any = None
        for statement in statements:
            result = await self.statement(statement)
            if answers(statement):
                value = result
        return value

    async def statement(self, statement: Statement) -> Any:
        statement = await self._counted(statement)
        if isinstance(statement, (Assignment, Use)):
            node: Value = statement.value
            value, declared = (
                self.binder.typed(node) if isinstance(node, Reference) else (self.binder.value(node), None)
            )
            self.scope.name(statement.name, value, declared)
            self.scope.above = value
            return value
        if isinstance(statement, Say):
            text = describe(self.binder.value(statement.value))
            self.say(text)
            self.scope.above = text
            return text
        if isinstance(statement, Call):
            value = await self.call(statement)
            self.scope.above = value
            return value
        if isinstance(statement, If):
            block = statement.then if self.binder.check(statement.condition) else statement.otherwise
            return await self.run(block)
        if isinstance(statement, Each):
            value = await self.each(statement)
            self.scope.above = value
            return value
        if isinstance(statement, Expect):
            if not self.binder.check(statement.condition):
                raise self._unmet(statement.condition)
            return True
        if isinstance(statement, Given):  # a test's set-up: book test applies it before the script runs
            return None
        if isinstance(statement, Handler):  # kept, to run when its event happens
            self.handlers.append((self.registry.resolve_event(statement.event), statement))
            return None
        if isinstance(statement, Reply):
            if self.reply is None:
                raise RunError(
                    "'reply with' answers the message a 'when ... is received' block was given, and none is here",
                    span=statement.span,
                    hint="Write it inside the block; to write to someone, send an SMS message.",
                )
            text = describe(self.binder.value(statement.value))
            await self.reply(text)
            self.scope.above = text
            return text
        if isinstance(statement, Wait):
            value = await self.wait(statement)
            self.scope.above = value
            return value
        raise TypeError(f"{type(statement).__name__} is not a statement")

    async def wait(self, statement: Wait) -> Any:
        """``wait until the X is STATE [within N UNIT]``: the book's waiter for the
        X's concept waits (at most N UNIT, else ``DEFAULT_WAIT``) until the X is in
        that state, and gives it as it is then, which ``the X`` names from here on
        (when the X is a name, a result or the current item, not a part of one).
        A dry run only says what it would wait for."""
        subject = statement.subject
        thing, _ = self.binder.typed(subject)
        waiter = self.registry.waiter(thing, str(subject), span=subject.span)
        state = waiter.state(statement.state, span=statement.span)
        timeout = (
            dt.timedelta(seconds=statement.amount * statement.unit.seconds)
            if statement.amount is not None and statement.unit is not None
            else DEFAULT_WAIT
        )
        if self.journal.dry_run:
            self.say(
                f"dry run: would wait until {subject} ({identify(thing)}) is {state}, "
                f"for at most {duration(timeout)}"
            )
            return thing
        context = Context(
            now=self.now,
            timezone=self.timezone,
            resources=self.resources,
            say=self.say,
            binder=self.binder,
            journal=self.journal,
            item=self.item,
        )
        bound = (timeout + GRACE).total_seconds()
        try:
            renewed = await asyncio.wait_for(waiter.function(thing, state, timeout, context), bound)
        except TimeoutError:
            raise WaitError(
                f"'{statement}' did not end within {duration(timeout + GRACE)}",
                state=state,
                reached=None,
                timed_out=True,
                span=statement.span,
                hint="The book's waiter did not keep to the time: this is a fault in the book.",
            ) from None
        except BookError as error:
            if error.span is None:
                error.span = statement.span
            raise
        except Exception as exc:
            raise RunError(f"'{statement}' failed: {type(exc).__name__}: {exc}", span=statement.span) from exc
        if len(subject.path) == 1:
            self._renew(subject.noun, thing, renewed)
        return renewed

    def _renew(self, noun: NounPhrase, old: Any, new: Any) -> None:
        """After a wait, ``the X`` (``noun``) names the thing as the wait found it:
        the current item of a loop or a handler is replaced; a name or a result is
        given again, from this block on."""
        for scope in self.scope.chain():
            if scope.item is not None and scope.item[1] is old and same_noun(scope.item[0], noun):
                scope.item = (scope.item[0], new)
                return
            for entry in reversed(scope.entries):
                named = same_noun(entry.noun, noun) or (
                    entry.plural is not None and entry.concept is not None and refers_to(noun, entry.concept)
                )
                held = entry.value if isinstance(entry.value, list) else [entry.value]
                if not named or not any(value is old for value in held):
                    continue
                value = (
                    [new if item is old else item for item in entry.value]
                    if isinstance(entry.value, list)
                    else new
                )
                if entry.plural is None:
                    self.scope.name(entry.noun, value, entry.declared)
                else:
                    self.scope.result(entry.noun, value, entry.concept, entry.plural)
                return

    def _unmet(self, condition: Filter) -> ExpectationError:
        """The error of an expectation that did not hold, at the part that did not:
        the first part of an ``and`` that is false, else the whole condition; with
        the values on each side of that part, as they are."""
        part = condition
        while isinstance(part, And):
            part = next(inner for inner in part.parts if not self.binder.check(inner))
        actual: dict[str, str] = {}
        counts = self._counts
        for comparison in find_all(part, Comparison):  # each side that is not written as a literal
            if isinstance(comparison.subject, NounPhrase):
                continue
            for side in (comparison.subject, *comparison.values):
                if (
                    isinstance(side, (Text, Number, Date, DateTime, Period, Relative))
                    and id(side) not in counts
                ):
                    continue
                actual[str(counts.get(id(side), side))] = describe(self.binder.value(side))
        part = transform(part, lambda node: counts.get(id(node), node))  # every count as it was written
        shown = "; ".join(f"{name} is {value}" for name, value in actual.items())
        return ExpectationError(
            f"expected {part}" + (f", but {shown}" if shown else ", and it does not hold"),
            span=part.span,
            actual=actual,
        )

    async def _counted(self, statement: Statement) -> Statement:
        """The statement with each count it says (``the number of SMS messages
        whose ...``) replaced by its number, counted now; the blocks under it
        count theirs when they run."""
        counts: list[
            Count
        ] = []  # where the grammar lets a count stand: a value said or named, a condition's left
        if isinstance(statement, (Assignment, Use, Say, Reply)) and isinstance(statement.value, Count):
            counts = [statement.value]
        elif isinstance(statement, (If, Expect)):
            counts = [
                c.subject for c in find_all(statement.condition, Comparison) if isinstance(c.subject, Count)
            ]
        if not counts:
            return statement
        found = {id(count): await self.count(count) for count in counts}
        self._counts = {id(found[id(count)]): count for count in counts}  # what each count was, for messages
        return transform(statement, lambda node: found.get(id(node), node))

    async def count(self, node: Count) -> Value:
        """What ``the number of X`` is: a value named so, else how many things
        ``the X`` names (a list), else what the book's procedure that counts X
        answers (``count some X whose ...``), which is also what a filter asks.
        ``the number of the X`` is ``the number of X``."""
        words = node.noun.words
        if len(words) > 1 and words[0].lower() == "the":
            node = node.replace(noun=NounPhrase(words[1:], span=node.noun.span))
        if node.filter is None:
            named = NounPhrase(("number", "of", *node.noun.words), span=node.span)
            try:
                self.scope.lookup(named)
                return Reference((named,), span=node.span)
            except (UnknownReferenceError, AmbiguousReferenceError):
                pass
            try:
                items, _ = self.scope.lookup(node.noun, many=True)
            except (UnknownReferenceError, AmbiguousReferenceError):
                items = None
            if isinstance(items, list):
                return Number(Decimal(len(items)), span=node.span)
        call = Call("count", Determiner.SOME, node.noun, filter=node.filter, span=node.span)
        try:
            entry = self.registry.resolve(call)
        except UnknownCallError:
            raise UnknownReferenceError(
                f"'the number of {node.noun}' counts nothing: no list is named '{node.noun}' and no "
                f"procedure counts {node.noun}",
                span=node.span,
                hint=f"Read the {node.noun} first, or name the number: the number of {node.noun} is ...",
            ) from None
        prepared = self.prepare(entry, call)
        answer = await self._invoke(entry, prepared.arguments, call, limit=prepared.limit)
        if isinstance(answer, bool) or not isinstance(answer, (int, Decimal)):
            raise RunError(
                f"'{entry.said}' answered {describe(answer)!r}, not a number, so '{node}' has no value",
                span=node.span,
            )
        return Number(Decimal(answer), span=node.span)

    async def each(self, statement: Each) -> list[Any]:
        items, _ = self.scope.lookup(statement.noun, many=True)
        if not isinstance(items, list):
            items = [items]
        concurrent = self._concurrent(statement.body)
        limit = asyncio.Semaphore(self.concurrency if concurrent else 1)
        said: list[list[str]] = [[] for _ in items]
        scopes = [Scope(self.scope, (statement.noun, item)) for item in items]
        begun = (
            self.journal.loop(written(statement.noun), len(items))
            if self.effects_within(statement.body)
            else set()
        )

        async def one(position: int, item: Any) -> Any:
            async with limit:
                begun.add(position + 1)
                runner = self._with(scopes[position], said[position].append, position + 1)
                return await runner.run(statement.body)

        if concurrent:
            outcomes = await asyncio.gather(
                *(one(position, item) for position, item in enumerate(items)), return_exceptions=True
            )
        else:
            outcomes = []
            for position, item in enumerate(items):
                try:
                    outcomes.append(await one(position, item))
                except Exception as error:  # noqa: BLE001 - every item is attempted; failures are reported below
                    outcomes.append(error)
        for lines in said:
            for line in lines:
                self.say(line)
        self.scope.gather(scopes)
        failures = [
            (position + 1, outcome)
            for position, outcome in enumerate(outcomes)
            if isinstance(outcome, Exception)
        ]
        if failures:
            if len(items) == 1:
                raise failures[0][1]
            first = failures[0][1]
            results = [None if isinstance(outcome, Exception) else outcome for outcome in outcomes]
            raise LoopError(
                f"{len(failures)} of {counted(len(items), written(statement.noun))} failed, "
                f"{len(items) - len(failures)} went "
                f"through; the first failure, item {failures[0][0]}: "
                + getattr(first, "message", str(first)),
                failures,
                results,
                span=getattr(first, "span", None) or statement.span,
                hint=failure_hint([error for _, error in failures]),
            )
        return list(outcomes)

    def effects_within(self, body: Iterable[Statement]) -> bool:
        """Whether a block calls a procedure that creates or changes things."""
        return any(effect is not Effect.READS for effect in self.effects(body))

    def effects(self, body: Iterable[Statement]) -> Iterable[Effect]:
        """The effect of each call in a block, at any depth (calls that name no
        procedure are left to fail when they run)."""
        for call in _calls(body):
            try:
                yield self.registry.resolve(self.registry.expand(call)).effect
            except BookError:
                continue

    def _concurrent(self, body: Iterable[Statement]) -> bool:
        """Whether a block may run for several items at once: it calls procedures,
        and every one of them is asynchronous."""
        calls = [self.registry.expand(call) for call in _calls(body)]
        return bool(calls) and all(self.registry.resolve(call).asynchronous for call in calls)

    # ------------------------------------------------------------- calls

    def prepare(self, entry: Procedure, call: Call) -> Prepared:
        """Make ``call`` ready to run ``entry``, as running it and explaining it both do
        (nothing is run): its arguments checked (inputs not given come from named
        values), the filter bound, the limit (N of ``the first N``; 2 for ``a``/``an``,
        to find out whether exactly one matches), and what the procedure's prepare
        hook, if it has one, makes of the filter, the limit and the context."""
        arguments = self._arguments(entry, call)
        single = entry.many and call.determiner in (Determiner.A, Determiner.AN)
        if call.first is not None and not entry.many:
            raise RunError(f"'{entry.said}' gives one thing; '{_limited(call)}' needs a list", span=call.span)
        if (
            not entry.plural
            and call.determiner in (Determiner.SOME, Determiner.ALL)
            and entry.subject is None
        ):
            raise RunError(
                f"'{entry.said}' gives one thing at a time; write '{call.verb} a ...' or '{call.verb} an ...'",
                span=call.span,
            )
        if call.first is not None and entry.limit is None:
            raise RunError(
                f"'{entry.said}' cannot take '{_limited(call)}'",
                span=call.span,
                hint="Give it a filter that selects just those, or read them first and then act on the result.",
            )
        limit = call.first if call.first is not None else (2 if single else None)
        if entry.prepare is None:
            if entry.limit is not None:  # the oldest N are the last of the whole list, cut here
                arguments[entry.limit] = None if call.oldest else limit
            return Prepared(entry, arguments, limit, single)
        bound = arguments.pop(entry.filter) if entry.filter is not None else None
        with self._failures(entry, call):
            plan = entry.prepare(bound, limit, self._context(entry, call))
        assert entry.prepared is not None  # checked at registration
        arguments[entry.prepared] = plan
        return Prepared(entry, arguments, limit, single, plan)

    async def grouped(self, call: Call, order: Order | None = None) -> list[dict[str, Any]]:
        """``count the X whose ... by FIELD``: the things the filter matches, read as
        ``read some X whose ...`` reads them (exactly, as the plan allows), counted
        per value of the field: ``[{"FIELD": value, "count": n}, ...]``, the largest
        count first (then by value); things without the field are counted under
        None (null)."""
        ordering = {"sorted", "ordered"} & {word.lower() for word in words_of(call.noun)}
        if ordering and call.by is not None:  # "read some SMS messages sorted by date"
            raise RunError(f"'{sorted(ordering)[0]} by {call.by}': {ORDERING}", span=call.span)
        if call.by is None or call.verb != "count":
            raise RunError(
                "'by' groups a count: count the SMS messages by recipient number",
                span=call.by.span if call.by is not None else call.span,
            )
        if order is not None:
            raise RunError(
                f"'{order.value} first' orders a list; a count by {call.by} gives counts, the largest first",
                span=call.span,
            )
        read = call.replace(
            verb="read", determiner=Determiner.SOME, first=None, by=None, oldest=False, order=None
        )
        try:
            entry = self.registry.resolve(read)
        except UnknownCallError:
            raise RunError(
                f"'{call.verb} {call.noun} by ...' needs a procedure that reads {call.noun}, and there is none",
                span=call.span,
            ) from None
        concept = entry.concept
        if concept is None or not entry.many:
            raise RunError(
                f"{call.noun} cannot be counted by a field: they are not things with fields", span=call.span
            )
        field = field_of(concept, call.by)
        counted: dict[Any, int] = {}
        for thing in await self.call(read):
            value = getattr(thing, field.name, None)
            counted[value] = counted.get(value, 0) + 1
        counts = sorted(counted.items(), key=lambda pair: (-pair[1], pair[0] is None, str(pair[0])))
        return [{field.name: value, "count": count} for value, count in counts]

    async def call(self, call: Call, lazy: bool = False) -> Any:
        """Run a call; its result, kept in the scope. ``lazy``: a planned read that
        gives its list as an iterator is given as it is (cut at the limit), unkept
        (``Session.stream``)."""
        order = call.order  # as written: a conversation's own order is no order written
        call = self.registry.expand(call)  # "the conversation with ...": the read it means
        if call.by is not None:
            return await self.grouped(call, order)
        entry = self.registry.resolve(call)
        check_order(entry, call, order)
        prepared = self.prepare(entry, call)
        arguments, limit, single = prepared.arguments, prepared.limit, prepared.single
        named, the = self._subject(entry, call)
        if entry.subject is not None and call.filter is None and the:
            subject, _ = self.scope.lookup(named)
            if isinstance(subject, list) and entry.subject.type.kind is not Kind.LIST:
                if self._accounted(entry, on_subject=True):  # the whole batch, before any of it is done
                    self.journal.allow(
                        entry.effect, *self._named(entry), [identify(item) for item in subject]
                    )
                results = [
                    await self._invoke(
                        entry,
                        {**arguments, entry.subject.parameter: item},
                        call,
                        batch=len(subject),
                        allowed=True,
                    )
                    for item in subject
                ]
                if entry.many:  # each item's list, one after another: "the media of the SMS messages"
                    results = [found for items in results for found in items]
                return self._store(entry, results)
            arguments[entry.subject.parameter] = self.binder.fit(
                Reference((named,), span=call.noun.span), entry.subject.type, f"'{entry.said}'"
            )
        elif entry.subject is not None and entry.subject.required:
            owned = split_owner(call.noun) if entry.owner is not None else None
            written_as = (
                f"{written(owned[0])} of the {written(owned[2])}" if owned is not None else written(call.noun)
            )
            raise RunError(
                f"'{entry.said}' acts on the {entry.subject.english}: write '{call.verb} the {written_as}' "
                "where that names one",
                span=call.span,
            )
        planned = entry.prepare is not None  # a plan keeps the order the call asks for itself
        if lazy and entry.many and planned and not single:
            return await self._invoke(entry, arguments, call, limit=limit, lazy=True)
        result = await self._invoke(
            entry, arguments, call, limit=None if call.oldest and not planned else limit
        )
        if entry.many:
            items = result[:limit] if limit is not None else result
            if not planned:  # the procedure gives its list newest first
                items = result[-limit:] if call.oldest and limit is not None else items
                items = items[::-1] if call.listing is Order.OLDEST else items
            if single:
                if len(items) != 1:
                    found = "none" if not items else "more than one"
                    raise RunError(
                        f"'{call}' needs exactly one {written(call.noun)}, but found {found}",
                        span=call.span,
                        hint="Check the filter's values, or ask for 'some' of them, which may be none."
                        if not items
                        else "Narrow the filter, or ask for 'some' of them, or 'the first 1'.",
                    )
                return self._store(entry, items[0])
            result = items
        return self._store(entry, result)

    @staticmethod
    def _subject(entry: Procedure, call: Call) -> tuple[NounPhrase, bool]:
        """What a call names the thing it acts on by, and whether it says "the"
        (which then refers to one already named): ``redact the SMS message``;
        for a procedure of a part of something, its owner: ``read the media of
        the SMS message``."""
        owned = split_owner(call.noun) if entry.owner is not None else None
        if owned is not None:
            return owned[2], owned[1] == "the"
        return call.noun, call.determiner is Determiner.THE

    def _store(self, entry: Procedure, value: Any) -> Any:
        if entry.output:
            owned = split_owner(entry.noun) if entry.owner is not None else None
            named = owned[0] if owned is not None else entry.noun  # "the media", not "the media of ..."
            self.scope.result(named, value, entry.concept, entry.plural)
        else:
            self.scope.answer = value
        return value

    async def _invoke(
        self,
        entry: Procedure,
        arguments: dict[str, Any],
        call: Call,
        batch: int = 1,
        limit: int | None = None,
        allowed: bool = False,
        lazy: bool = False,
    ) -> Any:
        """Call the procedure; its errors get the call's place, others become a ``RunError``.
        ``batch``: how many things the call applies to, one call each (``redact the SMS messages``).
        A procedure that yields a list gives it whole, or its first ``limit`` items.
        An effect of a procedure that takes no filter is counted (unless ``allowed``:
        counted already) and recorded here; one that takes a filter does both itself."""
        verb, noun = self._named(entry)
        context = self._context(entry, call, batch)
        if entry.context is not None:
            arguments[entry.context] = context
        accounted = self._accounted(
            entry, on_subject=entry.subject is not None and arguments.get(entry.subject.parameter) is not None
        )
        target = (
            identify(arguments[entry.subject.parameter])
            if entry.subject is not None and entry.subject.parameter in arguments
            else ""
        )
        if accounted and not allowed:
            self.journal.allow(entry.effect, verb, noun, [target])
        recording: AbstractContextManager[Act | None] = (
            self.journal.act(entry.effect, verb, noun, target, self.item) if accounted else nullcontext()
        )
        with self._failures(entry, call), recording as act:
            context.current = act
            result = entry.function(**arguments)
            if inspect.isawaitable(result):
                result = await result
            if entry.many and not isinstance(result, list):
                result = islice(result, limit) if limit is not None else result
                result = iter(result) if lazy else list(result)
            if act is not None:
                act.result = identify(result)
        return result

    def _context(self, entry: Procedure, call: Call, batch: int = 1) -> Context:
        """The context a procedure (or its prepare hook) is given for ``call``."""
        return Context(
            now=self.now,
            timezone=self.timezone,
            resources=self.resources,
            say=self.say,
            binder=self.binder,
            single=entry.many and call.determiner in (Determiner.A, Determiner.AN),
            oldest=call.oldest,
            ascending=call.listing is Order.OLDEST,
            batch=batch,
            journal=self.journal,
            effect=entry.effect,
            verb=self._named(entry)[0],
            noun=self._named(entry)[1],
            item=self.item,
        )

    @staticmethod
    @contextmanager
    def _failures(entry: Procedure, call: Call) -> Iterator[None]:
        """Around a procedure (or its prepare hook): its errors get the call's place,
        others become a ``RunError``."""
        try:
            yield
        except BookError as error:
            if error.span is None:
                error.span = (
                    call.value.span if entry.value is not None and call.value is not None else call.span
                )
            raise
        except Exception as exc:
            raise RunError(f"'{entry.said}' failed: {type(exc).__name__}: {exc}", span=call.span) from exc

    @staticmethod
    def _accounted(entry: Procedure, on_subject: bool = False) -> bool:
        """Whether the runtime counts and records the procedure's effects: it has
        some, and it takes no filter, or is called on the thing it acts on (one
        that finds what it acts on with its filter counts what matched itself)."""
        return entry.effect is not Effect.READS and (entry.filter is None or on_subject)

    @staticmethod
    def _named(entry: Procedure) -> tuple[str, str]:
        """The verb and the noun the run's journal says what a procedure did with:
        ("redact", "SMS message"); for a part of something, ("set the SMS URL of",
        "phone number"), so that a count reads "set the SMS URL of 2 phone numbers"."""
        owned = split_owner(entry.noun) if entry.owner is not None else None
        if owned is not None:
            return f"{entry.name.verb} the {written(owned[0])} of", singular(owned[2])
        return entry.name.verb, singular(entry.noun)

    def _arguments(self, entry: Procedure, call: Call) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        given = set()
        for argument in call.arguments:
            wanted = entry.input(argument.name)
            if wanted.parameter in given:
                raise RunError(f"the {wanted.english} is given twice", span=argument.span)
            given.add(wanted.parameter)
            arguments[wanted.parameter] = self.binder.fit(
                argument.value, wanted.type, f"the {wanted.english}", instant=True
            )
        for wanted in entry.inputs:
            if wanted.parameter in given:
                continue
            noun = NounPhrase.of(wanted.english)
            try:
                self.scope.lookup(noun)
            except (UnknownReferenceError, AmbiguousReferenceError, RunError):
                if wanted.required:
                    raise MissingArgumentError(
                        f"'{entry.said}' needs the {wanted.english}",
                        span=call.span,
                        hint=f"Add 'the {wanted.english} is ...' under 'where', or name it before the call.",
                    ) from None
                continue
            arguments[wanted.parameter] = self.binder.fit(
                Reference((noun,), span=call.span), wanted.type, f"the {wanted.english}", instant=True
            )
        if entry.value is not None and call.value is not None:
            arguments[entry.value.parameter] = self.binder.fit(
                call.value, entry.value.type, f"'{entry.said}'"
            )
        if entry.filter is not None:
            concept = entry.concept
            assert concept is not None  # checked at registration
            arguments[entry.filter] = (
                None if call.filter is None else self.binder.filter(call.filter, concept)
            )
        return arguments


def identify(value: Any) -> str:
    """A thing as a journal names it: a concept by its key field (an SMS message's
    sid), text as it is, anything else as ``say`` prints it, cut short."""
    if isinstance(value, Concept) and value.key is not None:
        return str(getattr(value, value.key))
    text = value if isinstance(value, str) else describe(value)
    return text if len(text) <= 80 else text[:77] + "..."


def duration(span: dt.timedelta) -> str:
    """A time in words, in its largest whole unit.

    >>> duration(dt.timedelta(minutes=10)), duration(dt.timedelta(hours=2)), duration(dt.timedelta(seconds=90))
    ('10 minutes', '2 hours', '90 seconds')
    """
    seconds = int(span.total_seconds())
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def singular(noun: NounPhrase) -> str:
    """A noun phrase in the singular, as written: ``SMS message``."""
    words = [word.replace("*", "") for word in noun.words]
    last = singular_words(words[-1])[-1]
    if last != words[-1].lower():
        words[-1] = last
    return " ".join(words)


def written(noun: NounPhrase) -> str:
    """A noun phrase as the script wrote it, without proper-noun asterisks: ``SMS message``."""
    return " ".join(noun.words).replace("*", "")


def comparisons(body: Iterable[Statement]) -> Iterable[Comparison]:
    """Every comparison written in ``body``: in conditions and in calls' filters,
    at any depth (so that what is wrong in one is refused before anything runs)."""
    return _every(body, Comparison)


def loops(body: Iterable[Statement]) -> Iterable[Each]:
    """Every ``process each`` loop in ``body``, at any depth."""
    return _every(body, Each)


def check_order(entry: Procedure, call: Call, written: Order | None) -> None:
    """Refuse an order written on a call whose procedure gives no list (a send, a count)."""
    if written is not None and not entry.many:
        raise RunError(
            f"'{written.value} first' orders a list, and '{entry.said}' gives none", span=call.span
        )


def _limited(call: Call) -> str:
    """How a call wrote its limit: ``the first 3``, ``the oldest 3``."""
    return f"the {'oldest' if call.oldest else 'first'} {call.first}"


def _calls(body: Iterable[Statement]) -> Iterable[Call]:
    return _every(body, Call)


def _every(body: Iterable[Statement], kind: type[N]) -> Iterable[N]:
    """The nodes of type ``kind`` in ``body`` and in the blocks within it, in order:
    statements, filters, conditions and counts are entered, other values not."""
    return (
        found
        for statement in body
        if not (isinstance(statement, (Assignment, Use, Say)) and not isinstance(statement.value, Count))
        for found in find_all(statement, kind, _WHERE_FOUND)
    )  # a value said or named holds none of them, unless it is a count (with a filter)


_WHERE_FOUND = (Statement, Filter, Count)
