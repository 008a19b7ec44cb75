"""The account's phone numbers as a resource, as on Twilio: ``IncomingPhoneNumbers``.

List, fetch and update (``SmsUrl``, ``SmsMethod``, ``FriendlyName``,
``StatusCallback``): an inbound message to a number with an ``SmsUrl`` is sent
there (webhooks.py), and a TwiML ``<Message>`` answer is sent back as a reply.
An alphanumeric sender id is not a phone number: it is not listed. The list
filters by ``PhoneNumber`` (a part of the number, ``*`` standing for any digit)
and ``FriendlyName`` (exactly), and pages as Twilio does. A number's
sid is derived from the account and the number, so it is the same every time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from book.resources.numbers import NUMBERS
from book.sandbox import sids
from book.sandbox.answers import Refusal, Reply, first, json_reply, matched, short_list
from book.sandbox.lifecycle import epoch_rfc2822
from book.wire import API_VERSION

if TYPE_CHECKING:
    from book.sandbox.app import Sandbox

__all__ = ["number_sid", "phone_number", "route"]

_COLLECTION = re.compile(rf"{sids.ACCOUNT_PATH}/IncomingPhoneNumbers\.json")
_ONE = re.compile(rf"{sids.ACCOUNT_PATH}/IncomingPhoneNumbers/({NUMBERS.sid.pattern})\.json")
_SETTINGS = {  # form field: (settings key, default)
    "FriendlyName": ("friendly_name", None),
    "SmsUrl": ("sms_url", ""),
    "SmsMethod": ("sms_method", "POST"),
    "SmsFallbackUrl": ("sms_fallback_url", ""),
    "SmsFallbackMethod": ("sms_fallback_method", "POST"),
    "StatusCallback": ("status_callback", ""),
    "StatusCallbackMethod": ("status_callback_method", "POST"),
}


def number_sid(account: str, number: str) -> str:
    """The sid of one of an account's numbers: PN and 32 hexadecimal digits."""
    return sids.derived("PN", account, "number", number)


def matches(path: str) -> bool:
    """Whether a path is this resource's (so the sandbox routes it here)."""
    return bool(_COLLECTION.fullmatch(path) or _ONE.fullmatch(path))


def phone_number(sandbox: Sandbox, account: str, number: str) -> dict[str, Any]:
    """One number as Twilio's IncomingPhoneNumber JSON."""
    settings = sandbox.state.number_settings(account, number)
    sid = number_sid(account, number)
    created = epoch_rfc2822(
        settings.get("created") or sandbox.state.created(account)
    )  # bought with the account
    data: dict[str, Any] = {
        "account_sid": account,
        "api_version": API_VERSION,
        "capabilities": {"voice": False, "sms": True, "mms": True, "fax": False},
        "date_created": created,
        "date_updated": epoch_rfc2822(settings["updated"]) if "updated" in settings else created,
        "friendly_name": settings.get("friendly_name") or number,
        "phone_number": number,
        "origin": "twilio",
        "sid": sid,
        "status": "in-use",
        "uri": f"/{API_VERSION}/Accounts/{account}/IncomingPhoneNumbers/{sid}.json",
    }
    for key, default in _SETTINGS.values():
        if key != "friendly_name":
            data[key] = settings.get(key, default)
    return data


def _numbers(sandbox: Sandbox, account: str) -> list[str]:
    return list(sandbox.senders())  # the account's phone numbers, not its alphanumeric sender ids


def _find(sandbox: Sandbox, account: str, sid: str, path: str) -> str:
    for number in _numbers(sandbox, account):
        if number_sid(account, number) == sid:
            return number
    raise Refusal(404, 20404, f"The requested resource {path} was not found")


def _url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _update(sandbox: Sandbox, account: str, number: str, form: Sequence[tuple[str, str]]) -> None:
    settings = sandbox.state.number_settings(account, number)
    for name, (key, _) in _SETTINGS.items():
        value = first(form, name)
        if value is None:
            continue
        if name.endswith("Url") or name == "StatusCallback":
            if value and not _url(value):
                raise Refusal(400, 21402, f"{name} is not valid: {value}")
        elif name.endswith("Method") and value.upper() not in ("GET", "POST"):
            raise Refusal(400, 21403, f"{name} must be GET or POST, not {value}")
        settings[key] = value.upper() if name.endswith("Method") else value
    settings["updated"] = sandbox.now()
    sandbox.state.set_number_settings(account, number, settings)


def route(
    sandbox: Sandbox,
    account: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    form: Sequence[tuple[str, str]],
) -> Reply:
    """Answer a request to the IncomingPhoneNumbers resource."""
    collection, one = matched(account, path, _COLLECTION, _ONE)
    if collection and method == "GET":
        wanted = first(query, "PhoneNumber")
        named = first(query, "FriendlyName")
        part = re.compile("[0-9]".join(re.escape(piece) for piece in (wanted or "").split("*")))
        found = [
            phone_number(sandbox, account, number)
            for number in _numbers(sandbox, account)
            if wanted is None or part.search(number)  # a part of the number; * is any digit
        ]
        found = [item for item in found if named is None or item["friendly_name"] == named]
        return short_list("incoming_phone_numbers", found, path, query)
    if one and method == "GET":
        return json_reply(200, phone_number(sandbox, account, _find(sandbox, account, one.group(2), path)))
    if one and method == "POST":
        number = _find(sandbox, account, one.group(2), path)
        _update(sandbox, account, number, form)
        return json_reply(200, phone_number(sandbox, account, number))
    allowed = "GET, HEAD" if collection else "GET, HEAD, POST"
    raise Refusal(405, 20004, "Method not allowed", headers=(("Allow", allowed),))
