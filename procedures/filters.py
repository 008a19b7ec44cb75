"""Filter passes that know filters, not any service: ``normalise``, ``fold`` and their keys.

A bound filter (see binding.py) over a concept goes through small pure passes
before a book decides what its service can do with it:

1. ``normalise`` (here): ``not`` pushed inward (``not (F OP V)`` is ``F OP' V or
   F is empty``, since comparisons are false on missing values; ``not not F`` is
   ``F``), and/or flattened, constants folded;
2. ``simplify`` (contradictions.py): contradictions found, which then need no
   request;
3. ``terms`` (terms.py): the filter as an or of and-terms, when that stays small.

They take time about linear in the filter's size: repeats are found by keys
made once for each node (``NodeKeys``), never by comparing parts with each
other, and ``not`` is carried down in one walk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from grammar import And, Comparison, Filter, Not, NounPhrase, Op, Or, Span
from procedures.concepts import field_of
from procedures.kinds import Kind

__all__ = ["NodeKeys", "Tree", "field_name", "fold", "kind_of", "normalise"]

Tree = Filter | bool

ORDER_COMPLEMENT = {
    Op.AFTER: Op.ON_OR_BEFORE,
    Op.ON_OR_BEFORE: Op.AFTER,
    Op.BEFORE: Op.ON_OR_AFTER,
    Op.ON_OR_AFTER: Op.BEFORE,
    Op.GREATER: Op.AT_MOST,
    Op.AT_MOST: Op.GREATER,
    Op.LESS: Op.AT_LEAST,
    Op.AT_LEAST: Op.LESS,
}
ORDERED = frozenset({Kind.TIME, Kind.DATE, Kind.NUMBER})  # the built-in kinds whose values are in order


def field_name(comparison: Comparison) -> str:
    """The field a bound comparison is on, as its words: ``"sender number"``."""
    assert isinstance(comparison.subject, NounPhrase)
    return " ".join(comparison.subject.words)


def kind_of(comparison: Comparison, concept: type[Any]) -> Kind:
    """The kind of the field a bound comparison is on."""
    assert isinstance(comparison.subject, NounPhrase)
    return field_of(concept, comparison.subject).type.kind


# ------------------------------------------------------------- normalise


def _empty(comparison: Comparison) -> Comparison:
    return Comparison(comparison.subject, Op.EMPTY, (), span=comparison.span)


def _positive(comparison: Comparison, concept: type[Any]) -> Comparison:
    """A negated order comparison on a number or a time is its complement:
    ``is not after D`` is ``is on or before D`` (both false on missing values)."""
    if (
        comparison.negated
        and comparison.op in ORDER_COMPLEMENT
        and kind_of(comparison, concept).base in ORDERED
    ):
        return comparison.replace(op=ORDER_COMPLEMENT[comparison.op], negated=False)
    return comparison


class NodeKeys:
    """Structural keys for the nodes met while planning one filter: equal nodes get
    equal keys, and a node's key is made once, from its parts' keys. A node's own
    hash walks its whole subtree, so hashing at every level of a deep filter is
    quadratic; these keys are not."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Filter, int]] = {}  # by id; the node is kept so its id stays its own
        self._shapes: dict[object, int] = {}

    def __call__(self, node: Filter) -> int:
        known = self._known.get(id(node))
        if known is not None:
            return known[1]
        shape: object = node  # a comparison: small, hashed as itself
        if isinstance(node, (And, Or)):
            shape = (type(node), tuple(self(part) for part in node.parts))
        elif isinstance(node, Not):
            shape = (Not, self(node.part))
        key = self._shapes.setdefault(shape, len(self._shapes))
        self._known[id(node)] = (node, key)
        return key


