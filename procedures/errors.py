"""The errors of registering procedures and of running English.

Every one is a ``grammar.BookError``, so it carries a position (when the English
had one), a hint and close suggestions, prints with a caret under the offending
words, and turns into JSON with ``to_dict()``::

    BookError
    ├── RegistrationError        a procedure or concept is declared wrongly (at import)
    ├── ResolutionError          English that names nothing known, or not just one thing
    │   ├── UnknownCallError         no procedure for this verb and noun
    │   ├── UnknownFieldError        no such field on the concept
    │   ├── UnknownReferenceError    no such named value, item or result
    │   ├── UnknownArgumentError     the procedure takes no such input
    │   ├── MissingArgumentError     the procedure needs an input the call does not give
    │   └── AmbiguousReferenceError  ``the X`` names a result of several things
    ├── ValueTypeError           a value of the wrong kind, or an impossible one
    └── RunError                 a step could not be done (no result where one was needed, ...)
"""

from __future__ import annotations

from typing import Any

from grammar import BookError

__all__ = [
    "AmbiguousReferenceError",
    "MissingArgumentError",
    "RegistrationError",
    "ResolutionError",
    "RunError",
    "UnknownArgumentError",
    "UnknownCallError",
    "UnknownEventError",
    "UnknownFieldError",
    "UnknownReferenceError",
    "ValueTypeError",
]


class RegistrationError(BookError):
    """A procedure or concept is declared wrongly; raised when its module is imported."""

    kind = "registration"


class ResolutionError(BookError):
    """English that names nothing known; ``suggestions`` holds the closest known names."""

    kind = "resolution"


class UnknownCallError(ResolutionError):
    """No registered procedure answers to this verb and noun."""

    kind = "unknown procedure"


class UnknownEventError(ResolutionError):
    """No registered event answers to a ``when ...`` block."""

    kind = "unknown event"


class UnknownFieldError(ResolutionError):
    """The concept has no field of this name."""

    kind = "unknown field"


class UnknownReferenceError(ResolutionError):
    """``the X`` names no value, current item or result known at this point."""

    kind = "unknown reference"


class UnknownArgumentError(ResolutionError):
    """An argument under ``where`` names no input of the procedure."""

    kind = "unknown argument"


class MissingArgumentError(ResolutionError):
    """A call leaves out an input its procedure needs, and nothing named supplies it."""

    kind = "missing argument"


class AmbiguousReferenceError(ResolutionError):
    """``the X`` (singular) names a result that holds several things."""

    kind = "ambiguous reference"


class ValueTypeError(BookError):
    """A value does not fit where it is used: text where a date is expected, an
    value its kind refuses, an operator that does not apply to the field."""

    kind = "value"


class ExplainError(BookError):
    """What was given to explain is not a read that can be explained: a plan is
    shown for a call whose procedure takes a filter, after lines that only name
    values (explaining runs nothing else)."""

    kind = "explain"


class ExpectationError(BookError):
    """``expect CONDITION`` did not hold: ``span`` is the part that did not, and
    ``actual`` the values on each side, as they were."""

    kind = "expectation"

    def __init__(self, message: str, *, actual: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.actual = dict(actual or {})

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["actual"] = self.actual
        return data


class RunError(BookError):
    """A step could not be done: no result where exactly one was needed, a
    missing input, a procedure that failed."""

    kind = "run"
