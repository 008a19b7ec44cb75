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
from book.wire import format_rfc2822

__all__ = [
    "DELIVERY_DELAY",
    "PRICE_PER_SEGMENT",
    "SEND_DELAY",
    "UNREACHABLE",
    "advance",
    "epoch",
    "epoch_rfc2822",
]

SEND_DELAY = 1
DELIVERY_DELAY = 2
PRICE_PER_SEGMENT = Decimal("-0.00790")
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


def advance(row: Row, now: int, senders: Sequence[str]) -> Row:
    """The message as it stands at ``now``: every step due by then taken."""
    while row.next_at is not None and row.next_at <= now:
        row = _step(row, senders)
    return row
