"""Twilio's Messages API without input or output: requests built, responses read.

The sync and async clients (client.py) are thin shells that send what this
module builds and hand back what they receive; everything else (paths,
form encoding, list parameters, paging, error bodies) happens here, in plain
functions that tests call directly.

>>> api = Api("https://api.twilio.com", "AC" + "a" * 32)
>>> request = api.list({"To": "+14155550100", "DateSent>": "2024-03-01"}, page_size=5)
>>> request.method, request.path
('GET', '/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages.json?To=%2B14155550100&DateSent%3E=2024-03-01&PageSize=5')
>>> api.create(CreateMessage(to="+14155550100", from_="+15005550006", body="Hi")).form
(('To', '+14155550100'), ('From', '+15005550006'), ('Body', 'Hi'))
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from book.credentials import checked_url
from book.errors import (
    ApiError,
    InvalidRequestError,
    OutcomeUnknownError,
    TwilioError,
    UnexpectedResponseError,
)
from book.resource import Resource
from book.resources.messages import MESSAGES
from book.wire import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from grammar.node import Record

__all__ = [
    "MAX_PAGE_SIZE",
    "Api",
    "CreateMessage",
    "Request",
    "Response",
    "Safety",
    "Tried",
    "maybe_done",
    "outcome_unknown",
    "read_deleted",
    "read_json",
    "read_one",
    "read_page",
]

MAX_MEDIA = 10
MAX_BODY = 1600
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


class Safety(Enum):
    """How safe a request is to send again (retry.py decides by it)."""

    READ = "read"  # GET: no effect
    IDEMPOTENT = "idempotent"  # update, delete: the same effect however often
    CREATE = "create"  # a new message each time: never sent twice without a clear answer


class Request(Record):
    """A request to send: method, absolute URL, form fields and safety class (no credentials)."""

    method: str
    url: str
    form: tuple[tuple[str, str], ...]
    safety: Safety

    @property
    def path(self) -> str:
        """The URL without scheme and host, as Twilio's ``uri`` fields write it."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Response(Record):
    """A response as received: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    content: bytes


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise InvalidRequestError("a date and time sent to Twilio must be time-zone aware")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# CreateMessage field -> Twilio's form field, in the order Twilio documents them.
_CREATE_FIELDS = {
    "to": "To",
    "from_": "From",
    "messaging_service_sid": "MessagingServiceSid",
    "body": "Body",
    "media_urls": "MediaUrl",
    "content_sid": "ContentSid",
    "content_variables": "ContentVariables",
    "status_callback": "StatusCallback",
    "application_sid": "ApplicationSid",
    "max_price": "MaxPrice",
    "provide_feedback": "ProvideFeedback",
    "attempt": "Attempt",
    "validity_period": "ValidityPeriod",
    "force_delivery": "ForceDelivery",
    "content_retention": "ContentRetention",
    "address_retention": "AddressRetention",
    "smart_encoded": "SmartEncoded",
    "persistent_action": "PersistentAction",
    "traffic_type": "TrafficType",
    "shorten_urls": "ShortenUrls",
    "schedule_type": "ScheduleType",
    "send_at": "SendAt",
    "send_as_mms": "SendAsMms",
    "risk_check": "RiskCheck",
    "fallback_from": "FallbackFrom",
}


class CreateMessage(Record):
    """What to send: every documented field of Twilio's create-message request.

    ``to`` is required; then ``from_`` or ``messaging_service_sid``; then ``body``,
    ``media_urls`` (at most 10) or ``content_sid``. A scheduled send gives
    ``send_at`` (aware) and ``schedule_type="fixed"`` with a Messaging Service.
    """

    to: str
    from_: str | None = None
    messaging_service_sid: str | None = None
    body: str | None = None
    media_urls: tuple[str, ...] = ()
    content_sid: str | None = None
    content_variables: str | None = None
    status_callback: str | None = None
    application_sid: str | None = None
    max_price: Decimal | None = None
    provide_feedback: bool | None = None
    attempt: int | None = None
    validity_period: int | None = None
    force_delivery: bool | None = None
    content_retention: str | None = None
    address_retention: str | None = None
    smart_encoded: bool | None = None
    persistent_action: tuple[str, ...] = ()
    traffic_type: str | None = None
    shorten_urls: bool | None = None
    schedule_type: str | None = None
    send_at: dt.datetime | None = None
    send_as_mms: bool | None = None
    risk_check: str | None = None
    fallback_from: str | None = None

    def check(self) -> None:
        """``InvalidRequestError`` for what Twilio would refuse on its face."""
        if not self.to:
            raise InvalidRequestError("a message needs a recipient (To)", hint="Give the recipient number.")
        if not self.from_ and not self.messaging_service_sid:
            raise InvalidRequestError(
                "a message needs a sender (From) or a Messaging Service (MessagingServiceSid)",
                hint="Give the sender number (one of the account's numbers; the sandbox's first is "
                '+15005550006), or name it once for the whole script: the sender number is "+15005550006".',
            )
        if self.messaging_service_sid and not MESSAGING_SERVICE_SID.fullmatch(self.messaging_service_sid):
            raise InvalidRequestError("a Messaging Service SID is MG followed by 32 hexadecimal digits")
        if not self.body and not self.media_urls and not self.content_sid:
            raise InvalidRequestError(
                "a message needs a body, a media url or a content sid (an empty body is no body)"
            )
        if self.body is not None and len(self.body) > MAX_BODY:
            raise InvalidRequestError(
                f"a message body holds at most {MAX_BODY:,} characters, not {len(self.body):,}",
                hint="Shorten it, or send it as several messages.",
            )
        if len(self.media_urls) > MAX_MEDIA:
            raise InvalidRequestError(
                f"a message takes at most {MAX_MEDIA} media urls, not {len(self.media_urls)}"
            )
        if self.send_at is not None:
            if self.send_at.tzinfo is None:
                raise InvalidRequestError("the send time must be time-zone aware")
            if self.schedule_type != "fixed" or not self.messaging_service_sid:
                raise InvalidRequestError(
                    "a scheduled send needs ScheduleType fixed and a Messaging Service",
                    hint="Give the messaging service sid with the send time.",
                )

    def form(self) -> tuple[tuple[str, str], ...]:
        """The form fields, with Twilio's names; lists as repeated fields."""
        pairs: list[tuple[str, str]] = []
        for field, name in _CREATE_FIELDS.items():
            value = getattr(self, field)
            if isinstance(value, tuple):
                pairs += [(name, _text(item)) for item in value]
            elif value is not None:
                pairs.append((name, _text(value)))
        return tuple(pairs)


