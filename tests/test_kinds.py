"""Kinds a book adds: a kind marked on a field is fitted, folded, compared and
described by the generic machinery, as the Twilio book's phone numbers are; the
procedures package itself knows no phone numbers."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Annotated, Any

import pytest

from book.phone import PHONE, PhoneNumber
from grammar import Op, parse_filter
from procedures import (
    Binder,
    Concept,
    Filter,
    Kind,
    Registry,
    Type,
    ValueTypeError,
    compare,
    holds,
    type_of,
    vocabulary,
)

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


class PostcodeKind(Kind):
    """A UK postcode: written in any case and spacing, kept as ``SW1A 1AA``."""

    __slots__ = ()

    def fit(self, value: Any) -> Any:
        letters = value.replace(" ", "").upper()
        if not 5 <= len(letters) <= 7 or not letters[-3].isdigit():
            raise ValueError(f"{value!r} is not a postcode: write it as SW1A 1AA")
        return f"{letters[:-3]} {letters[-3:]}"

    def fold(self, value: Any) -> Any:
        return value.replace(" ", "").casefold()


POSTCODE = PostcodeKind("postcode", (Op.IS, Op.ONE_OF, Op.STARTS_WITH, Op.EMPTY), refines=Kind.TEXT)
Postcode = Annotated[str, POSTCODE]


class Address(Concept):
    english = "address"

    postcode: Postcode | None = None
    line: str | None = None


def _bound(text: str) -> Any:
    return Binder(now=NOW, timezone=dt.UTC, resolve=None).filter(parse_filter(text), Address)


def test_a_marked_field_has_the_books_kind() -> None:
    postcode = type_of(Postcode | None)
    assert postcode == Type(POSTCODE, optional=True)
    assert postcode.kind.textual and postcode.kind.base is Kind.TEXT
    assert postcode.describe() == "a postcode"
    assert type_of(Annotated[int, POSTCODE]).kind is Kind.NUMBER  # a text kind does not mark a number


def test_written_values_are_fitted_by_the_kind() -> None:
    assert str(_bound('postcode is "sw1a1aa"')) == 'postcode is "SW1A 1AA"'
    assert str(_bound('postcode starts with "sw1"')) == 'postcode starts with "sw1"'  # a part is text
    with pytest.raises(ValueTypeError, match="is not a postcode: write it as SW1A 1AA"):
        _bound('postcode is "nowhere"')
    with pytest.raises(ValueTypeError, match="'postcode' takes a postcode, not the number 3"):
        _bound("postcode is 3")


def test_only_the_kinds_operators_apply() -> None:
    with pytest.raises(
        ValueTypeError, match="'contains' does not apply to 'postcode', which is a postcode"
    ) as caught:
        _bound('postcode contains "1A"')
    assert caught.value.hint == "For a postcode use 'is', 'is one of', 'starts with', 'is empty'."


@pytest.mark.parametrize(
    ("stored", "text", "expected"),
    [
        ("SW1A1AA", 'postcode is "sw1a 1aa"', True),  # folded: no spaces, no case
        ("sw1a 1aa", 'postcode is one of "EC1A 1BB" or "SW1A 1AA"', True),
        ("SW1A 1AA", 'postcode is not "EC1A 1BB"', True),
        ("SW1A 1AA", 'postcode starts with "SW1 A"', True),
        ("EC1A 1BB", 'postcode starts with "sw"', False),
        (None, 'postcode is not "EC1A 1BB"', False),  # missing: every comparison is false
    ],
)
def test_values_compare_after_the_kinds_fold(stored: str | None, text: str, expected: bool) -> None:
    assert holds(_bound(text), Address(postcode=stored), Address, dt.UTC) is expected


def test_compare_and_type_fold_use_the_kind() -> None:
    postcode = Type(POSTCODE)
    assert postcode.fold("SW1A 1AA") == "sw1a1aa"
    assert compare("sw1a1aa", postcode, Op.IS, ("SW1A 1AA",), False, dt.UTC)
    assert not compare("sw1a1aa", Type(Kind.TEXT), Op.IS, ("SW1A 1AA",), False, dt.UTC)


def test_the_vocabulary_shows_the_kinds_operators() -> None:
    registry = Registry()

    @registry.procedure("to find some (addresses)")
    def find_addresses(filter: Filter[Address] | None) -> list[Address]:
        """Finds addresses."""
        return []

    (entry,) = vocabulary(registry)
    (field,) = (field for field in entry["filter"]["fields"] if field["name"] == "postcode")
    assert field["type"] == "a postcode"
    assert field["operators"] == ["is", "is one of", "starts with", "is empty"]


def test_the_phone_kind_is_the_books() -> None:
    assert type_of(PhoneNumber).kind is PHONE and PHONE.textual
    assert PHONE.fit("+1 (415) 555-0100") == "+14155550100"
    assert compare("+14155550100", Type(PHONE), Op.IS, ("+1 415 555 0100",), False, dt.UTC)
    assert pickle.loads(pickle.dumps(Type(Kind.TIME))).kind is Kind.TIME


def test_procedures_know_no_phone_numbers() -> None:
    package = Path(__file__).parent.parent / "procedures"
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("phonenumbers", "PhoneNumber", "normalise_phone", "E.164"):
            assert word not in text, f"{path.name} names {word}"
