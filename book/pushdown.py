"""Pushdown rules as data: which of a resource's list filters Twilio applies, and how.

A resource declares one ``Pushdown`` (as a sqlglot dialect declares what differs):
the noun its plans say, and a rule for each field Twilio can filter its list on.
The planner (planner.py) reads the table; it never names a field or a parameter.

- ``Equal(param, accepts=...)``: ``FIELD is V`` is sent as ``param=V``, for the
  values Twilio matches exactly (``accepts``: a regex the whole value matches, or a
  predicate; every value when not given); with ``exact=False``, for values Twilio
  matches loosely (a superset), so the comparison is also checked here;
- ``Days(param)``: a range of instants is sent as ``param``, ``param>`` and
  ``param<``, whole UTC days that cover it under every reading of ``param<`` (a
  superset, exact when its bounds are whole UTC days);
- ``Fetch(pattern)``: the key: ``FIELD is V`` is a fetch of that one thing; every
  key has the form ``pattern``, so a value of another form matches nothing.

A resource with just two list filters, the account's phone numbers:

>>> numbers = Pushdown("phone number", "phone numbers", {
...     "phone number": Equal("PhoneNumber"), "friendly name": Equal("FriendlyName")})
>>> sorted(numbers.split), numbers.key, numbers.patterns
(['friendly name', 'phone number'], None, {})
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

from book.wire import MAX_PAGE_SIZE
from grammar.node import Record
from procedures import Bound

__all__ = ["Days", "Equal", "Fetch", "Pushdown", "Rule"]


class Rule(Record):
    """How Twilio filters one field of a resource's list: ``Equal``, ``Days`` or ``Fetch``."""


class Equal(Rule):
    """``FIELD is V`` sent as ``param=V``, when ``accepts`` the value (see the module).
    ``exact``: whether Twilio's answer is then exactly the things whose field is V;
    when it matches more loosely (a part of a phone number), the answer is a
    superset: sent, and checked here too."""

    param: str
    accepts: str | re.Pattern[str] | Callable[[str], bool] | None = None
    why_not: str = ""  # why an equality is kept here; a default names the parameter
    exact: bool = True

    def takes(self, value: str) -> bool:
        """Whether Twilio's answer for this value holds every thing whose field is it."""
        if self.accepts is None:
            return True
        if isinstance(self.accepts, (str, re.Pattern)):
            return re.fullmatch(self.accepts, value) is not None
        return self.accepts(value)

    def refusal(self) -> str:
        return self.why_not or (
            f"Twilio matches {self.param} exactly, and this value is compared without regard to case"
        )


class Days(Rule):
    """A range of instants sent as whole UTC days: ``param``, ``param>``, ``param<``."""

    param: str
    why_not: str = ""  # why a comparison that is not a range is kept here

    def refusal(self) -> str:
        return self.why_not or f"Twilio can only ask for {self.param} within a range of days"

    def params(self, lower: Bound | None, upper: Bound | None) -> tuple[dict[str, str], bool, str]:
        """The parameters for a range of instants: whole UTC days that cover it under
        every reading of ``param<``; whether that is exact; how, in words.

        >>> day = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        >>> Days("DateSent").params((day, True), (day + dt.timedelta(days=1), False))
        ({'DateSent': '2024-03-01'}, True, 'DateSent=2024-03-01')
        >>> Days("DateSent").params((day + dt.timedelta(hours=15), False), None)
        ({'DateSent>': '2024-03-01'}, False, 'DateSent>=2024-03-01')
        """
        if lower is not None and upper is not None:
            first = _utc_day(lower[0])
            last_instant = upper[0] if upper[1] else upper[0] - dt.timedelta(microseconds=1)
            if _utc_day(last_instant) == first:  # the whole range lies within one UTC day
                exact = (
                    _midnight(lower[0])
                    and lower[1]
                    and _midnight(upper[0])
                    and not upper[1]
                    and upper[0] - lower[0] == dt.timedelta(days=1)
                )
                return {self.param: first.isoformat()}, exact, f"{self.param}={first.isoformat()}"
        params: dict[str, str] = {}
        exact = upper is None
        if lower is not None:
            params[f"{self.param}>"] = _utc_day(lower[0]).isoformat()
            exact = exact and lower[1] and _midnight(lower[0])
        if upper is not None:
            # sent < U (or <= U): a day whose start is after U covers it, whether Twilio
            # reads "param<" as on or before the day, or as before it.
            moment = upper[0]
            day = _utc_day(moment)
            if upper[1] or not _midnight(moment):
                day += dt.timedelta(days=1)
            params[f"{self.param}<"] = day.isoformat()
        how = ", ".join(f"{name}={value}" for name, value in params.items())
        return params, exact, how


class Fetch(Rule):
    """The key: ``FIELD is V`` fetches that one thing; every key matches ``pattern``."""

    pattern: re.Pattern[str] | None = None


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _midnight(moment: dt.datetime) -> bool:
    utc = moment.astimezone(dt.UTC)
    return (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0)


class Pushdown(Record):
    """One resource's list filters: its noun in plans, a rule for each field Twilio
    filters on (by the field's English name), its largest page and its order.
    Derive a variant with ``replace(rules={**TABLE.rules, ...})``."""

    noun: str  # "message": "fetch the message SM…", "no message can match"
    plural: str  # "messages": "list the messages with From=…"
    rules: Mapping[str, Rule]
    max_page_size: int = MAX_PAGE_SIZE
    order: str = "newest first"  # how the answers of several queries are merged

    @property
    def key(self) -> str | None:
        """The field a positive equality on which is a fetch (the ``Fetch`` rule's), if any."""
        return next((field for field, rule in self.rules.items() if isinstance(rule, Fetch)), None)

    @property
    def patterns(self) -> dict[str, re.Pattern[str]]:
        """The form every value of a field has (a key's), for finding contradictions."""
        return {f: r.pattern for f, r in self.rules.items() if isinstance(r, Fetch) and r.pattern is not None}

    @property
    def split(self) -> frozenset[str]:
        """The fields whose ``is one of`` is read as an or: one query for each value."""
        return frozenset(self.rules)

    def __hash__(self) -> int:  # its rules are a mapping: hashed by their items
        return hash((self.noun, self.plural, tuple(self.rules.items()), self.max_page_size, self.order))
