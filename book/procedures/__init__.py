"""The Twilio book's procedures, one module per resource: ``messages`` (send, read,
redact, cancel and delete SMS messages).

Importing this package registers them in the default registry.
"""

from book.procedures.messages import (
    ConfirmationError,
    cancel_message,
    cancel_messages,
    delete_message,
    delete_messages,
    read_messages,
    redact_message,
    redact_messages,
    send_message,
)

__all__ = [
    "ConfirmationError",
    "cancel_message",
    "cancel_messages",
    "delete_message",
    "delete_messages",
    "read_messages",
    "redact_message",
    "redact_messages",
    "send_message",
]
