"""The errors of talking to Twilio (or to the sandbox), and of the book's own checks.

Every one is a ``grammar.BookError``; none carries a credential. The tree::

    BookError
    └── TwilioError                  talking to Twilio went wrong
        ├── ApiError                     Twilio answered with an error (status, code, more_info)
        ├── UnexpectedResponseError      an answer that is not Twilio's JSON
        ├── NetworkError                 no answer: connection refused or reset, ...
        │   └── RequestTimeoutError      no answer in time
        ├── OutcomeUnknownError          a create may have reached Twilio and got no clear
        │                                answer: it is not sent again; ``sent`` says what was sent
        ├── InvalidRequestError          refused before sending: a create without a body, ...
        └── ConfigurationError           credentials or settings are wrong
    └── PlanError                    a read would scan too much, or cannot be planned
    └── SandboxError                 the local sandbox cannot do what was asked
        └── SchemaError                  its file was made by a version with another schema
    └── ListenError                  the record of events handled (book listen) cannot do what was asked

``attempts`` on a Twilio error says how many requests were made before giving up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grammar import BookError

__all__ = [
    "ApiError",
    "ConfigurationError",
    "InvalidRequestError",
    "ListenError",
    "NetworkError",
    "OutcomeUnknownError",
    "PlanError",
    "RequestTimeoutError",
    "SandboxError",
    "SchemaError",
    "TwilioError",
    "UnexpectedResponseError",
]


def _hint(code: int | None, path: str | None) -> str | None:
    """What to do about an error: a 404 outside Messages is about the path."""
    if code == 20404 and path is not None and "/Messages" not in path:
        return "Nothing is at this path in this account: check the path, and the sid in it."
    return _HINTS.get(code) if code is not None else None


# What to do about the errors people meet most.
_HINTS = {
    20001: "A parameter has a value Twilio does not accept: check dates (YYYY-MM-DD) and page tokens.",
    20009: "The message is still under way: delete it once it is sent or delivered (a minute or so); "
    "cancel a scheduled one first.",
    20003: "Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET).",
    20404: "No such message in this account: check the sid, or that it was not deleted.",
    20429: "Twilio is limiting the request rate; the book retried and gave up. Try again later or more slowly.",
    21211: "The recipient number is not valid: write it in E.164, such as +14155550100.",
    21212: "The sender number is not valid: use a number, short code or sender id of this account.",
    21408: "This account may not send to that region: enable it in the console's geo permissions.",
    21602: "Give a message body, a media url or a content sid.",
    21604: "Give a recipient number.",
    21606: "The sender must be an SMS-capable number that this account owns.",
    21610: "The recipient replied STOP and has unsubscribed; they must reply START first.",
    21611: "The sender's queue is full; send more slowly or from more numbers.",
    21612: "Twilio cannot route to this recipient.",
    21614: "The recipient number cannot receive SMS (a landline?).",
    21617: "The body is longer than 1600 characters: shorten it or split it.",
    21609: "Give a StatusCallback that is a full http(s) URL with a host.",
    21624: "Give a ValidityPeriod of 1 to 36000 seconds.",
    30409: "Only a scheduled message can be canceled.",
    35114: "A send time must be 15 minutes to 35 days ahead (of Twilio's clock).",
}


class TwilioError(BookError):
    """Talking to Twilio went wrong; ``method`` and ``path`` say which request,
    ``attempts`` how many were made."""

    kind = "twilio"

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        attempts: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.method = method
        self.path = path
        self.attempts = attempts

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(method=self.method, path=self.path, attempts=self.attempts)
        return data


class ApiError(TwilioError):
    """Twilio answered with an error: HTTP ``status``, Twilio ``code``, ``more_info``;
    ``answerer``: who answered (``Twilio``, or ``the local sandbox`` as Twilio would)."""

    kind = "twilio api"

    def __init__(
        self,
        *,
        status: int,
        code: int | None,
        twilio_message: str,
        more_info: str | None,
        method: str,
        path: str,
        attempts: int = 1,
        answerer: str = "Twilio",
    ) -> None:
        code_text = f" ({code})" if code is not None else ""
        tail = f"; see {more_info}" if more_info else ""
        super().__init__(
            f"{answerer[:1].upper()}{answerer[1:]} answered {status}{code_text}: {twilio_message} "
            f"[{method} {path}]{tail}",
            method=method,
            path=path,
            attempts=attempts,
            hint=_hint(code, path),
        )
        self.status = status
        self.code = code
        self.twilio_message = twilio_message
        self.more_info = more_info

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(status=self.status, code=self.code, more_info=self.more_info)
        return data


class UnexpectedResponseError(TwilioError):
    """An answer that is not Twilio's JSON (an HTML error page from a proxy, ...)."""

    kind = "twilio response"

    def __init__(self, message: str, *, status: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class NetworkError(TwilioError):
    """No answer: the connection was refused, reset or could not be made."""

    kind = "network"


class RequestTimeoutError(NetworkError):
    """No answer in time."""

    kind = "timeout"


class OutcomeUnknownError(TwilioError):
    """A create may have reached Twilio, and no clear answer came back.

    It is not sent again behind the caller's back (Twilio has no idempotency key
    for messages, so a retry could send the SMS twice); ``sent`` holds the form
    fields that were sent, so the caller can look for the message before trying again.
    """

    kind = "outcome unknown"
    uncertain = True  # what it was asked to do may have happened (effects.py)

    def __init__(self, message: str, *, sent: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(
            message,
            hint="Look for the message (read the SMS messages to its recipient) before sending it again.",
            **kwargs,
        )
        self.sent = tuple(sent)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["sent"] = [list(pair) for pair in self.sent]
        return data


class InvalidRequestError(TwilioError):
    """A request refused before it was sent, because Twilio would refuse it too."""

    kind = "invalid request"


class ConfigurationError(TwilioError):
    """Credentials or settings are wrong (a malformed Account SID, a token with no SID,
    a base URL with credentials in it, ...)."""

    kind = "configuration"


class PlanError(BookError):
    """A read cannot be answered within its limits (the scan budget), or cannot be planned."""

    kind = "plan"


class SandboxError(BookError):
    """The local sandbox cannot do what was asked (a damaged state file, a busy port, ...)."""

    kind = "sandbox"


class SchemaError(SandboxError):
    """The sandbox file was made by a version of the book with another schema: the
    one thing ``book sandbox reset --yes`` deletes the file for."""


class ListenError(BookError):
    """The record of the events ``book listen`` handled cannot do what was asked: a
    file that is not its own, a busy or damaged file, a key it refuses, a key done twice."""

    kind = "listen"
