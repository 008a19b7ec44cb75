"""Filling the sandbox: realistic seeded messages, and messages loaded from Twilio's JSON.

``seed`` makes ``count`` messages, deterministic for a seed: customers' numbers
from several countries (in ranges set aside for fiction), bodies in several
scripts and languages (some long enough for several segments, some opt-outs),
outbound and inbound, statuses with their error codes, prices per segment, and
dates spread over a year up to now.

``load`` keeps messages exactly as given in Twilio's JSON form (a list of
messages, or a list page with ``messages``), dates included; twilio-cli's
camelCase export and the book's own JSON are read too (formats.py).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from book.errors import SandboxError
from book.resources.messages import MESSAGES, WireMessage
from book.sandbox import sids
from book.sandbox.app import Sandbox
from book.sandbox.formats import wire_form
from book.sandbox.lifecycle import epoch_rfc2822
from book.sandbox.segments import count as segments_of
from book.sandbox.state import Row
from book.wire import API_VERSION, parse_count, parse_rfc2822

__all__ = ["KNOWN_CUSTOMERS", "customers", "load", "seed"]


# (country prefix, number pattern) in ranges regulators set aside for fiction, or
# plainly ordinary mobile ranges; every one is a possible number.
_RANGES = [
    ("+1415555", "01{:02d}"),
    ("+1212555", "01{:02d}"),
    ("+1646555", "01{:02d}"),
    ("+1312555", "01{:02d}"),
    ("+44770090", "0{:03d}"),
    ("+3363998", "{:04d}"),
    ("+6149157", "0{:03d}"),
    ("+4915123", "45{:04d}"),
    ("+9198765", "4{:04d}"),
    ("+55119876", "5{:03d}"),
    ("+8190123", "4{:04d}"),
]

_BODIES = [
    "Your order {order} has shipped and should arrive on {day}.",
    "Your verification code is {code}. It expires in 10 minutes.",
    "Reminder: your appointment is tomorrow at {hour}:00. Reply C to confirm.",
    "Hi {name}, your table for {people} is booked for {day} at {hour}:30.",
    "We received your refund request for order {order}; it will be processed within 5 days.",
    "Tu pedido {order} ha sido enviado. ¡Gracias por tu compra!",
    "Votre commande {order} est en route. Livraison prévue le {day}.",
    "Ihre Bestellung {order} wurde versandt. Vielen Dank für Ihren Einkauf!",
    "Seu pedido {order} foi enviado e chega em {day}.",
    "Ваш заказ {order} отправлен. Спасибо за покупку!",
    "Η παραγγελία σας {order} έχει αποσταλεί.",
    "ご注文 {order} を発送しました。お届け予定日は {day} です。",
    "您的订单 {order} 已发货，预计 {day} 送达。",
    "تم شحن طلبك رقم {order}. شكرا لتسوقك معنا.",
    "आपका ऑर्डर {order} भेज दिया गया है।",
    "Flash sale 🎉 20% off everything today only! Show this message in store 🛍️",
    "Dear {name}, thank you for being a customer for {people} years. As a thank-you we have added a voucher "
    "to your account that you can use on any order before the end of the month; it applies to shipping too, "
    "and you can combine it with any other offer you receive from us in the meantime.",
]
_REPLIES = [
    "STOP",
    "Yes",
    "C",
    "Thanks!",
    "Where is my refund?",
    "HELP",
    "stop",
    "Can I change the delivery day?",
    "👍",
    "START",
]
_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Linus",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Hedy",
    "Dennis",
]
_OUTBOUND_STATUS = [
    ("delivered", 82),
    ("sent", 6),
    ("undelivered", 5),
    ("failed", 4),
    ("canceled", 1),
    ("read", 2),
]
_ERRORS = {
    "undelivered": [
        (30003, "Unreachable destination handset"),
        (30005, "Unknown destination handset"),
        (30007, "Message filtered"),
    ],
    "failed": [(30008, "Unknown error"), (30006, "Landline or unreachable carrier")],
}


# Customers every seeded sandbox has, so that examples and docs can name them.
KNOWN_CUSTOMERS = ("+14155550100", "+14155550101", "+442079460958")


def customers(rng: random.Random, how_many: int) -> list[str]:
    """``how_many`` distinct customers' numbers, the known ones first."""
    found: list[str] = list(KNOWN_CUSTOMERS[:how_many])
    seen: set[str] = set(found)
    while len(found) < how_many:
        prefix, pattern = rng.choice(_RANGES)
        number = prefix + pattern.format(rng.randrange(100 if "{:02d}" in pattern else 1000))
        if number not in seen:
            seen.add(number)
            found.append(number)
    return found


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


