"""The sids the sandbox makes (a prefix and 32 hexadecimal digits, as Twilio's), and where its routes find them.

A derived sid is the same for the same parts (an account's API key, its numbers,
a message's media, the messages of a fixed history), so that runs repeat
exactly; a random one is new each time (a new account).

>>> derived("PN", "AC" + "0" * 32, "number", "+15005550006") == derived("PN", "AC" + "0" * 32, "number", "+15005550006")
True
>>> len(derived("ME", "SM" + "0" * 32, "media", 0)), random("AC")[:2]
(34, 'AC')
"""

from __future__ import annotations

import hashlib
import secrets

from book.credentials import ACCOUNT_SID
from book.wire import API_VERSION

__all__ = ["ACCOUNT_PATH", "derived", "random"]

ACCOUNT_PATH = rf"/{API_VERSION}/Accounts/({ACCOUNT_SID.pattern})"
"""The path an account's resources are under, as a pattern: the account's sid is its first group;
each resource's route adds its own path, with the sid pattern its declaration has (book/resources/)."""


def derived(prefix: str, *parts: object) -> str:
    """The sid that ``parts`` give: ``prefix`` and the first 32 hexadecimal digits
    of the SHA-256 of the parts written with ``:`` between them."""
    text = ":".join(str(part) for part in parts)
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:32]


def random(prefix: str) -> str:
    """A new sid, drawn at random."""
    return prefix + secrets.token_hex(16)
