"""Lists: Twilio's filters with their day semantics, newest first, paged by PageToken."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Sequence
from urllib.parse import urlencode

from book.resources.messages import MESSAGES
from book.sandbox.answers import Refusal, Reply, page_size
from book.sandbox.lifecycle import epoch
from book.sandbox.state import Row, State
from book.wire import API_VERSION

__all__ = ["list_page"]

_FILTER_ORDER = ("To", "From", "DateSent", "DateSent<", "DateSent>")


# Zones a US-style date may name, as Twilio's examples write them.
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*([A-Za-z]{1,4}|[+-]\d{2}:?\d{2})?"
)


def _gmt_day(moment: dt.datetime) -> dt.date:
    """The GMT day of a date and time; one with no offset is read as GMT."""
    return (moment if moment.tzinfo is None else moment.astimezone(dt.UTC)).date()


def _us(match: re.Match[str]) -> dt.datetime:
    month, day, year, hour, minute, second, zone = match.groups()
    offset = dt.timedelta(0)
    if zone and zone.upper() in _ZONES:
        offset = dt.timedelta(hours=_ZONES[zone.upper()])
    elif zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])) * (-1 if zone[0] == "-" else 1)
    elif zone:
        raise ValueError(zone)
    return dt.datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        tzinfo=dt.timezone(offset),
    )


def _day(text: str) -> dt.date:
    """The GMT day of a DateSent value: YYYY-MM-DD, or a date and time in a form
    Twilio accepts (ISO 8601, RFC 2822, MM/DD/YYYY with a zone), whose offset
    counts: 20:30 at -05:00 on March 1 is March 2 in GMT."""
    value = text.strip()
    try:
        return _gmt_day(dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    try:
        return _gmt_day(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        pass
    match = _US.fullmatch(value)
    if match:
        try:
            return _gmt_day(_us(match))
        except (ValueError, OverflowError):
            pass
    raise Refusal(400, 20001, f"Invalid DateSent value: {text}")


def _next_day(day: dt.date) -> dt.date:
    try:
        return day + dt.timedelta(days=1)
    except OverflowError:
        raise Refusal(400, 20001, f"Invalid DateSent value: {day.isoformat()}") from None


def _day_start(day: dt.date) -> int:
    return epoch(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


# PA (the page after) or PB (the page before) and the sid of the message it is
# next to, as Twilio's tokens are; then where that message stood in the order
# and when the pagination began, so that following next_page_uri lists every
# message at most once and skips none while messages are sent (state.page).
_TOKEN = re.compile(rf"P[AB](?P<sid>{MESSAGES.sid.pattern})(?:_(?P<place>\d{{1,12}})_(?P<asof>\d{{1,12}}))?")


def _token(kind: str, row: Row, asof: int | None) -> str:
    return f"{kind}{row.sid}" + (f"_{row.sort}_{asof}" if asof is not None else "")


def _read_token(state: State, account: str, token: str) -> tuple[tuple[int, str], int | None]:
    """Where a page token points, and the moment its pagination began (None for a
    bare ``PA<sid>``: the message's place now); 21481 for a token not issued here."""
    found = _TOKEN.fullmatch(token)
    if found is None:
        raise Refusal(400, 21481, "Invalid PageToken")
    sid, place, asof = found.group("sid", "place", "asof")
    if place is not None:
        return (int(place), sid), int(asof)
    now = state.place(account, sid)
    if now is None:
        raise Refusal(400, 21481, "Invalid PageToken")
    return now, None


def list_page(
    state: State,
    account: str,
    query: Sequence[tuple[str, str]],
    *,
    date_sent_before: str,
    now: int | None = None,
) -> Reply:
    """One page of a list request (see docs/sandbox.md, "Lists"); ``now``: when a
    pagination that begins here begins (its order stays as it stood then)."""
    params = dict(query)
    filters = [(name, params[name]) for name in _FILTER_ORDER if name in params]
    size = page_size(query)
    try:
        number = int(params.get("Page", "0"))
    except ValueError:
        raise Refusal(400, 20001, f"Invalid Page: {params['Page']}") from None
    token = params.get("PageToken")
    if number != 0 and not token:
        raise Refusal(400, 20001, "PageToken is required for paging.")
    after = before = None
    asof = now
    if token:
        place, asof = _read_token(state, account, token)
        after, before = (place, None) if token.startswith("PA") else (None, place)
    sent_from = sent_until = None
    if "DateSent" in params:
        day = _day(params["DateSent"])
        sent_from, sent_until = _day_start(day), _day_start(_next_day(day))
    if "DateSent>" in params:
        sent_from = max(sent_from or 0, _day_start(_day(params["DateSent>"])))
    if "DateSent<" in params:
        day = _day(params["DateSent<"])
        bound = _day_start(_next_day(day)) if date_sent_before == "inclusive" else _day_start(day)
        sent_until = bound if sent_until is None else min(sent_until, bound)
    rows = state.page(
        account,
        to=params.get("To"),
        sender=params.get("From"),
        sent_from=sent_from,
        sent_until=sent_until,
        after=after,
        before=before,
        size=size + 1,
        asof=asof,
        now=now,
    )
    more = len(rows) > size
    rows = rows[:size] if before is None else rows[-size:] if more else rows
    collection = f"/{API_VERSION}/Accounts/{account}/Messages.json"

    def uri(*extra: tuple[str, str]) -> str:
        return f"{collection}?{urlencode([*filters, ('PageSize', str(size)), *extra])}"

    this = [("Page", str(number))] + ([("PageToken", token)] if token else [])
    next_uri = (
        uri(("Page", str(number + 1)), ("PageToken", _token("PA", rows[-1], asof)))
        if rows and (more or before)
        else None
    )
    previous = (
        uri(("Page", str(max(number - 1, 0))), ("PageToken", _token("PB", rows[0], asof)))
        if rows and number > 0
        else None
    )
    start = number * size if rows else 0
    meta = {
        "first_page_uri": uri(("Page", "0")),
        "end": start + len(rows) - 1 if rows else 0,
        "previous_page_uri": previous,
        "uri": uri(*this),
        "page_size": size,
        "start": start,
        "next_page_uri": next_uri,
        "page": number,
    }
    head = json.dumps(meta, ensure_ascii=False)[:-1]
    body = head + ', "messages": [' + ", ".join(row.data for row in rows) + "]}"
    return Reply(200, (("Content-Type", "application/json"),), body.encode())
