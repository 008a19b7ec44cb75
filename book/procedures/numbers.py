"""The Twilio book's phone-number procedures: read the account's numbers, and set where a number's messages go.

A number's SMS URL is the webhook Twilio calls when a message reaches it
(``book listen`` serves one). Setting it changes one number: the filter must
match exactly one, or the number is the current one of a loop.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from book import planner
from book.errors import InvalidRequestError
from book.plan import Plan
from book.procedures.connected import connection, reader, settings
from book.resources.numbers import NUMBERS, IncomingNumber
from procedures import Context, Filter, Registry, RunError
from procedures.effects import Effect

__all__ = ["count_numbers", "plan_numbers", "read_numbers", "registry", "set_sms_url"]

registry = Registry()


def plan_numbers(filter: Filter[IncomingNumber] | None, limit: int | None, context: Context) -> Plan:
    """The plan of a read of the account's phone numbers that a filter matches."""
    return planner.plan(
        filter,
        limit=limit,
        timezone=context.timezone,
        concept=IncomingNumber,
        pushdown=NUMBERS.pushdown,
        oldest=context.oldest,
        ascending=context.ascending,
    )


@registry.procedure("to read some (phone numbers)", prepare=plan_numbers)
def read_numbers(plan: Plan, context: Context) -> list[IncomingNumber]:
    """Reads the account's phone numbers that match a filter: Twilio filters by the
    whole number and the friendly name, the rest is checked here, exactly.

    Output Concepts:
        the phone numbers: The numbers, with their capabilities and SMS URLs.

    Examples:
        read some phone numbers whose capabilities contains "mms"
        expect the number of phone numbers is 2

        read some phone numbers whose phone number is "+15005550006"
        expect the number of phone numbers is 1
    """
    return list(reader(context, NUMBERS).read(plan))


@registry.procedure("to count some (phone numbers)", prepare=plan_numbers)
def count_numbers(plan: Plan, context: Context) -> int:
    """Counts the account's phone numbers that match a filter, exactly.

    Output Concepts:
        the answer: How many numbers match.

    Examples:
        count the phone numbers whose capabilities contains "mms"
        expect the above is 2
    """
    return reader(context, NUMBERS).count(plan)


@registry.procedure("to set the *SMS* URL of a phone number", effect=Effect.CHANGES, prepare=plan_numbers)
async def set_sms_url(
    sms_url: str, plan: Plan, context: Context, phone_number: IncomingNumber | None = None
) -> IncomingNumber:
    """Sets the URL Twilio calls when a message reaches a phone number (its SMS URL),
    and answers the number as changed. The number is the current one of a loop, or
    the one the filter matches: exactly one, or nothing is changed.

    Input Concepts:
        the SMS URL: An http(s) URL with a host (an empty text clears it).

    Output Concepts:
        the answer: The phone number, changed.

    Examples:
        set the SMS URL of a phone number whose phone number is "+15005550006" where the SMS URL is "https://example.com/sms"
        read a phone number whose phone number is "+15005550006"
        expect the phone number's SMS URL is "https://example.com/sms"
    """
    _check_url(sms_url)
    if phone_number is not None:  # the one a loop is at: the runtime counts and records it
        return await _set(context, phone_number, sms_url)
    matched = list(reader(context, NUMBERS).read(plan.replace(limit=2)))
    if len(matched) != 1:
        which = "none matches" if not matched else "more than one matches"
        raise RunError(
            f"'set the SMS URL of a phone number' needs exactly one phone number, but {which}; nothing was changed",
            hint='Name it by its number: whose phone number is "+1...".',
        )
    sid = matched[0].sid or ""
    context.allow([sid])  # counted against what the run may change unasked, before it is changed
    with context.act(sid) as act:
        changed = await _set(context, matched[0], sms_url)
        act.result = changed.sms_url
        return changed


def _check_url(url: str) -> None:
    """``InvalidRequestError`` for what Twilio would refuse as an SMS URL (21402),
    before anything is counted or sent, in a dry run too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if url and (parts is None or parts.scheme not in ("http", "https") or not parts.hostname):
        raise InvalidRequestError(
            f"{url!r} is not a URL Twilio can call: an SMS URL is http(s) with a host",
            hint='Write it in full, such as "https://example.com/sms", or "" to clear it.',
        )


async def _set(context: Context, number: IncomingNumber, sms_url: str) -> IncomingNumber:
    """Set one number's SMS URL (in a dry run, say it would): the number as it is then."""
    if context.dry_run:
        context.say(f"dry run: would set the SMS URL of {number.phone_number} to {sms_url!r}")
        return number
    client = connection(context).async_client(settings(context).concurrency)
    changed: IncomingNumber = NUMBERS.from_wire(
        await client.update(number.sid or "", (("SmsUrl", sms_url),), resource=NUMBERS)
    )
    return changed