def seed(sandbox: Sandbox, count: int, seed: int = 0, *, days: int = 365) -> int:
    """Add ``count`` realistic messages, the same for the same ``seed``; how many."""
    if count < 0:
        raise SandboxError("the number of messages to seed cannot be negative")
    if not 1 <= days <= 36500:
        raise SandboxError(f"seeded messages are spread over 1 to 36500 days, not {days}")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not cryptography
    account = sandbox.account
    # The same seed gives the same messages, under new sids each time it is used:
    # seeding adds, it never replaces what an earlier seeding (or a user) made.
    run = sandbox.state.counter(f"seedings:{account.sid}")
    fresh = run == 1 and sandbox.count() == 0
    ours = sandbox.senders()
    services = list(account.services)
    people = customers(rng, 300)
    now = sandbox.now()
    earliest = now - days * 86400
    collection = f"/{API_VERSION}/Accounts/{account.sid}/Messages"
    rows: list[Row] = []
    added = 0
    for index in range(count):
        # The known customers write and are written to often; the rest now and then.
        customer = people[index % len(KNOWN_CUSTOMERS)] if rng.random() < 0.1 else rng.choice(people)
        number = rng.choice(ours)
        created = rng.randrange(earliest, now)
        direction = _weighted(rng, [("outbound-api", 70), ("inbound", 25), ("outbound-reply", 5)])
        mms = rng.random() < 0.05
        prefix = "MM" if mms else "SM"
        sid = prefix + f"{rng.getrandbits(128):032x}"
        if not fresh:  # a new sandbox's first seeding: the sids as they always were; later ones anew
            sid = sids.derived(prefix, account.sid, "seeding", run, seed, index)
        if direction == "inbound":
            body = rng.choice(_REPLIES)
            sender, recipient, status = customer, number, "received"
        else:
            body = rng.choice(_BODIES).format(
                order=f"#{rng.randrange(10000, 99999)}",
                day=dt.datetime.fromtimestamp(created + 3 * 86400, dt.UTC).date().isoformat(),
                code=rng.randrange(100000, 999999),
                hour=rng.randrange(8, 19),
                name=rng.choice(_NAMES),
                people=rng.randrange(2, 9),
            )
            sender, recipient, status = number, customer, _weighted(rng, _OUTBOUND_STATUS)
        media = rng.randrange(1, 4) if mms else 0
        if mms and rng.random() < 0.3:
            body = ""
        pieces = segments_of(body).segments
        sent = None if status == "canceled" else created + rng.randrange(0, 6)
        updated = (sent or created) + rng.randrange(1, 11)
        error = rng.choice(_ERRORS[status]) if status in _ERRORS else (None, None)
        rate = (
            Decimal("-0.00790")
            if (sender or "").startswith("+1") or direction == "inbound"
            else Decimal("-0.04000")
        )
        price = None if status in ("canceled", "failed") else str(rate * pieces)
        service = rng.choice(services) if direction != "inbound" and services and rng.random() < 0.4 else None
        message = {
            "account_sid": account.sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": epoch_rfc2822(created),
            "date_sent": epoch_rfc2822(sent) if sent is not None else None,
            "date_updated": epoch_rfc2822(updated),
            "direction": direction,
            "error_code": error[0],
            "error_message": error[1],
            "from": sender,
            "messaging_service_sid": service,
            "num_media": str(media),
            "num_segments": str(pieces),
            "price": price,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {
                "media": f"{collection}/{sid}/Media.json",
                "feedback": f"{collection}/{sid}/Feedback.json",
            },
            "to": recipient,
            "uri": f"{collection}/{sid}.json",
        }
        rows.append(
            Row(
                sid,
                sent if sent is not None else created,
                sent,
                sender,
                recipient,
                status,
                None,
                json.dumps(message, ensure_ascii=False),
            )
        )
        if len(rows) >= 5000:
            added += sandbox.state.put(account.sid, rows, replace=False)
            rows = []
    return added + sandbox.state.put(account.sid, rows, replace=False)


