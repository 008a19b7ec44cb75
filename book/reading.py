"""Carrying out a plan: streams of pages, merged newest first, finished here, cut at the limit.

Generic over the resource read (book/resource.py): its pages, its concept and
its order come from its declaration.

Lazy from end to end: a page is fetched only when the messages before it have
been used (over the network, while they are used: one page ahead of the reader),
and a read with a limit stops as soon as it has enough. Several
queries are merged newest first (by date sent, else date created, then sid, as
Twilio orders them) and a message is given once, however often it is met. A
scan budget ends a read that fetches too many messages only to discard them.

Paging is a live view: a message that changes place in the order while a read
pages on (a queued message that is sent meanwhile) can be met twice, which is
handled by the keys of the last 1,000 items a list gave, or missed, which no
client can prevent. Several queries (an ``or``) meet on the same item at the same
place in the order, so only the keys at that place are held: what a read holds
does not grow with what it reads.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from book.ahead import ahead
from book.client import Client
from book.connection import DEFAULT_SCAN_BUDGET
from book.errors import ApiError, PlanError
from book.plan import Plan, Query
from book.pushdown import Days
from book.resource import Resource
from book.resources.messages import MESSAGES
from grammar import And, Comparison, NounPhrase
from procedures import field_of, holds

__all__ = ["DEFAULT_SCAN_BUDGET", "Reader", "Tally"]

WINDOWS = 8  # windows of days a long list bounded below by a day is read in, at once
RECENT = 1_000  # keys a list remembers to give each item once: a page of Twilio's largest


class Tally:
    """What a read cost: pages asked for, messages transferred, discarded here, given."""

    def __init__(self) -> None:
        self.pages = 0
        self.transferred = 0
        self.discarded = 0
        self.given = 0

    def __repr__(self) -> str:
        return (
            f"Tally(pages={self.pages}, transferred={self.transferred}, "
            f"discarded={self.discarded}, given={self.given})"
        )


class Reader:
    """Reads a resource's items (messages, unless told) with a client, following plans.

    ``scan_budget``: how many messages may be fetched and then discarded by the
    residual before the read stops with a ``PlanError`` (None: no budget).
    ``on_page``: called with ("read", messages) after each page, for progress.
    ``overlap``: fetch each list's next page while its current one is used, in a
    thread (ahead.py), so that an or-merge's queries are in flight together (None:
    when the client talks over the network). ``windows``: how many windows of days a
    long list bounded below by a day is read in at once (0: one list, page by page).
    """

    def __init__(
        self,
        client: Client,
        *,
        resource: Resource[Any] = MESSAGES,
        timezone: dt.tzinfo = dt.UTC,
        scan_budget: int | None = DEFAULT_SCAN_BUDGET,
        on_page: Callable[[str, int], None] | None = None,
        overlap: bool | None = None,
        windows: int = WINDOWS,
    ) -> None:
        self.client = client
        self.resource = resource
        self.timezone = timezone
        self.scan_budget = scan_budget
        self._on_page = on_page
        self.overlap = bool(getattr(client, "overlaps", False)) if overlap is None else overlap
        self.windows = windows

    def _pages(self, query: Query, page_size: int, tally: Tally) -> Iterator[list[Any]]:
        """The wire items of a query, a page at a time (a fetch is a page of one, or none)."""
        resource = self.resource
        if query.kind == "fetch":
            assert query.sid is not None
            tally.pages += 1
            try:
                item = self.client.fetch(query.sid, resource=resource)
            except ApiError as error:
                if error.status == 404:
                    return
                raise
            tally.transferred += 1
            yield [item]
            return
        pages = self.client.list_pages(dict(query.params), page_size=page_size, resource=resource)
        if self.overlap:
            pages = ahead(pages)  # the next page is fetched while this one is used
        for page in pages:
            items = resource.items(page)
            del page
            tally.pages += 1
            tally.transferred += len(items)
            if self._on_page is not None:
                self._on_page("read", len(items))
            yield items
            # Used: its wire items go now, not when the next page has come. The page
            # itself may still be held while the next is asked for (the client's paging
            # keeps it, book/flows.py), so its list is emptied rather than let go.
            items.clear()
            del items

    def _stream(self, query: Query, page_size: int, tally: Tally) -> Iterator[Any]:
        """A query's items, each once: one met again because the list moved under the
        read (a queued message sent meanwhile moves up, and the next page starts on
        one given already) is skipped, by the keys of the last ``RECENT`` given."""
        convert = self.resource.from_wire
        key = self.resource.concept.key or ""
        once = _Once()
        for items in self._pages(query, page_size, tally):
            thing = None
            for thing in map(convert, items):
                if once.first(getattr(thing, key, None)):
                    yield thing
            del items, thing  # not held while the next page is fetched

    def _windowed(self, plan: Plan, tally: Tally) -> Iterator[Any]:
        """A list bounded below by a day (``DateSent>``), read whole: its first page
        as any list's; if that page is full, the days below its oldest are read as
        up to ``WINDOWS`` windows of days at once (over the network, each a page
        ahead), newest first, while the list itself finishes the oldest day it
        reached. Each window is cut to its own days, so what a window's bounds
        take in twice is given once; together they give exactly the list."""
        (query,) = plan.queries
        param, field, first = self._days_field(plan)
        listed = self._stream(query, plan.page_size, tally)
        page: list[Any] = list(islice(listed, plan.page_size))
        yield from page
        if len(page) < plan.page_size:
            return  # one page held it all: no request more than the list's own
        oldest = getattr(page[-1], field, None)
        if oldest is None:  # not a day to split at (a list filtered by it gives none such)
            yield from listed
            return
        reached = _day(oldest)
        ranges = _split(first, reached - dt.timedelta(days=1), self.windows)
        others = {name: value for name, value in query.params if not name.startswith(param)}
        windows = [  # started now, so that they are read while the list finishes its day
            self._window(
                Query.list(
                    {
                        **others,
                        f"{param}>": low.isoformat(),
                        f"{param}<": (high + dt.timedelta(days=1)).isoformat(),
                    }
                ),
                plan.page_size,
                tally,
                field,
                low,
                high,
            )
            for low, high in ranges
        ]
        try:
            for item in listed:
                moment = getattr(item, field, None)
                if moment is None or _day(moment) < reached:
                    break  # the windows give the days below
                yield item
        finally:
            listed.close()  # type: ignore[attr-defined]
        for window in windows:
            yield from window

    def _window(
        self, query: Query, page_size: int, tally: Tally, field: str, low: dt.date, high: dt.date
    ) -> Iterator[Any]:
        """A window of days: its list's items whose day is within it."""
        items = self._stream(query, page_size, tally)
        # Items, not pages, are read ahead here: two of them, the window's own list a page ahead.
        started = ahead(items, depth=2) if self.overlap else items
        return (
            item
            for item in started
            if (moment := getattr(item, field, None)) is not None and low <= _day(moment) <= high
        )

    def _days_field(self, plan: Plan) -> tuple[str, str, dt.date]:
        """The list's day parameter (``DateSent``), the concept's field it filters
        and the first day it asks for, for the plan's window field."""
        rule = self.resource.pushdown.rules[plan.window]
        assert isinstance(rule, Days)  # the planner sets a window for a Days rule only
        name = field_of(self.resource.concept, NounPhrase.of(plan.window)).name
        return rule.param, name, dt.date.fromisoformat(dict(plan.queries[0].params)[f"{rule.param}>"])

    def _merged(self, plan: Plan, tally: Tally) -> Iterator[Any]:
        """Every query's items, newest first, each once. One query gives each item
        once; several may each give the same one, which then has the same place in
        the order in each: so only the keys met at the current place are kept, and
        what is held stays a handful of sids, however many items are read."""
        if plan.windowed and self.windows:
            yield from self._windowed(plan, tally)
            return
        streams = [self._stream(query, plan.page_size, tally) for query in plan.queries]
        if len(streams) == 1:
            yield from streams[0]
            return
        order = self.resource.order_key
        key = self.resource.concept.key or ""
        place: Any = None
        here: set[str] = set()  # the keys given at the current place in the order
        for item in heapq.merge(*streams, key=order, reverse=True):
            sid = getattr(item, key, None)
            if sid is None:
                yield item
                continue
            at = order(item)
            if at != place:
                place, here = at, set()
            elif sid in here:
                continue
            here.add(sid)
            yield item

    def count(self, plan: Plan, tally: Tally | None = None) -> int:
        """How many items the plan selects, cut at its limit: when Twilio's answer
        is exact (no residual) and comes from one query, by counting each page's
        items (one met again while the list pages on counts once), never
        converting or keeping the items; otherwise by reading them, since the rest
        must be checked here or merged. The same requests as the read's."""
        tally = tally if tally is not None else Tally()
        if plan.empty:
            return 0
        if plan.residual is not None or len(plan.queries) != 1:
            return sum(1 for _ in self.read(plan, tally))
        once = _Once()
        counted = 0
        for items in self._pages(plan.queries[0], plan.page_size, tally):
            for item in items:
                counted += once.first(getattr(item, "sid", None))
                if plan.limit is not None and counted >= plan.limit:
                    tally.given = plan.limit
                    return plan.limit
        tally.given = counted
        return tally.given

    def read(self, plan: Plan, tally: Tally | None = None) -> Iterator[Any]:
        """The items the plan selects, newest first (oldest first if the plan says
        so), cut at its limit: the newest N, or the oldest N, which are the last
        met (every page is read, and no more than N are held)."""
        tally = tally if tally is not None else Tally()
        if plan.empty:
            return iter(())
        found = self._kept(plan, tally)
        if plan.limit is not None and plan.oldest:
            found = iter(deque(found, maxlen=plan.limit))
            tally.given = min(tally.given, plan.limit)
        elif plan.limit is not None:
            found = islice(found, plan.limit)
        return reversed(list(found)) if plan.ascending else found

    def _kept(self, plan: Plan, tally: Tally) -> Iterator[Any]:
        residual = plan.residual
        concept = self.resource.concept
        for message in self._merged(plan, tally):
            if residual is None or holds(residual, message, concept, self.timezone):
                tally.given += 1
                yield message
                continue
            tally.discarded += 1
            if self.scan_budget is not None and tally.discarded > self.scan_budget:
                raise _over_budget(plan, self.scan_budget)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _split(first: dt.date, last: dt.date, most: int) -> list[tuple[dt.date, dt.date]]:
    """Days from ``last`` down to ``first`` in at most ``most`` runs of whole days, newest first."""
    days = (last - first).days + 1
    if days < 1:
        return []
    count = min(most, days)
    size, extra = divmod(days, count)
    found: list[tuple[dt.date, dt.date]] = []
    high = last
    for number in range(count):
        length = size + (1 if number < extra else 0)
        low = high - dt.timedelta(days=length - 1)
        found.append((low, high))
        high = low - dt.timedelta(days=1)
    return found


