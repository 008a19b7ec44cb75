"""``book listen``'s webhook receiver: handlers run for signed requests only, each
event once, answered with TwiML; checked in process (Starlette's TestClient, with
the sandbox sending its webhooks into it) and end to end (the ``book`` command
serving on loopback, ``book sandbox receive`` driving it)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

with warnings.catch_warnings():  # Starlette asks for httpx2, which the book does not use
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from book.connection import Connection, Settings
from book.listen import SqliteStore
from book.listen.app import application
from book.listen.listener import Handled, Listener, message_from
from book.procedures import registry
from book.sandbox import Sandbox
from book.sandbox.webhooks import inbound_delivery, status_delivery
from book.signature import signature
from procedures import FixedClock, Session

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)
BOOK = shutil.which("book") or str(Path(sys.executable).parent / "book")
URL = "http://testserver"
SCRIPT = """\
when an SMS message is received
  if the SMS message's body contains "stop" then
    say "opt-out noted"
  else
    reply with "Thanks, we got your message."

when an SMS message's status changes
  if the SMS message's status is "undelivered" then
    say the SMS message's error code
"""


class Served:
    """A listener of ``SCRIPT`` on an in-memory sandbox, behind its app."""

    def __init__(self, tmp_path: Path, script: str = SCRIPT, public_url: str | None = None) -> None:
        self.sandbox = Sandbox(clock=FixedClock(NOW))
        self.session = Session(
            registry,
            clock=self.sandbox.clock,
            resources=[Connection(sandbox=self.sandbox), Settings()],
            say=lambda line: None,
        )
        self.session.run(script)
        self.store = SqliteStore.open(tmp_path / "listen.sqlite3")
        self.log: list[Handled] = []
        self.listener = Listener(self.session, self.store, source=script, log=self.log.append)
        self.token = self.sandbox.account.token
        self.client = TestClient(application(self.listener, self.token, public_url))

    def ran(self) -> list[Handled]:
        return [handled for handled in self.log if handled.ran]

    def inbound(self, body: str = "hello", sender: str = "+14155550111") -> list[tuple[str, str]]:
        return self.form(self.sandbox, body, sender)

    @staticmethod
    def form(sandbox: Sandbox, body: str = "hello", sender: str = "+14155550111") -> list[tuple[str, str]]:
        """The form Twilio posts for a new inbound message (not written to the sandbox)."""
        message = {"sid": sandbox.new_sid("SM"), "from": sender, "to": sandbox.senders()[0], "body": body}
        account = sandbox.account
        return inbound_delivery(account.sid, account.token, URL + "/sms", "POST", message).params

    def post(
        self, path: str, form: list[tuple[str, str]], url: str | None = None, sig: str | None = None
    ) -> Any:
        signed = signature(url or URL + path, form, self.token) if sig is None else sig
        return self.client.post(
            path,
            content=urlencode(form),
            headers={"X-Twilio-Signature": signed, "Content-Type": "application/x-www-form-urlencoded"},
        )

    def close(self) -> None:
        self.client.close()
        self.store.close()
        self.session.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    found = Served(tmp_path)
    yield found
    found.close()


def test_a_signed_inbound_message_runs_its_handler_once_and_is_answered_with_twiml(served: Served) -> None:
    form = served.inbound()
    answer = served.post("/sms", form)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    assert "<Message>Thanks, we got your message.</Message>" in answer.text
    again = served.post("/sms", form)  # Twilio sends it again: the same answer, nothing runs
    assert again.status_code == 200 and again.text == answer.text
    assert [handled.outcome for handled in served.log] == ["ok", "handled before"]
    assert len(served.ran()) == 1


def test_say_in_a_handler_is_recorded_and_nothing_is_replied(served: Served) -> None:
    answer = served.post("/sms", served.inbound("please stop"))
    assert answer.status_code == 200 and "<Message>" not in answer.text
    assert served.log[-1].said == ("opt-out noted",) and served.log[-1].outcome == "ok"


def test_a_status_callback_runs_its_handler_once_per_status(served: Served) -> None:
    sid = served.sandbox.new_sid("SM")
    message = {
        "sid": sid,
        "from": "+15005550006",
        "to": "+14155550111",
        "status": "undelivered",
        "error_code": 30003,
    }
    form = status_delivery(served.sandbox.account.sid, served.token, URL + "/status", message).params
    for _ in range(3):
        assert served.post("/status", form).status_code == 200
    delivered = status_delivery(
        served.sandbox.account.sid,
        served.token,
        URL + "/status",
        {**message, "status": "delivered", "error_code": None},
    ).params
    served.post("/status", delivered)
    assert [(handled.status, handled.outcome, handled.said) for handled in served.log] == [
        ("undelivered", "ok", ("30003",)),
        ("undelivered", "handled before", ()),
        ("undelivered", "handled before", ()),
        ("delivered", "ok", ()),
    ]


def test_a_failing_handler_is_logged_and_answered_200_so_that_twilio_does_not_send_it_again(
    tmp_path: Path,
) -> None:
    script = "when an SMS message is received\n  say the SMS message's nonsense field\n"
    served = Served(tmp_path, script)
    try:
        form = served.inbound()
        answer = served.post("/sms", form)
        assert answer.status_code == 200 and "<Message>" not in answer.text
        (handled,) = served.log
        assert handled.failed and "line 2" in handled.outcome and handled.sid == dict(form)["MessageSid"]
        served.post("/sms", form)
        assert served.log[-1].outcome == "handled before"
    finally:
        served.close()


def test_behind_a_proxy_the_public_url_is_what_is_signed(tmp_path: Path) -> None:
    served = Served(tmp_path, public_url="https://hooks.example.com/")
    try:
        form = served.inbound()
        assert served.post("/sms", form).status_code == 403  # signed for the host the app sees
        assert served.post("/sms", form, url="https://hooks.example.com/sms").status_code == 200
        assert len(served.ran()) == 1
    finally:
        served.close()


def _forgeries(
    served: Served, count: int, seed: int
) -> Iterator[tuple[str, list[tuple[str, str]], str, str]]:
    """Requests Twilio did not sign: (path, form, signature, what was done)."""
    chance = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/="
    for n in range(count):
        form = served.inbound(f"message {n}")
        good = signature(URL + "/sms", form, served.token)
        other = served.inbound(f"other {n}")
        kind = chance.randrange(9)
        if kind == 0:
            yield "/sms", form, "", "no signature"
        elif kind == 1:
            at = chance.randrange(len(good) - 1)  # the last character may carry padding bits only
            changed = chance.choice([c for c in letters if c != good[at]])
            yield "/sms", form, good[:at] + changed + good[at + 1 :], "a character of the signature changed"
        elif kind == 2:
            at = chance.randrange(len(form))
            name, value = form[at]
            yield (
                "/sms",
                [*form[:at], (name, value + chance.choice(letters)), *form[at + 1 :]],
                good,
                f"{name} changed",
            )
        elif kind == 3:
            yield "/sms", [*form, ("Body", "injected")], good, "a parameter added"
        elif kind == 4:
            at = chance.randrange(len(form))
            yield "/sms", form[:at] + form[at + 1 :], good, "a parameter left out"
        elif kind == 5:
            yield "/sms", other, good, "replayed with another message's parameters"
        elif kind == 6:
            yield (
                "/sms",
                form,
                signature(URL + "/sms", form, "not-the-token-" + str(n)),
                "signed with another token",
            )
        elif kind == 7:
            yield "/status", form, good, "sent to another path"
        else:
            yield "/sms", form, signature(URL + "/sms?x=1", form, served.token), "signed for another URL"


def test_none_of_1000_forged_mutated_or_replayed_requests_runs_a_handler(served: Served) -> None:
    answered: dict[int, int] = {}
    validator = RequestValidator(served.token)
    for path, form, sig, what in _forgeries(served, 1000, seed=14):
        assert not validator.validate(URL + path, dict(form), sig), (
            what
        )  # the official library agrees: forged
        status = served.post(path, form, sig=sig).status_code
        answered[status] = answered.get(status, 0) + 1
    assert answered == {403: 1000}
    assert served.log == [] and served.store.record(("received", "SM" + "0" * 32)) is None


def test_what_is_not_a_messages_webhook_is_refused_before_anything_runs(served: Served) -> None:
    signed_json = served.client.post(
        "/sms?bodySHA256=x",
        content=b"{}",
        headers={"Content-Type": "application/json", "X-Twilio-Signature": "x"},
    )
    assert signed_json.status_code == 403
    not_a_message = [("From", "+14155550111"), ("MessageSid", "not-a-sid")]
    assert served.post("/sms", not_a_message).status_code == 400
    assert (
        served.client.post("/sms", content=b"x" * 70_000, headers={"X-Twilio-Signature": "x"}).status_code
        == 413
    )
    assert served.client.get("/other").status_code == 404
    assert served.log == []


def test_the_sandbox_drives_the_listener_and_sends_its_replies(served: Served) -> None:
    served.sandbox.state.set_number_settings(
        served.sandbox.account.sid, served.sandbox.senders()[0], {"sms_url": URL + "/sms"}
    )

    def through_the_app(request: httpx.Request) -> httpx.Response:  # the sandbox's webhook, into the app
        answer = served.client.request(
            request.method,
            request.url.raw_path.decode(),
            content=request.read(),
            headers=dict(request.headers),
        )
        return httpx.Response(answer.status_code, content=answer.content, headers=dict(answer.headers))

    served.sandbox.webhooks._transport = httpx.MockTransport(through_the_app)
    served.sandbox.webhooks.hosts = ("testserver",)
    message = served.sandbox.receive(sender="+14155550111", body="where is my order?")
    assert message["webhook"]["status"] == 200 and len(message["replies"]) == 1
    reply = served.sandbox.client().fetch_message(message["replies"][0])
    assert reply.body == "Thanks, we got your message." and reply.to == "+14155550111"


# ------------------------------------------------------------------ end to end


def _book(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BOOK, *arguments], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_end_to_end_100_messages_each_handled_once_and_100_replays_run_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "SMS_BOOK_SANDBOX": str(tmp_path / "sandbox.sqlite3")}
    env.pop("TWILIO_ACCOUNT_SID", None)
    script = tmp_path / "reply.english"
    script.write_text('when an SMS message is received\n  reply with "Thanks, we got your message."\n')
    assert _book("sandbox", "info", env=env).returncode == 0
    listening = subprocess.Popen(
        [
            BOOK,
            "listen",
            str(script),
            "--port",
            "0",
            "--configure",
            "--format",
            "json",
            "--store",
            str(tmp_path / "listen.sqlite3"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = _listening_url(listening)
        sent = [
            _book(
                "sandbox",
                "receive",
                "--from",
                "+14155550111",
                "--body",
                f"cli {n}",
                "--format",
                "json",
                env=env,
            )
            for n in range(2)
        ]
        assert all(done.returncode == 0 and len(json.loads(done.stdout)["replies"]) == 1 for done in sent)
        sandbox = Sandbox(env["SMS_BOOK_SANDBOX"])
        messages = [sandbox.receive(sender=f"+1415555{n:04d}", body=f"message {n}") for n in range(98)]
        for done in sent:  # the command's JSON: its webhook in words
            shown = json.loads(done.stdout)
            assert shown["webhook"].endswith(": answered 200")
            wire = {
                "from": shown["sender_number"],
                "to": shown["recipient_number"],
            }  # the command names as the book does
            messages.append({**shown, **wire, "webhook": {"status": 200}})
        assert all(
            message["webhook"]["status"] == 200 and len(message["replies"]) == 1 for message in messages
        )
        client = sandbox.client()
        replies = [client.fetch_message(message["replies"][0]) for message in messages]
        assert {(reply.to, reply.body) for reply in replies} == {
            (message["from"], "Thanks, we got your message.") for message in messages
        }
        assert _replies(client) == 100
        for message in messages:  # the same webhooks again, validly signed: answered, nothing runs
            delivery = inbound_delivery(
                sandbox.account.sid, sandbox.account.token, url + "/sms", "POST", message
            )
            answer = subprocess_free_post(url + "/sms", delivery.params, sandbox.account.token)
            assert answer == 200
        assert _replies(client) == 100
    finally:
        listening.terminate()
        out, _ = listening.communicate(timeout=30)
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 200
    assert sum(event["ran"] for event in events) == 100
    assert [event["outcome"] for event in events[100:]] == ["handled before"] * 100
    assert len({event["sid"] for event in events[:100] if event["outcome"] == "ok"}) == 100


def _replies(client: Any) -> int:
    return sum(message.direction == "outbound-reply" for message in client.list_messages(page_size=1000))


def _listening_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"listening for webhooks at (http://[0-9.:]+)", line)
        if found:
            return found.group(1)
        if not line and process.poll() is not None:
            break
    raise AssertionError("book listen did not start: " + (process.stderr.read() or ""))


def subprocess_free_post(url: str, form: list[tuple[str, str]], token: str) -> int:
    answer = httpx.post(
        url,
        content=urlencode(form),
        headers={
            "X-Twilio-Signature": signature(url, form, token),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    return answer.status_code


def test_a_listening_script_sends_waits_for_its_status_callbacks_and_handles_them(tmp_path: Path) -> None:
    """Its first lines run once the server listens: a send made there asks for its
    status callbacks at /status, so 'wait until' and 'when ... status changes' hear them."""
    env = {**os.environ, "SMS_BOOK_SANDBOX": str(tmp_path / "sandbox.sqlite3")}
    for name in ("TWILIO_ACCOUNT_SID", "SMS_BOOK_NOW"):
        env.pop(name, None)
    script = tmp_path / "wait.english"
    script.write_text(
        'send an SMS message where\n  the sender number is "+15005550006"\n  the recipient number is "+14155550100"\n'
        '  the message body is "hi"\nread an SMS message whose sid is the answer\n'
        "wait until the SMS message is delivered within 1 minute\nsay the SMS message's status\n\n"
        "when an SMS message's status changes\n  say the SMS message's status\n"
    )
    assert _book("sandbox", "info", env=env).returncode == 0
    command = [
        BOOK,
        "listen",
        str(script),
        "--port",
        "0",
        "--format",
        "json",
        "--store",
        str(tmp_path / "l.sqlite3"),
    ]
    listening = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _listening_url(listening)
        assert listening.stdout is not None
        events: list[dict[str, Any]] = []
        while not any(event["status"] == "delivered" for event in events):
            events.append(json.loads(listening.stdout.readline()))
    finally:
        listening.terminate()
        listening.communicate(timeout=30)
    assert [(event["event"], event["status"], event["said"]) for event in events] == [
        ("status", "sent", ["sent"]),
        ("status", "delivered", ["delivered"]),
    ]


def test_handlers_run_concurrently_up_to_the_bound(tmp_path: Path) -> None:
    import asyncio

    from procedures import Result

    class Counting(Session):
        running = most = 0

        async def handle(self, event: Any, thing: Any, reply: Any = None) -> Result:
            Counting.running += 1
            Counting.most = max(Counting.most, Counting.running)
            await asyncio.sleep(0.02)
            Counting.running -= 1
            return Result(None, ())

    sandbox = Sandbox(clock=FixedClock(NOW))
    session = Counting(registry, clock=sandbox.clock, resources=[Connection(sandbox=sandbox), Settings()])
    session.run(SCRIPT)
    with SqliteStore.open(tmp_path / "listen.sqlite3") as store:
        listener = Listener(session, store, concurrency=3)
        messages = [message_from(dict(Served.form(sandbox, f"message {n}")), "received") for n in range(12)]

        async def all_at_once() -> list[Handled]:
            return await asyncio.gather(*(listener.received(message) for message in messages))

        handled = asyncio.run(all_at_once())
    assert [event.outcome for event in handled] == ["ok"] * 12
    assert Counting.most == 3
    session.close()


def test_on_twilio_with_an_api_key_listening_needs_the_auth_token(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))}
    env.update(
        TWILIO_ACCOUNT_SID="AC" + "a" * 32,
        TWILIO_API_KEY="SK" + "b" * 32,
        TWILIO_API_SECRET="api-secret-not-shown",
        SMS_BOOK_TWILIO_URL="http://127.0.0.1:9",  # never reached: it stops before
    )
    script = tmp_path / "reply.english"
    script.write_text('when an SMS message is received\n  reply with "hi"\n')
    done = _book("listen", str(script), "--port", "0", "--store", str(tmp_path / "l.sqlite3"), env=env)
    assert done.returncode == 1
    assert "TWILIO_AUTH_TOKEN is not set" in done.stderr and "never skips the check" in done.stderr
    assert "api-secret-not-shown" not in done.stderr + done.stdout
