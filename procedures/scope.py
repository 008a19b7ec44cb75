"""What the English can refer to at one point of a run: the ``Scope``.

Named values (``the start date is ...``), ``the above`` (the last statement's
result), ``the answer`` (the last result of a procedure with no output concept),
the results of procedures with an output concept (``the SMS messages`` after a
read), and inside ``process each X`` the current X. ``the X`` takes the latest
of the names and results that X names (docs/language.md, "References"). A
loop's item runs in a scope of its own, whose parent is the loop's; the loop
then gathers the items' results and answers into its own scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from grammar import NounPhrase, Span
from grammar.limits import check_number
from procedures.concepts import Concept, called, fields_of, names_concept, refers_to
from procedures.errors import AmbiguousReferenceError, UnknownReferenceError
from procedures.evaluate import is_empty
from procedures.kinds import Kind, Type
from procedures.names import closest, forms, plural_of, same_noun, singular_words, words_of

__all__ = ["NOTHING", "Entry", "Scope", "describe"]

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
        try:
            check_number(value)
        except ValueError:  # out of the book's range (from a procedure): never written out digit by digit
            return format(value, "E") if value.is_finite() else str(value)
        return format(value, "f")
    if isinstance(value, dt.datetime) and value.utcoffset() == dt.timedelta(0):
        return value.isoformat().removesuffix("+00:00") + "Z"  # as tables and JSON print UTC
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Concept):
        if hasattr(value, "describe"):
            return str(value.describe())
        shown = [
            f"{field.english}: {describe(part)}"
            for field in fields_of(type(value))
            if not is_empty(part := getattr(value, field.name))
        ]
        name = called(type(value))
        return f"{name} ({', '.join(shown)})" if shown else name
    if isinstance(value, (list, tuple)):
        if not value:
            return "nothing"
        if all(isinstance(item, (str, int, Decimal)) for item in value):
            return ", ".join(describe(item) for item in value)
        kinds = {getattr(item, "english", type(item).__name__) for item in value}
        noun = kinds.pop() if len(kinds) == 1 else "item"
        return f"{len(value)} {noun if len(value) == 1 else plural_of(noun)}"
    return str(value)


class Entry(NamedTuple):
    """A named value (``plural`` None) or a procedure's result (``plural``: whether
    its noun is written in the plural, as ``to read some (*SMS* messages)`` is)."""

    noun: NounPhrase
    value: Any
    declared: Type | None = None
    concept: type[Concept] | None = None
    plural: bool | None = None


class Scope:
    """What the English can refer to at one point of a run (see the module's docstring).

    Named values and results are kept in one list, in the order they came, and
    ``the X`` takes the latest that X names; inside a loop the current item comes
    first."""

    def __init__(self, parent: Scope | None = None, item: tuple[NounPhrase, Any] | None = None) -> None:
        self.parent = parent
        self.item = item
        self._entries: list[Entry | None] = []  # None: a name given again later
        self._latest: dict[tuple[str, ...], int] = {}  # a noun's form -> its latest entry
        self._named: dict[tuple[str, ...], set[int]] = {}  # a noun's form -> the live names with it
        self._concepts: dict[type[Concept], int] = {}  # a concept -> its latest result
        self.above: Any = NOTHING
        self.answer: Any = NOTHING

    @property
    def entries(self) -> list[Entry]:
        """The names and results of this scope, oldest first."""
        return [entry for entry in self._entries if entry is not None]

    def _add(self, entry: Entry) -> None:
        place = len(self._entries)
        self._entries.append(entry)
        for form in forms(entry.noun):
            self._latest[form] = place
        if entry.concept is not None:
            self._concepts[entry.concept] = place

    def _find(self, noun: NounPhrase) -> Entry | None:
        """The latest entry ``noun`` names, by the index: the latest sharing a form
        with it, or the latest result of a concept it names, whichever came last."""
        place = max((self._latest.get(form, -1) for form in forms(noun)), default=-1)
        for concept, later in self._concepts.items():
            if later > place and refers_to(noun, concept):
                place = later
        if place < 0:
            return None
        entry = self._entries[place]
        if entry is not None:
            return entry
        live = [older for older in self._entries if older is not None]
        return next((older for older in reversed(live) if _names(older, noun)), None)  # a replaced name

    def chain(self) -> Iterable[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def name(self, noun: NounPhrase, value: Any, declared: Type | None = None) -> None:
        """Name a value: ``the X is VALUE`` (a later name for X, in the singular or
        the plural, replaces every earlier name X names)."""
        place = len(self._entries)
        replaced = set().union(*(self._named.get(form, ()) for form in forms(noun)))
        for earlier in replaced:
            entry = self._entries[earlier]
            self._entries[earlier] = None
            if entry is not None:
                for form in forms(entry.noun):
                    self._named[form].discard(earlier)
        for form in forms(noun):
            self._named.setdefault(form, set()).add(place)
        self._add(Entry(noun, value, declared))

    def result(self, noun: NounPhrase, value: Any, concept: type[Concept] | None, plural: bool) -> None:
        """Record a procedure's result, filed under its noun and concept."""
        self._add(Entry(noun, value, None, concept, plural))

    def gather(self, items: list[Scope]) -> None:
        """Take in what a loop's items did: each procedure's results, joined in the
        order of the items (``the SMS messages`` after sending one per customer),
        and their answers as a list."""
        joined: dict[tuple[tuple[str, ...], type[Concept] | None], Entry] = {}
        for scope in items:
            for entry in scope.entries:
                if entry.plural is None:
                    continue  # a name given inside the loop lives only there
                key = (words_of(entry.noun), entry.concept)
                values = entry.value if isinstance(entry.value, list) else [entry.value]
                gathered = joined[key].value if key in joined else []
                gathered.extend(values)
                joined[key] = entry._replace(value=gathered)  # the noun as the latest item wrote it
        for entry in joined.values():
            self._add(entry)
        answers = [scope.answer for scope in items if scope.answer is not NOTHING]
        if answers:
            self.answer = answers

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
            found += [str(entry.noun) for entry in reversed(scope.entries)]
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
        for scope in self.chain():
            if (
                scope.item is not None
                and same_noun(scope.item[0], noun)
                and not _pluralises(noun, scope.item[0])
            ):
                return scope.item[1], _declared(scope.item[1])
            entry = scope._find(noun)
            if entry is not None and entry.plural is None:
                return entry.value, entry.declared
            if entry is not None:
                return _number(entry.value, noun, many or _plural(noun, entry), span), None
        known = self.known()
        close = closest(" ".join(words), known)
        raise UnknownReferenceError(
            f"'the {noun}' names nothing known here; known: "
            + (", ".join(f"the {name}" for name in known) or "nothing yet"),
            span=span,
            hint=f"Did you mean 'the {close[0]}'?" if close else None,
            suggestions=close,
        )


def _names(entry: Entry, noun: NounPhrase) -> bool:
    """Whether ``the X`` (``noun``) names ``entry``: its noun, or a concept its result is of."""
    return same_noun(entry.noun, noun) or (
        entry.plural is not None and entry.concept is not None and refers_to(noun, entry.concept)
    )


def _declared(value: Any) -> Type | None:
    return Type(Kind.CONCEPT, concept=type(value)) if isinstance(value, Concept) else None


def _pluralises(noun: NounPhrase, item: NounPhrase) -> bool:
    """Whether ``noun`` is the plural of a loop's ``item`` noun: inside ``process
    each book``, ``the books`` is the whole list, not the current book."""
    words, singular = words_of(noun), words_of(item)
    return words != singular and (
        singular_words(noun) == singular or plural_of(" ".join(singular)) == " ".join(words)
    )


def _plural(noun: NounPhrase, entry: Entry) -> bool:
    """Whether ``the X`` asks for a list of what ``entry`` holds. Its noun as written
    by the procedure tells: the same words, the same number; the other form of
    them, the other number. A concept's name is singular."""
    words = words_of(noun)
    if same_noun(noun, entry.noun):
        return bool(entry.plural) == (words == words_of(entry.noun))
    if entry.concept is not None and names_concept(noun, entry.concept):
        return False
    return singular_words(noun) != words


def _number(value: Any, noun: NounPhrase, plural: bool, span: Span | None) -> Any:
    """A result as the reference needs it: a list for a plural noun, one item for a singular one."""
    if not isinstance(value, list):
        return [value] if plural else value
    if plural:
        return value
    if len(value) == 1:
        return value[0]
    raise AmbiguousReferenceError(
        f"'the {noun}' is ambiguous: the latest result holds {len(value)} of them",
        span=span,
        hint=f"Use 'process each {noun} as follows', or ask for exactly one with 'a'/'an'.",
    )
