"""The sandbox's answers: a reply, Twilio's error body, and the refusal raised to give one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from book.wire import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_count
from grammar.node import Record

__all__ = ["Refusal", "Reply", "error_reply", "first", "json_reply", "page_size", "whole_page"]


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


def whole_page(
    key: str, items: Sequence[Any], path: str, filters: Sequence[tuple[str, str]], size: int
) -> Reply:
    """The first and only page of a short list (an account's numbers, a message's
    media): Twilio's page envelope, its items under ``key``, no next page."""
    from urllib.parse import urlencode

    uri = f"{path}?" + urlencode([*filters, ("PageSize", str(size)), ("Page", "0")])
    page = list(items[:size])
    return json_reply(
        200,
        {
            key: page,
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(len(page) - 1, 0),
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
        },
    )
