"""Where the book keeps things on this machine: the default sandbox's file.

A small module of its own, so that the command can name it in its help without
loading the client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SANDBOX_VARIABLE", "default_sandbox"]

SANDBOX_VARIABLE = "SMS_BOOK_SANDBOX"


def default_sandbox(environ: Mapping[str, str] | None = None) -> Path:
    """Where the sandbox lives unless told: $SMS_BOOK_SANDBOX, else a file in the
    user's state directory."""
    found = (os.environ if environ is None else environ).get(SANDBOX_VARIABLE)
    if found:
        return Path(found)
    import platformdirs

    return Path(platformdirs.user_state_dir("sms-book", appauthor=False)) / "sandbox.sqlite3"
