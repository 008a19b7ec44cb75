"""The planner: every English filter answered exactly, with as few Twilio requests as possible.

Twilio's list filters only on To, From and DateSent (by day, in UTC); the rest
is finished here, and the answer never depends on how it was split. A bound
filter (procedures.binding) goes through small pure passes:

1. ``normalise``: ``not`` pushed inward (``not (F OP V)`` is ``F OP' V or F is
   empty``, since comparisons are false on missing values; ``not not F`` is
   ``F``), and/or flattened, constants folded;
2. ``simplify``: contradictions found (two senders, an empty date range, a
   comparison on a field also asked to be empty), which then need no request;
3. ``terms``: the filter as an or of and-terms (``one of`` on a number or a day
   read as an or), when that stays small;
4. ``push``: for each term, what Twilio can do (From, To, DateSent bounds widened
   to whole UTC days so that its answer is a superset under every reading of
   ``DateSent<``, or a fetch by sid) and what stays here;
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
import itertools
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from book.api import MESSAGE_SID
from book.concepts import SmsMessage
from book.plan import Placement, Plan, Query
from grammar import And, Comparison, Filter, Not, NounPhrase, Op, Or, Span, operator_words
from procedures import Kind, day_start, field_of, python

__all__ = ["MAX_PAGE_SIZE", "MAX_QUERIES", "normalise", "plan", "push", "simplify", "terms"]

MAX_PAGE_SIZE = 1000
MAX_QUERIES = 16  # more branches than this: one scan instead
MAX_TERMS = 64  # more and-terms than this: not worked out at all

Tree = Filter | bool

_ORDER_COMPLEMENT = {
    Op.AFTER: Op.ON_OR_BEFORE,
    Op.ON_OR_BEFORE: Op.AFTER,
    Op.BEFORE: Op.ON_OR_AFTER,
    Op.ON_OR_AFTER: Op.BEFORE,
    Op.GREATER: Op.AT_MOST,
    Op.AT_MOST: Op.GREATER,
    Op.LESS: Op.AT_LEAST,
    Op.AT_LEAST: Op.LESS,
}
_PUSHED_FIELDS = {"sender number": "From", "recipient number": "To"}


def _field(comparison: Comparison) -> str:
    assert isinstance(comparison.subject, NounPhrase)
    return " ".join(comparison.subject.words)


def _kind(comparison: Comparison, concept: type[Any]) -> Kind:
    assert isinstance(comparison.subject, NounPhrase)
    return field_of(concept, comparison.subject).type.kind


# ------------------------------------------------------------- 1 normalise


def _empty(comparison: Comparison) -> Comparison:
    return Comparison(comparison.subject, Op.EMPTY, (), span=comparison.span)


def _positive(comparison: Comparison, concept: type[Any]) -> Comparison:
    """A negated order comparison on a number or a time is its complement:
    ``is not after D`` is ``is on or before D`` (both false on missing values)."""
    if (
        comparison.negated
        and comparison.op in _ORDER_COMPLEMENT
        and _kind(comparison, concept)
        in (
            Kind.TIME,
            Kind.DATE,
            Kind.NUMBER,
        )
    ):
        return comparison.replace(op=_ORDER_COMPLEMENT[comparison.op], negated=False)
    return comparison


class _Keys:
    """Structural keys for the nodes met while planning one filter: equal nodes get
    equal keys, and a node's key is made once, from its parts' keys. A node's own
    hash walks its whole subtree, so hashing at every level of a deep filter is
    quadratic; these keys are not."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Filter, int]] = {}  # by id; the node is kept so its id stays its own
        self._shapes: dict[object, int] = {}

    def __call__(self, node: Filter) -> int:
        known = self._known.get(id(node))
        if known is not None:
            return known[1]
        shape: object = node  # a comparison: small, hashed as itself
        if isinstance(node, (And, Or)):
            shape = (type(node), tuple(self(part) for part in node.parts))
        elif isinstance(node, Not):
            shape = (Not, self(node.part))
        key = self._shapes.setdefault(shape, len(self._shapes))
        self._known[id(node)] = (node, key)
        return key


