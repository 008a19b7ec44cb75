"""Text templates: references in braces inside quoted text.

``"Hi {the customer's name}, your order {the order number} has shipped."`` is a
``Template``: literal pieces and references, in order. A brace holds a reference
when what follows it starts with ``the`` (``{the X}``, ``{the X's Y}``); any other
brace is text as written, so that Twilio's paths (``/Accounts/{AccountSid}``) and
JSON stay as they are. ``{{`` before ``the`` is a brace itself: ``"{{the x}"`` is
the text ``{the x}``. A text without a reference stays a ``Text``.

Pieces are found in the text as written (between its quotes), so that a
reference keeps its place in the line: an error in one points into the string.

>>> [str(piece) for piece in pieces("Hi {the customer's name}, {{the x} {Sid}", False, 1, 2, 1)]
['"Hi "', "the customer's name", '", {{the x} {Sid}"']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from grammar.errors import EnglishSyntaxError
from grammar.tree import NounPhrase, Reference, Span, Text

__all__ = ["escape", "pieces"]

_POSSESSIVE = re.compile(r"['\u2019]s\b", re.IGNORECASE)
_THE = re.compile(r"the\s+", re.IGNORECASE)
_OPENS = re.compile(r"\{ *the\b", re.IGNORECASE)  # a brace that holds a reference
_ESCAPED = re.compile(r"\{\{ *the\b", re.IGNORECASE)  # a brace itself, before "the"
_HINT = (
    "Write a reference between the braces, such as {the customer's name}; write {{ for a brace before 'the'."
)


def escape(text: str, reference_follows: bool = False) -> str:
    """Literal text as it is written between quotes (JSON escapes), with each brace
    that would be read as opening a reference written as a brace itself: ``{{``
    before ``the``, ``\\u007b`` when a reference follows it at once."""
    written: list[str] = []
    last = 0
    for index, char in enumerate(text):
        if char != "{":
            continue
        if _OPENS.match(text, index):
            written += [json.dumps(text[last:index], ensure_ascii=False)[1:-1], "{{"]
            last = index + 1
        elif index == len(text) - 1 and reference_follows:
            written += [json.dumps(text[last:index], ensure_ascii=False)[1:-1], "\\u007b"]
            last = index + 1
    written.append(json.dumps(text[last:], ensure_ascii=False)[1:-1])
    return "".join(written)


def pieces(raw: str, curly: bool, line: int, column: int, start: int) -> Sequence[Text | Reference]:
    """The pieces of a quoted text written as ``raw`` (between its quotes, escapes
    not yet decoded; ``curly``: between curly quotes, which have none), whose first
    character stands at ``line``, ``column`` (1-based) and offset ``start``.
    ``EnglishSyntaxError`` at the brace or the reference that is wrong."""

    def span(first: int, end: int) -> Span:
        return Span(line, column + first, line, column + end, start + first, start + end)

    found: list[Text | Reference] = []
    literal: list[str] = []  # raw pieces of the literal text being read

    def close_literal(end: int) -> None:
        if literal:
            text = "".join(literal)
            found.append(Text(text if curly else json.loads(f'"{text}"', strict=False), span=span(end, end)))
            literal.clear()

    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and not curly:
            literal.append(raw[index : index + 2])
            index += 2
            continue
        if _ESCAPED.match(raw, index):
            literal.append("{" if curly else "\\u007b")
            index += 2
            continue
        if _OPENS.match(raw, index):
            end = raw.find("}", index)
            opened = raw.find("{", index + 1)
            if end < 0 or 0 <= opened < end:
                raise EnglishSyntaxError(
                    "this '{' opens a reference that is not closed", span=span(index, index + 1), hint=_HINT
                )
            close_literal(index)
            found.append(_reference(raw[index + 1 : end], index + 1, span))
            index = end + 1
            continue
        literal.append(char)
        index += 1
    close_literal(len(raw))
    return found


def _reference(inner: str, offset: int, at: Callable[[int, int], Span]) -> Reference:
    """The reference written between braces (``the X's Y``) at ``offset``, with its
    spans in the line (``at`` gives the span of a piece of the text)."""
    lead = len(inner) - len(inner.lstrip())
    body = inner.strip()
    where = at(offset, offset + len(inner)) if body else at(offset - 1, offset + len(inner) + 1)
    opening = _THE.match(body)
    if opening is None:
        raise EnglishSyntaxError(
            f"{{{inner}}} is not a reference: a reference starts with 'the'", span=where, hint=_HINT
        )
    path: list[NounPhrase] = []
    cursor = lead + opening.end()
    for part in _POSSESSIVE.split(body[opening.end() :]):
        words = part.split()
        first = offset + cursor + (len(part) - len(part.lstrip()))
        end = first + len(part.strip())
        try:
            path.append(NounPhrase(tuple(words), span=at(first, end)))
        except ValueError:
            raise EnglishSyntaxError(
                f"{{{inner}}} is not a reference: '{part.strip()}' is not a name of words",
                span=at(first, max(end, first + 1)),
                hint=_HINT,
            ) from None
        cursor += len(part) + 2  # the part and its "'s"
    return Reference(tuple(path), span=at(offset + lead, offset + lead + len(body)))
