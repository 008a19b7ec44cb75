"""Text templates: references in braces inside quoted text.

``"Hi {the customer's name}, your order {the order number} has shipped."`` is a
``Template``: literal pieces and references, in order. Inside braces stands a
reference as the English writes one (``the X``, ``the X's Y``); ``{{`` and
``}}`` are a brace itself. A text without a reference stays a ``Text`` (its
``{{`` read as ``{``), so that every text prints with its braces doubled and
parses back to what it was.

Pieces are found in the text as written (between its quotes), so that a
reference keeps its place in the line: an error in one points into the string.

>>> [str(piece) for piece in pieces("Hi {the customer's name}, {{ok}}", False, 1, 2, 1)]
['"Hi "', "the customer's name", '", {{ok}}"']
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
_HINT = (
    "Write a reference between the braces, such as {the customer's name}; write {{ and }} for a brace itself."
)


def escape(text: str) -> str:
    """Literal text as it is written inside a template or a text: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


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
        if raw.startswith("{{", index) or raw.startswith("}}", index):
            literal.append(char if curly else "\\u007b" if char == "{" else "\\u007d")
            index += 2
            continue
        if char == "}":
            raise EnglishSyntaxError("this '}' closes no '{'", span=span(index, index + 1), hint=_HINT)
        if char == "{":
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