def _fold(
    kind: type[And] | type[Or], parts: Sequence[Tree], span: Span | None = None, keys: _Keys | None = None
) -> Tree:
    """An and (or an or) of ``parts``: flattened, constants folded, repeats dropped.

    Linear in the parts: repeats are found by key in a set, not by comparing
    each part with those kept before it.
    """
    keys = _Keys() if keys is None else keys
    unit, zero = (True, False) if kind is And else (False, True)
    kept: list[Filter] = []
    seen: set[int] = set()
    for part in parts:
        if part is zero:
            return zero
        if part is unit or isinstance(part, bool):
            continue
        for piece in part.parts if isinstance(part, kind) else (part,):
            key = keys(piece)
            if key not in seen:
                seen.add(key)
                kept.append(piece)
    empties = {(_field(p), p.negated) for p in kept if isinstance(p, Comparison) and p.op is Op.EMPTY}
    if any((field, not negated) in empties for field, negated in empties):
        return zero  # "is empty" with "is not empty": never in an and, always in an or
    if not kept:
        return unit
    return kept[0] if len(kept) == 1 else kind(tuple(kept), span=span)


def _alike(tree: And | Or, negated: bool) -> Iterator[tuple[Filter, bool]]:
    """The parts of an and (an or) under ``negated``, with those of every part that
    is the same after ``not`` is pushed in (``a and (b and not (c or d))``: a, b,
    not c, not d), in order: flattened on the way down, so a chain of nested ands
    is not copied again at each level."""
    kind = type(tree)
    stack: list[tuple[Filter, bool]] = [(part, negated) for part in reversed(tree.parts)]
    while stack:
        part, flipped = stack.pop()
        if isinstance(part, Not):
            stack.append((part.part, not flipped))
        elif isinstance(part, (And, Or)) and (type(part) is kind) == (flipped == negated):
            stack += [(inner, flipped) for inner in reversed(part.parts)]
        else:
            yield part, flipped


def _normal(tree: Tree, concept: type[Any], negated: bool, keys: _Keys) -> Tree:
    if isinstance(tree, bool):
        return tree is not negated
    if isinstance(tree, Comparison):
        positive = _positive(tree, concept)
        if not negated:
            return positive
        if positive.op is Op.EMPTY:
            return positive.replace(negated=not positive.negated)
        flipped = _positive(positive.replace(negated=not positive.negated), concept)
        return _fold(Or, [flipped, _empty(positive)], positive.span, keys)
    if isinstance(tree, Not):
        return _normal(tree.part, concept, not negated, keys)
    if isinstance(tree, (And, Or)):
        kind: type[And] | type[Or] = type(tree)
        if negated:
            kind = Or if kind is And else And
        parts = [_normal(part, concept, flipped, keys) for part, flipped in _alike(tree, negated)]
        return _fold(kind, parts, tree.span, keys)
    raise TypeError(f"{type(tree).__name__} is not a filter")


def normalise(tree: Tree, concept: type[Any] = SmsMessage) -> Tree:
    """``not`` pushed inward (``not (F OP V)`` is ``F OP' V or F is empty``, since
    comparisons are false on missing values; ``not not F`` is ``F``), and/or
    flattened, constants folded.

    One walk down the tree, carrying whether an odd number of ``not`` is above:
    linear in the filter's size, however many ``not`` and however deep.

    >>> from grammar import parse_filter
    >>> print(normalise(parse_filter('not (status is "sent" and date sent is before 2024-03-01)')))
    status is not "sent" or status is empty or date sent is on or after 2024-03-01 or date sent is empty
    """
    return _normal(tree, concept, False, _Keys())


# -------------------------------------------------------------- 2 simplify


Bound = tuple[Any, bool]  # (value, included)


def interval(comparison: Comparison, timezone: dt.tzinfo) -> tuple[Bound | None, Bound | None] | None:
    """The range of a positive comparison on a time or a number, as (lower, upper)
    bounds, each (value, included) or None; None when it is not a range.

    >>> from grammar import Date
    >>> interval(Comparison(NounPhrase.of("date sent"), Op.IS, (Date(dt.date(2024, 3, 1)),)), dt.UTC)
    ((datetime.datetime(2024, 3, 1, 0, 0, tzinfo=datetime.timezone.utc), True), (datetime.datetime(2024, 3, 2, 0, 0, tzinfo=datetime.timezone.utc), False))
    """
    if comparison.negated or comparison.op not in (Op.IS, Op.BETWEEN, *_ORDER_COMPLEMENT):
        return None
    values = [python(value) for value in comparison.values]
    if any(isinstance(value, (str, bool)) for value in values):
        return None

    def start(value: Any) -> Bound:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return (value, True)
        return (day_start(value, timezone), True)

    def end(value: Any, after: bool = False) -> Bound:
        """The last bound of a value: its end (a day's is excluded); ``after``: what is after it."""
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return (value, not after)
        return (day_start(value + dt.timedelta(days=1), timezone), after)

    op = comparison.op
    if op is Op.IS:
        return start(values[0]), end(values[0])
    if op is Op.BETWEEN:
        return start(values[0]), end(values[1])
    if op in (Op.AFTER, Op.GREATER):
        return end(values[0], after=True), None
    if op in (Op.ON_OR_AFTER, Op.AT_LEAST):
        return start(values[0]), None
    if op in (Op.BEFORE, Op.LESS):
        value, _ = start(values[0])
        return None, (value, False)
    return None, end(values[0])  # on or before, at most


