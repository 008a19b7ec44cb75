"""Where the message concept used to live: it is declared with its resource now
(book/resources/messages.py). Kept while the code moves over; to be removed."""

from book.resources.messages import (
    DIRECTIONS,
    MESSAGES,
    STATUSES,
    SmsMessage,
    message_from_wire,
    message_to_wire,
)

__all__ = ["DIRECTIONS", "STATUSES", "SmsMessage", "field_named", "message_from_wire", "message_to_wire"]

field_named = MESSAGES.field_named
