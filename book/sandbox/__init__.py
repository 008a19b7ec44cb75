"""The local Twilio sandbox: a faithful, stateful emulator of the Messages resource.

Without Twilio credentials the book runs on it; every test and benchmark runs
against it. State lives in SQLite (a file, or memory); the emulated API is one
ASGI app, which answers in process, as an httpx transport, or on loopback,
served by uvicorn. See docs/sandbox.md for its accounts, numbers, lifecycle,
faults and HTTP limits.
"""

from typing import TYPE_CHECKING

from book.sandbox.app import DEFAULT_NUMBERS, Reply, Sandbox
from book.sandbox.faults import Fault, Faults
from book.sandbox.seed import load, seed
from book.sandbox.state import Account, State

if TYPE_CHECKING:
    from book.sandbox.server import Server, serve
    from book.sandbox.transport import SandboxTransport

__all__ = [
    "DEFAULT_NUMBERS",
    "Account",
    "Fault",
    "Faults",
    "Reply",
    "Sandbox",
    "SandboxTransport",
    "Server",
    "State",
    "load",
    "seed",
    "serve",
]


def __getattr__(name: str) -> object:
    """``Server`` and ``serve``, imported when first asked for: uvicorn loads only to
    serve; ``SandboxTransport`` too: Starlette and anyio load only for a request."""
    if name in ("Server", "serve"):
        from book.sandbox import server

        return getattr(server, name)
    if name == "SandboxTransport":
        from book.sandbox.transport import SandboxTransport

        return SandboxTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