def _tighter(one: Bound | None, other: Bound | None, lower: bool) -> Bound | None:
    if one is None or other is None:
        return one or other
    if one[0] != other[0]:
        return (one if one[0] > other[0] else other) if lower else (one if one[0] < other[0] else other)
    return (one[0], one[1] and other[1])


def _hollow(lower: Bound | None, upper: Bound | None) -> bool:
    if lower is None or upper is None:
        return False
    return bool(lower[0] > upper[0] or (lower[0] == upper[0] and not (lower[1] and upper[1])))


def _folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _contradicts(parts: Sequence[Filter], concept: type[Any], timezone: dt.tzinfo) -> bool:
    """Whether the comparisons of an and cannot all hold."""
    empty: set[str] = set()
    compared: set[str] = set()
    allowed: dict[str, set[Any]] = {}
    ranges: dict[str, tuple[Bound | None, Bound | None]] = {}
    for part in parts:
        if not isinstance(part, Comparison):
            continue
        field = _field(part)
        if part.op is Op.EMPTY:
            if not part.negated:
                empty.add(field)
            continue
        compared.add(field)
        kind = _kind(part, concept)
        if part.op in (Op.IS, Op.ONE_OF) and not part.negated and kind in (Kind.TEXT, Kind.PHONE):
            exact = field_of(concept, part.subject).type.exact  # type: ignore[arg-type]
            values = {python(value) if exact else _folded(python(value)) for value in part.values}
            if field == "sid":  # every message has a sid of this form: no other value can match
                values = {value for value in values if MESSAGE_SID.fullmatch(str(value))}
            allowed[field] = allowed[field] & values if field in allowed else values
        bounds = interval(part, timezone) if kind in (Kind.TIME, Kind.NUMBER, Kind.DATE) else None
        if bounds is not None:
            lower, upper = ranges.get(field, (None, None))
            ranges[field] = (_tighter(lower, bounds[0], True), _tighter(upper, bounds[1], False))
    if empty & compared:
        return True
    if any(not values for values in allowed.values()):
        return True
    try:
        return any(_hollow(lower, upper) for lower, upper in ranges.values())
    except TypeError:  # a date compared with an instant on a date field: leave it to the evaluator
        return False


def simplify(tree: Tree, concept: type[Any] = SmsMessage, timezone: dt.tzinfo = dt.UTC) -> Tree:
    """Contradictions found and folded away (``False`` when nothing can match).

    >>> from grammar import parse_filter
    >>> simplify(parse_filter('sender number is "+15005550006" and sender number is "+15005550007"'))
    False
    >>> simplify(parse_filter("date sent is after 2024-03-02 and date sent is before 2024-03-02"))
    False
    """
    return _simplified(tree, concept, timezone, _Keys())


def _simplified(tree: Tree, concept: type[Any], timezone: dt.tzinfo, keys: _Keys) -> Tree:
    if isinstance(tree, Or):
        return _fold(Or, [_simplified(part, concept, timezone, keys) for part in tree.parts], tree.span, keys)
    if isinstance(tree, And):
        tree = _fold(
            And, [_simplified(part, concept, timezone, keys) for part in tree.parts], tree.span, keys
        )
        if isinstance(tree, And) and _contradicts(tree.parts, concept, timezone):
            return False
    if isinstance(tree, Comparison) and _contradicts((tree,), concept, timezone):
        return False
    return tree


# ----------------------------------------------------------------- 3 terms


class _TooMany(Exception):  # noqa: N818 - a signal inside this module, never seen outside
    """The or of and-terms would be too large."""


def _splittable(comparison: Comparison) -> bool:
    """A "one of" that is better read as an or of equalities Twilio can filter."""
    return (
        comparison.op is Op.ONE_OF
        and not comparison.negated
        and _field(comparison) in ("sender number", "recipient number", "sid", "date sent")
    )


