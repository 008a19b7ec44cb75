"""Events a book registers, and the handlers a script writes for them.

A book says which events it has, by English name and the concept they are about:
``registry.event("when an *SMS* message is received", SmsMessage)``. A script's
``when ...`` block names one (any article, singular or plural, as calls name
procedures); its block runs each time the event happens, with ``the X`` the thing
it happened to. The grammar knows only the shape; what exists comes from here.

>>> from procedures import Concept
>>> class Parcel(Concept):
...     english = "parcel"
...     status: str | None = None
>>> arrived = build_event("when a parcel is delivered", Parcel)
>>> arrived.matches(parse_event("when the parcels is delivered"))
True
"""

from __future__ import annotations

from grammar import EnglishSyntaxError, EventName, parse_event
from grammar.node import Record
from procedures.concepts import Concept, field_of, refers_to
from procedures.errors import RegistrationError
from procedures.names import same_noun, words_of

__all__ = ["Event", "build_event"]


class Event(Record):
    """A registered event: its English name, and the concept of what it happens to."""

    english: str
    name: EventName
    concept: type[Concept]

    def matches(self, name: EventName) -> bool:
        """Whether a handler's ``when ...`` names this event."""
        if not same_noun(self.name.noun, name.noun) or self.name.happens != name.happens:
            return False
        if (self.name.field is None) != (name.field is None):
            return False
        return name.field is None or words_of(self.name.field) == words_of(name.field)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Event({self.english!r})"


def build_event(english: str, concept: type[Concept]) -> Event:
    """Read an event's English name (``RegistrationError`` when wrong)."""
    try:
        name = parse_event(english)
    except EnglishSyntaxError as exc:
        raise RegistrationError(
            f"event '{english}': the name does not parse: {exc.message}", hint=exc.hint
        ) from exc
    if not refers_to(name.noun, concept):
        raise RegistrationError(f"event '{english}': '{name.noun}' does not name a {concept.english}")
    if name.field is not None:
        field_of(concept, name.field)  # an unknown field is refused here
    return Event(english, name, concept)
