"""Lists: Twilio's filters with their day semantics, newest first, paged by PageToken."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Sequence
from urllib.parse import urlencode

from book.sandbox.answers import Refusal, Reply
from book.sandbox.lifecycle import epoch
from book.sandbox.state import State
from book.wire import API_VERSION

__all__ = ["MAX_PAGE_SIZE", "list_page"]

MAX_PAGE_SIZE = 1000
_FILTER_ORDER = ("To", "From", "DateSent", "DateSent<", "DateSent>")


def _day(text: str) -> dt.date:
    """The day of a DateSent value: YYYY-MM-DD, or a date and time in a form Twilio accepts."""
    value = text.strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError):
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}).*", value)
    if match:
        month, day, year = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise Refusal(400, 20001, f"Invalid DateSent value: {text}")


def _next_day(day: dt.date) -> dt.date:
    try:
        return day + dt.timedelta(days=1)
    except OverflowError:
        raise Refusal(400, 20001, f"Invalid DateSent value: {day.isoformat()}") from None


def _day_start(day: dt.date) -> int:
    return epoch(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def list_page(
    state: State, account: str, query: Sequence[tuple[str, str]], *, date_sent_before: str
) -> Reply:
    """One page of a list request (see docs/sandbox.md, "Lists")."""
    params = dict(query)
    filters = [(name, params[name]) for name in _FILTER_ORDER if name in params]
    try:
        size = int(params.get("PageSize", "50"))
    except ValueError:
        raise Refusal(400, 20001, f"Invalid PageSize: {params['PageSize']}") from None
    if size < 1:
        raise Refusal(400, 20001, f"Invalid PageSize: {size}")
    size = min(size, MAX_PAGE_SIZE)
    try:
        number = int(params.get("Page", "0"))
    except ValueError:
        raise Refusal(400, 20001, f"Invalid Page: {params['Page']}") from None
    token = params.get("PageToken")
    if number != 0 and not token:
        raise Refusal(400, 20001, "Unable to process request: a Page other than 0 needs its PageToken")
    after = before = None
    if token:
        place = state.place(account, token[2:]) if token[:2] in ("PA", "PB") else None
        if place is None:
            raise Refusal(400, 20001, f"Invalid PageToken: {token}")
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
    )
    more = len(rows) > size
    rows = rows[:size] if before is None else rows[-size:] if more else rows
    collection = f"/{API_VERSION}/Accounts/{account}/Messages.json"

    def uri(*extra: tuple[str, str]) -> str:
        return f"{collection}?{urlencode([*filters, ('PageSize', str(size)), *extra])}"

    this = [("Page", str(number))] + ([("PageToken", token)] if token else [])
    next_uri = (
        uri(("Page", str(number + 1)), ("PageToken", "PA" + rows[-1].sid))
        if rows and (more or before)
        else None
    )
    previous = (
        uri(("Page", str(max(number - 1, 0))), ("PageToken", "PB" + rows[0].sid))
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