def fold(
    kind: type[And] | type[Or], parts: Sequence[Tree], span: Span | None = None, keys: NodeKeys | None = None
) -> Tree:
    """An and (or an or) of ``parts``: flattened, constants folded, repeats dropped.

    Linear in the parts: repeats are found by key in a set, not by comparing
    each part with those kept before it.

    >>> from grammar import parse_filter
    >>> a, b = parse_filter('body contains "a"'), parse_filter('body is empty')
    >>> print(fold(And, [a, True, a, b]))
    body contains "a" and body is empty
    >>> fold(Or, [a, True]), fold(And, [b, b.replace(negated=True)])
    (True, False)
    """
    keys = NodeKeys() if keys is None else keys
    unit, zero = (True, False) if kind is And else (False, True)
    kept: list[Filter] = []
    seen: set[int] = set()
    for part in parts:
        if part is zero:
            return zero
        if part is unit or isinstance(part, bool):
            continue
        for piece in part.parts if isinstance(part, kind) else (part,):
            key = keys(piece)
            if key not in seen:
                seen.add(key)
                kept.append(piece)
    empties = {(field_name(p), p.negated) for p in kept if isinstance(p, Comparison) and p.op is Op.EMPTY}
    if any((field, not negated) in empties for field, negated in empties):
        return zero  # "is empty" with "is not empty": never in an and, always in an or
    if not kept:
        return unit
    return kept[0] if len(kept) == 1 else kind(tuple(kept), span=span)


def _alike(tree: And | Or, negated: bool) -> Iterator[tuple[Filter, bool]]:
    """The parts of an and (an or) under ``negated``, with those of every part that
    is the same after ``not`` is pushed in (``a and (b and not (c or d))``: a, b,
    not c, not d), in order: flattened on the way down, so a chain of nested ands
    is not copied again at each level."""
    kind = type(tree)
    stack: list[tuple[Filter, bool]] = [(part, negated) for part in reversed(tree.parts)]
    while stack:
        part, flipped = stack.pop()
        if isinstance(part, Not):
            stack.append((part.part, not flipped))
        elif isinstance(part, (And, Or)) and (type(part) is kind) == (flipped == negated):
            stack += [(inner, flipped) for inner in reversed(part.parts)]
        else:
            yield part, flipped


def _normal(tree: Tree, concept: type[Any], negated: bool, keys: NodeKeys) -> Tree:
    if isinstance(tree, bool):
        return tree is not negated
    if isinstance(tree, Comparison):
        positive = _positive(tree, concept)
        if not negated:
            return positive
        if positive.op is Op.EMPTY:
            return positive.replace(negated=not positive.negated)
        flipped = _positive(positive.replace(negated=not positive.negated), concept)
        return fold(Or, [flipped, _empty(positive)], positive.span, keys)
    if isinstance(tree, Not):
        return _normal(tree.part, concept, not negated, keys)
    if isinstance(tree, (And, Or)):
        kind: type[And] | type[Or] = type(tree)
        if negated:
            kind = Or if kind is And else And
        parts = [_normal(part, concept, flipped, keys) for part, flipped in _alike(tree, negated)]
        return fold(kind, parts, tree.span, keys)
    raise TypeError(f"{type(tree).__name__} is not a filter")


def normalise(tree: Tree, concept: type[Any], keys: NodeKeys | None = None) -> Tree:
    """``not`` pushed inward (``not (F OP V)`` is ``F OP' V or F is empty``, since
    comparisons are false on missing values; ``not not F`` is ``F``), and/or
    flattened, constants folded, for a filter over ``concept``.

    One walk down the tree, carrying whether an odd number of ``not`` is above:
    linear in the filter's size, however many ``not`` and however deep.

    >>> from grammar import parse_filter
    >>> from procedures import Concept
    >>> class Letter(Concept):
    ...     english = "letter"
    ...     status: str | None = None
    ...     pages: int | None = None
    >>> print(normalise(parse_filter('not (status is "sent" and pages is less than 3)'), Letter))
    status is not "sent" or status is empty or pages is at least 3 or pages is empty
    """
    return _normal(tree, concept, False, NodeKeys() if keys is None else keys)
