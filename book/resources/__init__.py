"""The book's Twilio resources, each declared once as data (book/resource.py).

``RESOURCES`` lists them; a new resource is one module here, one procedures
module (book/procedures/) and one sandbox module (book/sandbox/).
"""

from __future__ import annotations

from book.resources.media import MEDIA
from book.resources.messages import MESSAGES
from book.resources.numbers import NUMBERS

__all__ = ["MEDIA", "MESSAGES", "NUMBERS", "RESOURCES"]

RESOURCES = (MESSAGES, NUMBERS, MEDIA)