class _Once:
    """Whether a list gives an item for the first time, by its key (None: no key,
    always): the keys of the last ``RECENT`` items are held, no more."""

    def __init__(self) -> None:
        self._recent: deque[str] = deque()
        self._known: set[str] = set()

    def first(self, sid: str | None) -> bool:
        if sid is None:
            return True
        if sid in self._known:
            return False
        self._recent.append(sid)
        self._known.add(sid)
        if len(self._recent) > RECENT:
            self._known.discard(self._recent.popleft())
        return True


def _parts(plan: Plan) -> Iterable[str]:
    residual = plan.residual
    parts = residual.parts if isinstance(residual, And) else (residual,)
    return [str(part) for part in parts if isinstance(part, Comparison) or part is not None]


def _over_budget(plan: Plan, budget: int) -> PlanError:
    here = [placement.part for placement in plan.placements if placement.where == "here"] or list(
        _parts(plan)
    )
    named = "; ".join(f"'{part}'" for part in here[:3]) or f"'{plan.residual}'"
    return PlanError(
        f"the read discarded more than {budget:,} messages that did not match, because {named} "
        "can only be checked here, message by message",
        hint="Narrow it with a sender number, a recipient number or a date sent (which Twilio filters on its "
        "side), ask for 'the first N', or raise the budget with --scan-budget.",
    )