def _dnf(tree: Tree) -> list[list[Comparison]]:
    """The or of and-terms, or ``_TooMany`` as soon as it would pass ``MAX_TERMS``:
    its work is bounded by ``MAX_TERMS`` times the filter's size, never by the
    product of the alternatives."""
    if tree is True:
        return [[]]
    if tree is False:
        return []
    if isinstance(tree, Comparison):
        if _splittable(tree):
            if len(tree.values) > MAX_TERMS:
                raise _TooMany
            return [[tree.replace(op=Op.IS, values=(value,))] for value in tree.values]
        return [[tree]]
    if isinstance(tree, Or):
        found: list[list[Comparison]] = []
        for part in tree.parts:
            found += _dnf(part)
            if len(found) > MAX_TERMS:
                raise _TooMany
        return found
    if isinstance(tree, And):
        options: list[list[list[Comparison]]] = []
        count = 1
        for part in tree.parts:
            options.append(_dnf(part))
            count *= len(options[-1])
            if count > MAX_TERMS:
                raise _TooMany
        # Each term made once, from its pieces: no term is copied again for each later part.
        return [[c for piece in choice for c in piece] for choice in itertools.product(*options)]
    raise TypeError(f"{type(tree).__name__} is not in normal form")


def terms(tree: Tree) -> list[list[Comparison]] | None:
    """The filter as an or of and-terms; None when that would be too large.

    >>> from grammar import parse_filter
    >>> [[str(c) for c in term] for term in terms(parse_filter(
    ...     'sender number is one of "+15005550006" or "+12125550100" and body contains "x"'))]
    [['sender number is "+15005550006"', 'body contains "x"'], ['sender number is "+12125550100"', 'body contains "x"']]
    """
    try:
        return _dnf(tree)
    except _TooMany:
        return None


# ------------------------------------------------------------------ 4 push


class Pushed:
    """What one and-term becomes: a query, and whether Twilio's answer to it is exact."""

    def __init__(
        self, query: Query, exact: bool, residual: list[Comparison], reasons: dict[Comparison, str]
    ) -> None:
        self.query = query
        self.exact = exact
        self.residual = residual
        self.reasons = reasons


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _midnight(moment: dt.datetime) -> bool:
    utc = moment.astimezone(dt.UTC)
    return (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0)


def _date_params(lower: Bound | None, upper: Bound | None) -> tuple[dict[str, str], bool, str]:
    """Twilio's DateSent parameters for a range of instants: whole UTC days that
    cover it under every reading of ``DateSent<``; whether that is exact; how."""
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
            return {"DateSent": first.isoformat()}, exact, f"DateSent={first.isoformat()}"
    params: dict[str, str] = {}
    exact = upper is None
    if lower is not None:
        day = _utc_day(lower[0])
        params["DateSent>"] = day.isoformat()
        exact = exact and lower[1] and _midnight(lower[0])
    if upper is not None:
        # sent < U (or <= U): a day whose start is after U covers it, whether Twilio
        # reads "DateSent<" as on or before the day, or as before it.
        moment = upper[0]
        day = _utc_day(moment)
        if upper[1] or not _midnight(moment):
            day += dt.timedelta(days=1)
        params["DateSent<"] = day.isoformat()
    how = ", ".join(f"{name}={value}" for name, value in params.items())
    return params, exact, how


def _pushable_number(value: str) -> bool:
    """Twilio matches From and To exactly: push numbers and short codes, whose
    spelling is fixed; compare sender ids and channel addresses here, without case."""
    return re.fullmatch(r"\+?[0-9]+", value) is not None


