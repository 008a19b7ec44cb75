"""The ``book`` command: run English against Twilio or the local sandbox, and tend the sandbox.

Exit codes: 0 success; 2 a language or usage error (printed with a caret under
the offending words); 1 anything else (printed with Twilio's code and link).
"""

from book.cli.main import main

__all__ = ["main"]