def _epoch_of(message: dict[str, Any], field: str, position: int) -> int | None:
    value = message.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SandboxError(
            f"message {position} ({message.get('sid')}): {field} must be an RFC 2822 date or null"
        )
    try:
        return int(parse_rfc2822(value).timestamp())
    except ValueError as exc:
        raise SandboxError(
            f"message {position} ({message.get('sid')}): {field} {value!r} is not an RFC 2822 date"
        ) from exc


def _messages(document: Any) -> list[Any]:
    """The messages of a document: a list of them, Twilio's list page
    (``messages``), or what ``book run --format json`` prints (``result``)."""
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        found: list[Any] = document["messages"]
        return found
    if isinstance(document, dict) and "result" in document:
        result = document["result"]
        return result if isinstance(result, list) else [result]
    if isinstance(document, list):
        return document
    raise SandboxError(
        "expected a list of messages, Twilio's list page (with 'messages'), or what "
        "'book run --format json' prints (with 'result')"
    )


def _check_fields(message: dict[str, Any], position: int) -> None:
    """``SandboxError`` for a field Twilio would never send as it is: the wrong
    type, counts that are not whole numbers, a price that is not a number."""
    problem: str | None = None
    try:
        WireMessage.model_validate(message)
    except ValidationError as exc:
        found = exc.errors()[0]
        problem = f"{'.'.join(str(part) for part in found['loc'])}: {found['msg']}"
    for name in ("num_segments", "num_media"):
        if problem is None and message.get(name) is not None and parse_count(message[name]) is None:
            problem = f"{name}: {message[name]!r} is not a whole number written as text"
    price = message.get("price")
    if problem is None and price is not None and not re.fullmatch(r"-?\d+(\.\d+)?", str(price)):
        problem = f"price: {price!r} is not a number written as text"
    if problem is not None:
        raise SandboxError(
            f"message {position} ({message['sid']}) is not one Twilio would send: {problem}",
            hint="Fix that field, or leave it out; the rest is kept exactly as given.",
        )


def load(sandbox: Sandbox, document: str | bytes | Iterable[Any] | dict[str, Any]) -> int:
    """Keep the messages of ``document`` (JSON text, or its parsed form) exactly as
    given; a message with the sid of a stored one replaces it. How many."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise SandboxError(
                f"the file is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from exc
    if isinstance(document, (tuple, Iterator)):
        document = list(document)
    messages = _messages(document)
    rows = []
    for position, message in enumerate(messages, 1):
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("sid"), str)
            or not MESSAGES.sid.fullmatch(message["sid"])
        ):
            raise SandboxError(
                f"message {position} has no sid of the form SM or MM and 32 hexadecimal digits"
            )
        message = wire_form(message, position)
        _check_fields(message, position)
        sent = _epoch_of(message, "date_sent", position)
        created = _epoch_of(message, "date_created", position)
        sort = sent if sent is not None else created if created is not None else 0
        rows.append(
            Row(
                message["sid"],
                sort,
                sent,
                message.get("from"),
                message.get("to"),
                message.get("status"),
                None,
                json.dumps(message, ensure_ascii=False),
            )
        )
    return sandbox.state.put(sandbox.account.sid, rows)
