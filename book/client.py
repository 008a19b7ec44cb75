"""The Twilio Messages clients: ``Client`` (sync) and ``AsyncClient``, thin shells over httpx.

They send what api.py builds, retry as retry.py decides, and read answers with
api.py. Constructors are keyword-only; pass ``transport`` (an httpx transport,
such as the sandbox's or ``httpx.MockTransport``) or ``http`` (your own httpx
client, which you then close); otherwise the default httpx client is built by
``_http`` below, the only place that does it, with explicit timeouts.
Credentials come from the arguments or the environment, and only ever leave
their ``Secret`` to fill the Authorization header of a request being sent.

>>> import httpx
>>> def twilio(request):
...     return httpx.Response(200, json={"messages": [], "next_page_uri": None})
>>> with Client(credentials=Credentials(account_sid="AC" + "0" * 32, auth_token="x"),
...             transport=httpx.MockTransport(twilio)) as client:
...     list(client.list_messages({"From": "+15005550006"}))
[]
"""

from __future__ import annotations

import asyncio
import logging
import random as randomness
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlencode

import httpx

from book import flows
from book.api import Api, CreateMessage, Request, Response
from book.credentials import Credentials, shown_url
from book.errors import ConfigurationError
from book.flows import Flow, Paging
from book.pace import CONCURRENCY, Gate, Pace
from book.resource import Resource
from book.resources.messages import MESSAGES, WireMessage
from book.retry import Attempts, Failure, RetryPolicy
from book.wire import DEFAULT_PAGE_SIZE, Page

__all__ = ["CONCURRENCY", "DEFAULT_TIMEOUT", "AsyncClient", "Client"]

log = logging.getLogger("book.client")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
USER_AGENT = "sms-book/0.1 (httpx)"

Filters = Mapping[str, Any]
T = TypeVar("T")


def _http(*, asynchronous: bool, transport: Any, timeout: httpx.Timeout) -> Any:
    """The default httpx client: the one place where it is built."""
    options: dict[str, Any] = {
        "timeout": timeout,
        "follow_redirects": False,
        "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
    }
    if transport is not None:
        options["transport"] = transport
    return httpx.AsyncClient(**options) if asynchronous else httpx.Client(**options)


def _failure(exc: httpx.TransportError | httpx.DecodingError) -> Failure:
    """How a request failed: before it could leave, or after (its answer lost or garbled)."""
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Failure.NOT_SENT_IN_TIME
    if isinstance(exc, (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError)):
        return Failure.NOT_SENT
    if isinstance(exc, httpx.TimeoutException):
        return Failure.LOST_IN_TIME
    return Failure.LOST


def _credentials(credentials: Credentials | None) -> Credentials:
    found = credentials or Credentials.from_environment()
    if found is None:
        raise ConfigurationError(
            "no Twilio credentials: set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
            "(or TWILIO_API_KEY and TWILIO_API_SECRET), or pass credentials"
        )
    return found


def _create(message: CreateMessage | None, fields: dict[str, Any]) -> CreateMessage:
    if message is not None and fields:
        raise TypeError("give a CreateMessage or its fields, not both")
    if message is not None:
        return message
    for name in ("media_urls", "persistent_action"):
        if name in fields and fields[name] is not None:
            fields[name] = tuple(fields[name])
    return CreateMessage(**fields)


class _Shell:
    """What both clients share: configuration, requests to httpx and back."""

    def __init__(
        self,
        *,
        credentials: Credentials | None,
        base_url: str | None,
        timeout: httpx.Timeout | None,
        retry: RetryPolicy | None,
        random: randomness.Random | None,
    ) -> None:
        self.credentials = _credentials(credentials)
        # a base URL with credentials in it is refused there: httpx never sees them
        self.api = Api(base_url or self.credentials.base_url, self.credentials.account_sid)
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self._random = random or randomness.Random()  # noqa: S311 - jitter, not cryptography

    def _attempts(self, request: Request) -> Attempts:
        return Attempts(self.retry, request.safety, random=self._random)

    def _httpx(self, http: Any, request: Request) -> httpx.Request:
        headers = {"Authorization": self.credentials.authorization()}
        content = None
        if request.form:  # form-encoded, never JSON; repeated fields for lists
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            content = urlencode(request.form).encode()
        try:
            result: httpx.Request = http.build_request(
                request.method, request.url, content=content, headers=headers
            )
        except httpx.InvalidURL as exc:
            raise ConfigurationError(
                f"{shown_url(request.url)} is not a URL the book can use: {exc}"
            ) from None
        return result

    @staticmethod
    def _response(response: httpx.Response) -> Response:
        return Response(
            response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.credentials!r}, base_url={shown_url(self.api.base_url)!r})"


