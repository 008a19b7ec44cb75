"""``Filter[Concept]``: the annotation of a procedure's filter parameter, naming the concept it is over.

A procedure takes a ``whose`` filter through a parameter typed ``Filter[C]``
(usually ``Filter[C] | None``: a call without ``whose`` gives None). The filter
it receives is the call's filter tree (a ``grammar.Filter``), bound to the fields
of ``C``. The concept comes from the annotation, not from what the procedure
returns, so a count of messages is declared as what it is:

>>> from procedures.concepts import Concept
>>> class Note(Concept):
...     english = "note"
...     text: str
>>> Filter[Note]
typing.Annotated[grammar.tree.Filter, Over(concept=<class 'procedures.annotations.Note'>)]
>>> over(Filter[Note] | None) is Note
True

A bare ``grammar.Filter`` still works: the concept is then that of the list
the procedure returns.
"""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grammar
from grammar.node import Record
from procedures.concepts import Concept

__all__ = ["Filter", "Over", "is_filter", "over"]

C = TypeVar("C", bound=Concept)


class Over(Record):
    """The metadata ``Filter[C]`` carries: the concept the filter is over."""

    concept: type[Concept]


if TYPE_CHECKING:

    class Filter(grammar.Filter, Generic[C]):
        """To a type checker, a filter tree over ``C`` (a ``grammar.Filter``)."""

else:

    class Filter:
        """``Filter[C]`` is ``Annotated[grammar.Filter, Over(C)]``: a filter tree over ``C``."""

        def __class_getitem__(cls, concept: type[Concept]) -> Any:
            if not (isinstance(concept, type) and issubclass(concept, Concept)):
                raise TypeError(f"Filter[...] takes a concept (a Concept class), not {concept!r}")
            return typing.Annotated[grammar.Filter, Over(concept)]


def _members(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of a union (``X | None``), or the annotation alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def is_filter(annotation: Any) -> bool:
    """Whether a parameter's annotation (``Filter[C] | None``, ``grammar.Filter``) takes a filter."""
    for member in _members(annotation):
        if typing.get_origin(member) is typing.Annotated:
            member = typing.get_args(member)[0]
        if isinstance(member, type) and issubclass(member, grammar.Filter):
            return True
    return False


def over(annotation: Any) -> type[Concept] | None:
    """The concept ``Filter[C]`` names, or None for a bare ``grammar.Filter``."""
    for member in _members(annotation):
        for metadata in getattr(member, "__metadata__", ()):
            if isinstance(metadata, Over):
                return metadata.concept
    return None
