"""The sandbox on HTTP: one ASGI app (Starlette) in front of ``Sandbox.handle``.

It is used in process by the httpx transport (transport.py) and served on
loopback by uvicorn (server.py): one app, so both ways in answer alike by
construction. The app reads a request's method, path, query, form and
``Authorization`` and writes the sandbox's answer, with what HTTP needs besides:

- every answer is Twilio's JSON (errors as ``code``, ``message``,
  ``more_info``, ``status``), also for a path outside the API or a server error;
- a body is at most ``MAX_BODY`` bytes (1 MiB): a longer one is refused with
  413 (code 20413) by its ``Content-Length`` before any of it is read, or, sent
  in chunks, as soon as it passes the cap;
- credentials are checked before a body is read: without them the answer is
  401 and the body is never read;
- an answer given before the body was read closes the connection
  (``Connection: close``), so the rest of the body is never read either;
- the query and the body are UTF-8 form fields (400, code 20001, otherwise);
- HEAD is answered as GET, without the body; any other method goes to the
  sandbox, which answers 405 (code 20004) with ``Allow``;
- a fault's latency is slept here, and a lost answer raises ``AnswerLost``,
  which each way in turns into a dropped connection.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import formatdate
from typing import ParamSpec, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from book import forms
from book.sandbox.answers import Reply, error_reply
from book.sandbox.app import Sandbox

__all__ = ["MAX_BODY", "AnswerLost", "application", "response"]

P = ParamSpec("P")
T = TypeVar("T")

MAX_BODY = 1 << 20
"""The largest request body the sandbox reads, in bytes (1 MiB). A create's
fields fit in a few kilobytes (a body of 1,600 characters, ten media URLs)."""


class AnswerLost(BaseException):
    """Raised by the app when a fault loses the answer of a committed request:
    the way in drops the connection (uvicorn closes it; the httpx transport
    raises ``httpx.RemoteProtocolError``). A ``BaseException``, so that no
    error handler on the way out turns it into an answer (a 500)."""


def application(sandbox: Sandbox, *, threads: bool = True) -> Starlette:
    """The ASGI app answering from ``sandbox``.

    ``threads``: whether the sandbox's blocking work (SQLite, behind one lock)
    runs in worker threads, so that an event loop serving many connections is
    never held up by it (served); or on the event loop's own thread (in process,
    where the loop serves its caller alone, as a direct call would)."""
    return Starlette(
        routes=[Route("/{path:path}", _Endpoint(sandbox, threads))],  # every method, every path
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )


def response(reply: Reply, *, close: bool = False) -> Response:
    """The HTTP response of a sandbox reply (``close``: end the connection after it)."""
    headers = dict(reply.headers)
    headers["Date"] = formatdate(usegmt=True)
    if close:
        headers["Connection"] = "close"
    return Response(reply.body, status_code=reply.status, headers=headers)


class _Endpoint:
    """The one route: every method on every path goes to the sandbox."""

    def __init__(self, sandbox: Sandbox, threads: bool) -> None:
        self.sandbox = sandbox
        self.blocking = run_in_threadpool if threads else _inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.answer(Request(scope, receive))
        await answer(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        """The answer to a request, counted in flight until it is given (faults.py)."""
        faults = self.sandbox.faults
        admitted = faults is None or faults.arrive()
        try:
            return await self._answer(request, crowded=not admitted)
        finally:
            if faults is not None and admitted:
                faults.leave()

    async def _answer(self, request: Request, crowded: bool) -> Response:
        scope = request.scope
        method = "GET" if request.method == "HEAD" else request.method
        path: str = scope["path"]
        authorization = request.headers.get("authorization")
        length = request.headers.get("content-length", "0")
        if not (length.isascii() and length.isdigit()):  # h11 refuses it first; httpx never sends it
            return response(error_reply(400, 20001, "Content-Length is not a count of bytes"), close=True)
        if int(length) > MAX_BODY:
            return response(_too_large(), close=True)
        # Answered before a body is read, a connection closes: the rest is never read.
        pending = int(length) > 0 or "chunked" in request.headers.get("transfer-encoding", "").lower()
        try:
            query = forms.fields(scope["query_string"])
        except UnicodeDecodeError:
            return response(error_reply(400, 20001, "The query string is not UTF-8"), close=pending)
        if pending and not await self.blocking(self.sandbox.admits, authorization):
            reply = await self.blocking(self.sandbox.handle, method, path, query, [], authorization, crowded)
            return await _answered(reply, close=True)
        try:
            body = await forms.body(request, MAX_BODY)
        except forms.TooLarge:
            return response(_too_large(), close=True)
        except ClientDisconnect:  # no one is left to answer
            return response(error_reply(400, 20001, "The request ended before its body"), close=True)
        try:
            form = forms.fields(body)
        except UnicodeDecodeError:
            return response(error_reply(400, 20001, "The request body is not UTF-8 form fields"))
        reply = await self.blocking(self.sandbox.handle, method, path, query, form, authorization, crowded)
        return await _answered(reply)

    def __repr__(self) -> str:
        return f"_Endpoint({self.sandbox!r})"


async def _answered(reply: Reply, *, close: bool = False) -> Response:
    """The reply after its latency; or the connection dropped when it is lost."""
    if reply.delay:
        await anyio.sleep(reply.delay)
    if reply.lost:
        raise AnswerLost
    return response(reply, close=close)


async def _inline(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return function(*args, **kwargs)


def _too_large() -> Reply:
    return error_reply(413, 20413, f"Request Entity Too Large: a request body is at most {MAX_BODY} bytes")


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a request target that is not a path) in Twilio's shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return response(
            error_reply(404, 20404, f"The requested resource {request.scope['path']} was not found")
        )
    return response(error_reply(exc.status_code, 20000 + exc.status_code, exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    """A failure of the sandbox itself (a broken file, a bug): 500 in Twilio's shape.
    Starlette raises the exception on after answering: uvicorn logs it, and the
    in-process transport raises it to the caller."""
    return response(error_reply(500, 20500, "Internal Server Error"))