class Client(_Shell):
    """The synchronous client."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: randomness.Random | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, base_url=base_url, timeout=timeout, retry=retry, random=random
        )
        if http is not None and transport is not None:
            raise TypeError("give an httpx client or a transport, not both")
        self._owned = http is None
        self._http: httpx.Client = http or _http(
            asynchronous=False, transport=transport, timeout=self.timeout
        )
        self._sleep = sleep
        # over the network (httpx's own transport), a reader fetches the next page
        # while it uses this one (ahead.py); a transport given (the sandbox in
        # process) is used from the caller's thread only
        self.overlaps = transport is None and http is None

    def send(self, request: Request) -> tuple[Response, Attempts]:
        """Send a request, retrying as its safety allows; the final response and
        what the attempts came to (how many, and whether an earlier one may have
        been carried out)."""
        attempts = self._attempts(request)
        while True:
            try:
                raw = self._http.send(self._httpx(self._http, request))
            except (httpx.TransportError, httpx.DecodingError) as exc:
                delay = attempts.after_failure(_failure(exc), request, type(exc).__name__)
            else:
                response = self._response(raw)
                log.debug("%s %s -> %d", request.method, request.path, response.status)
                retry_in = attempts.after_response(response, request)
                if retry_in is None:
                    return response, attempts
                delay = retry_in
            self._sleep(delay)

    def run(self, flow: Flow[T]) -> T:
        """Drive a flow (flows.py): send each request it yields, hand it what came back."""
        try:
            request = next(flow)
            while True:
                request = flow.send(self.send(request))
        except StopIteration as done:
            result: T = done.value
            return result

    def _stream(self, paging: Paging) -> Iterator[Page]:
        try:
            item = next(paging)
            while True:
                if isinstance(item, Request):
                    item = paging.send(self.send(item))
                else:
                    yield item
                    item = next(paging)
        except StopIteration:
            return

    def create_message(self, message: CreateMessage | None = None, /, **fields: Any) -> WireMessage:
        """Create (send) a message: a ``CreateMessage`` or its fields (``to=``, ``from_=``, ``body=``, ...)."""
        return self.run(flows.create(self.api, _create(message, fields)))

    def list_pages(
        self,
        filters: Filters | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> Iterator[Any]:
        """The pages of a list (of messages, unless another ``resource`` is given),
        fetched one at a time as they are needed."""
        first = self.api.list(filters or {}, page_size=page_size, resource=resource, parent=parent)
        return self._stream(flows.pages(self.api, first, resource))

    def list_messages(
        self, filters: Filters | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[WireMessage]:
        """The messages of a list, newest first, one page held at a time."""
        for page in self.list_pages(filters, page_size=page_size):
            yield from page.messages

    def fetch(self, sid: str, *, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Any:
        """One item of a resource by sid."""
        return self.run(flows.fetch(self.api, sid, resource, parent))

    def fetch_message(self, sid: str) -> WireMessage:
        """One message by sid."""
        return self.fetch(sid)  # type: ignore[no-any-return]

    def update(
        self,
        sid: str,
        form: Sequence[tuple[str, str]],
        *,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> Any:
        """Change one item's fields (Twilio's form names): the item as changed."""
        return self.run(flows.update(self.api, sid, form, resource, parent))

    def redact_message(self, sid: str) -> WireMessage:
        """Erase a message's body."""
        return self.update(sid, (("Body", ""),))  # type: ignore[no-any-return]

    def cancel_message(self, sid: str) -> WireMessage:
        """Cancel a scheduled message (flows.cancel)."""
        return self.run(flows.cancel(self.api, sid))

    def delete_message(self, sid: str) -> None:
        """Delete a message (Twilio answers 204)."""
        self.run(flows.delete(self.api, sid))

    def request(self, method: str, path: str, form: Sequence[tuple[str, str]] = ()) -> Any:
        """Any request of Twilio's API (``Api.request``): the JSON it answered."""
        return self.run(flows.request(self.api, method, path, form))

    def close(self) -> None:
        """Close the httpx client, if this client built it."""
        if self._owned:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


