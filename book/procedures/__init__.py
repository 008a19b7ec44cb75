"""The Twilio book's procedures, one module per resource, and the book's registry.

``registry`` is the book's whole vocabulary: the procedures every book has
(``procedures.core``) and those of each module listed in ``PARTS``, merged. No
procedure is registered anywhere by importing a module: a module fills its own
``registry``, and a session is given the book's (``book.open_session`` does).
A new resource's procedures are a new module here, added to ``PARTS``.
"""

from book.procedures import media, messages, numbers, requests
from book.procedures.messages import (
    ConfirmationError,
    cancel_message,
    cancel_messages,
    delete_message,
    delete_messages,
    plan_read,
    read_messages,
    redact_message,
    redact_messages,
    send_message,
)
from procedures import Registry, core

__all__ = [
    "PARTS",
    "ConfirmationError",
    "cancel_message",
    "cancel_messages",
    "delete_message",
    "delete_messages",
    "plan_read",
    "read_messages",
    "redact_message",
    "redact_messages",
    "registry",
    "send_message",
]

PARTS: tuple[Registry, ...] = (core, messages.registry, numbers.registry, media.registry, requests.registry)
"""The registries the book's is made of: the core conversions, then one per module."""

registry = Registry()
for part in PARTS:
    registry.merge(part)
