"""The local Twilio sandbox: a faithful, stateful emulator of the Messages resource.

Without Twilio credentials the book runs on it; every test and benchmark runs
against it. State lives in SQLite (a file, or memory); the emulated API answers
in process, as an httpx transport, or on loopback, as a real HTTP server. See
docs/sandbox.md for its accounts, numbers, lifecycle and faults.
"""

from book.sandbox.app import DEFAULT_NUMBERS, Reply, Sandbox
from book.sandbox.faults import Fault, Faults
from book.sandbox.seed import load, seed
from book.sandbox.server import Server, serve
from book.sandbox.state import Account, State
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