class Api:
    """Builds the requests of one account's resources on one host (each resource
    declared in book/resources/): list, fetch, update, delete, and the raw
    requests of ``request``.

    A base URL with credentials in it (``user:password@host``) is refused
    (``ConfigurationError``): no request carries them, so httpx never sees them.
    """

    def __init__(self, base_url: str, account_sid: str) -> None:
        self.base_url = checked_url(base_url).rstrip("/")
        self.account_sid = account_sid
        self.collection = MESSAGES.collection(account_sid)

    def create(self, message: CreateMessage) -> Request:
        """POST Messages.json, form-encoded."""
        message.check()
        return Request("POST", self.base_url + self.collection, message.form(), Safety.CREATE)

    def list(
        self,
        filters: Mapping[str, str | dt.date],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> Request:
        """GET a resource's list with Twilio's filters (for messages: To, From,
        DateSent, DateSent<, DateSent>) and a page size; a filter the resource does
        not take is refused here, because Twilio would ignore it silently."""
        unknown = sorted(set(filters) - set(resource.filters))
        if unknown:
            can = ", ".join(resource.filters) or "nothing"
            raise InvalidRequestError(
                f"Twilio cannot filter {resource.plural} on {', '.join(unknown)}; it filters on {can}"
            )
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRequestError(f"a page holds 1 to {MAX_PAGE_SIZE} {resource.plural}, not {page_size}")
        pairs = [(name, _text(filters[name])) for name in resource.filters if name in filters]
        pairs.append(("PageSize", str(page_size)))
        path = resource.collection(self.account_sid, parent)
        return Request("GET", f"{self.base_url}{path}?{urlencode(pairs)}", (), Safety.READ)

    def next_page(self, page: Page) -> Request | None:
        """The request for the page after ``page``: its ``next_page_uri``, verbatim."""
        uri = page.next_page_uri
        if not uri:
            return None
        if not uri.startswith("/") or uri.startswith("//"):
            raise UnexpectedResponseError(
                f"the next page is not on this host: {uri!r}", status=200, method="GET", path=page.uri
            )
        return Request("GET", self.base_url + uri, (), Safety.READ)

    def fetch(self, sid: str, *, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Request:
        """GET one item by sid (``Messages/{sid}.json``)."""
        return Request("GET", self.base_url + resource.one(self.account_sid, sid, parent), (), Safety.READ)

    def update(
        self,
        sid: str,
        form: Sequence[tuple[str, str]],
        *,
        resource: Resource[Any] = MESSAGES,
        parent: str | None = None,
    ) -> Request:
        """POST one item's changed fields (the same effect however often it is sent)."""
        url = self.base_url + resource.one(self.account_sid, sid, parent)
        return Request("POST", url, tuple(form), Safety.IDEMPOTENT)

    def redact(self, sid: str) -> Request:
        """POST Messages/{sid}.json with an empty Body: the body is erased."""
        return self.update(sid, (("Body", ""),))

    def cancel(self, sid: str) -> Request:
        """POST Messages/{sid}.json with Status=canceled: a scheduled message is not sent."""
        return self.update(sid, (("Status", "canceled"),))

    def delete(self, sid: str, *, resource: Resource[Any] = MESSAGES, parent: str | None = None) -> Request:
        """DELETE one item (Twilio answers 204)."""
        url = self.base_url + resource.one(self.account_sid, sid, parent)
        return Request("DELETE", url, (), Safety.IDEMPOTENT)

    def request(self, method: str, path: str, form: Sequence[tuple[str, str]] = ()) -> Request:
        """Any request of Twilio's API on this host (the escape hatch of ``book
        request``): ``{AccountSid}`` in the path is the account's sid; its safety
        follows its method (a POST is a create: never sent twice without a clear
        answer). Only a path on this host is taken, never a URL."""
        verb = method.upper()
        safety = _SAFETY.get(verb)
        if safety is None:
            raise InvalidRequestError(
                f"{method!r} is not a method the book sends; it sends {', '.join(_SAFETY)}"
            )
        path = path.replace("{AccountSid}", self.account_sid)
        if not path.startswith("/") or path.startswith("//") or any(ord(c) < 33 for c in path):
            raise InvalidRequestError(
                f"{path!r} is not a path of Twilio's API: give one that starts with /, such as "
                "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            )
        if form and verb in ("GET", "DELETE"):
            path += ("&" if "?" in path else "?") + urlencode(form)
            form = ()
        return Request(verb, self.base_url + path, tuple(form), safety)


_SAFETY = {"GET": Safety.READ, "POST": Safety.CREATE, "DELETE": Safety.IDEMPOTENT}


class Tried(Protocol):
    """What the sending of a request came to (retry.Attempts): how many attempts
    were made, and whether an earlier one may have been carried out."""

    count: int
    uncertain: bool


def _count(tried: Tried | int) -> int:
    return tried if isinstance(tried, int) else tried.count


def outcome_unknown(request: Request, message: str, attempts: int) -> OutcomeUnknownError:
    """The error for a create that may have reached Twilio: it carries what was sent."""
    return OutcomeUnknownError(
        message, sent=request.form, method=request.method, path=request.path, attempts=attempts
    )


def _unreadable(request: Request, response: Response, attempts: int, message: str) -> TwilioError:
    """The error for an answer that cannot be read. For a create that Twilio
    accepted (2xx), the message exists: say so, lest it be sent again."""
    if request.safety is Safety.CREATE and 200 <= response.status < 300:
        return outcome_unknown(
            request,
            f"{message}; Twilio accepted the new message (it answered {response.status}), so it was most "
            "likely created, and it was not sent again",
            attempts,
        )
    return UnexpectedResponseError(
        message, status=response.status, method=request.method, path=request.path, attempts=attempts
    )


def _json(request: Request, response: Response, attempts: int) -> Any:
    try:
        return json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        kind = response.headers.get("content-type", "an unknown type")
        preview = response.content[:80].decode("utf-8", "replace")
        raise _unreadable(
            request,
            response,
            attempts,
            f"Twilio answered {response.status} with {kind}, not JSON: {preview!r}",
        ) from None


SANDBOX_HEADER = "Sms-Book-Sandbox"
"""A header the local sandbox adds to its answers, so that errors say who answered."""


def answerer(response: Response) -> str:
    """Who gave an answer: Twilio, or the local sandbox (which answers as Twilio would)."""
    return "the local sandbox" if SANDBOX_HEADER.lower() in response.headers else "Twilio"


def check(request: Request, response: Response, attempts: int = 1) -> None:
    """Nothing for a success; the project's error for an error response."""
    if 200 <= response.status < 300:
        return
    body = _json(request, response, attempts)
    if not isinstance(body, dict):
        raise UnexpectedResponseError(
            f"{answerer(response).capitalize()} answered {response.status} with JSON that is not an error body",
            status=response.status,
            method=request.method,
            path=request.path,
            attempts=attempts,
        )
    code = body.get("code")
    raise ApiError(
        status=response.status,
        code=code if isinstance(code, int) else None,
        twilio_message=str(body.get("message") or "no message"),
        more_info=body.get("more_info") if isinstance(body.get("more_info"), str) else None,
        method=request.method,
        path=request.path,
        attempts=attempts,
        answerer=answerer(response),
    )


def _model(request: Request, response: Response, attempts: int, kind: type[Any], what: str) -> Any:
    check(request, response, attempts)
    body = _json(request, response, attempts)
    try:
        return kind.model_validate(body)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = f"Twilio answered with a {what} this client cannot read ({where}: {problem['msg']})"
        raise _unreadable(request, response, attempts, message) from None


def read_one(
    request: Request, response: Response, tried: Tried | int = 1, resource: Resource[Any] = MESSAGES
) -> Any:
    """The item of a create, fetch or update response (its wire model); or the project's error."""
    return _model(request, response, _count(tried), resource.wire, resource.noun)


def read_page(
    request: Request, response: Response, tried: Tried | int = 1, resource: Resource[Any] = MESSAGES
) -> Any:
    """The page of a list response (the resource's page model); or the project's error."""
    return _model(request, response, _count(tried), resource.page, f"page of {resource.plural}")


def read_json(request: Request, response: Response, tried: Tried | int = 1) -> Any:
    """The JSON of any response (None for an empty one, such as a 204), with every
    secret Twilio may answer (an account's ``auth_token``, a new API key's
    ``secret``) shown as ``***``; or the project's error."""
    check(request, response, _count(tried))
    return masked(_json(request, response, _count(tried))) if response.content else None


SECRETS = frozenset({"auth_token", "secret", "password", "primary_auth_token", "secondary_auth_token"})


def masked(value: Any) -> Any:
    """JSON with the value of every key in ``SECRETS`` (at any depth) shown as ``***``.

    >>> masked({"sid": "AC1", "auth_token": "abc", "keys": [{"secret": "x"}]})
    {'sid': 'AC1', 'auth_token': '***', 'keys': [{'secret': '***'}]}
    """
    if isinstance(value, dict):
        return {key: "***" if key in SECRETS and value[key] else masked(value[key]) for key in value}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def read_deleted(request: Request, response: Response, tried: Tried | int = 1) -> None:
    """Nothing for a delete's 204; or the project's error. A 404 after an earlier
    attempt that may have been carried out (a 5xx, an answer lost) means that
    attempt deleted the message: the delete is done. After a 429 it means what
    it says: there was no such message."""
    if response.status == 404 and not isinstance(tried, int) and tried.uncertain:
        return
    check(request, response, _count(tried))


CANCELED = 30409  # "this message cannot be canceled": Twilio's answer to canceling a canceled message


def maybe_done(response: Response, tried: Tried | int) -> bool:
    """Whether a retried cancel's refusal may be its own earlier success: 30409
    after an attempt that may have been carried out. Then look at the message."""
    if isinstance(tried, int) or not tried.uncertain or response.status != 400:
        return False
    try:
        body = json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(body, dict) and body.get("code") == CANCELED
