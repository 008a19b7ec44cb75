"""The sandbox's answers: a reply, Twilio's error body, and the refusal raised to give one."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from book.wire import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_count
from grammar.node import Record

__all__ = ["Refusal", "Reply", "error_reply", "first", "json_reply", "matched", "page_size", "short_list"]


class Reply(Record):
    """The sandbox's answer: status, headers, body; ``lost`` means the answer
    never reaches the client (the request was committed); ``delay`` is latency."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    lost: bool = False
    delay: float = 0.0


class Refusal(Exception):  # noqa: N818 - a refusal, not an error of the sandbox
    """Twilio's error answer, raised inside the handlers."""

    def __init__(
        self, status: int, code: int, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers  # sent with the answer: Allow with a 405


def json_reply(status: int, body: Any) -> Reply:
    return Reply(
        status, (("Content-Type", "application/json"),), json.dumps(body, ensure_ascii=False).encode()
    )


def error_reply(status: int, code: int, message: str) -> Reply:
    return json_reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def first(fields: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in fields:
        if key == name:
            return value
    return None


def matched(account: str, path: str, *patterns: re.Pattern[str]) -> list[re.Match[str] | None]:
    """Each pattern's match of a resource's path (its collection, one item, ...),
    whose first group is the account; 401 (20003) when the path is of another
    account, as Twilio answers."""
    found = [pattern.fullmatch(path) for pattern in patterns]
    first_match = next((match for match in found if match is not None), None)
    if first_match is None or first_match.group(1) != account:
        raise Refusal(401, 20003, "Authenticate")
    return found


def page_size(query: Sequence[tuple[str, str]]) -> int:
    """The page size a list asks for: Twilio's 50 unless told, at most its 1000
    (more is read as 1000); 400 (20001) for a size that is not a whole number of
    1 or more (ASCII digits)."""
    asked = first(query, "PageSize")
    if asked is None:
        return DEFAULT_PAGE_SIZE
    size = parse_count(asked)
    if size is None or size < 1:
        raise Refusal(400, 20001, f"Invalid PageSize: {asked}")
    return min(size, MAX_PAGE_SIZE)


def short_list(
    key: str, items: Sequence[dict[str, Any]], path: str, query: Sequence[tuple[str, str]]
) -> Reply:
    """A page of a short list (an account's numbers, a message's media), paged as
    Twilio pages: ``PageSize`` items under ``key``, and a next page after the
    last one's sid (``Page=N&PageToken=PA<sid>``) while any are left. A page
    number without its token is 20001, a token naming no item of the list 21481.
    The list's filters (any query field but the paging ones) stay on every link."""
    size = page_size(query)
    filters = [(name, value) for name, value in query if name not in ("PageSize", "Page", "PageToken")]
    asked = first(query, "Page") or "0"
    number = parse_count(asked)
    if number is None:
        raise Refusal(400, 20001, f"Invalid Page: {asked}")
    token = first(query, "PageToken")
    if number and not token:
        raise Refusal(400, 20001, "PageToken is required for paging.")
    start = 0
    if token:
        sids = [item.get("sid") for item in items]
        if not token.startswith("PA") or token[2:] not in sids:
            raise Refusal(400, 21481, "Invalid PageToken")
        start = sids.index(token[2:]) + 1
    page = list(items[start : start + size])

    def uri(*extra: tuple[str, str]) -> str:
        return f"{path}?" + urlencode([*filters, ("PageSize", str(size)), *extra])

    more = start + size < len(items)
    this = [("Page", str(number))] + ([("PageToken", token)] if token else [])
    return json_reply(
        200,
        {
            key: page,
            "page": number,
            "page_size": size,
            "start": number * size,
            "end": number * size + max(len(page) - 1, 0),
            "uri": uri(*this),
            "first_page_uri": uri(("Page", "0")),
            "next_page_uri": uri(("Page", str(number + 1)), ("PageToken", f"PA{page[-1]['sid']}"))
            if more and page
            else None,
            "previous_page_uri": None,
        },
    )
