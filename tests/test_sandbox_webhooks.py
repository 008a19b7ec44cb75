"""What the sandbox sends out, as Twilio does: status callbacks on each status
change, inbound messages to a number's SmsUrl (with TwiML replies sent back),
both signed with X-Twilio-Signature (checked with the official library's
RequestValidator); only to allowed hosts; never blocking the API; recorded.
Also the account's numbers as a resource, and ValidityPeriod on the clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from book.sandbox import Sandbox
from book.sandbox.numbers import number_sid
from book.sandbox.webhooks import allowed, replies
from book.signature import signature, valid
from procedures import FixedClock

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
HOOK = "http://127.0.0.1:9/hooks/status?tag=1"


class Receiver:
    """A webhook receiver in process (httpx's MockTransport): what it got, and what it answers."""

    def __init__(self, answer: httpx.Response | None = None, delay: float = 0.0, failures: int = 0) -> None:
        self.got: list[httpx.Request] = []
        self.answer = answer or httpx.Response(200, text="")
        self.delay = delay
        self.failures = failures
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self.lock:
            self.got.append(request)
            failing = self.failures > 0
            self.failures -= 1
        time.sleep(self.delay)
        return httpx.Response(500) if failing else self.answer

    def forms(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(request.content.decode())) for request in self.got]


def sandbox_with(receiver: Receiver, **options: object) -> tuple[Sandbox, FixedClock]:
    clock = FixedClock(NOW)
    sandbox = Sandbox(clock=clock, **options)  # type: ignore[arg-type]
    sandbox.webhooks._transport = httpx.MockTransport(receiver)
    return sandbox, clock


def signed(sandbox: Sandbox, request: httpx.Request) -> bool:
    """Whether the request is signed as Twilio signs, by the official library and by book.signature."""
    form = parse_qsl(request.content.decode(), keep_blank_values=True)
    url, header, token = str(request.url), request.headers["X-Twilio-Signature"], sandbox.account.token
    return RequestValidator(token).validate(url, dict(form), header) and valid(url, form, header, token)


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=30),
    st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=6),
    st.sampled_from(["https://example.com/hook", "http://127.0.0.1:8080/a/b?x=1&y=2", "https://h/p?q=%20"]),
)
def test_the_signature_is_twilios(token: str, params: dict[str, str], url: str) -> None:
    assert signature(url, list(params.items()), token) == RequestValidator(token).compute_signature(
        url, params
    )


# ----------------------------------------------------------- status callbacks


def test_each_status_change_is_called_back_signed_with_twilios_parameters() -> None:
    receiver = Receiver()
    sandbox, clock = sandbox_with(receiver)
    client = sandbox.client()
    ok = client.create_message(to="+14155550100", from_="+15005550006", body="hi", status_callback=HOOK)
    bad = client.create_message(to="+15005550011", from_="+15005550006", body="hi", status_callback=HOOK)
    client.create_message(to="+14155550101", from_="+15005550006", body="no callback")
    clock.advance(dt.timedelta(seconds=5))
    sandbox.tick()
    assert sandbox.webhooks.drain()
    forms = receiver.forms()
    by_message: dict[str, list[str]] = {}
    for form in forms:  # in the order they came, for each message
        by_message.setdefault(form["MessageSid"], []).append(form["MessageStatus"])
    assert by_message == {ok.sid: ["sent", "delivered"], bad.sid: ["sent", "undelivered"]}
    assert all(signed(sandbox, request) for request in receiver.got)
    assert all(str(request.url) == HOOK for request in receiver.got)
    undelivered = next(form for form in forms if form["MessageStatus"] == "undelivered")
    assert undelivered["ErrorCode"] == "30003" and undelivered["AccountSid"] == sandbox.account.sid
    assert all("ErrorCode" not in form for form in forms if form["MessageSid"] == ok.sid)
    assert {"SmsSid", "SmsStatus", "From", "To", "ApiVersion"} <= set(undelivered)
    recorded = sandbox.state.deliveries(sandbox.account.sid, last=10)
    assert len(recorded) == 4 and {found["status"] for found in recorded} == {200}


