"""What the English can refer to at one point of a run: the ``Scope``.

Named values (``the start date is ...``), ``the above`` (the last statement's
result), ``the answer`` (the last result of a procedure with no output concept),
the results of procedures with an output concept (``the SMS messages`` after a
read), and inside ``process each X`` the current X. A loop's item runs in a
scope of its own, whose parent is the loop's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from grammar import NounPhrase, Span
from procedures.concepts import Concept, refers_to
from procedures.errors import RunError, UnknownReferenceError
from procedures.kinds import Kind, Type
from procedures.names import closest, same_noun, singular_words, words_of

__all__ = ["NOTHING", "Scope", "describe"]

NOTHING: Any = object()  # no value yet (None is a value: a missing one)


def describe(value: Any) -> str:
    """How ``say`` prints a value."""
    if isinstance(value, str):
        return value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Concept):
        return value.describe() if hasattr(value, "describe") else repr(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, (str, int, Decimal)) for item in value):
            return ", ".join(describe(item) for item in value)
        kinds = {getattr(item, "english", type(item).__name__) for item in value}
        noun = kinds.pop() if len(kinds) == 1 else "item"
        return f"{len(value)} {noun}{'' if len(value) == 1 else 's'}"
    return str(value)


class Scope:
    """What the English can refer to at one point of a run (see the module's docstring)."""

    def __init__(self, parent: Scope | None = None, item: tuple[NounPhrase, Any] | None = None) -> None:
        self.parent = parent
        self.item = item
        self.names: dict[tuple[str, ...], tuple[NounPhrase, Any, Type | None]] = {}
        self.results: list[tuple[NounPhrase, Any]] = []
        self.above: Any = NOTHING
        self.answer: Any = NOTHING

    def chain(self) -> Iterable[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def name(self, noun: NounPhrase, value: Any, declared: Type | None = None) -> None:
        """Name a value: ``the X is VALUE``."""
        self.names[singular_words(noun)] = (noun, value, declared)

    def special(self, attribute: str) -> Any:
        for scope in self.chain():
            value = getattr(scope, attribute)
            if value is not NOTHING:
                return value
        return NOTHING

    def known(self) -> list[str]:
        """Everything ``the X`` could name here, for error messages."""
        found: list[str] = []
        for scope in self.chain():
            if scope.item is not None:
                found.append(f"{scope.item[0]} (the current item)")
            found += [str(noun) for noun, _, _ in scope.names.values()]
            found += [str(noun) for noun, _ in reversed(scope.results)]
        if self.special("above") is not NOTHING:
            found.append("above")
        if self.special("answer") is not NOTHING:
            found.append("answer")
        return list(dict.fromkeys(found))

    def lookup(
        self, noun: NounPhrase, many: bool = False, span: Span | None = None
    ) -> tuple[Any, Type | None]:
        """The value ``the X`` names and its declared type; ``UnknownReferenceError`` if none.

        A result holding several things is a list for a plural noun (or when
        ``many`` is set), and must hold exactly one for a singular noun. Errors
        point at ``span`` (the whole reference), else at the noun."""
        span = span or noun.span
        words = words_of(noun)
        if words in (("above",), ("answer",)):
            value = self.special(words[0])
            if value is NOTHING:
                message = (
                    "nothing has been done yet" if words[0] == "above" else "no procedure has answered yet"
                )
                raise UnknownReferenceError(f"'the {words[0]}' has no value: {message}", span=span)
            return value, None
        plural = many or singular_words(noun) != words
        for scope in self.chain():
            if scope.item is not None and same_noun(scope.item[0], noun):
                return scope.item[1], _declared(scope.item[1])
            for key in (words, singular_words(noun)):
                if key in scope.names:
                    _, value, declared = scope.names[key]
                    return value, declared
            for result_noun, value in reversed(scope.results):
                if same_noun(result_noun, noun) or _refers(value, noun):
                    return _number(value, noun, plural, span), None
        known = self.known()
        close = closest(" ".join(words), known)
        raise UnknownReferenceError(
            f"'the {noun}' names nothing known here; known: "
            + (", ".join(f"the {name}" for name in known) or "nothing yet"),
            span=span,
            hint=f"Did you mean 'the {close[0]}'?" if close else None,
            suggestions=close,
        )


def _declared(value: Any) -> Type | None:
    return Type(Kind.CONCEPT, concept=type(value)) if isinstance(value, Concept) else None


def _refers(value: Any, noun: NounPhrase) -> bool:
    sample = value[0] if isinstance(value, list) and value else value
    return isinstance(sample, Concept) and refers_to(noun, type(sample))


def _number(value: Any, noun: NounPhrase, plural: bool, span: Span | None) -> Any:
    """A result as the reference needs it: a list for a plural noun, one item for a singular one."""
    if not isinstance(value, list):
        return [value] if plural else value
    if plural:
        return value
    if len(value) == 1:
        return value[0]
    raise RunError(
        f"'the {noun}' is ambiguous: the latest result holds {len(value)} of them",
        span=span,
        hint=f"Use 'process each {noun} as follows', or ask for exactly one with 'a'/'an'.",
    )
