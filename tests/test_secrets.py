"""No secret is ever shown: the invariant, checked with hypothesis over every way in.

In words: a secret the book is given (an Auth Token, an API key's secret, the
password of a base URL) appears in nothing the book shows: not on stdout or
stderr (a table or JSON), not in a log record of any logger at DEBUG, not in an
error (its str, repr, to_dict or traceback, httpx's own error chained in it),
not in the repr of a client, credentials or connection. On every path, failing
ones included: Twilio answering, or answering 401, 429, 500 or an HTML page; a
connection refused; an answer lost or late; a send whose outcome is unknown; a
base URL that is not one; a base URL with credentials in it, which is refused
and never used.

The book is driven as its callers drive it: the sync and async clients, a client
made from the environment, a connection chosen from it, a session's step
(``book.open_session``) and the command (``book.cli.main``, as a table and as
JSON). No request leaves the process: the one place the default httpx client is
built (``book.client._http``) is given an ``httpx.MockTransport``, retries are
made at once, and the base URLs are loopback ports besides.

The secrets are drawn by hypothesis, printable and varied. A drawn secret can be
an ordinary word ("messages") that a run shows anyway; so when one is found, the
same run is made with other secrets, and it is a leak when the drawn run shows it
more often than that one does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import book
import book.client
from book.cli.main import main
from book.client import AsyncClient, Client
from book.connection import Connection
from book.credentials import Credentials
from book.retry import RetryPolicy
from grammar import BookError

ACCOUNT = "AC" + "5d0c1e2f3a4b6c7d8e9f0a1b2c3d4e5f"
KEY = "SK" + "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
SID = "SM" + "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
NO_WAITS = RetryPolicy(base=0.0, cap=0.0)  # retried at once: the runs take no time
LOOPBACK = "http://127.0.0.1:9"  # were the transport not mocked, a refused port, never the internet
READ = 'read the first 3 SMS messages whose sender number is "+15005550006"'
SEND = (
    "send an SMS message where\n"
    '  the sender number is "+15005550006"\n'
    '  the recipient number is "+14155550100"\n'
    '  the message body is "Hi"'
)

# ------------------------------------------------------------------ Twilio, faked


def message() -> dict[str, Any]:
    return {
        "sid": SID,
        "account_sid": ACCOUNT,
        "from": "+15005550006",
        "to": "+14155550100",
        "body": "Hi",
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "date_created": "Fri, 01 Mar 2024 15:00:00 +0000",
        "date_updated": "Fri, 01 Mar 2024 15:00:00 +0000",
        "date_sent": "Fri, 01 Mar 2024 15:00:00 +0000",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json",
    }


def twilio(outcome: str) -> Callable[[httpx.Request], httpx.Response]:
    """Twilio answering as ``outcome`` says; its errors quote the request's URL, as httpx's may."""

    def answer(request: httpx.Request) -> httpx.Response:
        where = f"{request.method} {request.url}"
        if outcome == "refused":
            raise httpx.ConnectError(f"[Errno 111] Connection refused: {where}", request=request)
        if outcome == "lost":
            raise httpx.ReadError(f"connection reset by peer: {where}", request=request)
        if outcome == "late":
            raise httpx.ReadTimeout(f"timed out: {where}", request=request)
        if outcome in ("401", "429", "500"):
            status = int(outcome)
            return httpx.Response(
                status,
                headers={"Retry-After": "0"} if status == 429 else {},
                json={
                    "code": {401: 20003, 429: 20429, 500: 20500}[status],
                    "message": f"refused {where}",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": status,
                },
            )
        if outcome == "html":
            return httpx.Response(
                502, text=f"<html>Bad gateway: {where}</html>", headers={"content-type": "text/html"}
            )
        if request.method == "POST":
            return httpx.Response(201, json=message())
        return httpx.Response(200, json={"messages": [message()], "next_page_uri": None, "page_size": 3})

    return answer


@contextlib.contextmanager
def offline(outcome: str) -> Iterator[None]:
    """Every client the book builds talks to ``twilio(outcome)``, and retries without waiting."""
    build = book.client._http

    def mocked(*, asynchronous: bool, transport: Any, timeout: httpx.Timeout) -> Any:
        return build(
            asynchronous=asynchronous, transport=httpx.MockTransport(twilio(outcome)), timeout=timeout
        )

    with (
        mock.patch.object(book.client, "_http", mocked),
        mock.patch.object(book.client, "RetryPolicy", return_value=NO_WAITS),
    ):
        yield


# ---------------------------------------------------------------- what is shown


class Recorder(logging.Handler):
    def __init__(self, seen: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.seen = seen
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(self.format(record))


@contextlib.contextmanager
def every_log_record(seen: list[str]) -> Iterator[None]:
    """Every logger's records at DEBUG, formatted (with their tracebacks), into ``seen``."""
    recorder = Recorder(seen)
    root = logging.getLogger()
    loggers = [root] + [
        found for found in logging.Logger.manager.loggerDict.values() if isinstance(found, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    apart = [logger for logger in loggers if not logger.propagate]
    disabled = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for logger in [root, *apart]:
        logger.addHandler(recorder)
    try:
        yield
    finally:
        for logger in [root, *apart]:
            logger.removeHandler(recorder)
        for logger, level in levels:
            logger.setLevel(level)
        logging.disable(disabled)


def error_text(error: BaseException) -> list[str]:
    """All an error can show: str, repr, JSON, and its traceback with what it was raised from."""
    assert isinstance(error, BookError), f"not the book's error: {error!r}"  # callers never see httpx's
    return [str(error), repr(error), json.dumps(error.to_dict()), "".join(traceback.format_exception(error))]


# ------------------------------------------------------------------- the runs


@dataclass(frozen=True)
class Secrets:
    token: str
    api_secret: str
    password: str

    def forms(self, username: str) -> set[str]:
        """Each secret, percent-encoded as in a URL, and the Authorization header's value."""
        found = set()
        for secret in (self.token, self.api_secret, self.password):
            found |= {secret, quote(secret, safe=""), quote(secret)}
        for secret in (self.token, self.api_secret):
            found.add(base64.b64encode(f"{username}:{secret}".encode()).decode())
        return found


CANARIES = Secrets("canary-token-Q7w!x", "canary-api-secret-Z3k#y", "canary-password-J5m@v")

# A base URL with credentials in it, in every shape: with and without //, IPv6,
# a port out of range, a URL no parser takes, another scheme.
WITH_PASSWORD = (
    "http://someone:{password}@127.0.0.1:9",
    "https://someone:{password}@[::1]:8443/twilio",
    "someone:{password}@127.0.0.1:9",
    "{password}@127.0.0.1:9",
    "http://someone:{password}@127.0.0.1:99999/",
    "http://someone:{password}@[::1",
    "ftp://{password}@[::1]:9",
)
NOT_URLS = ("http://[::1", "ftp://127.0.0.1:9", "127.0.0.1:9")


@dataclass(frozen=True)
class Run:
    driver: str  # client, async client, environment, connection, session, cli table, cli json
    action: str  # read, send
    outcome: str  # ok, refused, lost, late, 401, 429, 500, html, not a url, password in url
    auth: str  # token, api key (with a token set as well, unused)
    url: str  # the base URL; "{password}" is filled with the drawn password

    def expected(self) -> str:
        """A phrase the run must show, so that a run that did nothing passes nothing."""
        unknown = "may or may not"
        words = {
            "ok": SID,
            "refused": "the connection could not be made",
            "lost": "before an answer came" if self.action == "read" else unknown,
            "late": "no answer came in time" if self.action == "read" else unknown,
            "401": "Twilio answered 401",
            "429": "Twilio answered 429",
            "500": "Twilio answered 500" if self.action == "read" else unknown,
            "html": "not JSON" if self.action == "read" else unknown,
            "not a url": "URL",
            "password in url": "holds credentials",
        }
        return words[self.outcome]


def runs() -> st.SearchStrategy[Run]:
    def url(outcome: str) -> st.SearchStrategy[str]:
        if outcome == "password in url":
            return st.sampled_from(WITH_PASSWORD)
        if outcome == "not a url":
            return st.sampled_from(NOT_URLS)
        return st.just(LOOPBACK)

    outcomes = st.sampled_from(
        ["ok", "refused", "lost", "late", "401", "429", "500", "html", "not a url", "password in url"]
    )
    return outcomes.flatmap(
        lambda outcome: st.builds(
            Run,
            driver=st.sampled_from(
                ["client", "async client", "environment", "connection", "session", "cli table", "cli json"]
            ),
            action=st.sampled_from(["read", "send"]),
            outcome=st.just(outcome),
            auth=st.sampled_from(["token", "api key"]),
            url=url(outcome),
        )
    )


def secrets() -> st.SearchStrategy[str]:
    """Printable and varied: letters, marks, digits, punctuation, symbols and inner
    spaces of any script (an environment variable cannot hold a control character,
    and spaces around a value are dropped when it is read)."""
    alphabet = st.characters(categories=["L", "M", "N", "P", "S"], include_characters=" ")
    return st.text(alphabet, min_size=8, max_size=48).filter(lambda text: text == text.strip())


def environment(run: Run, drawn: Secrets, url: str) -> dict[str, str]:
    environ = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": drawn.token, "SMS_BOOK_TWILIO_URL": url}
    if run.auth == "api key":
        environ.update(TWILIO_API_KEY=KEY, TWILIO_API_SECRET=drawn.api_secret)
    return environ


def credentials(run: Run, drawn: Secrets) -> Credentials:
    if run.auth == "api key":
        return Credentials(account_sid=ACCOUNT, api_key=KEY, api_secret=drawn.api_secret)
    return Credentials(account_sid=ACCOUNT, auth_token=drawn.token)


def act(client: Client, action: str) -> Any:
    if action == "read":
        return list(client.list_messages({"From": "+15005550006"}, page_size=3))
    return client.create_message(to="+14155550100", from_="+15005550006", body="Hi")


async def act_async(client: AsyncClient, action: str) -> Any:
    if action == "read":
        return [found async for found in client.list_messages({"From": "+15005550006"}, page_size=3)]
    return await client.create_message(to="+14155550100", from_="+15005550006", body="Hi")


def drive(run: Run, drawn: Secrets, url: str, seen: list[str]) -> None:
    """Make the run, putting all it shows but its log records into ``seen``."""
    environ = environment(run, drawn, url)
    english = READ if run.action == "read" else SEND
    if run.driver in ("cli table", "cli json"):
        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch.dict(os.environ, environ),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(["run", "-e", english, "--format", run.driver.removeprefix("cli ")])
        seen.extend([out.getvalue(), err.getvalue(), f"exit {code}"])
        return
    try:
        if run.driver == "session":
            environ["SMS_BOOK_SANDBOX"] = os.environ["SMS_BOOK_SANDBOX"]
            with book.open_session(environ=environ) as session:
                seen.append(repr(session.resources[Connection]))
                seen.append(json.dumps(session.step(english), ensure_ascii=False, default=str))
            return
        if run.driver == "async client":

            async def drive_async() -> Any:
                async with AsyncClient(credentials=credentials(run, drawn), base_url=url) as client:
                    seen.append(repr(client))
                    return await act_async(client, run.action)

            seen.append(repr(asyncio.run(drive_async())))
            return
        if run.driver == "connection":
            connection = Connection.choose(environ=environ)
            seen.extend([repr(connection), connection.describe(), repr(connection.credentials)])
            made = connection.client()
        elif run.driver == "environment":
            with mock.patch.dict(os.environ, environ):
                made = Client(base_url=url)
        else:
            made = Client(credentials=credentials(run, drawn), base_url=url)
        with made as client:
            seen.extend([repr(client), repr(client.credentials), str(client.credentials.secret)])
            seen.append(repr(act(client, run.action)))
    except Exception as error:  # noqa: BLE001 - any error is shown; error_text insists it is the book's
        seen.extend(error_text(error))


def shown(run: Run, drawn: Secrets) -> str:
    """Everything the run shows: output, errors, reprs and every log record."""
    seen: list[str] = []
    url = run.url.replace("{password}", drawn.password)
    with every_log_record(seen), offline(run.outcome):
        drive(run, drawn, url, seen)
    everything = "\n".join(seen)
    assert run.expected() in everything, f"the run did not get where it meant to: {everything}"
    return everything


def assert_hidden(run: Run, drawn: Secrets) -> None:
    """No form of a drawn secret is shown more often than a run with other secrets shows it."""
    username = KEY if run.auth == "api key" else ACCOUNT
    everything = shown(run, drawn)
    found = [form for form in drawn.forms(username) if form in everything]
    if not found:
        return
    ordinary = shown(run, CANARIES)
    canaries = [form for form in CANARIES.forms(username) if form in ordinary]
    assert not canaries, f"{canaries} shown:\n{ordinary}"
    for form in found:
        assert everything.count(form) <= ordinary.count(form), f"{form!r} is shown:\n{everything}"


# ------------------------------------------------------------------- the tests


@settings(max_examples=300, deadline=None)
@given(run=runs(), token=secrets(), api_secret=secrets(), password=secrets())
def test_no_secret_appears_in_any_output_error_log_or_repr(
    run: Run, token: str, api_secret: str, password: str
) -> None:
    assert_hidden(run, Secrets(token, api_secret, password))


DRAWN = Secrets("drawn-token-Hq8&u", "drawn-api-secret-Pw2%r", "drawn-password-Lc4^s")


def test_a_secret_shown_in_a_repr_is_caught() -> None:
    """The net holds: were Credentials to show their secret, the invariant would fail."""
    run = Run("client", "read", "ok", "token", LOOPBACK)
    assert_hidden(run, DRAWN)
    with (
        mock.patch.object(Credentials, "__repr__", lambda self: self.secret.reveal()),
        pytest.raises(AssertionError),
    ):
        assert_hidden(run, DRAWN)


def test_a_secret_logged_at_debug_where_nothing_propagates_is_caught() -> None:
    """The net holds for log records too: any logger, any level down to DEBUG."""
    apart = logging.getLogger("tests.apart")
    apart.propagate = False
    apart.setLevel(logging.CRITICAL)
    authorization = Credentials.authorization

    def logged(self: Credentials) -> str:
        apart.debug("sending as %s", self.secret.reveal())
        return authorization(self)

    run = Run("cli json", "send", "ok", "api key", LOOPBACK)
    try:
        with mock.patch.object(Credentials, "authorization", logged), pytest.raises(AssertionError):
            assert_hidden(run, DRAWN)
    finally:
        apart.propagate = True
        apart.setLevel(logging.NOTSET)


def test_a_url_with_credentials_is_refused_naming_where_to_put_them() -> None:
    environ = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": "a-fake-token",
        "SMS_BOOK_TWILIO_URL": "http://someone:hunter22@[::1]:9/",
    }
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, environ),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(["run", "-e", 'say "hi"', "--format", "json"])
    assert code == 1 and "hunter22" not in out.getvalue() + err.getvalue()
    error = json.loads(out.getvalue())["error"]
    assert error["kind"] == "configuration"
    assert error["message"].startswith("SMS_BOOK_TWILIO_URL (http://***@[::1]:9/) holds credentials")
    assert "TWILIO_AUTH_TOKEN" in error["hint"] and "TWILIO_API_SECRET" in error["hint"]


