"""Templates checked before a script runs: each reference in braces must name
something the script can have named by the line it stands on.

``"Hi {the customer's name}"`` is composed when its line runs (``Binder.value``);
a reference that names nothing would then fail half-way through a bulk send. So
before anything runs, the script is read in order, keeping the names it gives:
named values (``the X is``, ``use ... as the X``), what calls give (their noun and
the output a procedure keeps its result under), the item of a ``process each``
loop inside it, and the thing of a ``when`` block inside that block. A reference
whose first noun is none of these, nor a value the session already holds, nor
``the above`` or ``the answer``, is an ``UnknownReferenceError`` at its place in
the string.

A ``when`` block runs after the rest of the script, so it sees every name the
script gives. The check is generous where the script is: a name given in either
branch of an ``if`` counts after it, and a loop's names after the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from grammar import (
    Assignment,
    Call,
    Each,
    Handler,
    If,
    NounPhrase,
    Reference,
    Statement,
    Template,
    Use,
    find_all,
)
from procedures.errors import UnknownReferenceError
from procedures.names import same_noun, words_of

__all__ = ["check_templates"]

Known = Callable[[NounPhrase], bool]  # a name the session already holds
Outputs = Callable[[Call], Iterable[NounPhrase]]  # the names a call keeps its result under


def check_templates(statements: Sequence[Statement], known: Known, outputs: Outputs) -> None:
    """``UnknownReferenceError`` at the first reference of a template that names
    nothing by the line it stands on (see the module's docstring)."""
    names = _names([s for s in statements if not isinstance(s, Handler)], [], known, outputs)
    for handler in statements:
        if isinstance(handler, Handler):
            _names(handler.body, [*names, handler.event.noun], known, outputs)


def _names(
    body: Sequence[Statement], given: list[NounPhrase], known: Known, outputs: Outputs
) -> list[NounPhrase]:
    """Check ``body`` with the names ``given`` so far; the names it adds."""
    names = list(given)
    for statement in body:
        if isinstance(statement, Each):
            names += _names(statement.body, [*names, statement.noun], known, outputs)
        elif isinstance(statement, Handler):  # in a block, where the grammar does not put one
            _names(statement.body, [*names, statement.event.noun], known, outputs)
        elif isinstance(statement, If):
            _check(find_all(statement.condition, Template), names, known)
            then = _names(statement.then, names, known, outputs)
            names += then + _names(statement.otherwise, names, known, outputs)
        else:
            _check(find_all(statement, Template), names, known)
            names += _given(statement, outputs)
    return names


def _given(statement: Statement, outputs: Outputs) -> list[NounPhrase]:
    if isinstance(statement, (Assignment, Use)):
        return [statement.name]
    if isinstance(statement, Call):
        return list(outputs(statement))
    return []


def _check(templates: Iterable[Template], names: list[NounPhrase], known: Known) -> None:
    for template in templates:
        for part in template.parts:
            if isinstance(part, Reference) and not _named(part.noun, names, known):
                said = sorted({str(name).replace("*", "") for name in names}, key=str.lower)
                raise UnknownReferenceError(
                    f"'{part}' in this text names nothing known by this line",
                    span=part.span,
                    hint=(f"Known here: {', '.join(f'the {name}' for name in said)}. " if said else "")
                    + "Name it before this line (the X is ...), or write {{ for a brace.",
                )


def _named(noun: NounPhrase, names: list[NounPhrase], known: Known) -> bool:
    if words_of(noun) in (("above",), ("answer",)):
        return True
    return any(same_noun(noun, name) for name in names) or known(noun)
