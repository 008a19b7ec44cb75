"""Form requests as the book's two ASGI apps read them (the sandbox, and the
webhook receiver of ``book listen``): a body read as it arrives, up to a cap, and
its fields in order, repeated names kept."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["TooLarge", "body", "fields"]


class TooLarge(Exception):  # noqa: N818 - a refusal, raised to stop reading
    """The body passed the cap: the rest is not read."""


async def body(request: Request, limit: int) -> bytes:
    """The request's body, read as it arrives, up to ``limit`` bytes (``TooLarge``
    past it, also when it comes in chunks with no length announced)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def fields(data: bytes) -> list[tuple[str, str]]:
    """Form fields (``a=1&b=2``); ``UnicodeDecodeError`` when they are not UTF-8."""
    return parse_qsl(data.decode(), keep_blank_values=True, errors="strict")
