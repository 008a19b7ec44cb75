"""Faults the sandbox can inject, seeded and deterministic.

Latency added to every answer; 429s at a rate, with or without ``Retry-After``;
5xx at a rate (the request is not processed); answers lost after the request was
committed (the transport fails as a dropped connection would); and Twilio's limit
on the requests an account has in flight at once (``concurrent``): a request that
arrives while that many are being answered gets 429 (error 20429), as Twilio
answers an account over its concurrency. The same seed gives the same drawn
faults for the same sequence of requests.

>>> faults = Faults(seed=1, too_many=0.5)
>>> [faults.draw("GET").status for _ in range(6)]
[429, None, None, 429, 429, 429]
"""

from __future__ import annotations

import random
import threading

from grammar.node import Record

__all__ = ["Fault", "Faults"]


class Fault(Record):
    """What happens to one request: a status instead of an answer (429, 5xx),
    a lost answer, and a delay in seconds."""

    status: int | None = None
    retry_after: int | None = None
    lost: bool = False
    delay: float = 0.0


class Faults:
    """Fault rates (each from 0 to 1), latency in seconds, and the methods they touch."""

    def __init__(
        self,
        *,
        seed: int = 0,
        latency: float = 0.0,
        too_many: float = 0.0,
        retry_after: int | None = None,
        server_errors: float = 0.0,
        lost: float = 0.0,
        concurrent: int | None = None,
        methods: tuple[str, ...] = ("GET", "POST", "DELETE"),
    ) -> None:
        for name, rate in (("too_many", too_many), ("server_errors", server_errors), ("lost", lost)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} is a rate from 0 to 1, not {rate}")
        if latency < 0:
            raise ValueError("latency cannot be negative")
        if concurrent is not None and concurrent < 1:
            raise ValueError(f"concurrent is a number of requests, 1 or more, not {concurrent}")
        self.concurrent = concurrent
        self.in_flight = 0
        """Requests being answered now (counted by the HTTP layer: ``arrive`` and ``leave``)."""
        self.latency = latency
        self.too_many = too_many
        self.retry_after = retry_after
        self.server_errors = server_errors
        self.lost = lost
        self.methods = methods
        self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not cryptography
        self._lock = threading.Lock()

    def arrive(self) -> bool:
        """A request arrives: whether it is admitted, under the account's limit of
        requests in flight; one that is not is answered 429 and not counted. Each
        admitted request is followed by ``leave``."""
        with self._lock:
            if self.concurrent is not None and self.in_flight >= self.concurrent:
                return False
            self.in_flight += 1
            return True

    def leave(self) -> None:
        """An admitted request has been answered."""
        with self._lock:
            self.in_flight -= 1

    def draw(self, method: str) -> Fault:
        """The fault for the next request."""
        if method not in self.methods:
            return Fault(delay=self.latency)
        with self._lock:
            roll = self._random.random()
        if roll < self.too_many:
            return Fault(status=429, retry_after=self.retry_after, delay=self.latency)
        roll -= self.too_many
        if roll < self.server_errors:
            return Fault(status=503, delay=self.latency)
        roll -= self.server_errors
        if roll < self.lost:
            return Fault(lost=True, delay=self.latency)
        return Fault(delay=self.latency)

    def __repr__(self) -> str:
        return (
            f"Faults(latency={self.latency}, too_many={self.too_many}, retry_after={self.retry_after}, "
            f"server_errors={self.server_errors}, lost={self.lost}, concurrent={self.concurrent})"
        )
