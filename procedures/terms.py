"""A normalised filter as an or of and-terms, when that stays small (``terms``).

``terms`` gives up as soon as the or passes ``MAX_TERMS``, so that its work is
at most that many times the filter's (beyond it a book reads everything and
finishes the filter itself, still exactly).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection

from grammar import And, Comparison, Op, Or
from procedures.filters import Tree, field_name

__all__ = ["MAX_TERMS", "terms"]

MAX_TERMS = 64  # more and-terms than this: not worked out at all


class _TooMany(Exception):  # noqa: N818 - a signal inside this module, never seen outside
    """The or of and-terms would be too large."""


def _dnf(tree: Tree, split: Collection[str]) -> list[list[Comparison]]:
    """The or of and-terms, or ``_TooMany`` as soon as it would pass ``MAX_TERMS``:
    its work is bounded by ``MAX_TERMS`` times the filter's size, never by the
    product of the alternatives."""
    if tree is True:
        return [[]]
    if tree is False:
        return []
    if isinstance(tree, Comparison):
        if tree.op is Op.ONE_OF and not tree.negated and field_name(tree) in split:
            if len(tree.values) > MAX_TERMS:
                raise _TooMany
            return [[tree.replace(op=Op.IS, values=(value,))] for value in tree.values]
        return [[tree]]
    if isinstance(tree, Or):
        found: list[list[Comparison]] = []
        for part in tree.parts:
            found += _dnf(part, split)
            if len(found) > MAX_TERMS:
                raise _TooMany
        return found
    if isinstance(tree, And):
        options: list[list[list[Comparison]]] = []
        count = 1
        for part in tree.parts:
            options.append(_dnf(part, split))
            count *= len(options[-1])
            if count > MAX_TERMS:
                raise _TooMany
        # Each term made once, from its pieces: no term is copied again for each later part.
        return [[c for piece in choice for c in piece] for choice in itertools.product(*options)]
    raise TypeError(f"{type(tree).__name__} is not in normal form")


def terms(tree: Tree, split: Collection[str] = ()) -> list[list[Comparison]] | None:
    """A normalised filter as an or of and-terms; None when that would be too large.
    ``split``: the fields whose ``is one of`` is read as an or of equalities (those
    a service can filter on, one query for each value).

    >>> from grammar import parse_filter
    >>> [[str(c) for c in term] for term in terms(parse_filter(
    ...     'code is one of "A" or "B" and body contains "x"'), split={"code"})]
    [['code is "A"', 'body contains "x"'], ['code is "B"', 'body contains "x"']]
    >>> len(terms(parse_filter('code is one of "A" or "B" and body contains "x"')))
    1
    """
    try:
        return _dnf(tree, split)
    except _TooMany:
        return None
