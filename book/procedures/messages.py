"""The Twilio book's SMS message procedures: send, read, redact, cancel and delete.

They are registered in this module's ``registry``, which the book's registry
(``book.procedures.registry``) merges; each finds the connection (Twilio or the
sandbox) and the run's settings through its context.
Sends are asynchronous, so a loop of them runs concurrently, bounded; each
outcome is the loop's to report (a failed or outcome-unknown send is never sent
again behind the user's back). Redact, cancel and delete work on one message
(``redact the SMS message``, the current item of a loop) or on a filter, which
first lists what it would touch and needs ``--yes`` to touch more than one.
Those six are one shape: a table of verbs (``CHANGES``), each registered twice,
for one message and for a filter. A read on a filter is prepared as a plan
(``plan_read``), which ``book explain`` shows without running anything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from book import planner
from book.api import MAX_MEDIA, CreateMessage
from book.errors import ApiError, InvalidRequestError
from book.phone import PhoneNumber
from book.plan import Plan
from book.procedures.connected import connection as _connection
from book.procedures.connected import progress, reader, settings
from book.procedures.waiting import wait_for_message
from book.resources.messages import STATUSES, SmsMessage, WireMessage, message_from_wire
from book.resources.numbers import NUMBERS
from book.sandbox.segments import count
from grammar import BookError
from grammar.node import Record
from procedures import Context, Filter, LoopError, Most, Registry, RunError
from procedures.effects import ConfirmationError, Effect, failure_hint

if TYPE_CHECKING:  # the client, with httpx, loads when a request is made
    from book.client import AsyncClient

__all__ = [
    "CHANGES",
    "ConfirmationError",
    "cancel_message",
    "cancel_messages",
    "count_messages",
    "delete_message",
    "delete_messages",
    "plan_read",
    "read_messages",
    "redact_message",
    "redact_messages",
    "registry",
    "send_message",
]

registry = Registry()
registry.event("when an *SMS* message is received", SmsMessage)  # run by book listen (issue 14)
registry.event("when an *SMS* message's status changes", SmsMessage)
# "read the conversation with "+1..."": the messages either way with a number, oldest first
registry.conversation("conversation", "*SMS* messages", ["sender number", "recipient number"])
registry.waits("an *SMS* message", SmsMessage, wait_for_message, states=STATUSES)  # "wait until" (waiting.py)


SOONEST, LATEST = dt.timedelta(minutes=15), dt.timedelta(days=35)  # Twilio's window for a send time


def _duration(span: dt.timedelta) -> str:
    """A time ahead in words: "5 minutes", "3 hours", "40 days"."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@registry.procedure("to send an *SMS* message", effect=Effect.CREATES)
