"""The sandbox in process, as an httpx transport: no sockets.

One transport serves both httpx clients, sync and async. Latency is slept (the
async way in an async client); a lost answer fails the request as a dropped
connection does, after the sandbox committed it.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qsl

import httpx

from book.sandbox.app import Reply, Sandbox

__all__ = ["SandboxTransport"]


def _call(sandbox: Sandbox, request: httpx.Request, content: bytes) -> Reply:
    return sandbox.handle(
        request.method,
        request.url.path,
        parse_qsl(request.url.query.decode(), keep_blank_values=True),
        parse_qsl(content.decode(), keep_blank_values=True),
        request.headers.get("authorization"),
    )


def _response(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.lost:
        raise httpx.RemoteProtocolError(
            "the sandbox dropped the connection after committing the request", request=request
        )
    return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body, request=request)


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Hands httpx requests to a ``Sandbox``."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        reply = _call(self.sandbox, request, request.read())
        if reply.delay:
            time.sleep(reply.delay)
        return _response(reply, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        reply = _call(self.sandbox, request, await request.aread())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return _response(reply, request)

    def __repr__(self) -> str:
        return f"SandboxTransport({self.sandbox!r})"
