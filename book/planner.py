"""The planner: every English filter answered exactly, with as few Twilio requests as possible.

Twilio's lists filter on a few fields only, each in its own way; a resource
says which and how in its pushdown table (pushdown.py: ``MESSAGES`` for the
messages: From, To, DateSent by day in UTC, a fetch by sid). The rest is
finished here, and the answer never depends on how it was split. A bound
filter (procedures.binding) goes through small pure passes:

1. ``normalise``: ``not`` pushed inward, and/or flattened, constants folded
   (procedures.filters);
2. ``simplify``: contradictions found (two senders, an empty date range, a
   comparison on a field also asked to be empty, a sid of the wrong form),
   which then need no request (procedures.contradictions);
3. ``terms``: the filter as an or of and-terms (``one of`` on a field of the
   table read as an or), when that stays small (procedures.terms);
4. ``push``: for each term, what Twilio can do by the table (an equality
   pushed exactly, a range of days widened to whole UTC days so that its answer
   is a superset under every reading of ``DateSent<``, or a fetch by key), what
   stays here, and where each comparison went, as a record;
5. ``plan``: the queries, the residual (None when Twilio's answer is exact),
   the page size, and where each part of the user's filter went.

Planning takes time about linear in the filter's size: repeats are found by
keys made once for each node (never by comparing parts with each other), ``not``
is carried down in one walk, and ``terms`` gives up as soon as it passes
``MAX_TERMS``, so that it and ``push`` do at most that many times the filter's
work (beyond it the read is one scan finished here, still exact).
``benchmarks/planner.py`` gives the figures.

>>> from grammar import parse_filter
>>> from procedures import Binder
>>> import datetime as dt
>>> binder = Binder(now=dt.datetime(2024, 3, 10, tzinfo=dt.UTC), timezone=dt.UTC, resolve=None)
>>> bound = binder.filter(parse_filter('sender number is "+15005550006" and date sent is after 2024-03-01 '
...                                     'and body contains "refund"'), SmsMessage)
>>> plan(bound, limit=5, timezone=dt.UTC).to_json()
{'queries': [{'kind': 'list', 'params': {'From': '+15005550006', 'DateSent>': '2024-03-02'}}], 'residual': 'body contains "refund"', 'limit': 5, 'page_size': 1000}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from book.plan import Placement, Plan, Query
from book.pushdown import Days, Equal, Fetch, Pushdown
from book.resources.messages import MESSAGES as _MESSAGES
from book.resources.messages import SmsMessage
from book.wire import MAX_PAGE_SIZE
from grammar import And, Comparison, Filter, Op, Or, operator_words
from grammar.node import Record
from procedures import MAX_TERMS, Bound, NodeKeys, field_name, interval, python, tighter
from procedures import normalise as _normalise
from procedures import simplify as _simplify
from procedures import terms as _terms

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_QUERIES",
    "MAX_TERMS",
    "Decided",
    "Pushed",
    "normalise",
    "plan",
    "push",
    "simplify",
    "terms",
]

MESSAGES: Pushdown = _MESSAGES.pushdown
"""The messages' pushdown table (book/resources/messages.py): what the planner does unless told."""
MAX_QUERIES = 16  # more branches than this: one scan instead

Tree = Filter | bool


def normalise(tree: Tree, concept: type[Any] = SmsMessage) -> Tree:
    """``not`` pushed inward (``not (F OP V)`` is ``F OP' V or F is empty``, since
    comparisons are false on missing values; ``not not F`` is ``F``), and/or
    flattened, constants folded (procedures.normalise, over messages by default).

    >>> from grammar import parse_filter
    >>> print(normalise(parse_filter('not (status is "sent" and date sent is before 2024-03-01)')))
    status is not "sent" or status is empty or date sent is on or after 2024-03-01 or date sent is empty
    """
    return _normalise(tree, concept)


def simplify(
    tree: Tree, concept: type[Any] = SmsMessage, timezone: dt.tzinfo = dt.UTC, pushdown: Pushdown = MESSAGES
) -> Tree:
    """Contradictions found and folded away (``False`` when nothing can match); a
    key of the wrong form for the table matches nothing.

    >>> from grammar import parse_filter
    >>> simplify(parse_filter('sender number is "+15005550006" and sender number is "+15005550007"'))
    False
    >>> simplify(parse_filter("date sent is after 2024-03-02 and date sent is before 2024-03-02"))
    False
    >>> simplify(parse_filter('sid is "SM1"'))
    False
    """
    return _simplify(tree, concept, timezone, pushdown.patterns)


def terms(tree: Tree, pushdown: Pushdown = MESSAGES) -> list[list[Comparison]] | None:
    """The filter as an or of and-terms (``one of`` on a field of the table read as
    an or); None when that would be too large.

    >>> from grammar import parse_filter
    >>> [[str(c) for c in term] for term in terms(parse_filter(
    ...     'sender number is one of "+15005550006" or "+12125550100" and body contains "x"'))]
    [['sender number is "+15005550006"', 'body contains "x"'], ['sender number is "+12125550100"', 'body contains "x"']]
    """
    return _terms(tree, pushdown.split)


