"""The sandbox's answers: a reply, Twilio's error body, and the refusal raised to give one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from grammar.node import Record

__all__ = ["Refusal", "Reply", "error_reply", "first", "json_reply"]


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
