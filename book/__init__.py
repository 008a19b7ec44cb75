"""The Twilio book: concepts, connection, client, planner, sandbox, procedures and the ``book`` command.

It stands on ``procedures`` (registry and runtime), which stands on ``grammar``.
"""

from typing import Any

__all__ = ["open_session"]


def __getattr__(name: str) -> Any:
    """``book.open_session``, imported when first used (``book`` itself stays light)."""
    if name == "open_session":
        from book.session import open_session

        return open_session
    raise AttributeError(f"module 'book' has no attribute {name!r}")