async def send_message(
    recipient_number: PhoneNumber,
    context: Context,
    sender_number: PhoneNumber | None = None,
    message_body: str | None = None,
    media_urls: Annotated[list[str], Most(MAX_MEDIA)] | None = None,
    messaging_service_sid: str | None = None,
    status_callback: str | None = None,
    send_time: dt.datetime | None = None,
) -> str:
    """Sends an SMS (or MMS) message, and answers its sid.

    Input Concepts:
        the recipient number: Who receives it, in E.164 (+14155550100).
        the sender number: One of the account's numbers, short codes or sender ids
            (or give a messaging service sid instead).
        the message body: The text, up to 1600 characters.
        the media urls: Up to ten links to media, which makes it an MMS.
        the messaging service sid: A Messaging Service (MG...) to send it through.
        the status callback: A URL Twilio calls as the message's status changes
            (under book listen, the listener's /status unless given).
        the send time: When to send it: 15 minutes to 35 days ahead, through a
            Messaging Service (the connection's own when none is given).

    Output Concepts:
        the answer: The sid of the new message (SM... or MM...).

    Examples:
        send an SMS message where
          the sender number is "+15005550006"
          the recipient number is "+14155550100"
          the message body is "Your order has shipped."
        read an SMS message whose sid is the above
        expect the SMS message's status is "queued"

        send an SMS message with the recipient number is "+14155550100" and the message body is "Hi" and the sender number is "+15005550006"
        read an SMS message whose sid is the above
        expect the SMS message's body is "Hi"
    """
    connection = _connection(context)
    service = messaging_service_sid
    schedule = None
    if send_time is not None:
        ahead = send_time - context.now
        if not SOONEST <= ahead <= LATEST:
            when = "in the past" if ahead < dt.timedelta(0) else f"{_duration(ahead)} ahead"
            raise InvalidRequestError(
                f"a send time must be 15 minutes to 35 days ahead, and {send_time.isoformat()} is {when}",
                hint="Send it now (leave out the send time), or pick a time in that window.",
            )
        service = service or connection.messaging_service
        if service is None:
            raise InvalidRequestError(
                "a scheduled send needs a Messaging Service",
                hint="Add 'the messaging service sid is \"MG...\"', or set TWILIO_MESSAGING_SERVICE_SID.",
            )
        schedule = "fixed"
    message = CreateMessage(
        to=recipient_number,
        from_=sender_number,
        messaging_service_sid=service,
        body=message_body,
        media_urls=tuple(media_urls or ()),
        status_callback=status_callback or connection.status_callback,
        schedule_type=schedule,
        send_at=send_time,
    )
    message.check()
    context.record(target=recipient_number, find=_finding(message, context))
    if context.dry_run:
        counted = count(message_body or "")
        form = urlencode(message.form())
        body = f" {json.dumps(message_body, ensure_ascii=False)}" if message_body else ""
        context.say(  # the body as composed ("Hi {the customer's name}" written out), and the request
            f"dry run: would send {counted.segments} segment{'s' if counted.segments > 1 else ''} "
            f"({counted.encoding}) to {recipient_number}:{body} POST {form}"
        )
        return "(dry run: not sent)"
    client = connection.async_client(settings(context).concurrency)
    try:
        created = await client.create_message(message)
    except ApiError as error:
        if error.code == 21606:  # the sender is not the account's: say which numbers are
            error.hint = await _senders(client, error.hint)
        raise
    progress(context).tick("sent")
    context.record(status=created.status)
    return created.sid or ""


async def _senders(client: AsyncClient, hint: str | None) -> str | None:
    """The hint of a 21606, with the account's SMS-capable numbers (read from Twilio;
    the hint as it was if they cannot be read)."""
    try:
        numbers = [
            number.phone_number
            async for page in client.list_pages(resource=NUMBERS)
            for number in map(NUMBERS.from_wire, NUMBERS.items(page))
            if number.phone_number and "sms" in [capability.lower() for capability in number.capabilities]
        ]
    except BookError:
        return hint
    if not numbers:
        return f"{hint} This account has no SMS-capable number yet."
    more = " ..." if len(numbers) > 20 else ""
    return f"{hint} This account's SMS-capable numbers: {', '.join(numbers[:20])}{more}"


def _finding(message: CreateMessage, context: Context) -> str:
    """The English that finds a message this send may have created (if its outcome is unknown)."""
    day = context.now.astimezone(context.timezone).date().isoformat()
    parts = [f'whose recipient number is "{message.to}"']
    if message.from_:
        parts.append(f'whose sender number is "{message.from_}"')
    parts.append(f"whose date created is on or after {day}")
    return "read some SMS messages " + " and ".join(parts)


def plan_read(filter: Filter[SmsMessage] | None, limit: int | None, context: Context) -> Plan:
    """The plan of a read of the SMS messages a filter matches, the first ``limit`` of
    them (the newest, or the oldest, given in the order the call asks for): what
    Twilio is asked, what is checked here (``book explain`` prints it)."""
    return planner.plan(
        filter, limit=limit, timezone=context.timezone, oldest=context.oldest, ascending=context.ascending
    )


@registry.procedure("to read some (*SMS* messages)", prepare=plan_read)
def read_messages(plan: Plan, context: Context) -> Iterator[SmsMessage]:
    """Reads the SMS messages that match a filter, newest first: Twilio filters
    what it can (sender, recipient, day sent), the rest is checked here, exactly.

    Output Concepts:
        the SMS messages: The messages that match, newest first.

    Examples:
        read some SMS messages whose sender number is "+15005550006" and whose recipient number is "+14155550100"
        expect the number of SMS messages is 21

        read some SMS messages whose date sent is after 7 days ago and whose body contains "refund"
        expect the number of SMS messages is 1

        read the first 5 SMS messages whose status is "delivered" or whose status is "sent"
        expect the number of SMS messages is 5
    """
    return reader(context).read(plan)  # as read: a run lists it, a stream gives it a page at a time


