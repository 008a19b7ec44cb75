"""The life of a sandbox message, on the sandbox's clock.

A message created with a ``From`` is ``queued``; one sent through a Messaging
Service is ``accepted`` and is given a sender from the account's numbers;
a scheduled one is ``scheduled`` until its send time. A queued message is
``sent`` one second later (its ``date_sent`` and price set), and ``delivered``
two seconds after that, except to the sandbox's unreachable numbers:

| To | ends as | error |
|---|---|---|
| +15005550011 | undelivered | 30003 Unreachable destination handset |
| +15005550012 | failed | 30006 Landline or unreachable carrier |

A queued message whose ``ValidityPeriod`` runs out before it can be sent (it
waited behind others from the same sender, when the sandbox has a
``sender_rate``) is ``failed`` with 30036 instead.

Each step happens at its own time, whenever it is observed: the sandbox moves
due messages before it answers any request, so a test that sets the clock sees
exactly what Twilio would show at that time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from book.sandbox.state import Row
from book.wire import format_rfc2822, parse_rfc2822

__all__ = [
    "DELIVERY_DELAY",
    "EXPIRED",
    "PRICE_PER_SEGMENT",
    "SEND_DELAY",
    "UNREACHABLE",
    "advance",
    "epoch",
    "epoch_rfc2822",
    "steps",
]

SEND_DELAY = 1
DELIVERY_DELAY = 2
PRICE_PER_SEGMENT = Decimal("-0.00790")
EXPIRED = (30036, "Validity Period Expired")
UNREACHABLE = {
    "+15005550011": ("undelivered", 30003, "Unreachable destination handset"),
    "+15005550012": ("failed", 30006, "Landline or unreachable carrier"),
}


def epoch(moment: dt.datetime) -> int:
    """An aware instant in epoch seconds, as the sandbox keeps times."""
    return int(moment.timestamp())


def epoch_rfc2822(seconds: int) -> str:
    """Epoch seconds as Twilio writes a date."""
    return format_rfc2822(dt.datetime.fromtimestamp(seconds, dt.UTC))


def _step(row: Row, senders: Sequence[str]) -> Row:
    """The message one step on, at ``row.next_at``."""
    at = row.next_at
    assert at is not None
    message: dict[str, Any] = row.message()
    notes = row.remembered()
    status = message.get("status")
    next_at: int | None = None
    sort, sent = row.sort, row.sent
    if status in ("scheduled", "accepted"):
        message["status"] = "queued"
        if not message.get("from"):
            message["from"] = senders[0] if senders else None
        message["num_segments"] = str(notes.get("segments", 1))
        next_at = at + SEND_DELAY
    elif status == "queued" and _expired(message, notes, at):
        message["status"] = "failed"
        message["error_code"], message["error_message"] = EXPIRED
    elif status == "queued":
        segments = int(message.get("num_segments") or notes.get("segments") or 1)
        message["status"] = "sent"
        message["date_sent"] = epoch_rfc2822(at)
        message["price"] = str(PRICE_PER_SEGMENT * segments)
        message["price_unit"] = "USD"
        sort = sent = at
        next_at = at + DELIVERY_DELAY
    elif status == "sent":
        ending = UNREACHABLE.get(message.get("to") or "")
        if ending is None:
            message["status"] = "delivered"
        else:
            message["status"], message["error_code"], message["error_message"] = ending
    message["date_updated"] = epoch_rfc2822(at)
    return row.replace(
        sort=sort,
        sent=sent,
        sender=message.get("from"),
        status=message["status"],
        next_at=next_at,
        data=json.dumps(message, ensure_ascii=False),
    )


def _expired(message: dict[str, Any], notes: dict[str, Any], at: int) -> bool:
    """Whether a queued message's ValidityPeriod ran out before it could be sent at ``at``."""
    validity = notes.get("validity")
    created = message.get("date_created")
    if not isinstance(validity, int) or not isinstance(created, str):
        return False
    try:
        return at - epoch(parse_rfc2822(created)) > validity
    except ValueError:
        return False


def steps(row: Row, now: int, senders: Sequence[str]) -> list[Row]:
    """The message after each step due by ``now``, in order (none if none is due)."""
    taken = []
    while row.next_at is not None and row.next_at <= now:
        row = _step(row, senders)
        taken.append(row)
    return taken


def advance(row: Row, now: int, senders: Sequence[str]) -> Row:
    """The message as it stands at ``now``: every step due by then taken."""
    taken = steps(row, now, senders)
    return taken[-1] if taken else row
