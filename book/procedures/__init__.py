"""The Twilio book's procedures, one module per resource, and the book's registry.

``registry`` is the book's whole vocabulary: the procedures every book has
(``procedures.core``) and those of each module listed in ``PARTS``, merged. No
procedure is registered anywhere by importing a module: a module fills its own
``registry``, and a session is given the book's (``book.open_session`` does).
A new resource's procedures are a new module here, added to ``PARTS``; each
procedure is imported from its module (``book.procedures.messages.send_message``).
"""

from book.procedures import media, messages, numbers, requests
from book.procedures.messages import ConfirmationError
from procedures import Registry, core

__all__ = ["PARTS", "ConfirmationError", "registry"]

PARTS: tuple[Registry, ...] = (core, messages.registry, numbers.registry, media.registry, requests.registry)
"""The registries the book's is made of: the core conversions, then one per module."""

registry = Registry()
for part in PARTS:
    registry.merge(part)