class AsyncClient(_Shell):
    """The asynchronous client; ``concurrency`` bounds the requests in flight at once."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int = CONCURRENCY,
        sleep: Callable[[float], Any] = asyncio.sleep,
        random: randomness.Random | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, base_url=base_url, timeout=timeout, retry=retry, random=random
        )
        if http is not None and transport is not None:
            raise TypeError("give an httpx client or a transport, not both")
        self.pace = Pace(concurrency)
        """How many requests may be in flight: ``concurrency``, lowered while Twilio
        answers 429 to too many of them (pace.py)."""
        self._owned = http is None
        self._http: httpx.AsyncClient = http or _http(
            asynchronous=True, transport=transport, timeout=self.timeout
        )
        self._sleep = sleep
        self._gate = Gate(self.pace)

    async def send(self, request: Request) -> tuple[Response, Attempts]:
        """Send a request, retrying as its safety allows; the final response and
        what the attempts came to. At most ``concurrency`` are in flight, fewer
        while Twilio refuses too many (pace.py)."""
        attempts = self._attempts(request)
        while True:
            try:
                async with self._gate as sent:
                    raw = await self._http.send(self._httpx(self._http, request))
                    crowded = self.pace.answered(raw.status_code == 429, sent)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                delay = attempts.after_failure(_failure(exc), request, type(exc).__name__)
            else:
                response = self._response(raw)
                log.debug("%s %s -> %d", request.method, request.path, response.status)
                retry_in = attempts.after_response(response, request, crowded)
                if retry_in is None:
                    return response, attempts
                delay = retry_in
            await self._sleep(delay)

    async def run(self, flow: Flow[T]) -> T:
        """Drive a flow (flows.py): send each request it yields, hand it what came back."""
        try:
            request = next(flow)
            while True:
                request = flow.send(await self.send(request))
        except StopIteration as done:
            result: T = done.value
            return result

    async def _stream(self, paging: Paging) -> AsyncIterator[Page]:
        try:
            item = next(paging)
            while True:
                if isinstance(item, Request):
                    item = paging.send(await self.send(item))
                else:
                    yield item
                    item = next(paging)
        except StopIteration:
            return

    async def create_message(self, message: CreateMessage | None = None, /, **fields: Any) -> WireMessage:
        """Create (send) a message: a ``CreateMessage`` or its fields."""
        return await self.run(flows.create(self.api, _create(message, fields)))

    def list_pages(
        self,
        filters: Filters | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> AsyncIterator[Any]:
        """The pages of a list, fetched one at a time as they are needed."""
        first = self.api.list(filters or {}, page_size=page_size, resource=resource, parent=parent)
        return self._stream(flows.pages(self.api, first, resource))

    async def list_messages(
        self, filters: Filters | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[WireMessage]:
        """The messages of a list, newest first, one page held at a time."""
        async for page in self.list_pages(filters, page_size=page_size):
            for message in page.messages:
                yield message

    async def fetch(self, sid: str, *, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Any:
        """One item of a resource by sid."""
        return await self.run(flows.fetch(self.api, sid, resource, parent))

    async def fetch_message(self, sid: str) -> WireMessage:
        """One message by sid."""
        return await self.fetch(sid)  # type: ignore[no-any-return]

    async def update(
        self,
        sid: str,
        form: Sequence[tuple[str, str]],
        *,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> Any:
        """Change one item's fields: the item as changed."""
        return await self.run(flows.update(self.api, sid, form, resource, parent))

    async def redact_message(self, sid: str) -> WireMessage:
        """Erase a message's body."""
        return await self.update(sid, (("Body", ""),))  # type: ignore[no-any-return]

    async def cancel_message(self, sid: str) -> WireMessage:
        """Cancel a scheduled message (flows.cancel)."""
        return await self.run(flows.cancel(self.api, sid))

    async def delete_message(self, sid: str) -> None:
        """Delete a message (Twilio answers 204)."""
        await self.run(flows.delete(self.api, sid))

    async def request(self, method: str, path: str, form: Sequence[tuple[str, str]] = ()) -> Any:
        """Any request of Twilio's API (``Api.request``): the JSON it answered."""
        return await self.run(flows.request(self.api, method, path, form))

    async def aclose(self) -> None:
        """Close the httpx client, if this client built it."""
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()
