"""What the sandbox sends out, as Twilio does: status callbacks and inbound messages,
form POSTs signed with ``X-Twilio-Signature`` by the account's token.

Deliveries go only to hosts the sandbox is allowed to call: loopback by default
(``127.0.0.0/8``, ``::1``, ``localhost``); another host must be named
(``Sandbox(webhook_hosts=...)``, ``book sandbox serve --webhook-host``). Status
callbacks are queued and sent by a worker thread, so the API never waits for
them: a short timeout, one retry when the connection fails or the answer is
5xx, as Twilio retries. Each delivery, good or bad, is recorded in the
sandbox's state (``book sandbox info`` shows the latest).

The signature is Twilio's ``X-Twilio-Signature``, made by ``book.signature``, which
webhook receivers check with too.
"""

from __future__ import annotations

import ipaddress
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from book.signature import signature

if TYPE_CHECKING:  # httpx loads when a webhook is delivered
    import httpx

__all__ = [
    "TIMEOUT",
    "Delivery",
    "Webhooks",
    "allowed",
    "inbound_delivery",
    "replies",
    "status_delivery",
]

TIMEOUT = 5.0  # seconds for one attempt: connect, send and answer
RETRIES = 1  # another attempt after a failed connection or a 5xx, as Twilio makes


def allowed(url: str, hosts: Iterable[str] = ()) -> bool:
    """Whether the sandbox may call ``url``: http(s), to loopback or a named host
    (``*`` names every host)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    named = {name.lower() for name in hosts}
    if "*" in named or host in named or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Delivery:
    """One webhook to deliver: what for (``kind``: status, inbound), the message it
    is about, where, and the form it posts."""

    kind: str
    account: str
    sid: str
    url: str
    params: list[tuple[str, str]]
    token: str
    method: str = "POST"
    status: int | None = None
    error: str | None = None
    attempts: int = 0
    answer: bytes = b""
    at: float = field(default_factory=time.time)


class Webhooks:
    """Sends deliveries: ``send`` now and waits (an inbound message, whose answer
    may be a reply), ``post`` in the background (a status callback). ``record``
    is called with each finished delivery."""

    def __init__(
        self,
        record: Callable[[Delivery], None],
        *,
        hosts: Iterable[str] = (),
        timeout: float = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.record = record
        self.hosts = tuple(hosts)
        self.timeout = timeout
        self._transport = transport
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, delivery: Delivery) -> Delivery:
        """Deliver now; the delivery with its outcome (recorded too)."""
        if not allowed(delivery.url, self.hosts):
            delivery.error = (
                f"not sent: {urlsplit(delivery.url).hostname or delivery.url} is not a host the sandbox may "
                "call (loopback, or one named with --webhook-host)"
            )
        else:
            self._attempt(delivery)
        self.record(delivery)
        return delivery

    def post(self, delivery: Delivery) -> None:
        """Deliver in the background, in order; the caller does not wait."""
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="sandbox-webhooks", daemon=True)
                self._worker.start()
        self._queue.put(delivery)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every delivery posted so far is done; whether they all were."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                if delivery is None:
                    return
                self.send(delivery)
            except Exception:  # noqa: BLE001, S110 - a delivery that cannot even be recorded must not stop the rest
                pass
            finally:
                self._queue.task_done()

    def _attempt(self, delivery: Delivery) -> None:
        # As Twilio does: a POST carries the parameters as a form (repeated names
        # kept), and is signed over the URL and them; a GET carries them in its
        # query, and is signed over that whole URL alone.
        url, form = delivery.url, delivery.params
        if delivery.method == "GET":
            url, form = url + ("&" if "?" in url else "?") + urlencode(form), []
        headers = {
            "X-Twilio-Signature": signature(url, form, delivery.token),
            "User-Agent": "TwilioProxy/1.1 (sms-book sandbox)",
        }
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        import httpx

        with httpx.Client(
            timeout=self.timeout, follow_redirects=False, trust_env=False, transport=self._transport
        ) as client:
            for attempt in range(1 + RETRIES):
                delivery.attempts = attempt + 1
                try:
                    response = client.request(
                        delivery.method,
                        url,
                        content=urlencode(form).encode() if form else None,
                        headers=headers,
                    )
                except httpx.HTTPError as exc:
                    delivery.status, delivery.error = None, f"{type(exc).__name__}: no answer"
                    continue
                delivery.status, delivery.error, delivery.answer = (
                    response.status_code,
                    None,
                    response.content[:65536],
                )
                if response.status_code < 500:
                    return
                delivery.error = f"answered {response.status_code}"

    def close(self) -> None:
        """Stop the worker once what was posted is delivered."""
        with self._lock:
            worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.put(None)
            worker.join(timeout=self.timeout * (2 + RETRIES))


def status_delivery(account: str, token: str, url: str, message: dict[str, Any]) -> Delivery:
    """The status callback Twilio makes when a message's status changes: its
    parameters as Twilio names them."""
    params = [
        ("AccountSid", account),
        ("ApiVersion", str(message.get("api_version") or "2010-04-01")),
        ("From", str(message.get("from") or "")),
        ("MessageSid", str(message.get("sid"))),
        ("MessageStatus", str(message.get("status"))),
        ("SmsSid", str(message.get("sid"))),
        ("SmsStatus", str(message.get("status"))),
        ("To", str(message.get("to") or "")),
    ]
    if message.get("error_code") is not None:
        params.append(("ErrorCode", str(message["error_code"])))
    if message.get("messaging_service_sid"):
        params.append(("MessagingServiceSid", str(message["messaging_service_sid"])))
    return Delivery("status", account, str(message.get("sid")), url, params, token)


def inbound_delivery(account: str, token: str, url: str, method: str, message: dict[str, Any]) -> Delivery:
    """The request Twilio makes to a number's SmsUrl when a message comes in."""
    params = [
        ("AccountSid", account),
        ("ApiVersion", str(message.get("api_version") or "2010-04-01")),
        ("Body", str(message.get("body") or "")),
        ("From", str(message.get("from") or "")),
        ("MessageSid", str(message.get("sid"))),
        ("NumMedia", str(message.get("num_media") or "0")),
        ("NumSegments", str(message.get("num_segments") or "1")),
        ("SmsMessageSid", str(message.get("sid"))),
        ("SmsSid", str(message.get("sid"))),
        ("SmsStatus", "received"),
        ("To", str(message.get("to") or "")),
    ]
    return Delivery("inbound", account, str(message.get("sid")), url, params, token, method=method.upper())


def replies(answer: bytes) -> list[str]:
    """The texts of the ``<Message>`` verbs of a TwiML answer (``<Message>text</Message>``
    or ``<Message><Body>text</Body></Message>``); none for an answer that is not TwiML."""
    from xml.etree import ElementTree

    if not answer.strip() or len(answer) > 65536:
        return []
    try:
        # expat (2.4.1 and later, as Python ships it) refuses entity amplification; the size is capped above
        root = ElementTree.fromstring(answer)  # noqa: S314
    except ElementTree.ParseError:
        return []
    if root.tag != "Response":
        return []
    texts = []
    for verb in root.findall("Message"):
        body = verb.find("Body")
        text = (body.text if body is not None else verb.text) or ""
        if text.strip():
            texts.append(text.strip())
    return texts
