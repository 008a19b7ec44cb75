"""Creates: Twilio's validation, error codes and magic test numbers, then a new message."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from book.phone import normalise_phone
from book.sandbox.answers import Refusal, Reply, first, json_reply
from book.sandbox.lifecycle import SEND_DELAY, epoch, epoch_rfc2822
from book.sandbox.segments import count, smart
from book.sandbox.state import Row
from book.wire import API_VERSION, parse_count

if TYPE_CHECKING:
    from book.sandbox.app import Sandbox

__all__ = ["MAGIC_FROM", "MAGIC_TO", "create"]

MAX_BODY = 1600
MAX_VALIDITY = 36_000  # seconds: ten hours
MAX_URL = 4000
SCHEDULE_WINDOW = (15 * 60, 35 * 24 * 3600)

# Twilio's test numbers (docs/twilio-api.md): what a create answers for them.
MAGIC_TO = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (
        21612,
        "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS.",
    ),
    "+15005550003": (
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003.",
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
MAGIC_FROM = {
    "+15005550001": (
        21212,
        "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    "+15005550007": (
        21606,
        "The From phone number +15005550007 is not a valid, SMS-capable inbound phone number or short code for your account.",
    ),
    "+15005550008": (21611, "This 'From' number has exceeded the maximum number of queued messages"),
}


def _url(text: str) -> bool:
    """A StatusCallback Twilio takes: an http(s) URL with a host (no underscores), under 4,000 characters."""
    parts = urlsplit(text)
    return (
        len(text) <= MAX_URL
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "_" not in (parts.hostname or "")
    )


def _e164(number: str) -> str | None:
    """The number in E.164 if it is a possible phone number written with its country code."""
    if not number.startswith("+"):
        return None
    try:
        return normalise_phone(number)
    except ValueError:
        return None


def create(sandbox: Sandbox, account: str, form: Sequence[tuple[str, str]]) -> Reply:
    """A create (see docs/sandbox.md, "Creates"): Twilio's checks in Twilio's order, then a new message."""
    to = first(form, "To")
    sender = first(form, "From")
    service = first(form, "MessagingServiceSid")
    body = first(form, "Body")
    media = [value for key, value in form if key == "MediaUrl"]
    content = first(form, "ContentSid")
    if not to:
        raise Refusal(400, 21604, "A 'To' phone number is required.")
    if not sender and not service:
        raise Refusal(400, 21603, "A 'From' phone number is required.")
    if not body and not media and not content:  # an empty Body is no body
        raise Refusal(400, 21602, "Message body is required.")
    if body is not None and len(body) > MAX_BODY:
        raise Refusal(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    if len(media) > 10:
        raise Refusal(400, 21623, "The number of media urls exceeds the limit of 10.")
    callback = first(form, "StatusCallback")
    if callback is not None and not _url(callback):
        raise Refusal(400, 21609, f"The StatusCallback URL {callback} is not a valid URL.")
    validity = first(form, "ValidityPeriod")
    seconds = parse_count(validity)
    if validity is not None and not (seconds is not None and 1 <= seconds <= MAX_VALIDITY):
        raise Refusal(
            400, 21624, f"Validity period can only be set to integers between 1 and {MAX_VALIDITY} seconds."
        )
    if to in MAGIC_TO:
        raise Refusal(400, *MAGIC_TO[to])
    channel, _, address = to.rpartition(":")
    number = _e164(address)
    if number is None or (channel and channel not in ("whatsapp", "messenger", "rcs")):
        raise Refusal(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    to, address = (f"{channel}:{number}" if channel else number), number
    if sender in MAGIC_FROM:
        raise Refusal(400, *MAGIC_FROM[sender])
    if service and not sandbox.state.has_service(account, service):
        raise Refusal(400, 21701, f"The Messaging Service Sid {service} is invalid.")
    if sender and not sandbox.state.owns(account, sender.rpartition(":")[2]):
        if not (_e164(sender.rpartition(":")[2]) or re.fullmatch(r"[A-Za-z0-9 ]{1,11}|\d{5,6}", sender)):
            raise Refusal(
                400,
                21212,
                f"The 'From' number {sender} is not a valid phone number, shortcode, or alphanumeric sender ID.",
            )
        raise Refusal(
            400,
            21606,
            f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code for your account.",
        )
    if sender and sender.rpartition(":")[2] == address:
        raise Refusal(400, 21266, "'To' and 'From' number cannot be the same")
    if sandbox.state.opted_out(account, address):
        raise Refusal(400, 21610, "Attempt to send to unsubscribed recipient")
    now = sandbox.now()
    send_at = None
    if service and first(form, "ScheduleType") == "fixed":  # without a service, Twilio drops scheduling
        send_at = _send_at(first(form, "SendAt"), now)
    text = body or ""
    if (first(form, "SmartEncoded") or "").lower() == "true":
        text = smart(text)
    segments = count(text).segments
    sid = sandbox.new_sid("MM" if media else "SM")
    status = "scheduled" if send_at is not None else "accepted" if service else "queued"
    next_at = send_at if send_at is not None else now if service else now + SEND_DELAY
    if status == "queued" and sandbox.sender_rate:  # each sender sends so many segments a second
        next_at = sandbox.state.queue_slot(account, sender or "", next_at, segments / sandbox.sender_rate)
    stamp = epoch_rfc2822(now)
    collection = f"/{API_VERSION}/Accounts/{account}/Messages"
    message = {
        "account_sid": account,
        "api_version": API_VERSION,
        "body": text,
        "date_created": stamp,
        "date_sent": None,
        "date_updated": stamp,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service,
        "num_media": str(len(media)),
        "num_segments": "0" if service else str(segments),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": f"{collection}/{sid}/Media.json"},
        "to": to,
        "uri": f"{collection}/{sid}.json",
    }
    row = Row(
        sid,
        now,
        None,
        sender,
        to,
        status,
        next_at,
        json.dumps(message, ensure_ascii=False),
        json.dumps(
            {"segments": segments}
            | ({"media": media} if media else {})
            | ({"callback": callback} if callback else {})
            | ({"validity": seconds} if validity is not None else {})
        ),
    )
    sandbox.state.put(account, [row])
    return json_reply(201, message)


def _send_at(text: str | None, now: int) -> int:
    if not text:
        raise Refusal(400, 35111, "SendAt is required when ScheduleType is fixed")
    try:
        when = dt.datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise Refusal(400, 35114, "Scheduling does not support this timestamp")
    seconds = epoch(when) - now
    if not SCHEDULE_WINDOW[0] <= seconds <= SCHEDULE_WINDOW[1]:
        raise Refusal(400, 35114, "Scheduling does not support this timestamp")
    return epoch(when)