# ------------------------------------------------------------------ push


class Decided(Record):
    """Where ``push`` put one comparison, and why: ``twilio`` (exactly), ``both``
    (widened at Twilio, cut exactly here) or ``here`` (see Placement)."""

    where: str
    why: str


def _here(why: str) -> Decided:
    return Decided("here", f"kept here: {why}")


class Pushed:
    """What one and-term becomes: a query, whether Twilio's answer to it is exact,
    what is left to check here, and where each comparison went."""

    def __init__(
        self, query: Query, exact: bool, residual: list[Comparison], decided: dict[Comparison, Decided]
    ) -> None:
        self.query = query
        self.exact = exact
        self.residual = residual
        self.decided = decided


class _Range:
    """The comparisons of a term on one ``Days`` field, and their range so far."""

    def __init__(self, rule: Days) -> None:
        self.rule = rule
        self.lower: Bound | None = None
        self.upper: Bound | None = None
        self.dated: list[Comparison] = []


def push(term: Sequence[Comparison], pushdown: Pushdown = MESSAGES, timezone: dt.tzinfo = dt.UTC) -> Pushed:
    """What Twilio can do for an and-term, by the resource's table, and what stays here.

    >>> from grammar import parse_filter
    >>> pushed = push(parse_filter('recipient number is "+14155550100" and date sent is 2024-03-01').parts)
    >>> pushed.query.to_json(), pushed.exact
    ({'kind': 'list', 'params': {'To': '+14155550100', 'DateSent': '2024-03-01'}}, True)
    >>> [decided.where for decided in pushed.decided.values()]
    ['twilio', 'twilio']
    """
    params: dict[str, str] = {}
    residual: list[Comparison] = []
    decided: dict[Comparison, Decided] = {}
    ranges: dict[str, _Range] = {}
    pinned: Comparison | None = None
    for comparison in term:
        field = field_name(comparison)
        rule = pushdown.rules.get(field)
        equality = comparison.op is Op.IS and not comparison.negated
        if isinstance(rule, Fetch) and equality and pinned is None:
            pinned = comparison
            decided[comparison] = Decided("twilio", f"fetched by {field} (exact)")
            continue
        if isinstance(rule, Equal) and equality:
            value = str(python(comparison.values[0]))
            if rule.takes(value) and rule.param not in params:
                params[rule.param] = value
                if rule.exact:
                    decided[comparison] = Decided("twilio", f"sent to Twilio as {rule.param}={value} (exact)")
                    continue
                decided[comparison] = Decided(
                    "both", f"sent to Twilio as {rule.param}={value}, which it matches loosely; checked here"
                )
                residual.append(comparison)
                continue
            decided[comparison] = _here(rule.refusal())
        elif isinstance(rule, Days):
            bounds = interval(comparison, timezone)
            if bounds is not None and not any(isinstance(python(v), Decimal) for v in comparison.values):
                found = ranges.setdefault(field, _Range(rule))
                found.lower = tighter(found.lower, bounds[0], True)
                found.upper = tighter(found.upper, bounds[1], False)
                found.dated.append(comparison)
                continue
            decided[comparison] = _here(rule.refusal())
        elif rule is not None:
            words = operator_words(comparison.op, comparison.negated)
            decided[comparison] = _here(f"Twilio filters {field}s only by equality, not '{words}'")
        else:
            decided[comparison] = _here(f"Twilio cannot filter on the {field}")
        residual.append(comparison)
    for days in ranges.values():
        found_params, exact, how = days.rule.params(days.lower, days.upper)
        params.update(found_params)
        widened = Decided(
            "both", f"sent to Twilio as {how}, whole UTC days around it; the exact cut is made here"
        )
        for comparison in days.dated:
            decided[comparison] = Decided("twilio", f"sent to Twilio as {how} (exact)") if exact else widened
        if not exact:
            residual += days.dated
    if pinned is not None:  # one thing: fetch it, and check everything else here
        residual = [comparison for comparison in term if comparison is not pinned]
        for comparison in residual:
            decided[comparison] = Decided("here", f"checked here on the fetched {pushdown.noun}")
        return Pushed(Query.fetch(str(python(pinned.values[0]))), not residual, residual, decided)
    return Pushed(Query.list(params), not residual, residual, decided)


# ------------------------------------------------------------------ plan


def _conjuncts(tree: Filter | None) -> list[Filter]:
    if tree is None:
        return []
    return list(tree.parts) if isinstance(tree, And) else [tree]