def push(term: Sequence[Comparison], timezone: dt.tzinfo = dt.UTC) -> Pushed:
    """What Twilio can do for an and-term, and what stays here.

    >>> from grammar import parse_filter
    >>> pushed = push(parse_filter('recipient number is "+14155550100" and date sent is 2024-03-01').parts)
    >>> pushed.query.to_json(), pushed.exact
    ({'kind': 'list', 'params': {'To': '+14155550100', 'DateSent': '2024-03-01'}}, True)
    """
    params: dict[str, str] = {}
    residual: list[Comparison] = []
    reasons: dict[Comparison, str] = {}
    dated: list[Comparison] = []
    lower: Bound | None = None
    upper: Bound | None = None
    pinned: Comparison | None = None
    for comparison in term:
        field = _field(comparison)
        positive_is = comparison.op is Op.IS and not comparison.negated
        if field == "sid" and positive_is and pinned is None:
            pinned = comparison
            reasons[comparison] = "fetched by sid (exact)"
            continue
        if field in _PUSHED_FIELDS and positive_is:
            value = str(python(comparison.values[0]))
            name = _PUSHED_FIELDS[field]
            if _pushable_number(value) and name not in params:
                params[name] = value
                reasons[comparison] = f"sent to Twilio as {name}={value} (exact)"
                continue
            reasons[comparison] = (
                f"kept here: Twilio matches {name} exactly, and this value is compared without regard to case"
            )
        elif field == "date sent":
            bounds = interval(comparison, timezone)
            if bounds is not None and not any(isinstance(python(v), Decimal) for v in comparison.values):
                lower = _tighter(lower, bounds[0], True)
                upper = _tighter(upper, bounds[1], False)
                dated.append(comparison)
                continue
            reasons[comparison] = "kept here: Twilio can only ask for dates sent within a range of days"
        elif field in _PUSHED_FIELDS or field == "sid":
            words = operator_words(comparison.op, comparison.negated)
            reasons[comparison] = f"kept here: Twilio filters {field}s only by equality, not '{words}'"
        else:
            reasons[comparison] = f"kept here: Twilio cannot filter on the {field}"
        residual.append(comparison)
    exact_dates = True
    if dated:
        date_params, exact_dates, how = _date_params(lower, upper)
        params.update(date_params)
        for comparison in dated:
            reasons[comparison] = (
                f"sent to Twilio as {how} (exact)"
                if exact_dates
                else f"sent to Twilio as {how}, whole UTC days around it; the exact cut is made here"
            )
        if not exact_dates:
            residual += dated
    if pinned is not None:  # one message: fetch it, and check everything else here
        residual = [comparison for comparison in term if comparison is not pinned]
        for comparison in residual:
            reasons[comparison] = "checked here on the fetched message"
        return Pushed(Query.fetch(str(python(pinned.values[0]))), not residual, residual, reasons)
    return Pushed(Query.list(params), not residual, residual, reasons)


# ------------------------------------------------------------------ 5 plan


def _conjuncts(tree: Filter | None) -> list[Filter]:
    if tree is None:
        return []
    return list(tree.parts) if isinstance(tree, And) else [tree]


def _placements(
    user: Filter | None, pushed: list[Pushed], split: bool, scanned: str | None
) -> tuple[Placement, ...]:
    """Where each part of the user's filter went. ``scanned``: why every message
    is read, when it is (then nothing was sent to Twilio, whatever one
    alternative alone could have sent)."""
    reasons: dict[str, str] = {}
    written: set[int] = set()  # and-terms share their comparisons: each is written out once
    for term in pushed:
        for comparison, why in term.reasons.items():
            if id(comparison) not in written:
                written.add(id(comparison))
                reasons.setdefault(str(comparison), why)
    found = []
    for part in _conjuncts(user):
        text = str(part)
        if text in reasons and not scanned:
            why = reasons[text]
            where = (
                "twilio"
                if "(exact)" in why or why.startswith("fetched")
                else "both"
                if "sent to" in why
                else "here"
            )
        elif isinstance(part, (Or, Comparison)) and split and not scanned:
            where, why = (
                "split",
                "made the read several queries, one for each alternative, merged newest first",
            )
        elif scanned:
            where, why = "here", f"kept here: {scanned}, so every message is read"
        else:
            where, why = "here", reasons.get(text, "kept here: Twilio cannot filter on it")
        found.append(Placement(text, where, why))
    return tuple(found)


def plan(
    tree: Filter | None,
    *,
    limit: int | None = None,
    timezone: dt.tzinfo = dt.UTC,
    concept: type[Any] = SmsMessage,
) -> Plan:
    """The plan of a read of messages for a bound filter (None: every message),
    newest first, cut at ``limit``."""
    zone = getattr(timezone, "key", None) or str(timezone)
    if limit is not None and limit < 1:
        raise ValueError("a limit is 1 or more")
    keys = _Keys()  # one set of keys for both passes: the nodes normalise makes are keyed once
    normal = _simplified(
        _normal(tree if tree is not None else True, concept, False, keys), concept, timezone, keys
    )
    if normal is False:
        placements = tuple(
            Placement(str(part), "nowhere", "no message can match: nothing is asked")
            for part in _conjuncts(tree)
        )
        return Plan((), None, limit, 0, placements, zone)
    if normal is True:
        size = min(limit, MAX_PAGE_SIZE) if limit else MAX_PAGE_SIZE
        return Plan((Query.list({}),), None, limit, size, (), zone)
    split = terms(normal)
    pushed = [push(term, timezone) for term in split] if split is not None else []
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
    size = min(limit, MAX_PAGE_SIZE) if limit and residual is None else MAX_PAGE_SIZE
    return Plan(
        queries,
        residual,
        limit,
        size,
        _placements(tree, pushed, len(queries) > 1, _scanned(split, pushed) if scan else None),
        zone,
    )


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
