"""The tree: positions travel on nodes but take no part in equality; nodes are immutable;
the parser is built once, strict, and shared safely between threads; walk, find_all and
transform visit every node once, in order, at any depth."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import strategies
from hypothesis import given, settings

from grammar import (
    And,
    Comparison,
    Date,
    DateTime,
    Filter,
    Node,
    Not,
    NounPhrase,
    Number,
    Op,
    Or,
    Reference,
    Script,
    Span,
    Text,
    children,
    find_all,
    parse_filter,
    parse_script,
    transform,
    walk,
)
from grammar.parser import parser


def test_spans_point_into_the_source() -> None:
    source = 'say "hi"\nread some SMS messages whose date sent is after 2024-03-01'
    call = parse_script(source).statements[1]
    assert call.span == Span(2, 1, 2, 59, 9, 67)
    assert source[call.span.start : call.span.end] == source.split("\n")[1]
    comparison = call.filter
    assert isinstance(comparison, Comparison)
    assert source[comparison.span.start : comparison.span.end] == "date sent is after 2024-03-01"
    value = comparison.values[0]
    assert (value.span.line, value.span.column) == (2, 49)
    assert source[value.span.start : value.span.end] == "2024-03-01"


def test_equality_ignores_positions_and_spacing() -> None:
    one = parse_filter('sender number is "+15005550006"')
    other = parse_filter('   sender   number  is   "+15005550006"  ')
    assert one == other
    assert hash(one) == hash(other)
    assert one.span != other.span


def test_values_are_typed() -> None:
    assert parse_filter("price is -0.0075").values == (Number(Decimal("-0.0075")),)
    assert parse_filter("date sent is 2024-03-01").values == (Date(dt.date(2024, 3, 1)),)
    (value,) = parse_filter("date sent is after 2024-03-01T15:00:00+02:00").values
    assert isinstance(value, DateTime)
    assert value.value == dt.datetime(2024, 3, 1, 13, tzinfo=dt.UTC)
    assert value.value.utcoffset() == dt.timedelta(hours=2)
    assert parse_filter('body is "MiXeD Case"').values == (Text("MiXeD Case"),)
    assert parse_filter("sender number is the SMS message's recipient number").values == (
        Reference.of("SMS message", "recipient number"),
    )


def test_negated_operator_differs_from_not() -> None:
    negated = parse_filter('status is not "sent"')
    assert negated == Comparison(NounPhrase.of("status"), Op.IS, (Text("sent"),), negated=True)
    assert negated != parse_filter('not status is "sent"')


def test_nodes_refuse_mutation_with_a_helpful_message() -> None:
    tree = parse_filter('status is "sent"')
    with pytest.raises(AttributeError, match=r"Comparison is immutable: use \.replace\(op=\.\.\.\)"):
        tree.op = Op.CONTAINS  # type: ignore[misc]
    changed = tree.replace(op=Op.CONTAINS)
    assert str(changed) == 'status contains "sent"'
    assert changed.span == tree.span


def test_invalid_trees_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="takes 2 values"):
        Comparison(NounPhrase.of("date sent"), Op.BETWEEN, (Date(dt.date(2024, 3, 1)),))
    with pytest.raises(ValueError, match="not a word"):
        NounPhrase(("two words",))


def test_parser_is_built_once_strict_lalr() -> None:
    assert parser() is parser()
    options = parser().options
    assert (options.parser, options.lexer, options.strict) == ("lalr", "contextual", True)


def test_one_parser_serves_many_threads() -> None:
    scripts = [f'if the x is {n} then\n  say "{n}"\nelse\n  say "no"' for n in range(200)]
    with ThreadPoolExecutor(8) as pool:
        trees = list(pool.map(parse_script, scripts))
    assert [str(tree) for tree in trees] == scripts


# ---------------------------------------------------------- walk, find_all, transform

TREES = settings(max_examples=50, deadline=None)  # trees are slow to draw; the round trips draw more


def _recursive(node: Node) -> list[Node]:
    """Every node, pre-order, found by recursion over the record's fields (the oracle)."""
    found = [node]
    for field in type(node)._attributes:
        value = getattr(node, field)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Node):
                found += _recursive(item)
    return found


@TREES
@given(strategies.scripts)
def test_walk_visits_every_node_once_in_pre_order(script: Script) -> None:
    assert [id(node) for node in walk(script)] == [id(node) for node in _recursive(script)]


@TREES
@given(strategies.filters)
def test_find_all_is_walk_filtered_by_type(tree: Filter) -> None:
    assert list(find_all(tree, Comparison)) == [node for node in walk(tree) if isinstance(node, Comparison)]
    assert list(find_all(tree, (And, Or))) == [node for node in walk(tree) if isinstance(node, (And, Or))]


@TREES
@given(strategies.scripts)
def test_transform_with_identity_returns_the_same_tree(script: Script) -> None:
    assert transform(script, lambda node: node) is script


@TREES
@given(strategies.filters)
def test_transform_rebuilds_bottom_up_and_only_what_changed(tree: Filter) -> None:
    """Negating every comparison changes each comparison and every node above one,
    sees children before their parent, and done twice gives the tree back."""
    seen: list[Node] = []  # what the function was given and what it gave, in turn

    def negate(node: Node) -> Node:
        result = node.replace(negated=not node.negated) if isinstance(node, Comparison) else node
        seen.extend((node, result))
        return result

    negated = transform(tree, negate)
    assert len(seen) == 2 * len(list(walk(tree)))
    for index, node in enumerate(seen[::2]):  # each node after its children
        assert all(any(child is earlier for earlier in seen[: 2 * index]) for child in children(node))
    assert [node.negated for node in find_all(negated, Comparison)] == [
        not node.negated for node in find_all(tree, Comparison)
    ]
    assert negated is not tree
    assert transform(negated, negate) == tree
    unchanged = list(find_all(tree, NounPhrase))
    assert all(any(node is old for old in unchanged) for node in find_all(negated, NounPhrase))


def test_deep_trees_are_walked_and_transformed_without_recursion() -> None:
    depth = 10_000
    leaf = Comparison(NounPhrase.of("status"), Op.IS, (Text("sent"),))
    tree: Filter = leaf
    for level in range(depth):
        tree = Not(tree) if level % 2 else And((tree, leaf))
    comparisons = depth // 2 + 1  # each with its noun phrase and its text
    assert sum(1 for _ in walk(tree)) == depth + 3 * comparisons
    assert sum(1 for _ in find_all(tree, Comparison)) == comparisons
    assert transform(tree, lambda node: node) is tree
    changed = transform(
        tree, lambda node: node.replace(op=Op.CONTAINS) if isinstance(node, Comparison) else node
    )
    assert all(node.op is Op.CONTAINS for node in find_all(changed, Comparison))
