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
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from book.api import SANDBOX_HEADER
from book.credentials import Credentials
from book.resources.messages import MESSAGES
from book.sandbox import inbound, media, numbers, sids
from book.sandbox.answers import Refusal, Reply, error_reply, first, json_reply
from book.sandbox.callbacks import StatusCallbacks
from book.sandbox.creating import create
from book.sandbox.faults import Fault, Faults
from book.sandbox.lifecycle import epoch, epoch_rfc2822, steps
from book.sandbox.listing import list_page
from book.sandbox.state import Account, Row, State
from book.sandbox.webhooks import Delivery, Webhooks
from procedures import Clock, SystemClock

if TYPE_CHECKING:
    from book.client import AsyncClient, Client
    from book.sandbox.transport import SandboxTransport

__all__ = ["DEFAULT_NUMBERS", "Reply", "Sandbox"]

DEFAULT_NUMBERS = ("+15005550006", "+12125550100", "SMSBOOK")

# Statuses a message leaves on its own: Twilio deletes none of them (20009).
UNFINISHED = frozenset({"accepted", "scheduled", "queued", "sending", "receiving"})

_RESOURCES = (numbers, media)
_COLLECTION = re.compile(rf"{sids.ACCOUNT_PATH}/Messages\.json")
# Group 1: the account; group 2: the message's sid.
_ONE = re.compile(rf"{sids.ACCOUNT_PATH}/Messages/({MESSAGES.sid.pattern})\.json")


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
        self.callbacks = StatusCallbacks(self.webhooks)

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
        from book.client import Client

        return Client(credentials=self.credentials(), transport=self.transport(), **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An async client of this sandbox, in process."""
        from book.client import AsyncClient

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
        return sids.derived(prefix, self.account.sid, self.state.counter(f"sids:{self.account.sid}"))

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
        crowded: bool = False,
    ) -> Reply:
        """Twilio's answer to one request; every answer, an error too, has its
        ``Twilio-Request-Id``. ``crowded``: the account has as many requests in
        flight as it may (faults.py), and this one is answered 429."""
        if crowded and self.faults is not None:
            fault = Fault(status=429, retry_after=self.faults.retry_after, delay=self.faults.latency)
        else:
            fault = self.faults.draw(method) if self.faults else Fault()
        reply = self._answer(method, path, query, form, authorization, fault)
        headers = (*reply.headers, ("Twilio-Request-Id", sids.random("RQ")), (SANDBOX_HEADER, "local"))
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
            with self.callbacks.gathering(), self.state.transaction():  # one request, one atomic step
                reply = self._route(account, method, path, query, form)
        except Refusal as refusal:
            reply = error_reply(refusal.status, refusal.code, refusal.message)
            reply = reply.replace(headers=(*reply.headers, *refusal.headers))
        return reply.replace(lost=fault.lost)

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
        with self.callbacks.gathering(), self.state.transaction():
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
        for resource in _RESOURCES:  # the resources beside Messages: each matches its own paths
            if target is None and resource.matches(path):
                reply: Reply = resource.route(self, account, method, path, query, form)
                return reply
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
                    self.callbacks.changed(account, self.account.token, step)
                moved.append(taken[-1] if taken else row)
            self.state.put(account, moved)

    def _row(self, account: str, sid: str, path: str) -> Row:
        row = self.state.get(account, sid)
        if row is None:
            raise Refusal(404, 20404, f"The requested resource {path} was not found")
        return row

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
            changed = row.replace(data=json.dumps(message, ensure_ascii=False))
            self.callbacks.changed(account, self.account.token, changed)
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
        return inbound.receive(self, sender=sender, body=body, to=to, media=media)