def test_a_cancel_is_called_back() -> None:
    receiver = Receiver()
    sandbox, _ = sandbox_with(receiver)
    client = sandbox.client()
    send_at = (NOW + dt.timedelta(hours=1)).isoformat()
    scheduled = client.create_message(
        to="+14155550100",
        messaging_service_sid=sandbox.account.services[0],
        body="later",
        schedule_type="fixed",
        send_at=dt.datetime.fromisoformat(send_at),
        status_callback=HOOK,
    )
    client.cancel_message(scheduled.sid or "")
    assert sandbox.webhooks.drain()
    assert [form["MessageStatus"] for form in receiver.forms()] == ["canceled"]


def test_a_slow_receiver_never_holds_up_the_api() -> None:
    receiver = Receiver(delay=1.5)
    sandbox, clock = sandbox_with(receiver)
    client = sandbox.client()
    client.create_message(to="+14155550100", from_="+15005550006", body="hi", status_callback=HOOK)
    clock.advance(dt.timedelta(seconds=5))
    started = time.monotonic()
    list(client.list_messages())  # advances the message: two callbacks, 3 s of receiver
    assert time.monotonic() - started < 1.0
    assert sandbox.webhooks.drain(timeout=10)
    assert len(receiver.got) == 2


def test_a_failed_delivery_is_retried_once_and_recorded() -> None:
    receiver = Receiver(failures=1)
    sandbox, clock = sandbox_with(receiver)
    sandbox.client().create_message(to="+14155550100", from_="+15005550006", body="hi", status_callback=HOOK)
    clock.advance(dt.timedelta(seconds=1))
    sandbox.tick()
    assert sandbox.webhooks.drain()
    (recorded,) = sandbox.state.deliveries(sandbox.account.sid)
    assert (recorded["status"], recorded["attempts"]) == (200, 2)


def test_only_allowed_hosts_are_called() -> None:
    receiver = Receiver()
    sandbox, clock = sandbox_with(receiver)
    elsewhere = "https://hooks.example.com/status"
    sandbox.client().create_message(
        to="+14155550100", from_="+15005550006", body="hi", status_callback=elsewhere
    )
    clock.advance(dt.timedelta(seconds=1))
    sandbox.tick()
    assert sandbox.webhooks.drain()
    assert receiver.got == []
    (recorded,) = sandbox.state.deliveries(sandbox.account.sid)
    assert "not a host the sandbox may call" in recorded["error"]
    assert allowed("http://localhost:1/x") and allowed("http://[::1]:8/x") and allowed("http://127.9.9.9/")
    assert not allowed("http://10.0.0.1/") and not allowed("ftp://127.0.0.1/")
    assert allowed(elsewhere, ["hooks.example.com"]) and allowed(elsewhere, ["*"])


def test_a_change_that_is_rolled_back_calls_nobody() -> None:
    receiver = Receiver()
    sandbox, clock = sandbox_with(receiver)
    client = sandbox.client()
    client.create_message(to="+14155550100", from_="+15005550006", body="hi", status_callback=HOOK)
    clock.advance(dt.timedelta(seconds=5))
    # A request that advances the message, then is refused: the transaction rolls back.
    reply = sandbox.handle(
        "POST",
        f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json",
        [],
        [("To", "+14155550100")],  # no From, no Body: refused
        "Basic "
        + __import__("base64").b64encode(f"{sandbox.account.sid}:{sandbox.account.token}".encode()).decode(),
    )
    assert reply.status == 400
    sandbox.tick()  # the same changes, now committed: called back once each
    assert sandbox.webhooks.drain()
    assert [form["MessageStatus"] for form in receiver.forms()] == ["sent", "delivered"]


# -------------------------------------------------------- numbers and inbound


