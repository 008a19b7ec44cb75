"""The book's requests as flows, without input or output: written once, driven by both clients.

A flow is a generator: it yields each request to send and is sent back what the
sending came to (the response, and what the attempts came to), so that a flow
of several requests (a cancel refused as already canceled after an attempt that
may have gone through, then a fetch to tell which it was) is the same code for
the sync and the async client, as httpx's auth flows are. A paging flow also
yields each page, for the client to give out before the next is asked for.

>>> from book.api import Api, Response
>>> api = Api("https://api.twilio.com", "AC" + "a" * 32)
>>> flow = fetch(api, "SM" + "0" * 32)
>>> next(flow).method
'GET'
>>> try:
...     flow.send((Response(200, {}, b'{"sid": "SM' + b"0" * 32 + b'", "status": "sent"}'), 1))
... except StopIteration as done:
...     done.value.status
'sent'
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar

from book.api import (
    Api,
    CreateMessage,
    Request,
    Response,
    Tried,
    maybe_done,
    read_deleted,
    read_json,
    read_one,
    read_page,
)
from book.resource import Resource
from book.resources.messages import MESSAGES, WireMessage
from book.wire import Page

__all__ = ["Flow", "Paging", "cancel", "create", "delete", "fetch", "pages", "request", "update"]

T = TypeVar("T")
Sent = tuple[Response, "Tried | int"]
Flow = Generator[Request, Sent, T]
"""Yields requests; is sent what each came to; returns the answer."""
Paging = Generator["Request | Page", "Sent | None", None]
"""Yields requests (sent what each came to) and pages (sent nothing)."""


def _one(request: Request, resource: Resource[Any]) -> Flow[Any]:
    response, tried = yield request
    return read_one(request, response, tried, resource)


def create(api: Api, message: CreateMessage) -> Flow[WireMessage]:
    """Send a new message: its wire message."""
    return _one(api.create(message), MESSAGES)


def fetch(api: Api, sid: str, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Flow[Any]:
    """One item by sid."""
    return _one(api.fetch(sid, resource=resource, parent=parent), resource)


def update(
    api: Api,
    sid: str,
    form: Sequence[tuple[str, str]],
    resource: Resource[Any] = MESSAGES,
    parent: str | None = None,
) -> Flow[Any]:
    """Change one item's fields: the item as changed."""
    return _one(api.update(sid, form, resource=resource, parent=parent), resource)


def cancel(api: Api, sid: str) -> Flow[WireMessage]:
    """Cancel a scheduled message. When a retry is refused as already canceled
    after an attempt that may have gone through, the message tells which it was."""
    request = api.cancel(sid)
    response, tried = yield request
    if maybe_done(response, tried):
        message: WireMessage = yield from fetch(api, sid)
        if message.status == "canceled":
            return message
    answer: WireMessage = read_one(request, response, tried)
    return answer


def delete(api: Api, sid: str, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Flow[None]:
    """Delete one item (a 404 after an attempt that may have gone through: done)."""
    request = api.delete(sid, resource=resource, parent=parent)
    response, tried = yield request
    read_deleted(request, response, tried)


def request(api: Api, method: str, path: str, form: Sequence[tuple[str, str]] = ()) -> Flow[Any]:
    """Any request of Twilio's API (``Api.request``): the JSON it answered."""
    sent = api.request(method, path, form)
    response, tried = yield sent
    return read_json(sent, response, tried)


def pages(api: Api, first: Request, resource: Resource[Any] = MESSAGES) -> Paging:
    """A list's pages, each asked for when the one before it has been given out,
    by following each page's ``next_page_uri`` verbatim."""
    following: Request | None = first
    while following is not None:
        sent = yield following
        assert sent is not None
        page = read_page(following, *sent, resource=resource)
        del sent  # the answer's bytes: not held while the next page is asked for
        following = api.next_page(page)
        yield page
        del page  # nor the page, once given out
