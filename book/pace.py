"""How many requests may be in flight at once: the concurrency asked for, lowered
while Twilio says the account has too many (429), raised again as it stops.

Twilio answers 429 (error 20429) when an account has more requests in flight than
it allows; the request was not processed. Retrying it at the same pace runs into
the same limit, so ``Pace`` adapts the number allowed in flight, additively up and
multiplicatively down, as TCP does with its window:

- Answers are counted in windows of at least ``WINDOW`` answers (or as many as are
  allowed in flight, if more): a window is about one round of requests.
- When more than ``SHARE`` of a window's answers are 429s, the number allowed falls
  to ``CUT`` of itself at once (and a new window starts). Over the limit, every
  request beyond it is refused, so 429s come in a crowd and the cut comes within
  a round. The answers to requests sent before a cut do not count towards the
  next: they were sent at the old pace (TCP too cuts once a round), so one crowd
  is one cut.
- A window that ends below the share raises the number allowed by one, up to the
  concurrency asked for.

The share is what tells a crowd from chance: 429s scattered at random (a busy
moment of Twilio's, or the sandbox's ``too_many`` fault at 5%) are retried with
their backoff (retry.py) and do not lower the pace. At 5%, a window of 20 answers
has 3 or more 429s about 8% of the time, and a window of 50 has 7 or more 1% of
the time; a cut costs a quarter of the pace, and each window after it gives one
back.

>>> pace = Pace(20)
>>> [pace.answered(throttled, sent=0) for throttled in [True] * 5 + [False] * 2]  # all sent before a cut
[False, False, True, True, True, False, False]
>>> pace.allowed, pace.cuts
(15, 1)
>>> for _ in range(20):
...     _ = pace.answered(False, sent=pace.cuts)
>>> pace.allowed
16
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

__all__ = ["CONCURRENCY", "CUT", "SHARE", "WINDOW", "Gate", "Pace"]

log = logging.getLogger("book.client")

CONCURRENCY = 20
"""How many requests an async client (and a run) has in flight at most, unless told."""
WINDOW = 20
"""The fewest answers a window counts before it decides."""
SHARE = 1 / 8
"""The share of a window's answers that are 429s above which the pace is cut."""
CUT = 0.75
"""What a cut leaves of the number allowed in flight."""


class Pace:
    """The number of requests allowed in flight (``allowed``), from ``most`` down to 1,
    kept from the answers' 429s (see the module's docstring). Sans-IO: ``Gate``
    holds requests to it."""

    def __init__(self, most: int) -> None:
        if most < 1:
            raise ValueError("concurrency must be 1 or more")
        self.most = most
        self.cuts = 0
        """How many times the pace was cut."""
        self.throttled = 0
        """How many 429s were answered in all."""
        self._limit = float(most)
        self._answers = 0
        self._crowd = 0

    @property
    def allowed(self) -> int:
        """How many requests may be in flight now."""
        return max(1, int(self._limit))

    @property
    def lowered(self) -> bool:
        """Whether the pace is below what was asked for (after a cut), and not down
        to one request: a 429 then is a crowd's, which a lower pace mends."""
        return 1 < self.allowed < self.most

    def answered(self, throttled: bool, sent: int) -> bool:
        """Count an answer: ``throttled`` when it was a 429; ``sent``, the number of
        cuts when its request was sent (``Gate`` gives it). Whether it was a 429 in a
        crowd: one that cut the pace, or came while the pace is lowered."""
        self.throttled += throttled
        if sent != self.cuts:
            return throttled and self.lowered  # sent at a pace since cut
        self._answers += 1
        self._crowd += throttled
        window = max(WINDOW, self.allowed)
        if self._crowd > SHARE * window:  # a crowd: cut, and a new window
            before = self.allowed
            self._limit = max(1.0, self._limit * CUT)
            self.cuts += 1
            self._answers = self._crowd = 0
            log.info(
                "Twilio refuses requests as too many (429): %d in flight at once, not %d",
                self.allowed,
                before,
            )
        elif self._answers >= window:  # a window without one: one more, and a new window
            self._limit = min(float(self.most), self._limit + 1)
            self._answers = self._crowd = 0
        return throttled and self.lowered

    def __repr__(self) -> str:
        return f"Pace(allowed={self.allowed}, most={self.most}, cuts={self.cuts})"


class Gate:
    """Holds requests to their ``Pace``: ``async with gate as sent:`` around each
    one, then ``pace.answered(..., sent)``."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._in_flight = 0
        self._turn = asyncio.Condition()

    async def __aenter__(self) -> int:
        async with self._turn:
            await self._turn.wait_for(lambda: self._in_flight < self.pace.allowed)
            self._in_flight += 1
            return self.pace.cuts

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        async with self._turn:
            self._in_flight -= 1
            self._turn.notify(max(0, self.pace.allowed - self._in_flight))