def _refusing_port(family: socket.AddressFamily, host: str) -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def _loopbacks() -> list[Any]:
    found = [pytest.param(socket.AF_INET, "127.0.0.1", "127.0.0.1", id="127.0.0.1")]
    try:
        _refusing_port(socket.AF_INET6, "::1")
    except OSError:
        return found
    return [*found, pytest.param(socket.AF_INET6, "::1", "[::1]", id="[::1]")]


@pytest.mark.parametrize(("family", "host", "shown_host"), _loopbacks())
def test_a_real_refused_connection_shows_no_secret(
    family: socket.AddressFamily, host: str, shown_host: str
) -> None:
    """httpx's own ConnectError, from a loopback port that refuses: not a mock."""
    port = _refusing_port(family, host)
    token = "real-refusal-token-8c1f"
    environ = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": token,
        "SMS_BOOK_TWILIO_URL": f"http://{shown_host}:{port}",
    }
    seen: list[str] = []
    out, err = io.StringIO(), io.StringIO()
    with (
        every_log_record(seen),
        mock.patch.object(book.client, "RetryPolicy", return_value=NO_WAITS),
        mock.patch.dict(os.environ, environ),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(["run", "-e", READ, "--format", "json"])
    everything = "\n".join([*seen, out.getvalue(), err.getvalue()])
    assert code == 1 and "the connection could not be made" in everything
    basic = base64.b64encode(f"{ACCOUNT}:{token}".encode()).decode()
    assert token not in everything and basic not in everything
