"""The webhook receiver: an ASGI app (Starlette) in front of a ``Listener``.

- ``POST /sms``: an inbound message (a number's ``SmsUrl``); answered with TwiML,
  ``<Message>`` for each ``reply with``;
- ``POST /status``: a status callback (a message's ``StatusCallback``); answered
  with empty TwiML. Both take GET too (a number whose ``SmsMethod`` is GET).

Every request is checked first: its ``X-Twilio-Signature`` must be Twilio's for
the URL it was sent to and its form, with the account's auth token
(``book.signature``, compared in constant time). The URL is ``public_url`` with
the request's path and query when one is given (behind a proxy or a tunnel the
host the app sees is not the one Twilio signed), else the URL the request came
to. An unsigned or wrongly signed request gets 403 and runs nothing; a form
that is not one of Twilio's messages gets 400.

A handler that failed still gets 200 with empty TwiML, so that Twilio does not
send again what already ran (the failure is in the log). A request whose body
passes ``MAX_BODY`` is refused with 413 before it is read.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from book.errors import ListenError
from book.forms import TooLarge, body, fields
from book.listen.listener import EMPTY, Kind, Listener, message_from, twiml
from book.signature import valid, valid_body

__all__ = ["MAX_BODY", "application"]

MAX_BODY = 64 * 1024
"""The largest body read, in bytes: a message's webhook is a form of a few kilobytes."""


def application(listener: Listener, token: str, public_url: str | None = None) -> Starlette:
    """The app that serves ``listener``, checking signatures with ``token``."""
    if not token:
        raise ListenError("the webhook receiver needs the account's auth token to check Twilio's signatures")
    base = public_url.rstrip("/") if public_url else None

    def signed_url(request: Request) -> str:
        if base is None:
            return str(request.url)
        query = request.url.query
        return base + request.url.path + (f"?{query}" if query else "")

    async def answer(request: Request, kind: Kind) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return _text(413, "the request is too large for a message's webhook")
        try:
            content = await body(request, MAX_BODY)
        except TooLarge:
            return _text(413, "the request is too large for a message's webhook")
        except ClientDisconnect:
            return _text(400, "the request ended before its body")
        url = signed_url(request)
        sent = request.headers.get("x-twilio-signature", "")
        json_body = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
        if json_body:
            if not valid_body(url, content, sent, token):
                return _text(403, "the request is not signed by Twilio for this URL")
            return _text(415, "a message's webhook is a form, not JSON")
        try:
            form = fields(content) if request.method == "POST" else []
        except UnicodeDecodeError:
            form = None
        if form is None or not valid(url, form, sent, token):  # a body that is not a form was not Twilio's
            return _text(403, "the request is not signed by Twilio for this URL")
        params = dict(form if request.method == "POST" else parse_qsl(request.url.query))
        try:
            message = message_from(params, kind)
        except ListenError as error:
            return _text(400, error.message)
        if kind == "received":
            handled = await listener.received(message)
            return Response(twiml(handled.replies), media_type="application/xml")
        await listener.status(message)
        return Response(EMPTY, media_type="application/xml")

    async def inbound(request: Request) -> Response:
        return await answer(request, "received")

    async def status(request: Request) -> Response:
        return await answer(request, "status")

    return Starlette(
        routes=[
            Route("/sms", inbound, methods=["GET", "POST"]),
            Route("/status", status, methods=["GET", "POST"]),
        ]
    )


def _text(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status_code=status)
