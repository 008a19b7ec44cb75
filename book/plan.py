"""A plan: how a read is answered, frozen and printable.

Queries are Twilio list requests (parameters exactly as they go on the wire) or
fetches by sid; the residual is the part of the filter finished on this side,
still a tree so that it prints as English; the limit and the page size say how
much is asked for; placements say, for each part of the user's filter, where it
went and why.

>>> plan = Plan((Query.list({"From": "+15005550006"}),), None, 5, 5, (), "UTC")
>>> plan.to_json()
{'queries': [{'kind': 'list', 'params': {'From': '+15005550006'}}], 'residual': None, 'limit': 5, 'page_size': 5}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grammar import Filter
from grammar.node import Record

__all__ = ["Placement", "Plan", "Query"]


class Query(Record):
    """One request: a list with Twilio's filter parameters, or a fetch by sid."""

    kind: str  # "list" or "fetch"
    params: tuple[tuple[str, str], ...] = ()
    sid: str | None = None

    @classmethod
    def list(cls, params: Mapping[str, str]) -> Query:
        return cls("list", tuple(params.items()))

    @classmethod
    def fetch(cls, sid: str) -> Query:
        return cls("fetch", (), sid)

    def to_json(self) -> dict[str, Any]:
        if self.kind == "fetch":
            return {"kind": "fetch", "sid": self.sid}
        return {"kind": "list", "params": dict(self.params)}

    def english(self, noun: str = "message", plural: str = "messages") -> str:
        """The request in words, for a resource whose things are called ``noun``.

        >>> Query.list({"PhoneNumber": "+15005550006"}).english("phone number", "phone numbers")
        'list the phone numbers with PhoneNumber=+15005550006'
        """
        if self.kind == "fetch":
            return f"fetch the {noun} {self.sid}"
        if not self.params:
            return f"list every {noun} (no filter Twilio can apply)"
        return f"list the {plural} with " + ", ".join(f"{name}={value}" for name, value in self.params)


class Placement(Record):
    """Where one part of the user's filter went: ``twilio`` (exactly), ``both``
    (widened at Twilio, cut exactly here), ``here``, ``split`` (several queries)
    or ``nowhere`` (a contradiction); and why."""

    part: str
    where: str
    why: str


class Plan(Record):
    """The frozen plan of a read (see the module's docstring).

    No queries means no request at all: the filter cannot match anything. ``noun``,
    ``plural`` and ``order`` are the resource's words (its pushdown table's).
    ``oldest``: the limit keeps the oldest N, not the newest (``the oldest N``);
    ``ascending``: the answer is given oldest first. Twilio lists newest first
    only, so either one is done here, after the read. ``window``: the field whose
    days a long answer is read in windows of (one list, bounded below by a day by
    it, read to its end); the planner, which knows the pushdown rules, sets it.
    """

    queries: tuple[Query, ...]
    residual: Filter | None
    limit: int | None
    page_size: int
    placements: tuple[Placement, ...]
    timezone: str
    noun: str = "message"
    plural: str = "messages"
    order: str = "newest first"
    oldest: bool = False
    ascending: bool = False
    window: str = ""  # the field (English) a long answer is read in windows of days of; "": none

    @property
    def windowed(self) -> bool:
        """Whether a long answer is read in windows of days at once (reading.py)."""
        return bool(self.window)

    @property
    def fetches(self) -> bool:
        """Whether every request is a fetch by sid: one item each, in no pages."""
        return bool(self.queries) and all(query.kind == "fetch" for query in self.queries)

    @property
    def empty(self) -> bool:
        """Whether the read is answered with no request (a contradiction)."""
        return not self.queries

    def to_json(self) -> dict[str, Any]:
        """``{"queries": [...], "residual": ENGLISH-or-null, "limit": N-or-null, "page_size": N}``,
        with ``"limit_keeps": "oldest"`` for the oldest N and ``"given": "oldest first"``
        for an answer given oldest first."""
        found: dict[str, Any] = {
            "queries": [query.to_json() for query in self.queries],
            "residual": None if self.residual is None else str(self.residual),
            "limit": self.limit,
            "page_size": self.page_size,
        }
        if self.oldest:
            found["limit_keeps"] = "oldest"
        if self.ascending:
            found["given"] = "oldest first"
        return found

    def explain(self) -> str:
        """The plan in English, for people."""
        lines: list[str] = []
        if self.empty:
            lines.append(f"No request: no {self.noun} can match this filter.")
        else:
            asked = "Twilio is asked to" if len(self.queries) == 1 else "Twilio is asked, in turn, to"
            lines.append(f"{asked}:")
            for number, query in enumerate(self.queries, 1):
                lines.append(f"  {number}. {query.english(self.noun, self.plural)}")
            if len(self.queries) > 1:
                lines.append(f"Their answers are merged {self.order}, each {self.noun} once.")
            size = f"pages of {self.page_size}"
            early = self.limit and not self.oldest
            if not self.fetches:
                lines.append(
                    f"Asked in {size}, and no further than needed." if early else f"Asked in {size}."
                )
            if self.windowed:
                lines.append(
                    "If the first page is full, the days below its oldest are asked for as up to 8 "
                    "windows of days at once, newest first (each cut to its own days)."
                )
            if self.residual is None:
                lines.append("Nothing is left to check here: Twilio's answer is exact.")
            else:
                lines.append(f"Each {self.noun} is then kept here only if: {self.residual}")
        things = self.noun if self.limit == 1 else self.plural
        if self.limit is not None and not self.fetches:  # a fetch gives one item: no page, nothing to stop
            if self.oldest:
                lines.append(
                    f"Twilio lists {self.plural} newest first only: to find the oldest {self.limit}, every "
                    f"{self.noun} that matches is read, to the last page; the {self.limit} oldest are kept "
                    "as it goes (no more are held)."
                )
            else:
                lines.append(f"The read stops at {self.limit} {things}.")
        if self.ascending:
            lines.append(
                f"They are given oldest first: Twilio lists them newest first, so the {things} read are "
                "held and turned around here"
                + (
                    " (all of them: an answer given oldest first cannot start before the read ends)."
                    if self.limit is None
                    else "."
                )
            )
        if self.placements:
            lines.append("Where each part of the filter went:")
            for placement in self.placements:
                lines.append(f"  - {placement.part}: {placement.why}")
        if self.timezone != "UTC":
            lines.append(
                f"Days are days in {self.timezone}; Twilio's are in UTC, so its bounds are widened to cover them."
            )
        return "\n".join(lines)
