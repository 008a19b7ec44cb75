"""How many segments a message body takes, counted the way carriers count them.

A body that fits the GSM 03.38 alphabet is sent in GSM-7: 160 characters in one
segment, else 153 a segment (the rest is the concatenation header); characters of
the extension table (``^{}\\[~]|€`` and form feed) take two. Any other body is
sent in UCS-2: 70 UTF-16 code units in one segment, else 67 a segment. An
escape pair or a surrogate pair is never split between two segments.

>>> count("Your order has shipped.")
Segments(encoding='GSM-7', segments=1, units=23)
>>> count("x" * 161).segments, count("€" * 81).segments, count("👋" * 36).segments
(2, 2, 2)
>>> smart("“Smart” quotes – and dashes…")
'"Smart" quotes - and dashes...'
"""

from __future__ import annotations

from grammar.node import Record

__all__ = ["Segments", "count", "smart"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

# What Twilio's smart encoding replaces with GSM characters (the common ones).
SMART = str.maketrans(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u2033": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
        "\u2026": "...", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
        "\u200b": "", "\u2022": "-", "\u00b4": "'", "\u02bc": "'",
    }
)  # fmt: skip


class Segments(Record):
    """The encoding of a body, its segments, and its length in that encoding's units."""

    encoding: str
    segments: int
    units: int


def smart(body: str) -> str:
    """The body with look-alike Unicode punctuation replaced by GSM characters."""
    return body.translate(SMART)


def _pack(widths: list[int], single: int, each: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > each:
            segments += 1
            used = 0
        used += width
    return segments


def count(body: str) -> Segments:
    """The segments of ``body`` (an empty body still takes one)."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in body):
        widths = [2 if char in GSM_EXTENDED else 1 for char in body]
        return Segments("GSM-7", _pack(widths, 160, 153), sum(widths))
    widths = [2 if ord(char) > 0xFFFF else 1 for char in body]
    return Segments("UCS-2", _pack(widths, 70, 67), sum(widths))
