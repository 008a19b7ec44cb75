"""Concepts: typed records with English names, whose fields are noun phrases.

A concept is a frozen pydantic model with an English name; each field's English
name is its Python name with spaces for underscores (``sender_number`` is
"sender number"), and its annotation gives its type (see kinds.py). The
runtime uses them to resolve ``whose`` fields and possessives and to check the
values compared with them. A field whose type the English cannot use is caught
when the class is declared.

>>> import datetime as dt
>>> class Book(Concept):
...     english = "library book"
...     title: str
...     year: int | None = None
>>> [field.english for field in fields_of(Book)]
['title', 'year']
>>> field_of(Book, NounPhrase.of("Year")).type.describe()
'a number'
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from grammar import NounPhrase
from grammar.node import Record
from procedures.errors import RegistrationError, UnknownFieldError
from procedures.kinds import Hidden, Type, type_of
from procedures.names import closest, same_noun, words_of

__all__ = ["Concept", "Field", "field_of", "fields_of", "names_concept", "refers_to"]


class Field(Record):
    """One field of a concept: its English name, Python name and type."""

    english: str
    name: str
    type: Type


class Concept(BaseModel):
    """The base of concepts: set ``english`` to the concept's English name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    english: ClassVar[str] = ""
    called: ClassVar[str] = ""
    """What people call it, when its English name says more than they write
    (``SMS message`` for ``twilio sms message``): how messages name it."""
    aliases: ClassVar[dict[str, str]] = {}
    """Other names of its fields (a service's own: Twilio's ``from`` is the ``sender
    number``), for the hint when one is written."""
    key: ClassVar[str | None] = None
    """The field that names one thing of the concept (an SMS message's ``sid``), if any."""
    _fields: ClassVar[dict[str, Field]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.english:
            raise RegistrationError(f"concept {cls.__name__} needs an English name: english = '...'")
        found: dict[str, Field] = {}
        for name, info in cls.model_fields.items():
            annotation: Any = info.annotation
            if any(isinstance(marker, Hidden) for marker in info.metadata):
                continue
            if info.metadata:  # pydantic keeps Annotated's markers apart; put them back
                annotation = Annotated[(annotation, *info.metadata)]
            try:
                kind = type_of(annotation)
            except TypeError as exc:
                raise RegistrationError(
                    f"field {name!r} of concept {cls.english!r}: {exc}",
                    hint="Use str, a number, a date or datetime, a list, another concept, or a kind the book adds.",
                ) from exc
            english = name.replace("_", " ")
            found[" ".join(words_of(english))] = Field(english, name, kind)
        cls._fields = found


def called(concept: type[Concept]) -> str:
    """What messages call a concept: ``called``, else its English name."""
    return concept.called or concept.english


def a(noun: str) -> str:
    """A noun with its indefinite article, as it is said: ``an SMS message``,
    ``a phone number`` (an initialism by its first letter's sound).

    >>> a("SMS message"), a("phone number"), a("item"), a("URL")
    ('an SMS message', 'a phone number', 'an item', 'a URL')
    """
    first = noun.split(" ", 1)[0]
    spelled = first.isupper() and len(first) > 1  # an initialism, said letter by letter
    vowel = first[:1] in ("AEFHILMNORSX" if spelled else "aeiouAEIOU")
    return f"{'an' if vowel else 'a'} {noun}"


def fields_of(concept: type[Concept]) -> list[Field]:
    """The fields of a concept the English can name, in declaration order."""
    return list(concept._fields.values())


def field_of(concept: type[Concept], noun: NounPhrase) -> Field:
    """The field a noun phrase names (any case; underscores for spaces), or
    ``UnknownFieldError`` at the noun with the closest field names."""
    key = " ".join(words_of(noun))
    found = concept._fields.get(key)
    if found is not None:
        return found
    known = list(concept._fields)
    close = closest(key, known)
    hint = f"Did you mean '{close[0]}'?" if close else None
    if key in concept.aliases:
        close = [concept.aliases[key]]
        hint = f"'{key}' is {a(called(concept))}'s {close[0]} here: write '{close[0]}'."
    for keyword in ("whose", "and", "or", "not"):  # a keyword glued to the field: "or whosetitle"
        rest = key[len(keyword) :].strip()
        if key.startswith(keyword) and rest in concept._fields:
            close, hint = [rest], f"Did you mean '{keyword} {rest}'? Put a space after '{keyword}'."
            break
    raise UnknownFieldError(
        f"{a(called(concept))} has no field '{noun}'; its fields are: {', '.join(known)}",
        span=noun.span,
        hint=hint,
        suggestions=close,
    )


def refers_to(noun: NounPhrase | str, concept: type[Concept]) -> bool:
    """Whether a noun phrase names the concept: its words, singular or plural,
    end the concept's English name (``SMS messages`` names "twilio sms message")."""
    name, words = words_of(concept.english), words_of(noun)
    return 0 < len(words) <= len(name) and same_noun(" ".join(name[-len(words) :]), noun)


def names_concept(noun: NounPhrase | str, concept: type[Concept]) -> bool:
    """Whether a noun phrase is the end of the concept's English name as written,
    in the singular in which concepts are named: ``message``, ``library book``."""
    name, words = words_of(concept.english), words_of(noun)
    return 0 < len(words) <= len(name) and name[-len(words) :] == words
