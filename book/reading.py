"""Carrying out a plan: streams of pages, merged newest first, finished here, cut at the limit.

Lazy from end to end: a page is fetched only when the messages before it have
been used, and a read with a limit stops as soon as it has enough. Several
queries are merged newest first (by date sent, else date created, then sid, as
Twilio orders them) and a message is given once, however often it is met. A
scan budget ends a read that fetches too many messages only to discard them.

Paging is a live view: a message that changes place in the order while a read
pages on (a queued message that is sent meanwhile) can be met twice, which is
handled, or missed, which no client can prevent.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from book.client import Client
from book.concepts import SmsMessage, message_from_wire
from book.errors import ApiError, PlanError
from book.plan import Plan, Query
from grammar import And, Comparison
from procedures import holds

__all__ = ["DEFAULT_SCAN_BUDGET", "Reader", "Tally"]

DEFAULT_SCAN_BUDGET = 20_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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


def order_key(message: SmsMessage) -> tuple[dt.datetime, str]:
    """Where a message stands in Twilio's order (sorted descending): newest first."""
    moment = message.date_sent or message.date_created or _EPOCH
    return (moment.replace(microsecond=0), message.sid or "")


class Reader:
    """Reads messages with a client, following plans.

    ``scan_budget``: how many messages may be fetched and then discarded by the
    residual before the read stops with a ``PlanError`` (None: no budget).
    ``on_page``: called with ("read", messages) after each page, for progress.
    """

    def __init__(
        self,
        client: Client,
        *,
        timezone: dt.tzinfo = dt.UTC,
        scan_budget: int | None = DEFAULT_SCAN_BUDGET,
        on_page: Callable[[str, int], None] | None = None,
    ) -> None:
        self.client = client
        self.timezone = timezone
        self.scan_budget = scan_budget
        self._on_page = on_page

    def _stream(self, query: Query, page_size: int, tally: Tally) -> Iterator[SmsMessage]:
        if query.kind == "fetch":
            assert query.sid is not None
            tally.pages += 1
            try:
                message = self.client.fetch_message(query.sid)
            except ApiError as error:
                if error.status == 404:
                    return
                raise
            tally.transferred += 1
            yield message_from_wire(message)
            return
        for page in self.client.list_pages(dict(query.params), page_size=page_size):
            tally.pages += 1
            tally.transferred += len(page.messages)
            if self._on_page is not None:
                self._on_page("read", len(page.messages))
            for message in page.messages:
                yield message_from_wire(message)

    def _merged(self, plan: Plan, tally: Tally) -> Iterator[SmsMessage]:
        """Every query's messages, newest first, each message once: found by two
        queries, or met twice by one because it was sent while the read paged on
        (its place in the order moved), it is given the first time only."""
        streams = [self._stream(query, plan.page_size, tally) for query in plan.queries]
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=order_key, reverse=True)
        seen: set[str] = set()
        for message in merged:
            if message.sid is not None:
                if message.sid in seen:
                    continue
                seen.add(message.sid)
            yield message

    def read(self, plan: Plan, tally: Tally | None = None) -> Iterator[SmsMessage]:
        """The messages the plan selects, newest first, cut at its limit."""
        tally = tally if tally is not None else Tally()
        if plan.empty:
            return iter(())
        found = self._kept(plan, tally)
        return islice(found, plan.limit) if plan.limit is not None else found

    def _kept(self, plan: Plan, tally: Tally) -> Iterator[SmsMessage]:
        residual = plan.residual
        for message in self._merged(plan, tally):
            if residual is None or holds(residual, message, SmsMessage, self.timezone):
                tally.given += 1
                yield message
                continue
            tally.discarded += 1
            if self.scan_budget is not None and tally.discarded > self.scan_budget:
                raise _over_budget(plan, self.scan_budget)


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