def test_the_numbers_are_a_resource_with_sms_url_and_method() -> None:
    sandbox, _ = sandbox_with(Receiver())
    client = sandbox.client()
    base = f"/2010-04-01/Accounts/{sandbox.account.sid}/IncomingPhoneNumbers"
    http = client._http
    auth = (sandbox.account.sid, sandbox.account.token)
    listed = http.get(f"https://api.twilio.com{base}.json", auth=auth).json()["incoming_phone_numbers"]
    assert [number["phone_number"] for number in listed] == ["+15005550006", "+12125550100"]  # not SMSBOOK
    sid = number_sid(sandbox.account.sid, "+15005550006")
    assert listed[0]["sid"] == sid and listed[0]["sms_url"] == "" and listed[0]["sms_method"] == "POST"
    updated = http.post(
        f"https://api.twilio.com{base}/{sid}.json",
        auth=auth,
        data={"SmsUrl": "http://127.0.0.1:9/inbound", "SmsMethod": "get"},
    ).json()
    assert (updated["sms_url"], updated["sms_method"]) == ("http://127.0.0.1:9/inbound", "GET")
    assert (
        http.get(f"https://api.twilio.com{base}/{sid}.json", auth=auth).json()["sms_url"]
        == updated["sms_url"]
    )
    bad_url = http.post(f"https://api.twilio.com{base}/{sid}.json", auth=auth, data={"SmsUrl": "nope"})
    assert (bad_url.status_code, bad_url.json()["code"]) == (400, 21402)
    bad_method = http.post(f"https://api.twilio.com{base}/{sid}.json", auth=auth, data={"SmsMethod": "PUT"})
    assert (bad_method.status_code, bad_method.json()["code"]) == (400, 21403)
    missing = http.get(f"https://api.twilio.com{base}/PN{'0' * 32}.json", auth=auth)
    assert missing.status_code == 404
    assert "Twilio-Request-Id" in missing.headers


def test_an_inbound_message_goes_to_the_sms_url_and_twiml_replies_come_back() -> None:
    twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, we got it.</Message></Response>'
    receiver = Receiver(httpx.Response(200, text=twiml, headers={"Content-Type": "text/xml"}))
    sandbox, _ = sandbox_with(receiver)
    sandbox.state.set_number_settings(
        sandbox.account.sid, "+15005550006", {"sms_url": "http://127.0.0.1:9/inbound", "sms_method": "POST"}
    )
    message = sandbox.receive(sender="+14155550123", body="Where is my order?")
    (request,) = receiver.got
    form = dict(parse_qsl(request.content.decode()))
    assert signed(sandbox, request)
    assert (form["From"], form["To"], form["Body"], form["MessageSid"]) == (
        "+14155550123",
        "+15005550006",
        "Where is my order?",
        message["sid"],
    )
    assert form["NumMedia"] == "0" and form["AccountSid"] == sandbox.account.sid
    assert message["webhook"]["status"] == 200
    (reply_sid,) = message["replies"]
    reply = sandbox.client().fetch_message(reply_sid)
    assert (reply.from_, reply.to, reply.body, reply.direction) == (
        "+15005550006",
        "+14155550123",
        "Thanks, we got it.",
        "outbound-reply",
    )


def test_a_get_webhook_carries_its_parameters_in_the_query_and_signs_that_url() -> None:
    receiver = Receiver()
    sandbox, _ = sandbox_with(receiver)
    sandbox.state.set_number_settings(
        sandbox.account.sid,
        "+15005550006",
        {"sms_url": "http://127.0.0.1:9/inbound?shop=1", "sms_method": "GET"},
    )
    message = sandbox.receive(sender="+14155550123", body="a & b")
    (request,) = receiver.got
    assert request.method == "GET" and request.content == b""
    query = dict(parse_qsl(request.url.query.decode()))
    assert (query["shop"], query["Body"], query["MessageSid"]) == ("1", "a & b", message["sid"])
    assert signed(sandbox, request)  # the whole URL, no form: as Twilio signs a GET


