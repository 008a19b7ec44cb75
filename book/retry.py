"""When to send a request again, and how long to wait first: retries by safety class.

- A read (GET) is retried after 429, a 5xx, a connection that could not be made
  and an answer that did not come (a read timeout, a dropped connection).
- An update or delete is the same whatever the number of times it is made, and
  is retried like a read.
- A create is retried only after 429 (Twilio did not process it) and after
  errors that prove the request never left (the connection could not be made).
  A create that may have reached Twilio without a clear answer (an answer lost,
  a 5xx) raises ``OutcomeUnknownError`` with what was sent: the message is never
  sent twice behind the caller's back.

The wait honours ``Retry-After``; otherwise it is exponential with full jitter.
Attempts are bounded, and so is the total time. A 429 met in a crowd (the
account over Twilio's limit of requests in flight, while the client's pace is
lowered to it: pace.py) is the pace's to mend, not the request's: it is retried
without using up one of the request's attempts, up to ``CROWDED`` times as many
as the policy allows, within the total time. A pace down to one request is not
a crowd: an account that refuses everything is given up on as before.

>>> import random
>>> attempts = Attempts(RetryPolicy(), Safety.READ, random=random.Random(1), clock=lambda: 0.0)
>>> attempts.after_response(Response(429, {"retry-after": "2"}, b""), Request("GET", "https://x/", (), Safety.READ))
2.0
>>> attempts.count
2
"""

from __future__ import annotations

import email.utils
import logging
import random as randomness
import time
from collections.abc import Callable
from enum import Enum

from book.api import Request, Response, Safety, answerer, outcome_unknown
from book.errors import NetworkError, RequestTimeoutError
from book.wire import parse_count
from grammar.node import Record

__all__ = ["CROWDED", "Attempts", "Failure", "RetryPolicy"]

log = logging.getLogger("book.client")

CROWDED = 2
"""How many 429s met in a crowd a request may take without using up an attempt,
as a multiple of the attempts its policy allows."""


class RetryPolicy(Record):
    """How many attempts a request gets (``attempts``, the first included), the
    exponential backoff's first and largest waits (seconds), and the total time
    (``budget``, seconds) after which no new attempt starts."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 8.0
    budget: float = 60.0


class Failure(Enum):
    """How a request failed without an answer."""

    NOT_SENT = "the connection could not be made"  # refused, unresolvable, no free connection
    NOT_SENT_IN_TIME = "the connection could not be made in time"
    LOST = "the connection failed before an answer came"  # reset, broken, a malformed answer
    LOST_IN_TIME = "no answer came in time"  # read or write timeout


class Attempts:
    """The retry state of one request (see the module's docstring)."""

    def __init__(
        self,
        policy: RetryPolicy,
        safety: Safety,
        *,
        random: randomness.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.safety = safety
        self.count = 1
        self.crowded = 0
        """Attempts answered 429 in a crowd, which do not use up ``policy.attempts``
        (at most ``CROWDED`` times as many as it allows)."""
        # whether an earlier attempt may have been carried out (a 5xx, an answer
        # lost): a retried update or delete may then meet its own earlier success
        self.uncertain = False
        self._random = random or randomness.Random()  # noqa: S311 - jitter, not cryptography
        self._clock = clock
        self._start = clock()
        self._waited = 0.0

    def _backoff(self) -> float:
        ceiling = min(self.policy.cap, self.policy.base * 2 ** (self.count - 1))
        return self._random.uniform(0, ceiling)

    def _next(self, wait: float | None, crowded: bool = False) -> float | None:
        """The wait before the next attempt, or None when none is left."""
        delay = self._backoff() if wait is None else wait
        # Time spent so far: as measured, or as waited when the waits do not show
        # on the clock (a caller's own sleep function).
        spent = max(self._clock() - self._start, self._waited)
        free = crowded and self.crowded < CROWDED * self.policy.attempts
        spent_attempts = self.count - self.crowded >= self.policy.attempts and not free
        if spent_attempts or spent + delay > self.policy.budget:
            return None
        self.count += 1
        self.crowded += free
        self._waited += delay
        return delay

    def after_response(self, response: Response, request: Request, crowded: bool = False) -> float | None:
        """The wait before trying again, or None to take this response as the answer.
        ``crowded``: a 429 met in a crowd (see the module's docstring).

        ``OutcomeUnknownError`` for a create that met a 5xx.
        """
        status = response.status
        if status == 429:
            delay = self._next(_retry_after(response), crowded)
        elif status >= 500 and self.safety is Safety.CREATE:
            raise outcome_unknown(
                request,
                f"{answerer(response)} answered {status} to a new message, which may or may not have "
                "been sent; it was not sent again",
                self.count,
            )
        elif status >= 500:
            delay = self._next(None)
            self.uncertain = self.uncertain or delay is not None
        else:
            return None
        if delay is not None:
            log.info(
                "%s %s answered %d; attempt %d in %.2fs",
                request.method,
                request.path,
                status,
                self.count,
                delay,
            )
        return delay

    def after_failure(self, failure: Failure, request: Request, cause: str) -> float:
        """The wait before trying again; else the project's error for ``failure``."""
        sent = failure in (Failure.LOST, Failure.LOST_IN_TIME)
        if sent and self.safety is Safety.CREATE:
            raise outcome_unknown(
                request,
                f"a new message was sent but {failure.value} ({cause}); it may or may not have been "
                "created, and it was not sent again",
                self.count,
            )
        delay = self._next(None)
        self.uncertain = self.uncertain or (sent and delay is not None)
        if delay is None:
            kind = (
                RequestTimeoutError
                if failure in (Failure.LOST_IN_TIME, Failure.NOT_SENT_IN_TIME)
                else NetworkError
            )
            raise kind(
                f"{failure.value} ({cause}), after {self.count} attempt{'s' if self.count > 1 else ''}",
                method=request.method,
                path=request.path,
                attempts=self.count,
                hint="Check the network, or the host the book talks to.",
            )
        log.info(
            "%s %s: %s (%s); attempt %d in %.2fs",
            request.method,
            request.path,
            failure.value,
            cause,
            self.count,
            delay,
        )
        return delay


def _retry_after(response: Response) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    seconds = parse_count(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())
