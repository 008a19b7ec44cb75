"""The emulated Messages API: a request in, Twilio's answer out.

``Sandbox.handle`` takes a method, a path, the query and form fields and the
``Authorization`` header, and answers as Twilio does (docs/twilio-api.md and
docs/sandbox.md): Basic auth with the account's token or an API key (401/20003
otherwise); lists with exactly Twilio's filters and day semantics, newest first,
paged by ``PageToken``; creates with Twilio's validation, error codes, magic
test numbers and segment counts; fetch, redact, cancel and delete. The
transports (transport.py) and the loopback server (server.py) are two ways in.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from book.client import AsyncClient, Client
from book.credentials import Credentials
from book.sandbox.faults import Fault, Faults
from book.sandbox.lifecycle import PRICE_PER_SEGMENT, SEND_DELAY, advance, epoch_rfc2822
from book.sandbox.segments import count, smart
from book.sandbox.state import Account, Row, State
from book.wire import API_VERSION
from grammar.node import Record
from procedures import Clock, SystemClock, normalise_phone

if TYPE_CHECKING:
    from book.sandbox.transport import SandboxTransport

__all__ = ["DEFAULT_NUMBERS", "Reply", "Sandbox"]

DEFAULT_NUMBERS = ("+15005550006", "+12125550100", "SMSBOOK")
MAX_PAGE_SIZE = 1000
MAX_BODY = 1600
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
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "yes", "unstop"}

_COLLECTION = re.compile(rf"/{API_VERSION}/Accounts/(AC[0-9a-fA-F]{{32}})/Messages\.json")
_ONE = re.compile(
    rf"/{API_VERSION}/Accounts/(AC[0-9a-fA-F]{{32}})/Messages/((?:SM|MM)[0-9a-fA-F]{{32}})\.json"
)
_FILTER_ORDER = ("To", "From", "DateSent", "DateSent<", "DateSent>")


class Reply(Record):
    """The sandbox's answer: status, headers, body; ``lost`` means the answer
    never reaches the client (the request was committed); ``delay`` is latency."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    lost: bool = False
    delay: float = 0.0