@registry.procedure("to count some (*SMS* messages)", prepare=plan_read)
def count_messages(plan: Plan, context: Context) -> int:
    """Counts the SMS messages that match a filter, exactly, with no more requests
    than reading them takes: when Twilio's answer is exact, its pages are counted
    and no message is kept.

    Output Concepts:
        the answer: How many messages match.

    Examples:
        count the SMS messages whose sender number is "+15005550006" and whose date sent is 2024-03-01
        expect the above is 1

        count some SMS messages whose status is "failed"
        expect the above is 57
    """
    return reader(context).count(plan)


async def _change(
    context: Context,
    message: SmsMessage,
    verb: str,
    change: Callable[[AsyncClient, str], Awaitable[WireMessage | None]],
) -> SmsMessage:
    """Apply ``change`` to one message (or, in a dry run, say it would); what it gave back."""
    if context.dry_run:
        context.say(f"dry run: would {verb} {message.sid}")
        return message
    client = _connection(context).async_client(settings(context).concurrency)
    changed = await change(client, message.sid or "")
    progress(context).tick(verb)
    return message_from_wire(changed) if changed is not None else message


async def _each(
    context: Context,
    messages: list[SmsMessage],
    verb: str,
    change: Callable[[AsyncClient, str], Awaitable[WireMessage | None]],
) -> list[SmsMessage]:
    """Apply ``change`` to each message, concurrently and bounded, recording each in
    the run's journal; what it gave back. Every message is attempted; when some
    fail, a ``LoopError`` says which, and holds what the others came to, so that
    nothing done goes unreported."""
    limit = asyncio.Semaphore(settings(context).concurrency)

    async def one(message: SmsMessage) -> SmsMessage:
        async with limit:
            with context.act(message.sid or "") as act:
                done = await _change(context, message, verb, change)
                act.result = done.sid
                act.status = None if context.dry_run else done.status
                return done

    outcomes = await asyncio.gather(*(one(message) for message in messages), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # a cancellation or an interrupt, not a failure of one message
    failures = [
        (position, outcome) for position, outcome in enumerate(outcomes, 1) if isinstance(outcome, Exception)
    ]
    if not failures:
        return [outcome for outcome in outcomes if isinstance(outcome, SmsMessage)]
    if len(messages) == 1:
        raise failures[0][1]
    position, first = failures[0]
    raise LoopError(
        f"{len(failures)} of {len(messages)} SMS messages could not be {CHANGES[verb].past}, "
        f"{len(messages) - len(failures)} were; the first failure, {messages[position - 1].sid}: "
        + getattr(first, "message", str(first)),
        failures,
        [outcome if isinstance(outcome, SmsMessage) else None for outcome in outcomes],
        hint=failure_hint([error for _, error in failures]),
    )


async def _matching(context: Context, plan: Plan, verb: str) -> list[SmsMessage]:
    """The messages a change on a filter would touch, counted against what the run
    may change unasked (more than one needs --yes) before any is touched."""
    found = list(read_messages(plan, context))
    if context.single and len(found) != 1:  # "an SMS message whose ...": exactly one, or nothing is touched
        matches = "none match" if not found else "more than one matches"
        raise RunError(
            f"'{verb} an SMS message' needs exactly one SMS message, but {matches}; nothing was changed",
            hint="Narrow the filter, or write 'some SMS messages' to change them all.",
        )
    context.allow([message.sid or "" for message in found])
    return found


class Change(Record):
    """A change the book makes to messages that exist: its verb, as the English
    writes it and in the past tense, the client's request, and the docstrings of
    its two procedures (on one message, on a filter), which the vocabulary shows."""

    verb: str
    past: str
    request: Callable[[AsyncClient, str], Awaitable[WireMessage | None]]
    one: str
    some: str


CHANGES = {
    change.verb: change
    for change in (
        Change(
            "redact",
            "redacted",
            lambda client, sid: client.redact_message(sid),
            one="""Erases the body of one message (the current one in a loop).

    Output Concepts:
        the answer: The message, with an empty body.

    Examples:
        read the first 1 SMS messages whose sender number is "+15005550006"
        process each SMS message as follows
          redact the SMS message
          expect the above's body is empty
    """,
            some="""Erases the bodies of the messages that match a filter; lists them first,
    and touches more than one only with --yes.

    Output Concepts:
        the SMS messages: The messages, with empty bodies.

    Examples:
        redact some SMS messages whose sid is "SM3d3c6b12c57829a88c26b67fac7ec6a3"
        process each SMS message as follows
          expect the SMS message's body is empty
    """,
        ),
        Change(
            "cancel",
            "canceled",
            lambda client, sid: client.cancel_message(sid),
            one="""Cancels one scheduled message, so that it is not sent.

    Output Concepts:
        the answer: The message, canceled.

    Examples:
        send an SMS message where
          the sender number is "+15005550006"
          the recipient number is "+14155550100"
          the message body is "Your appointment is tomorrow at 10:00."
          the send time is in 1 hour
        read some SMS messages whose status is "scheduled" and whose sender number is "+15005550006"
        process each SMS message as follows
          cancel the SMS message
          expect the above's status is "canceled"
    """,
            some="""Cancels the scheduled messages that match a filter; lists them first, and
    touches more than one only with --yes.

    Output Concepts:
        the SMS messages: The messages, canceled.

    Examples:
        send an SMS message where
          the sender number is "+15005550006"
          the recipient number is "+14155550101"
          the message body is "Reminder: your subscription renews next week."
          the send time is in 2 hours
        use the above as the scheduled sid
        cancel some SMS messages whose sid is the scheduled sid and whose status is "scheduled"
        read an SMS message whose sid is the scheduled sid
        expect the SMS message's status is "canceled"
    """,
        ),
        Change(
            "delete",
            "deleted",
            lambda client, sid: client.delete_message(sid),
            one="""Deletes one message from the account (the current one in a loop).

    Output Concepts:
        the answer: The message as it was before it was deleted.

    Examples:
        read the first 1 SMS messages whose recipient number is "+15005550006"
        process each SMS message as follows
          delete the SMS message
          count the SMS messages whose sid is the SMS message's sid
          expect the above is 0
    """,
            some="""Deletes the messages that match a filter; lists them first, and touches more
    than one only with --yes.

    Output Concepts:
        the SMS messages: The messages as they were before they were deleted.

    Examples:
        delete some SMS messages whose sid is "SMe6ac933f494d4226a7c98f61c6c6f4d0"
        count the SMS messages whose sid is "SMe6ac933f494d4226a7c98f61c6c6f4d0"
        expect the above is 0
    """,
        ),
    )
}
"""The changes, by verb: each is registered as ``to VERB an *SMS* message`` (the
message a call refers to) and ``to VERB some (*SMS* messages)`` (those a filter matches)."""


def _named(function: Any, name: str, doc: str) -> None:
    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = doc


def _register(
    change: Change,
) -> tuple[
    Callable[[SmsMessage, Context], Awaitable[SmsMessage]],
    Callable[[Plan, Context], Awaitable[list[SmsMessage]]],
]:
    """Register a change's two procedures; both, as functions."""

    async def change_message(sms_message: SmsMessage, context: Context) -> SmsMessage:
        return await _change(context, sms_message, change.verb, change.request)

    async def change_messages(plan: Plan, context: Context) -> list[SmsMessage]:
        found = await _matching(context, plan, change.verb)
        return await _each(context, found, change.verb, change.request)

    _named(change_message, f"{change.verb}_message", change.one)
    _named(change_messages, f"{change.verb}_messages", change.some)
    registry.procedure(f"to {change.verb} an *SMS* message", effect=Effect.CHANGES)(change_message)
    registry.procedure(f"to {change.verb} some (*SMS* messages)", effect=Effect.CHANGES, prepare=plan_read)(
        change_messages
    )
    return change_message, change_messages


redact_message, redact_messages = _register(CHANGES["redact"])
cancel_message, cancel_messages = _register(CHANGES["cancel"])
delete_message, delete_messages = _register(CHANGES["delete"])
