"""The sandbox's HTTP, on loopback with raw sockets and in process through httpx.

What the hand-built server got wrong, each shown right: a chunked body is
read; a Content-Length that is not a count, a body that is not UTF-8 and an
Authorization header that is not ASCII are answered, not dropped with a
traceback; HEAD is GET without the body; other methods are 405 with ``Allow``;
every answer is Twilio's JSON; a body over 1 MiB is refused before it is read,
and so is any body without credentials (the connection is closed, so the rest
is never read); a connection on which a request stops arriving is closed, and
holds no thread meanwhile. Faults still reach the client: latency, and a lost
answer (the connection closes without a byte). In process and on loopback the
one app answers alike.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import book.sandbox.server as server_module
from book.sandbox import Faults, Sandbox, Server, serve
from book.sandbox.asgi import MAX_BODY

CREATE = b"To=%2B14155550100&From=%2B15005550006&Body=hello"


class Answer:
    """What came back on one connection: the status, headers and body of the
    first answer (status 0 when none came), and whether the server closed it."""

    def __init__(self, data: bytes, closed: bool) -> None:
        self.raw = data
        self.closed = closed
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if data else 0
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }

    def json(self) -> Any:
        return json.loads(self.body)

    def twilio(self, status: int, code: int) -> None:
        """Assert that this is Twilio's error answer with this status and code."""
        assert self.status == status, self.raw[:300]
        assert self.headers["content-type"] == "application/json"
        body = self.json()
        assert body == {
            "code": code,
            "message": body["message"],
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }


@pytest.fixture
def served(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Sandbox, Server]]:
    sandbox = Sandbox()
    with caplog.at_level(logging.WARNING), serve(sandbox) as server:
        yield sandbox, server
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]  # no traceback, no error logged


def auth(sandbox: Sandbox) -> str:
    pair = f"{sandbox.account.sid}:{sandbox.account.token}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def collection(sandbox: Sandbox) -> str:
    return f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"


def connect(server: Server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def read_all(sock: socket.socket) -> Answer:
    """Everything until the server closes the connection (or the timeout)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return Answer(data, closed=False)
    except ConnectionResetError:
        pass
    return Answer(data, closed=True)


def read_one(sock: socket.socket) -> Answer:
    """One answer, read as far as its Content-Length, the connection left open."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < int(
        Answer(data, closed=False).headers.get("content-length", "0")
    ):
        chunk = sock.recv(65536)
        if not chunk:
            return Answer(data, closed=True)
        data += chunk
    return Answer(data, closed=False)


def send_until_refused(sock: socket.socket, block: bytes, limit: int) -> int:
    """Send ``block`` again and again: how many bytes went before the server
    closed the connection (``limit`` if it never did)."""
    sent = 0
    try:
        while sent < limit:
            sock.sendall(block)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError):
        return sent
    return limit


def ask(server: Server, raw: bytes) -> Answer:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_all(sock)


def request(
    sandbox: Sandbox, method: str, headers: dict[str, str] | None = None, body: bytes = b"", path: str = ""
) -> bytes:
    """A raw HTTP/1.1 request that asks the server to close the connection after it."""
    fields = {"Host": "127.0.0.1", "Authorization": auth(sandbox), "Connection": "close", **(headers or {})}
    head = f"{method} {path or collection(sandbox)} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value)
    return head.encode("latin-1") + b"\r\n" + body


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


# ------------------------------------------------------------- bodies


@pytest.mark.slow
def test_a_chunked_body_is_read(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"}
    answer = ask(server, request(sandbox, "POST", headers, chunked(CREATE[:20], CREATE[20:])))
    assert answer.status == 201, answer.raw
    assert answer.json()["body"] == "hello" and sandbox.count() == 1


@pytest.mark.slow
@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "12, 13"])
def test_a_content_length_that_is_not_a_count_is_400_in_twilio_json(
    served: tuple[Sandbox, Server], length: str
) -> None:
    sandbox, server = served
    answer = ask(server, request(sandbox, "POST", {"Content-Length": length}, b"To=x"))
    answer.twilio(400, 20001)
    assert answer.closed and sandbox.count() == 0


