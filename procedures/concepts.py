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
from procedures.names import closest, singular_words, words_of

__all__ = ["Concept", "Field", "field_of", "fields_of", "refers_to"]


class Field(Record):
    """One field of a concept: its English name, Python name and type."""

    english: str
    name: str
    type: Type


class Concept(BaseModel):
    """The base of concepts: set ``english`` to the concept's English name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    english: ClassVar[str] = ""
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
                    hint="Use str, a number, a date or datetime, PhoneNumber, a list, or another concept.",
                ) from exc
            english = name.replace("_", " ")
            found[" ".join(words_of(english))] = Field(english, name, kind)
        cls._fields = found


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
    raise UnknownFieldError(
        f"a {concept.english} has no field '{noun}'; its fields are: {', '.join(known)}",
        span=noun.span,
        hint=hint,
        suggestions=close,
    )


def refers_to(noun: NounPhrase | str, concept: type[Concept]) -> bool:
    """Whether a noun phrase names the concept: its words, singular or plural,
    end the concept's English name (``SMS messages`` names "twilio sms message")."""
    name = words_of(concept.english)
    for words in (words_of(noun), singular_words(noun)):
        if words and tuple(name[-len(words) :]) == tuple(words):
            return True
    return False