def _placements(
    user: Filter | None, pushed: list[Pushed], split: bool, scanned: str | None, pushdown: Pushdown
) -> tuple[Placement, ...]:
    """Where each part of the user's filter went, from what ``push`` decided.
    ``scanned``: why every message is read, when it is (then nothing was sent to
    Twilio, whatever one alternative alone could have sent)."""
    decisions: dict[str, Decided] = {}
    written: set[int] = set()  # and-terms share their comparisons: each is written out once
    for term in pushed:
        for comparison, decision in term.decided.items():
            if id(comparison) not in written:
                written.add(id(comparison))
                decisions.setdefault(str(comparison), decision)
    found = []
    for part in _conjuncts(user):
        text = str(part)
        if text in decisions and not scanned:
            where, why = decisions[text].where, decisions[text].why
        elif isinstance(part, (Or, Comparison)) and split and not scanned:
            where = "split"
            why = f"made the read several queries, one for each alternative, merged {pushdown.order}"
        elif scanned:
            where, why = "here", f"kept here: {scanned}, so every {pushdown.noun} is read"
        else:
            where, why = "here", "kept here: Twilio cannot filter on it"
        found.append(Placement(text, where, why))
    return tuple(found)


def plan(
    tree: Filter | None,
    *,
    limit: int | None = None,
    timezone: dt.tzinfo = dt.UTC,
    concept: type[Any] = SmsMessage,
    pushdown: Pushdown = MESSAGES,
    oldest: bool = False,
    ascending: bool = False,
) -> Plan:
    """The plan of a read of a resource (messages by default) for a bound filter
    (None: every one), in the resource's order, cut at ``limit``: the newest
    ``limit``, or the oldest when ``oldest``; given oldest first when ``ascending``."""
    zone = getattr(timezone, "key", None) or str(timezone)
    if limit is not None and limit < 1:
        raise ValueError("a limit is 1 or more")
    words: dict[str, Any] = {
        "noun": pushdown.noun,
        "plural": pushdown.plural,
        "order": pushdown.order,
        "oldest": oldest and limit is not None,
        "ascending": ascending,
    }
    early = limit if not oldest else None  # the oldest N are the last met: every page is read
    keys = NodeKeys()  # one set of keys for both passes: the nodes normalise makes are keyed once
    normal = _simplify(
        _normalise(tree if tree is not None else True, concept, keys),
        concept,
        timezone,
        pushdown.patterns,
        keys,
    )
    largest = pushdown.max_page_size
    if normal is False:
        placements = tuple(
            Placement(str(part), "nowhere", f"no {pushdown.noun} can match: nothing is asked")
            for part in _conjuncts(tree)
        )
        return Plan((), None, limit, 0, placements, zone, **words)
    if normal is True:
        size = min(early, largest) if early else largest
        return Plan((Query.list({}),), None, limit, size, (), zone, **words)
    split = _terms(normal, pushdown.split)
    pushed = [push(term, pushdown, timezone) for term in split] if split is not None else []
    scan = (
        split is None
        or any(not p.query.params and p.query.kind == "list" for p in pushed)
        or len(pushed) > MAX_QUERIES
    )
    if scan:
        queries: tuple[Query, ...] = (Query.list({}),)
        residual: Filter | None = normal
        if split is not None and len(split) == 1:
            residual = _and(pushed[0].residual)
    else:
        unique: list[Query] = []
        for term in pushed:
            if term.query not in unique:
                unique.append(term.query)
        queries = tuple(unique)
        if len(pushed) == 1:
            residual = _and(pushed[0].residual)
        else:
            residual = None if all(term.exact for term in pushed) else normal
    size = min(early, largest) if early and residual is None else largest
    scanned = _scanned(split, pushed) if scan else None
    placements = _placements(tree, pushed, len(queries) > 1, scanned, pushdown)
    window = _window(queries, pushdown) if early is None else ""
    return Plan(queries, residual, limit, size, placements, zone, window=window, **words)


def _window(queries: Sequence[Query], pushdown: Pushdown) -> str:
    """The field whose days a long answer is read in windows of: one list bounded
    below by a day (``DateSent>``) and not to a single day; "" for any other."""
    if len(queries) != 1 or queries[0].kind != "list":
        return ""
    params = dict(queries[0].params)
    for english, rule in pushdown.rules.items():
        if isinstance(rule, Days) and f"{rule.param}>" in params and rule.param not in params:
            return english
    return ""


def _scanned(split: list[Any] | None, pushed: list[Pushed]) -> str | None:
    """Why a read of several alternatives reads every message (None: it has one)."""
    if split is None:
        return f"it has more alternatives than the {MAX_TERMS} the book works out"
    if len(split) == 1:
        return None
    if len(pushed) > MAX_QUERIES:
        return f"its {len(pushed):,} alternatives are more than the {MAX_QUERIES} queries a read makes"
    return "one of its alternatives has nothing Twilio can filter on"


def _and(parts: Sequence[Comparison]) -> Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))