@pytest.mark.slow
def test_a_body_over_the_cap_is_refused_by_its_length_before_it_is_read(
    served: tuple[Sandbox, Server],
) -> None:
    sandbox, server = served
    answer = ask(server, request(sandbox, "POST", {"Content-Length": "1000000000000"}))
    answer.twilio(413, 20413)
    assert answer.headers["connection"].lower() == "close" and answer.closed


@pytest.mark.slow
def test_a_chunked_body_over_the_cap_is_refused_once_it_passes_it(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    with connect(server) as sock:
        sock.sendall(request(sandbox, "POST", {"Transfer-Encoding": "chunked"}))
        block = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
        assert send_until_refused(sock, block, 50 * MAX_BODY) < 20 * MAX_BODY  # closed past the cap
        answer = read_all(sock)
    if answer.status:  # the answer may be lost to the reset that refuses the rest
        answer.twilio(413, 20413)
    assert sandbox.count() == 0


@pytest.mark.slow
def test_a_large_unauthenticated_body_is_refused_without_being_read(served: tuple[Sandbox, Server]) -> None:
    """50 MB announced: the answer comes before any of it is sent, and the
    connection closes, so that the server never reads more than a little."""
    sandbox, server = served
    with connect(server) as sock:
        sock.sendall(request(sandbox, "POST", {"Authorization": "", "Content-Length": str(50 << 20)}))
        first = read_one(sock)
        sent = send_until_refused(sock, b"x" * 65536, 50 << 20)
    assert sent < 20 << 20  # a few MB fill the socket buffers, and then the connection is gone
    first.twilio(413, 20413)


@pytest.mark.slow
def test_credentials_are_checked_before_the_body_is_read(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    wrong = "Basic " + base64.b64encode(f"{sandbox.account.sid}:not-the-token".encode()).decode()
    for framing in ({"Content-Length": str(MAX_BODY)}, {"Transfer-Encoding": "chunked"}):
        with connect(server) as sock:
            sock.sendall(request(sandbox, "POST", {**framing, "Authorization": wrong}))  # no body at all
            answer = read_all(sock)
        answer.twilio(401, 20003)
        assert answer.headers["www-authenticate"] == 'Basic realm="Twilio API"'
        assert answer.closed and answer.headers["connection"].lower() == "close"


@pytest.mark.slow
def test_a_body_that_is_not_utf8_is_400(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    for body in (CREATE + b"\xff\xfe", CREATE + b"%FF"):
        answer = ask(server, request(sandbox, "POST", {"Content-Length": str(len(body))}, body))
        answer.twilio(400, 20001)
    assert sandbox.count() == 0


@pytest.mark.slow
def test_an_authorization_that_is_not_ascii_is_401(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    ask(server, request(sandbox, "GET", {"Authorization": "Basic \xe9t\xe9"})).twilio(401, 20003)


@pytest.mark.slow
def test_headers_over_the_limit_are_400(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    with connect(server) as sock:  # headers that keep coming, past the limit
        sock.sendall(request(sandbox, "GET", {"X-Padding": "x" * server_module.MAX_HEADERS})[:-2])
        time.sleep(0.2)
        sock.sendall(b"\r\n")
        answer = read_all(sock)
    answer.twilio(400, 20001)
    assert answer.closed


# ------------------------------------------------------------- methods


@pytest.mark.slow
def test_head_is_get_without_the_body(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    get = ask(server, request(sandbox, "GET"))
    head = ask(server, request(sandbox, "HEAD"))
    assert (head.status, head.body) == (200, b"")
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.body))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["TRACE", "PUT", "PATCH", "OPTIONS", "CONNECT", "BREW"])
def test_other_methods_are_405_with_allow(served: tuple[Sandbox, Server], method: str) -> None:
    sandbox, server = served
    answer = ask(server, request(sandbox, method))
    answer.twilio(405, 20004)
    assert answer.headers["allow"] == "GET, HEAD, POST"
    one = collection(sandbox).replace(".json", f"/SM{'0' * 32}.json")
    answer = ask(server, request(sandbox, method, path=one))
    answer.twilio(405, 20004)
    assert answer.headers["allow"] == "DELETE, GET, HEAD, POST"


@pytest.mark.slow
def test_a_target_that_is_not_a_path_is_answered_in_twilio_json(served: tuple[Sandbox, Server]) -> None:
    sandbox, server = served
    ask(server, request(sandbox, "OPTIONS", path="*")).twilio(404, 20404)
    ask(server, request(sandbox, "GET", path="/")).twilio(404, 20404)


# ------------------------------------------------------ idle connections


@pytest.mark.slow
def test_a_request_that_stops_arriving_is_cut_off_and_holds_no_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(server_module, "IDLE_TIMEOUT", 0.5)
    sandbox = Sandbox()
    with serve(sandbox) as server:
        threads = threading.active_count()
        half_sent = []
        for _ in range(300):  # the headers, unfinished
            sock = connect(server)
            sock.sendall(f"GET {collection(sandbox)} HTTP/1.1\r\nHost: x\r\n".encode())
            half_sent.append(sock)
        time.sleep(0.2)
        assert threading.active_count() == threads  # a connection is not a thread
        for _ in range(20):  # the headers, and a part of the body
            sock = connect(server)
            sock.sendall(request(sandbox, "POST", {"Content-Length": "100"}, b"To=%2B1"))
            half_sent.append(sock)
        started = time.monotonic()
        for sock in half_sent:
            answer = read_all(sock)
            assert answer.closed and answer.raw == b""  # closed, with nothing said
            sock.close()
        assert time.monotonic() - started < 5
        assert sandbox.count() == 0
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.slow
def test_an_idle_kept_alive_connection_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "KEEP_ALIVE", 1)
    sandbox = Sandbox()
    with serve(sandbox) as server, connect(server) as sock:
        sock.sendall(request(sandbox, "GET", {"Connection": ""}))
        assert read_one(sock).status == 200
        started = time.monotonic()
        rest = read_all(sock)
        assert rest.closed and 0.5 < time.monotonic() - started < 5


@pytest.mark.slow
def test_shutdown_is_prompt_with_connections_open() -> None:
    sandbox = Sandbox()
    server = serve(sandbox)
    idle = connect(server)
    idle.sendall(request(sandbox, "GET", {"Connection": ""}))
    idle.recv(65536)
    half = connect(server)
    half.sendall(b"GET / HTTP/1.1\r\n")
    started = time.monotonic()
    server.shutdown()
    server.server_close()
    assert time.monotonic() - started < server_module.GRACE + 2
    with pytest.raises(ConnectionRefusedError):
        connect(server, timeout=1)
    idle.close()
    half.close()


# ------------------------------------------------------------------ faults


@pytest.mark.slow
def test_a_lost_answer_closes_the_connection_without_a_byte(caplog: pytest.LogCaptureFixture) -> None:
    sandbox = Sandbox(faults=Faults(lost=1.0, methods=("POST",)))
    with serve(sandbox) as server:
        body = CREATE
        answer = ask(server, request(sandbox, "POST", {"Content-Length": str(len(body))}, body))
        assert answer.closed and answer.raw == b""
        assert sandbox.count() == 1  # committed, and answered to no one
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(
                server.url + collection(sandbox),
                content=body,
                headers={"Authorization": auth(sandbox), "Content-Type": "application/x-www-form-urlencoded"},
            )
    assert sandbox.count() == 2
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.slow
def test_latency_is_slept_on_loopback_too() -> None:
    sandbox = Sandbox(faults=Faults(latency=0.3))
    with serve(sandbox) as server:
        started = time.monotonic()
        assert ask(server, request(sandbox, "GET")).status == 200
        assert time.monotonic() - started >= 0.3


# ---------------------------------------------- one app, two ways in


def _cases(sandbox: Sandbox) -> list[tuple[str, str, dict[str, Any]]]:
    path = collection(sandbox)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    good = {"Authorization": auth(sandbox)}

    def pieces() -> Iterator[bytes]:
        yield CREATE[:10]
        yield CREATE[10:]

    return [
        ("GET", path, {"headers": good}),
        ("HEAD", path, {"headers": good}),
        ("GET", path, {}),
        ("GET", path, {"headers": {"Authorization": b"Basic \xe9"}}),
        ("POST", path, {"headers": {**good, **form}, "content": CREATE}),
        ("POST", path, {"headers": {**good, **form}, "content": pieces()}),  # chunked
        ("POST", path, {"headers": {**good, **form}, "content": b"To="}),
        ("POST", path, {"headers": {**good, **form}, "content": CREATE + b"\xff"}),
        ("POST", path, {"headers": {**good, **form}, "content": b"x" * (MAX_BODY + 1)}),
        ("POST", path, {"headers": form, "content": CREATE}),
        ("PUT", path, {"headers": good}),
        ("DELETE", path.replace(".json", f"/SM{'0' * 32}.json"), {"headers": good}),
        ("GET", "/elsewhere", {"headers": good}),
    ]


def _shape(response: httpx.Response) -> tuple[int, Any, frozenset[str]]:
    body = response.json() if response.content else None
    code = body.get("code") if isinstance(body, dict) else None
    varying = {"date", "twilio-request-id", "content-length", "connection"}
    return response.status_code, code, frozenset(set(response.headers) - varying)


@pytest.mark.slow
def test_in_process_and_on_loopback_the_one_app_answers_alike() -> None:
    near, far = Sandbox(), Sandbox()
    with (
        serve(far) as server,
        httpx.Client(transport=near.transport(), base_url="http://sandbox") as inside,
        httpx.Client(base_url=server.url) as outside,
    ):
        for (method, path, options), (_, far_path, far_options) in zip(
            _cases(near), _cases(far), strict=True
        ):
            here = inside.request(method, path, **options)
            there = outside.request(method, far_path, **far_options)
            assert _shape(here) == _shape(there), (method, path, here.content, there.content)
            if method == "HEAD":
                assert here.content == there.content == b""
    assert near.count() == far.count() == 2


def test_a_lost_answer_in_process_is_a_dropped_connection_sync_and_async() -> None:
    import asyncio

    sandbox = Sandbox(faults=Faults(lost=1.0, methods=("POST",)))
    headers = {"Authorization": auth(sandbox), "Content-Type": "application/x-www-form-urlencoded"}
    with (
        httpx.Client(transport=sandbox.transport(), base_url="http://sandbox") as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post(collection(sandbox), content=CREATE, headers=headers)

    async def main() -> None:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox") as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(collection(sandbox), content=CREATE, headers=headers)

    asyncio.run(main())
    assert sandbox.count() == 2


def test_the_sync_client_in_process_works_in_threads_and_inside_a_running_loop() -> None:
    import asyncio

    sandbox = Sandbox()
    sent: list[str] = []

    def send(number: int) -> None:
        client = sandbox.client()
        for step in range(10):
            message = client.create_message(to="+14155550100", from_="+15005550006", body=f"{number}-{step}")
            sent.append(message.sid or "")

    threads = [threading.Thread(target=send, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    async def inside() -> None:  # blocking there is the caller's choice; it must still work
        send(4)

    asyncio.run(inside())
    assert len(set(sent)) == 50 == sandbox.count()


# --------------------------------------------------------- the command


@pytest.mark.slow
def test_ctrl_c_stops_book_sandbox_serve_cleanly(tmp_path: Path) -> None:
    book = shutil.which("book") or str(Path(sys.executable).parent / "book")
    process = subprocess.Popen(
        [book, "sandbox", "serve", "--port", "0", "--sandbox", str(tmp_path / "served.sqlite3")],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stderr.readline())
        assert match
        with httpx.Client(base_url=match.group()) as client:  # a kept-alive connection stays open
            assert client.get("/").status_code == 401
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 130
        rest = process.stderr.read()
        assert "interrupted" in rest and "Traceback" not in rest
    finally:
        process.kill()
        process.wait()
