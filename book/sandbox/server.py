"""The sandbox on loopback: its ASGI app (asgi.py) served by uvicorn, for any Twilio client.

``serve(sandbox, port=0)`` serves on 127.0.0.1 in a background thread and
returns the server (``server.url``; ``server.shutdown()`` stops it);
``book sandbox serve`` serves in the foreground until Ctrl-C. Point a client at
``server.url`` with the sandbox's Account SID and token, e.g. the official
library's ``client.api.base_url``.

The limits are uvicorn's and h11's, with the sandbox's own on top (see
docs/sandbox.md): a request's headers are at most ``MAX_HEADERS`` bytes; a
connection on which a request has stopped arriving is closed after
``IDLE_TIMEOUT`` seconds without a byte, and an idle kept-alive connection
after ``KEEP_ALIVE`` seconds; bodies are capped by the app (``asgi.MAX_BODY``).
uvicorn's h11 protocol is subclassed for four things: a lost answer drops the
connection, a request that is not HTTP/1.1 is answered in Twilio's JSON, an
answer leaves in one write (head and body), and the idle timeout while a
request arrives (uvicorn has none before a first request, nor while a body
trickles in).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from book.errors import SandboxError
from book.sandbox.answers import error_reply
from book.sandbox.app import Sandbox
from book.sandbox.asgi import AnswerLost, application

__all__ = ["IDLE_TIMEOUT", "KEEP_ALIVE", "MAX_HEADERS", "Server", "serve"]

MAX_HEADERS = 16 * 1024
"""The largest request line and headers, in bytes (h11's limit; over it: 400)."""
IDLE_TIMEOUT = 10.0
"""Seconds without a byte from a client whose request is incomplete (its headers or
its body) before its connection is closed."""
KEEP_ALIVE = 5
"""Seconds an idle kept-alive connection stays open between requests (uvicorn's)."""
BACKLOG = 512
"""Connections waiting to be accepted: many clients at once must queue, not be refused."""
GRACE = 5
"""Seconds a shutdown waits for answers under way before it cancels them."""


class _Connection(H11Protocol):
    """uvicorn's h11 protocol, with what the sandbox needs of a connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answer = self.app
        self.app = self._dropping
        self._heard = 0.0
        self._idle: asyncio.TimerHandle | None = None

    async def _dropping(self, scope: Any, receive: Any, send: Any) -> None:
        """The app, and the connection dropped without an answer when it says the answer is lost."""
        transport: _Whole = self.transport  # type: ignore[assignment]

        async def whole(message: Any) -> None:
            """An answer's head waits for its body: both leave in one write."""
            if message["type"] == "http.response.start":
                transport.holding = True
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                transport.flush()

        try:
            await self._answer(scope, receive, whole)
        except AnswerLost:
            self.cycle.disconnected = True  # uvicorn must not answer 500 in its place
            self.transport.close()
        finally:
            transport.flush()

    def send_400_response(self, msg: str) -> None:
        """What h11 refuses (a bad Content-Length, a line that is not HTTP), in Twilio's JSON."""
        reply = error_reply(400, 20001, "The request is not valid HTTP/1.1")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(reply.body)).encode()),
            (b"connection", b"close"),
        ]
        try:
            output = self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request"))
            output = (output or b"") + (self.conn.send(h11.Data(data=reply.body)) or b"")
            output += self.conn.send(h11.EndOfMessage()) or b""
            self.transport.write(output)  # in one write
        except h11.LocalProtocolError:  # a response had begun: nothing more can be said
            pass
        self.transport.close()

    # -------------------------------------------------- idle while a request arrives

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.transport = _Whole(transport)  # type: ignore[assignment]
        self._heard = self.loop.time()
        self._idle = self.loop.call_later(IDLE_TIMEOUT, self._check_idle)

    def data_received(self, data: bytes) -> None:
        self._heard = self.loop.time()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        super().connection_lost(exc)

    def _check_idle(self) -> None:
        self._idle = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.more_body and not self.cycle.response_complete
        waited = self.loop.time() - self._heard
        if answering or waited < IDLE_TIMEOUT:  # the app is at work, or the client spoke lately
            self._idle = self.loop.call_later(IDLE_TIMEOUT - (0 if answering else waited), self._check_idle)
            return
        self.transport.close()  # between requests, uvicorn's keep-alive timeout closes it first