class _Refusal(Exception):  # noqa: N818 - a refusal, not an error of the sandbox
    """Twilio's error answer, raised inside the handlers."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _json(status: int, body: Any) -> Reply:
    return Reply(
        status, (("Content-Type", "application/json"),), json.dumps(body, ensure_ascii=False).encode()
    )


def _error(status: int, code: int, message: str) -> Reply:
    return _json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def _first(fields: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in fields:
        if key == name:
            return value
    return None


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _day(text: str) -> dt.date:
    """The day of a DateSent value: YYYY-MM-DD, or a date and time in a form Twilio accepts."""
    value = text.strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError):
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}).*", value)
    if match:
        month, day, year = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise _Refusal(400, 20001, f"Invalid DateSent value: {text}")


def _day_start(day: dt.date) -> int:
    return _epoch(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def _e164(number: str) -> str | None:
    """The number in E.164 if it is a possible phone number written with its country code."""
    if not number.startswith("+"):
        return None
    try:
        return normalise_phone(number)
    except ValueError:
        return None


class Sandbox:
    """A stateful emulator of Twilio's Messages resource (see the module's docstring).

    ``path``: the SQLite file (None: memory). ``clock``: the time the lifecycle
    follows (tests set it). ``faults``: latency and errors to inject.
    ``date_sent_before``: how ``DateSent<`` reads a day, ``inclusive`` as Twilio
    documents, or ``exclusive`` as one client library assumes.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        state: State | None = None,
        clock: Clock | None = None,
        faults: Faults | None = None,
        date_sent_before: Literal["inclusive", "exclusive"] = "inclusive",
    ) -> None:
        self.state = state or State(path)
        self.clock = clock or SystemClock()
        self.faults = faults
        self.date_sent_before = date_sent_before
        found = self.state.account()
        self.account: Account = found or self.state.create_account(numbers=DEFAULT_NUMBERS, now=self.now())

    def now(self) -> int:
        """The sandbox clock's time, in epoch seconds."""
        return _epoch(self.clock.now())

    def credentials(self) -> Credentials:
        """The account's credentials (its SID and auth token)."""
        return Credentials(account_sid=self.account.sid, auth_token=self.account.token)

    def transport(self) -> SandboxTransport:
        """An httpx transport (sync and async) answering from this sandbox, in process."""
        from book.sandbox.transport import SandboxTransport

        return SandboxTransport(self)

    def client(self, **options: Any) -> Client:
        """A sync client of this sandbox, in process."""
        return Client(credentials=self.credentials(), transport=self.transport(), **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An async client of this sandbox, in process."""
        return AsyncClient(credentials=self.credentials(), transport=self.transport(), **options)

    def count(self) -> int:
        """How many messages the account holds."""
        return self.state.count(self.account.sid)

    def reset(self) -> None:
        """Forget every message and make a new account (new SID and token)."""
        self.state.reset()
        self.account = self.state.create_account(numbers=DEFAULT_NUMBERS, now=self.now())

    def __repr__(self) -> str:
        where = str(self.state.path) if self.state.path else "memory"
        return f"Sandbox({where}, account={self.account.sid})"

    def new_sid(self, prefix: str) -> str:
        """A new message sid: unique in this account, and the same for the same
        history of an account (so that runs on a fixed clock repeat exactly)."""
        number = self.state.counter(f"sids:{self.account.sid}")
        digest = hashlib.sha256(f"{self.account.sid}:{number}".encode()).hexdigest()
        return prefix + digest[:32]

    def senders(self) -> list[str]:
        return [number for number in self.account.numbers if number.startswith("+")]

    # ------------------------------------------------------------- entry

    def handle(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
        authorization: str | None,
    ) -> Reply:
        """Twilio's answer to one request."""
        fault = self.faults.draw(method) if self.faults else Fault()
        account = self._authenticate(authorization)
        if account is None:
            reply = _error(401, 20003, "Authenticate")
            return reply.replace(
                headers=(*reply.headers, ("WWW-Authenticate", 'Basic realm="Twilio API"')), delay=fault.delay
            )
        if fault.status == 429:
            reply = _error(429, 20429, "Too Many Requests")
            if fault.retry_after is not None:
                reply = reply.replace(headers=(*reply.headers, ("Retry-After", str(fault.retry_after))))
            return reply.replace(delay=fault.delay)
        if fault.status is not None:
            return _error(fault.status, 20500, "Service Unavailable").replace(delay=fault.delay)
        try:
            with self.state.transaction():  # one request, one atomic step, across threads and processes
                reply = self._route(account, method, path, query, form)
        except _Refusal as refusal:
            reply = _error(refusal.status, refusal.code, refusal.message)
        headers = (*reply.headers, ("Twilio-Request-Id", "RQ" + secrets.token_hex(16)))
        return reply.replace(headers=headers, lost=fault.lost, delay=fault.delay)

    def _authenticate(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            username, _, password = base64.b64decode(authorization[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.state.authenticate(username, password)

    def _route(
        self,
        account: str,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
    ) -> Reply:
        collection = _COLLECTION.fullmatch(path)
        one = _ONE.fullmatch(path)
        target = collection.group(1) if collection else one.group(1) if one else None
        if target is None:
            raise _Refusal(404, 20404, f"The requested resource {path} was not found")
        if target != account:
            raise _Refusal(401, 20003, "Authenticate")
        self._advance(account)
        if collection and method == "GET":
            return self._list(account, query)
        if collection and method == "POST":
            return self._create(account, form)
        if one and method == "GET":
            return _json(200, self._row(account, one.group(2), path).message())
        if one and method == "POST":
            return self._update(account, one.group(2), form, path)
        if one and method == "DELETE":
            if not self.state.delete(account, one.group(2)):
                raise _Refusal(404, 20404, f"The requested resource {path} was not found")
            return Reply(204, (), b"")
        raise _Refusal(405, 20004, "Method not allowed")

    def _advance(self, account: str) -> None:
        """Move every message whose next lifecycle step is due."""
        now = self.now()
        due = self.state.due(account, now)
        if due:
            senders = self.senders()
            self.state.put(account, [advance(row, now, senders) for row in due])

    def _row(self, account: str, sid: str, path: str) -> Row:
        row = self.state.get(account, sid)
        if row is None:
            raise _Refusal(404, 20404, f"The requested resource {path} was not found")
        return row

    # -------------------------------------------------------------- list

    def _list(self, account: str, query: Sequence[tuple[str, str]]) -> Reply:
        params = dict(query)
        filters = [(name, params[name]) for name in _FILTER_ORDER if name in params]
        try:
            size = int(params.get("PageSize", "50"))
        except ValueError:
            raise _Refusal(400, 20001, f"Invalid PageSize: {params['PageSize']}") from None
        if size < 1:
            raise _Refusal(400, 20001, f"Invalid PageSize: {size}")
        size = min(size, MAX_PAGE_SIZE)
        try:
            number = int(params.get("Page", "0"))
        except ValueError:
            raise _Refusal(400, 20001, f"Invalid Page: {params['Page']}") from None
        token = params.get("PageToken")
        if number != 0 and not token:
            raise _Refusal(400, 20001, "Unable to process request: a Page other than 0 needs its PageToken")
        after = before = None
        if token:
            place = self.state.place(account, token[2:]) if token[:2] in ("PA", "PB") else None
            if place is None:
                raise _Refusal(400, 20001, f"Invalid PageToken: {token}")
            after, before = (place, None) if token.startswith("PA") else (None, place)
        sent_from = sent_until = None
        if "DateSent" in params:
            day = _day(params["DateSent"])
            sent_from, sent_until = _day_start(day), _day_start(day + dt.timedelta(days=1))
        if "DateSent>" in params:
            sent_from = max(sent_from or 0, _day_start(_day(params["DateSent>"])))
        if "DateSent<" in params:
            day = _day(params["DateSent<"])
            bound = (
                _day_start(day + dt.timedelta(days=1))
                if self.date_sent_before == "inclusive"
                else _day_start(day)
            )
            sent_until = bound if sent_until is None else min(sent_until, bound)
        rows = self.state.page(
            account,
            to=params.get("To"),
            sender=params.get("From"),
            sent_from=sent_from,
            sent_until=sent_until,
            after=after,
            before=before,
            size=size + 1,
        )
        more = len(rows) > size
        rows = rows[:size] if before is None else rows[-size:] if more else rows
        collection = f"/{API_VERSION}/Accounts/{account}/Messages.json"

        def uri(*extra: tuple[str, str]) -> str:
            return f"{collection}?{urlencode([*filters, ('PageSize', str(size)), *extra])}"

        this = [("Page", str(number))] + ([("PageToken", token)] if token else [])
        next_uri = (
            uri(("Page", str(number + 1)), ("PageToken", "PA" + rows[-1].sid))
            if rows and (more or before)
            else None
        )
        previous = (
            uri(("Page", str(max(number - 1, 0))), ("PageToken", "PB" + rows[0].sid))
            if rows and number > 0
            else None
        )
        start = number * size if rows else 0
        meta = {
            "first_page_uri": uri(("Page", "0")),
            "end": start + len(rows) - 1 if rows else 0,
            "previous_page_uri": previous,
            "uri": uri(*this),
            "page_size": size,
            "start": start,
            "next_page_uri": next_uri,
            "page": number,
        }
        head = json.dumps(meta, ensure_ascii=False)[:-1]
        body = head + ', "messages": [' + ", ".join(row.data for row in rows) + "]}"
        return Reply(200, (("Content-Type", "application/json"),), body.encode())

    # ------------------------------------------------------------ create

    def _create(self, account: str, form: Sequence[tuple[str, str]]) -> Reply:
        to = _first(form, "To")
        sender = _first(form, "From")
        service = _first(form, "MessagingServiceSid")
        body = _first(form, "Body")
        media = [value for key, value in form if key == "MediaUrl"]
        content = _first(form, "ContentSid")
        if not to:
            raise _Refusal(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            raise _Refusal(400, 21603, "A 'From' phone number is required.")
        if body is None and not media and not content:
            raise _Refusal(400, 21602, "Message body is required.")
        if body is not None and len(body) > MAX_BODY:
            raise _Refusal(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if len(media) > 10:
            raise _Refusal(400, 21623, "The number of media urls exceeds the limit of 10.")
        if to in MAGIC_TO:
            raise _Refusal(400, *MAGIC_TO[to])
        channel, _, address = to.rpartition(":")
        number = _e164(address)
        if number is None or (channel and channel not in ("whatsapp", "messenger", "rcs")):
            raise _Refusal(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        to, address = (f"{channel}:{number}" if channel else number), number
        if sender in MAGIC_FROM:
            raise _Refusal(400, *MAGIC_FROM[sender])
        if service and not self.state.has_service(account, service):
            raise _Refusal(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        if sender and not self.state.owns(account, sender.rpartition(":")[2]):
            if not (_e164(sender.rpartition(":")[2]) or re.fullmatch(r"[A-Za-z0-9 ]{1,11}|\d{5,6}", sender)):
                raise _Refusal(
                    400,
                    21212,
                    f"The 'From' number {sender} is not a valid phone number, shortcode, or alphanumeric sender ID.",
                )
            raise _Refusal(
                400,
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code for your account.",
            )
        if sender and sender.rpartition(":")[2] == address:
            raise _Refusal(400, 21266, "'To' and 'From' number cannot be the same")
        if self.state.opted_out(account, address):
            raise _Refusal(400, 21610, "Attempt to send to unsubscribed recipient")
        now = self.now()
        send_at = None
        if service and _first(form, "ScheduleType") == "fixed":  # without a service, Twilio drops scheduling
            send_at = self._send_at(_first(form, "SendAt"), now)
        text = body or ""
        if (_first(form, "SmartEncoded") or "").lower() == "true":
            text = smart(text)
        segments = count(text).segments
        sid = self.new_sid("MM" if media else "SM")
        status = "scheduled" if send_at is not None else "accepted" if service else "queued"
        next_at = send_at if send_at is not None else now if service else now + SEND_DELAY
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
            json.dumps({"segments": segments}),
        )
        self.state.put(account, [row])
        return _json(201, message)

    def _send_at(self, text: str | None, now: int) -> int:
        try:
            when = dt.datetime.fromisoformat((text or "").replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise _Refusal(400, 35114, "Scheduling does not support this timestamp")
        seconds = _epoch(when) - now
        if not SCHEDULE_WINDOW[0] <= seconds <= SCHEDULE_WINDOW[1]:
            raise _Refusal(400, 35114, "Scheduling does not support this timestamp")
        return _epoch(when)

    # ------------------------------------------------- update and inbound

    def _update(self, account: str, sid: str, form: Sequence[tuple[str, str]], path: str) -> Reply:
        row = self._row(account, sid, path)
        message = row.message()
        body = _first(form, "Body")
        status = _first(form, "Status")
        if body is not None and body != "":
            raise _Refusal(400, 20001, "Body can only be updated to an empty string, to redact the message")
        if status is not None and status != "canceled":
            raise _Refusal(400, 20001, f"Invalid Status: {status}; only 'canceled' can be set")
        now = self.now()
        next_at = row.next_at
        if status == "canceled":
            if message.get("status") != "scheduled":
                raise _Refusal(400, 30409, "This message cannot be canceled")
            message["status"] = "canceled"
            next_at = None
        if body == "":
            message["body"] = ""
        if body is not None or status is not None:
            message["date_updated"] = epoch_rfc2822(now)
        self.state.put(
            account,
            [
                row.replace(
                    status=message.get("status"),
                    next_at=next_at,
                    data=json.dumps(message, ensure_ascii=False),
                )
            ],
        )
        return _json(200, message)

    def receive(
        self, *, sender: str, body: str, to: str | None = None, media: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Inject an inbound message, as if a customer had texted the account;
        STOP words opt the customer out (21610 afterwards), START words back in."""
        account = self.account.sid
        recipient = to or self.senders()[0]
        now = self.now()
        with self.state.transaction():
            return self._receive(account, sender, body, recipient, now, media)

    def _receive(
        self, account: str, sender: str, body: str, recipient: str, now: int, media: Sequence[str]
    ) -> dict[str, Any]:
        stamp = epoch_rfc2822(now)
        sid = self.new_sid("MM" if media else "SM")
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
        self.state.put(
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
                )
            ],
        )
        word = body.strip().lower()
        if word in STOP_WORDS or word in START_WORDS:
            self.state.opt(account, sender, out=word in STOP_WORDS)
        return message
