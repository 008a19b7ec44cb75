"""Inbound messages: one written as if a customer had texted the account, sent on to
its number's SmsUrl as Twilio does, and the replies its TwiML answer asks for sent back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from book.errors import SandboxError
from book.phone import normalise_phone
from book.sandbox.creating import create
from book.sandbox.lifecycle import PRICE_PER_SEGMENT, epoch_rfc2822
from book.sandbox.segments import count
from book.sandbox.state import Row
from book.sandbox.webhooks import inbound_delivery, replies
from book.wire import API_VERSION

if TYPE_CHECKING:
    from book.sandbox.app import Sandbox

__all__ = ["START_WORDS", "STOP_WORDS", "receive"]

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "yes", "unstop"}


def receive(
    sandbox: Sandbox, *, sender: str, body: str, to: str | None, media: Sequence[str]
) -> dict[str, Any]:
    """What ``Sandbox.receive`` does: the numbers checked, the message written (a
    STOP or START word opts its sender out or back in), then sent on."""
    account = sandbox.account.sid
    sender = _number(sender, "the sender")
    if to is not None and to in sandbox.account.numbers and to not in sandbox.senders():
        raise SandboxError(
            f"{to} is an alphanumeric sender id: it sends one way, and no one can text it",
            hint="Send it to one of the account's phone numbers: " + ", ".join(sandbox.senders()) + ".",
        )
    recipient = _number(to, "the recipient") if to is not None else sandbox.senders()[0]
    if not sandbox.state.owns(account, recipient):
        raise SandboxError(
            f"{recipient} is not one of this account's numbers",
            hint="Send it to one of: " + ", ".join(sandbox.senders()) + ".",
        )
    now = sandbox.now()
    with sandbox.state.transaction():
        message = _receive(sandbox, account, sender, body, recipient, now, media)
    return _answered(sandbox, account, message)


def _answered(sandbox: Sandbox, account: str, message: dict[str, Any]) -> dict[str, Any]:
    """An inbound message sent on to its number's SmsUrl, as Twilio does, and the
    replies its TwiML answer asks for sent back; ``webhook`` and ``replies``
    say how that went."""
    settings = sandbox.state.number_settings(account, str(message["to"]))
    url = settings.get("sms_url")
    if not url:
        return message
    delivery = sandbox.webhooks.send(
        inbound_delivery(account, sandbox.account.token, url, settings.get("sms_method", "POST"), message)
    )
    sent = []
    if delivery.status is not None and 200 <= delivery.status < 300:
        for text in replies(delivery.answer):
            form = [("To", str(message["from"])), ("From", str(message["to"])), ("Body", text)]
            with sandbox.state.transaction():  # a reply has no StatusCallback: nothing to call back
                reply = json.loads(create(sandbox, account, form).body)
                row = sandbox.state.get(account, reply["sid"])
                if row is not None:  # a reply made by TwiML is Twilio's outbound-reply
                    reply["direction"] = "outbound-reply"
                    sandbox.state.put(account, [row.replace(data=json.dumps(reply, ensure_ascii=False))])
            sent.append(reply["sid"])
    return {
        **message,
        "webhook": {"url": url, "status": delivery.status, "error": delivery.error},
        "replies": sent,
    }


def _receive(
    sandbox: Sandbox, account: str, sender: str, body: str, recipient: str, now: int, media: Sequence[str]
) -> dict[str, Any]:
    stamp = epoch_rfc2822(now)
    sid = sandbox.new_sid("MM" if media else "SM")
    segments = count(body).segments
    collection = f"/{API_VERSION}/Accounts/{account}/Messages"
    message = {
        "account_sid": account,
        "api_version": API_VERSION,
        "body": body,
        "date_created": stamp,
        "date_sent": stamp,
        "date_updated": stamp,
        "direction": "inbound",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": None,
        "num_media": str(len(media)),
        "num_segments": str(segments),
        "price": str(PRICE_PER_SEGMENT * segments),
        "price_unit": "USD",
        "sid": sid,
        "status": "received",
        "subresource_uris": {"media": f"{collection}/{sid}/Media.json"},
        "to": recipient,
        "uri": f"{collection}/{sid}.json",
    }
    sandbox.state.put(
        account,
        [
            Row(
                sid,
                now,
                now,
                sender,
                recipient,
                "received",
                None,
                json.dumps(message, ensure_ascii=False),
                json.dumps({"media": list(media)}) if media else None,
            )
        ],
    )
    word = body.strip().lower()
    if word in STOP_WORDS or word in START_WORDS:
        sandbox.state.opt(account, sender, out=word in STOP_WORDS)
    return message


def _number(text: str, what: str) -> str:
    """A phone number in E.164, or ``SandboxError`` saying what is wrong with it."""
    try:
        number = normalise_phone(text)
    except ValueError as exc:
        raise SandboxError(f"{what} {text!r}: {exc}") from None
    if not number.startswith("+"):
        raise SandboxError(
            f"{what} {text!r} is not a phone number",
            hint="Write it with + and its country code: +14155550100.",
        )
    return number