class _Whole:
    """A connection's transport that can hold what is written until ``flush()``.

    uvicorn writes an answer's status line and headers as soon as the app
    starts it, then its body: two writes, two segments, and two wake-ups of the
    client for one small answer. Held, they leave in one write."""

    def __init__(self, transport: asyncio.BaseTransport) -> None:
        self._transport: Any = transport
        self._held: list[bytes] = []
        self.holding = False

    def write(self, data: bytes) -> None:
        if self.holding:
            self._held.append(data)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        self.holding = False
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._transport.write(data)

    def close(self) -> None:
        self.flush()  # uvicorn closes after the last write of an answer that ends the connection
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class Server:
    """The loopback server of one sandbox: uvicorn serving its ASGI app on 127.0.0.1."""

    def __init__(self, sandbox: Sandbox, port: int, verbose: bool = False, tick: float | None = None) -> None:
        self.sandbox = sandbox
        self.tick = tick
        """Every so many seconds, move the lifecycle on (and send its status callbacks)
        without waiting for a request; None: only when a request comes."""
        self._stopping = threading.Event()
        self.socket = _listen(port)
        self.port: int = self.socket.getsockname()[1]
        """The port it serves on (the one chosen when asked for 0)."""
        config = uvicorn.Config(
            application(sandbox),
            http=_Connection,
            ws="none",
            lifespan="off",
            loop="asyncio",
            log_config=_LOGGING if verbose else None,
            log_level=logging.INFO if verbose else logging.ERROR,
            access_log=verbose,
            server_header=False,
            date_header=False,  # the app dates its answers, the same way in process
            timeout_keep_alive=KEEP_ALIVE,
            timeout_graceful_shutdown=GRACE,
            h11_max_incomplete_event_size=MAX_HEADERS,
            backlog=BACKLOG,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the base URL for clients."""
        return f"http://127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        """Serve in this thread until ``shutdown()``; in the main thread, also until
        Ctrl-C (raised again afterwards as ``KeyboardInterrupt``) or SIGTERM."""
        ticker = None
        if self.tick is not None:
            ticker = threading.Thread(target=self._ticking, name="sandbox-clock", daemon=True)
            ticker.start()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._stopping.set()
            if ticker is not None:
                ticker.join()
            self.sandbox.webhooks.close()

    def _ticking(self) -> None:
        """Move the lifecycle on the sandbox's clock, so that status callbacks come on time."""
        assert self.tick is not None
        while not self._stopping.wait(self.tick):
            try:
                self.sandbox.tick()
            except SandboxError:  # a store busy or gone: the next tick, or a request, tries again
                continue

    def start(self) -> Server:
        """Serve in a background thread; return once the server accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise SandboxError(f"the sandbox server on port {self.port} stopped as it started")
            time.sleep(0.005)
        return self

    def shutdown(self) -> None:
        """Stop serving: answers under way finish (for up to ``GRACE`` seconds)."""
        self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def server_close(self) -> None:
        """Close the listening socket (a shutdown closes it too)."""
        self.socket.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def __repr__(self) -> str:
        return f"Server({self.url}, {self.sandbox!r})"


def serve(sandbox: Sandbox, port: int = 0, verbose: bool = False, tick: float | None = None) -> Server:
    """Start serving in a background thread; ``server.shutdown()`` stops it.
    ``tick``: see ``Server.tick``."""
    return Server(sandbox, port, verbose, tick).start()


def _listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:port (0: any free port), so that the URL is known before serving.

    Made with its protocol named: asyncio disables Nagle's algorithm only on
    connections whose socket says IPPROTO_TCP, and an answer that leaves in two
    writes (headers, then body) would otherwise wait for the client's delayed
    ACK, some 40 ms a request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SandboxError(
            f"cannot serve the sandbox on port {port}: {reason}", hint="Choose another --port."
        ) from exc
    return sock


_LOGGING: dict[str, Any] = {  # --verbose: uvicorn's messages and one line a request, on stderr
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "uvicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