def test_an_answer_that_is_not_twiml_sends_no_reply() -> None:
    assert replies(b"") == [] and replies(b"<html>hi</html>") == [] and replies(b"<Response/>") == []
    assert replies(b"not xml <") == [] and replies(
        b"<Response><Message><Body>a</Body></Message></Response>"
    ) == ["a"]
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY a%d "&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;">' % ((n,) + (n - 1,) * 10)
            for n in range(1, 9)
        )
        + b"]><Response><Message>&a8;</Message></Response>"
    )
    started = time.monotonic()
    replies(bomb.replace(b"&a0;", b"&a;"))
    assert time.monotonic() - started < 2


# ------------------------------------------------------------ validity period


def test_a_message_that_waits_past_its_validity_period_fails_with_30036() -> None:
    sandbox, clock = sandbox_with(Receiver(), sender_rate=1)
    client = sandbox.client()
    sent = [
        client.create_message(to=f"+1415555{n:04d}", from_="+15005550006", body="hi", validity_period=3)
        for n in range(6)
    ]
    clock.advance(dt.timedelta(seconds=30))
    statuses = [client.fetch_message(message.sid or "") for message in sent]
    assert [message.status for message in statuses[:3]] == ["delivered"] * 3
    assert all(message.status == "failed" and message.error_code == 30036 for message in statuses[4:])


def test_without_a_sender_rate_nothing_waits() -> None:
    sandbox, clock = sandbox_with(Receiver())
    client = sandbox.client()
    sent = [
        client.create_message(to=f"+1415555{n:04d}", from_="+15005550006", body="hi", validity_period=1)
        for n in range(5)
    ]
    clock.advance(dt.timedelta(seconds=30))
    assert {client.fetch_message(message.sid or "").status for message in sent} == {"delivered"}


@pytest.mark.parametrize(("rate", "waiting"), [(1, 2), (2, 1), (4, 0)])
def test_a_sender_rate_spaces_the_sends(rate: int, waiting: int) -> None:
    """Four one-segment sends from one number, the first a second after it is made:
    at 1 a second, the last two still
    wait two seconds on; at 2 a second, the last one; at 4 a second, none."""
    sandbox, clock = sandbox_with(Receiver(), sender_rate=rate)
    client = sandbox.client()
    sent = [client.create_message(to=f"+1415555{n:04d}", from_="+15005550006", body="hi") for n in range(4)]
    clock.advance(dt.timedelta(seconds=2))
    statuses = [client.fetch_message(message.sid or "").status for message in sent]
    assert statuses.count("queued") == waiting, statuses


# ------------------------------------------------------------------ on loopback


@pytest.mark.slow
def test_a_served_sandbox_calls_back_on_its_own_clock(tmp_path: object) -> None:
    """The official library sends with a StatusCallback to a receiver on loopback
    (Starlette, served by uvicorn); the served sandbox moves the message on by
    itself, and every callback arrives signed."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from twilio.rest import Client as Twilio

    from book.sandbox import serve

    got: list[tuple[str, dict[str, str], str]] = []

    async def hook(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        got.append((str(request.url), form, request.headers["x-twilio-signature"]))
        return Response(status_code=204)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    receiver = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Route("/status", hook, methods=["POST"])]), log_level="error")
    )
    thread = threading.Thread(target=receiver.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    sandbox = Sandbox()
    try:
        with serve(sandbox, tick=0.1) as server:
            client = Twilio(sandbox.account.sid, sandbox.account.token)
            client.api.base_url = server.url
            url = f"http://127.0.0.1:{port}/status"
            message = client.messages.create(
                to="+14155550100", from_="+15005550006", body="hi", status_callback=url
            )
            deadline = time.monotonic() + 15
            while len(got) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        receiver.should_exit = True
        thread.join(timeout=10)
    assert [form["MessageStatus"] for _, form, _ in got] == ["sent", "delivered"]
    validator = RequestValidator(sandbox.account.token)
    assert all(form["MessageSid"] == message.sid for _, form, _ in got)
    assert all(validator.validate(url, form, signature) for url, form, signature in got)
