"""The sandbox in process: its ASGI app (asgi.py) as an httpx transport, no sockets.

One transport serves both httpx clients, and both drive the one app through
``httpx.ASGITransport``: the async client on its own event loop; the sync
client on an event loop kept for its thread (or, called from a thread whose
loop is running, on one loop in a background thread: an anyio blocking portal,
as Starlette's TestClient uses). The sandbox answers on that loop's thread, as
a direct call would (``application(threads=False)``). A lost answer fails the
request as a dropped connection does (``httpx.RemoteProtocolError``), after
the sandbox committed it.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import httpx
from anyio.from_thread import BlockingPortal

from book.sandbox.app import Sandbox
from book.sandbox.asgi import AnswerLost, application

__all__ = ["SandboxTransport"]


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Hands httpx requests to a sandbox's ASGI app; ``requests`` counts them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.app = application(sandbox, threads=False)
        self.requests = 0
        self._asgi = httpx.ASGITransport(app=self.app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        request.read()  # the body as bytes, which the async side can stream
        return _run(self._answer, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await request.aread()
        return await self._answer(request)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        try:
            answered = await self._asgi.handle_async_request(request)
        except AnswerLost as lost:
            raise httpx.RemoteProtocolError(
                "the sandbox dropped the connection after committing the request", request=request
            ) from lost
        content = await answered.aread()  # a body both clients can read
        return httpx.Response(
            answered.status_code, headers=answered.headers, content=content, request=request
        )

    def __repr__(self) -> str:
        return f"SandboxTransport({self.sandbox!r})"


T = TypeVar("T")


def _run(function: Callable[[httpx.Request], Awaitable[T]], request: httpx.Request) -> T:
    """``await function(request)``, from sync code."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no loop runs in this thread
        kept: _Loop | None = getattr(_loops, "kept", None)
        if kept is None or kept.pid != os.getpid():  # a forked child makes its own
            kept = _loops.kept = _Loop()
        return kept.loop.run_until_complete(function(request))
    return _portal().call(function, request)


class _Loop:
    """An event loop kept for one thread, closed with it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()

    def __del__(self) -> None:
        self.loop.close()


_loops = threading.local()
_started = threading.Lock()
_running: tuple[int, BlockingPortal] | None = None  # the process that started it, and the portal


def _portal() -> BlockingPortal:
    """The event loop of sync requests made where a loop runs already, started on
    first use (again in a forked child). Its thread is a daemon: it never keeps
    the process alive."""
    global _running
    with _started:
        if _running is None or _running[0] != os.getpid():
            ready: queue.SimpleQueue[BlockingPortal] = queue.SimpleQueue()
            thread = threading.Thread(target=anyio.run, args=(_serve, ready), name="sandbox-in-process")
            thread.daemon = True
            thread.start()
            _running = (os.getpid(), ready.get())
        return _running[1]


async def _serve(ready: queue.SimpleQueue[BlockingPortal]) -> None:
    async with BlockingPortal() as portal:
        ready.put(portal)
        await portal.sleep_until_stopped()
