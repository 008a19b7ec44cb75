"""The tree: positions travel on nodes but take no part in equality; nodes are immutable;
the parser is built once, strict, and shared safely between threads."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from grammar import (
    Comparison,
    Date,
    DateTime,
    NounPhrase,
    Number,
    Op,
    Reference,
    Span,
    Text,
    parse_filter,
    parse_script,
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
