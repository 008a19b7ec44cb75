"""Clocks: where "now" comes from, so that tests can set it.

>>> import datetime as dt
>>> clock = FixedClock(dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC))
>>> clock.advance(dt.timedelta(minutes=5)).now().isoformat()
'2024-03-01T12:05:00+00:00'
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the time as an aware datetime."""

    def now(self) -> dt.datetime:
        """The current instant, time-zone aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until it is set or advanced; safe across threads."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time must be time-zone aware")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, when: dt.datetime) -> FixedClock:
        """Move the clock to ``when`` (aware)."""
        if when.tzinfo is None:
            raise ValueError("a clock's time must be time-zone aware")
        with self._lock:
            self._now = when
        return self

    def advance(self, by: dt.timedelta) -> FixedClock:
        """Move the clock forward by ``by``."""
        with self._lock:
            self._now += by
        return self

    def __repr__(self) -> str:
        return f"FixedClock({self.now().isoformat()})"
