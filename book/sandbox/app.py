"""The emulated Messages API: a request in, Twilio's answer out.

``Sandbox.handle`` takes a method, a path, the query and form fields and the
``Authorization`` header, and answers as Twilio does (docs/twilio-api.md and
docs/sandbox.md): Basic auth with the account's token or an API key (401/20003
otherwise); lists with exactly Twilio's filters and day semantics, newest first,
paged by ``PageToken``; creates with Twilio's validation, error codes, magic
test numbers and segment counts; fetch, redact, cancel and delete. The ASGI
app (asgi.py) puts it on HTTP; the httpx transport (transport.py) and the
loopback server (server.py) are the app's two ways in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from book.client import AsyncClient, Client
from book.credentials import Credentials
from book.errors import SandboxError
from book.sandbox import numbers
from book.sandbox.answers import Refusal, Reply, error_reply, first, json_reply
from book.sandbox.creating import create
from book.sandbox.faults import Fault, Faults
from book.sandbox.lifecycle import PRICE_PER_SEGMENT, epoch, epoch_rfc2822, steps
from book.sandbox.listing import list_page
from book.sandbox.segments import count
from book.sandbox.state import Account, Row, State
from book.sandbox.webhooks import Delivery, Webhooks, inbound_delivery, replies, status_delivery
from book.wire import API_VERSION
from procedures import Clock, SystemClock, normalise_phone

if TYPE_CHECKING:
    from book.sandbox.transport import SandboxTransport

__all__ = ["DEFAULT_NUMBERS", "Reply", "Sandbox"]

DEFAULT_NUMBERS = ("+15005550006", "+12125550100", "SMSBOOK")

# Statuses a message leaves on its own: Twilio deletes none of them (20009).
UNFINISHED = frozenset({"accepted", "scheduled", "queued", "sending", "receiving"})

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "yes", "unstop"}

_COLLECTION = re.compile(rf"/{API_VERSION}/Accounts/(AC[0-9a-fA-F]{{32}})/Messages\.json")
_ONE = re.compile(
    rf"/{API_VERSION}/Accounts/(AC[0-9a-fA-F]{{32}})/Messages/((?:SM|MM)[0-9a-fA-F]{{32}})\.json"
)


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
        sender_rate: int | None = None,
        webhook_hosts: Sequence[str] = (),
    ) -> None:
        self.state = state or State(path)
        self.clock = clock or SystemClock()
        self.faults = faults
        self.date_sent_before = date_sent_before
        self.sender_rate = sender_rate
        self.account: Account = self.state.first_account(numbers=DEFAULT_NUMBERS, now=self.now())
        self.webhooks = Webhooks(self._recorded, hosts=webhook_hosts)
        self._outbox = threading.local()  # status callbacks of the request under way: sent once it commits

    def now(self) -> int:
        """The sandbox clock's time, in epoch seconds."""
        return epoch(self.clock.now())

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
        """Twilio's answer to one request; every answer, an error too, has its
        ``Twilio-Request-Id``."""
        fault = self.faults.draw(method) if self.faults else Fault()
        reply = self._answer(method, path, query, form, authorization, fault)
        headers = (*reply.headers, ("Twilio-Request-Id", "RQ" + secrets.token_hex(16)))
        return reply.replace(headers=headers, delay=fault.delay)

    def _answer(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
        authorization: str | None,
        fault: Fault,
    ) -> Reply:
        account = self._authenticate(authorization)
        if account is None:
            reply = error_reply(401, 20003, "Authenticate")
            return reply.replace(headers=(*reply.headers, ("WWW-Authenticate", 'Basic realm="Twilio API"')))
        if fault.status == 429:
            reply = error_reply(429, 20429, "Too Many Requests")
            if fault.retry_after is not None:
                reply = reply.replace(headers=(*reply.headers, ("Retry-After", str(fault.retry_after))))
            return reply
        if fault.status is not None:
            return error_reply(fault.status, 20500, "Service Unavailable")
        try:
            with self._callbacks(), self.state.transaction():  # one request, one atomic step
                reply = self._route(account, method, path, query, form)
        except Refusal as refusal:
            reply = error_reply(refusal.status, refusal.code, refusal.message)
            reply = reply.replace(headers=(*reply.headers, *refusal.headers))
        return reply.replace(lost=fault.lost)

    @contextmanager
    def _callbacks(self) -> Iterator[None]:
        """Gather the status callbacks of what is done inside, and send them (in the
        background) only if it all commits: a change rolled back calls nobody."""
        gathered: list[Delivery] = []
        self._outbox.deliveries = gathered
        try:
            yield
        except BaseException:
            gathered.clear()
            raise
        finally:
            self._outbox.deliveries = None
        for delivery in gathered:
            self.webhooks.post(delivery)

    def _changed(self, account: str, row: Row) -> None:
        """A message's status changed: its status callback, if it has one."""
        url = row.remembered().get("callback")
        if url:
            delivery = status_delivery(account, self.account.token, url, row.message())
            gathered = getattr(self._outbox, "deliveries", None)
            if gathered is not None:
                gathered.append(delivery)
            else:
                self.webhooks.post(delivery)

    def _recorded(self, delivery: Delivery) -> None:
        """Keep a delivery's outcome (``book sandbox info`` shows the latest)."""
        self.state.record_delivery(
            delivery.account,
            delivery.at,
            {
                "at": epoch_rfc2822(int(delivery.at)),
                "kind": delivery.kind,
                "sid": delivery.sid,
                "url": delivery.url,
                "status": delivery.status,
                "error": delivery.error,
                "attempts": delivery.attempts,
            },
        )

    def tick(self) -> None:
        """Move every message whose next lifecycle step is due, and send the status
        callbacks that makes (a served sandbox does this on its own clock)."""
        with self._callbacks(), self.state.transaction():
            self._advance(self.account.sid)

    def admits(self, authorization: str | None) -> bool:
        """Whether these credentials open the account: the HTTP layer (asgi.py)
        asks before it reads a request's body, and answers through ``handle``
        (401) without reading it when they do not."""
        return self._authenticate(authorization) is not None

    def _authenticate(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            username, _, password = base64.b64decode(authorization[6:], validate=True).decode().partition(":")
        except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded
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
        if target is None and numbers.matches(path):
            return numbers.route(self, account, method, path, query, form)
        if target is None:
            raise Refusal(404, 20404, f"The requested resource {path} was not found")
        if target != account:
            raise Refusal(401, 20003, "Authenticate")
        self._advance(account)
        if collection and method == "GET":
            return list_page(
                self.state, account, query, date_sent_before=self.date_sent_before, now=self.now()
            )
        if collection and method == "POST":
            return create(self, account, form)
        if one and method == "GET":
            return json_reply(200, self._row(account, one.group(2), path).message())
        if one and method == "POST":
            return self._update(account, one.group(2), form, path)
        if one and method == "DELETE":
            if self._row(account, one.group(2), path).status in UNFINISHED:
                raise Refusal(409, 20009, "Cannot delete this resource before it is complete")
            if not self.state.delete(account, one.group(2)):
                raise Refusal(404, 20404, f"The requested resource {path} was not found")
            return Reply(204, (), b"")
        # HEAD is answered as GET, without the body, by the HTTP layer (asgi.py).
        allowed = "GET, HEAD, POST" if collection else "DELETE, GET, HEAD, POST"
        raise Refusal(405, 20004, "Method not allowed", headers=(("Allow", allowed),))

    def _advance(self, account: str) -> None:
        """Move every message whose next lifecycle step is due."""
        now = self.now()
        due = self.state.due(account, now)
        if due:
            senders = self.senders()
            moved = []
            for row in due:
                taken = steps(row, now, senders)
                for step in taken:
                    self._changed(account, step)
                moved.append(taken[-1] if taken else row)
            self.state.put(account, moved)

    def _row(self, account: str, sid: str, path: str) -> Row:
        row = self.state.get(account, sid)
        if row is None:
            raise Refusal(404, 20404, f"The requested resource {path} was not found")
        return row

    # -------------------------------------------------------------- list

    # ------------------------------------------------- update and inbound

    def _update(self, account: str, sid: str, form: Sequence[tuple[str, str]], path: str) -> Reply:
        row = self._row(account, sid, path)
        message = row.message()
        body = first(form, "Body")
        status = first(form, "Status")
        if body is not None and body != "":
            raise Refusal(400, 20001, "Body can only be updated to an empty string, to redact the message")
        if status is not None and status != "canceled":
            raise Refusal(400, 20001, f"Invalid Status: {status}; only 'canceled' can be set")
        now = self.now()
        next_at = row.next_at
        if status == "canceled":
            if message.get("status") != "scheduled":
                raise Refusal(400, 30409, "This message cannot be canceled")
            message["status"] = "canceled"
            next_at = None
            self._changed(account, row.replace(data=json.dumps(message, ensure_ascii=False)))
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
        return json_reply(200, message)

    def receive(
        self, *, sender: str, body: str, to: str | None = None, media: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Inject an inbound message, as if a customer had texted the account;
        STOP words opt the customer out (21610 afterwards), START words back in.
        ``sender`` is a phone number (in E.164 once normalised); ``to`` one of the
        account's numbers (default: the first)."""
        account = self.account.sid
        sender = _number(sender, "the sender")
        if to is not None and to in self.account.numbers and to not in self.senders():
            raise SandboxError(
                f"{to} is an alphanumeric sender id: it sends one way, and no one can text it",
                hint="Send it to one of the account's phone numbers: " + ", ".join(self.senders()) + ".",
            )
        recipient = _number(to, "the recipient") if to is not None else self.senders()[0]
        if not self.state.owns(account, recipient):
            raise SandboxError(
                f"{recipient} is not one of this account's numbers",
                hint="Send it to one of: " + ", ".join(self.senders()) + ".",
            )
        now = self.now()
        with self.state.transaction():
            message = self._receive(account, sender, body, recipient, now, media)
        return self._answered(account, message)

    def _answered(self, account: str, message: dict[str, Any]) -> dict[str, Any]:
        """An inbound message sent on to its number's SmsUrl, as Twilio does, and the
        replies its TwiML answer asks for sent back; ``webhook`` and ``replies``
        say how that went."""
        settings = self.state.number_settings(account, str(message["to"]))
        url = settings.get("sms_url")
        if not url:
            return message
        delivery = self.webhooks.send(
            inbound_delivery(account, self.account.token, url, settings.get("sms_method", "POST"), message)
        )
        sent = []
        if delivery.status is not None and 200 <= delivery.status < 300:
            for text in replies(delivery.answer):
                form = [("To", str(message["from"])), ("From", str(message["to"])), ("Body", text)]
                with self._callbacks(), self.state.transaction():
                    reply = json.loads(create(self, account, form).body)
                    row = self.state.get(account, reply["sid"])
                    if row is not None:  # a reply made by TwiML is Twilio's outbound-reply
                        reply["direction"] = "outbound-reply"
                        self.state.put(account, [row.replace(data=json.dumps(reply, ensure_ascii=False))])
                sent.append(reply["sid"])
        return {
            **message,
            "webhook": {"url": url, "status": delivery.status, "error": delivery.error},
            "replies": sent,
        }

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
