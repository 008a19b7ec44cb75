"""The procedure registry and the runtime that runs English scripts.

It knows English (the ``grammar`` package) and procedures, and nothing of Twilio:
a book declares concepts (``Concept``) and registers procedures under English
names in a registry of its own (``@book.procedure("to send an *SMS* message")``,
where ``book = Registry()``); a ``Session`` is given the registry and runs English
against it, a script or one step at a time, and the reference evaluator
(``holds``) says exactly which things a filter selects.
"""

from procedures.annotations import Filter
from procedures.binding import Binder
from procedures.clock import Clock, FixedClock, SystemClock
from procedures.concepts import Concept, Field, field_of, fields_of, refers_to
from procedures.context import Context
from procedures.contradictions import Bound, interval, simplify, tighter
from procedures.core import core
from procedures.errors import (
    AmbiguousReferenceError,
    ExpectationError,
    ExplainError,
    MissingArgumentError,
    RegistrationError,
    ResolutionError,
    RunError,
    UnknownArgumentError,
    UnknownCallError,
    UnknownFieldError,
    UnknownReferenceError,
    ValueTypeError,
)
from procedures.evaluate import compare, day_start, holds, literal, python
from procedures.filters import NodeKeys, field_name, fold, normalise
from procedures.kinds import Choices, Exact, Hidden, Kind, Most, Type, type_of
from procedures.registry import Input, Procedure, Registry, Waiter
from procedures.runtime import DEFAULT_WAIT, LoopError, WaitError
from procedures.scope import Scope, describe
from procedures.session import STEP_SCHEMA, Result, Session, jsonable, timezone_named
from procedures.terms import MAX_TERMS, terms
from procedures.vocabulary import vocabulary, vocabulary_markdown

__all__ = [
    "DEFAULT_WAIT",
    "MAX_TERMS",
    "STEP_SCHEMA",
    "AmbiguousReferenceError",
    "Binder",
    "Bound",
    "Choices",
    "Clock",
    "Concept",
    "Context",
    "Exact",
    "ExpectationError",
    "ExplainError",
    "Field",
    "Filter",
    "FixedClock",
    "Hidden",
    "Input",
    "Kind",
    "LoopError",
    "MissingArgumentError",
    "Most",
    "NodeKeys",
    "Procedure",
    "RegistrationError",
    "Registry",
    "ResolutionError",
    "Result",
    "RunError",
    "Scope",
    "Session",
    "SystemClock",
    "Type",
    "UnknownArgumentError",
    "UnknownCallError",
    "UnknownFieldError",
    "UnknownReferenceError",
    "ValueTypeError",
    "WaitError",
    "Waiter",
    "compare",
    "core",
    "day_start",
    "describe",
    "field_name",
    "field_of",
    "fields_of",
    "fold",
    "holds",
    "interval",
    "jsonable",
    "literal",
    "normalise",
    "python",
    "refers_to",
    "simplify",
    "terms",
    "tighter",
    "timezone_named",
    "type_of",
    "vocabulary",
    "vocabulary_markdown",
]
