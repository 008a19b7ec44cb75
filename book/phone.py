"""The phone-number kind: text that is fitted, compared and sent in E.164.

A field or a parameter marked ``PhoneNumber`` takes a number written in
international form (``"+1 (415) 555-0100"`` is ``+14155550100``); sender ids,
short codes and channel addresses (``whatsapp:+1...``) are kept as written. Two
numbers compare equal when their E.164 forms do; what one contains, starts or
ends with is plain text. The ``phonenumbers`` library that reads them is loaded
only when a number is first read.

>>> from procedures import type_of
>>> type_of(PhoneNumber).kind is PHONE, type_of(PhoneNumber).describe()
(True, 'a phone number')
>>> normalise_phone("+1 (415) 555-0100")
'+14155550100'
>>> PHONE.fold("+1 415 555 0100") == PHONE.fold("+14155550100")
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from procedures import Kind

__all__ = ["PHONE", "PhoneKind", "PhoneNumber", "normalise_phone"]

_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SHORT_CODE = re.compile(r"\d{3,8}")


def normalise_phone(text: str) -> str:
    """A phone number in E.164; sender ids, short codes and channel addresses as given.

    ``ValueError`` for an impossible number, with a message that says what to write.

    >>> normalise_phone("whatsapp:+14155550100"), normalise_phone("ACME"), normalise_phone("12345")
    ('whatsapp:+14155550100', 'ACME', '12345')
    """
    value = text.strip()
    if ":" in value or _SENDER_ID.fullmatch(value) or _SHORT_CODE.fullmatch(value):
        return value
    if not value.startswith("+"):
        raise ValueError(
            f"{text!r} is not a phone number in international form: start it with + and the country code"
        )
    import phonenumbers  # its metadata is loaded only when a number is first read

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number: {exc._msg}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{text!r} is not a possible phone number: it has the wrong number of digits")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    try:
        return normalise_phone(text).casefold()
    except ValueError:  # a stored value that is no number compares as text
        return text.casefold()


class PhoneKind(Kind):
    """Phone numbers: text fitted to E.164 and compared in it."""

    __slots__ = ()

    def fit(self, value: Any) -> Any:
        return normalise_phone(value)

    def fold(self, value: Any) -> Any:
        return _folded(value)


PHONE = PhoneKind("phone number", refines=Kind.TEXT)
PhoneNumber = Annotated[str, PHONE]
