"""``book mcp``: the book as an MCP server for AI agents, on stdio (the default) or
over streamable HTTP on loopback (--http). Tools: run (English steps, context kept
between calls), explain (how a read would be answered) and vocabulary. It connects
as the other commands do: Twilio when the environment has credentials, else the
sandbox. Nothing but the protocol goes to stdout; notes and logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from book.cli.output import Output, UsageError, plain
from book.cli.run import counting, options, send_limit, session_for

__all__ = ["add"]


def _serve(arguments: argparse.Namespace, output: Output) -> int:
    try:
        from book.agents import server
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] not in ("mcp", "mcp_types"):
            raise
        raise UsageError(
            "book mcp needs the Model Context Protocol SDK, an optional extra that is not installed",
            hint="Install it with: pip install 'sms-book[mcp]'",
        ) from None
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet = _Quiet("json")  # a connection's session is made without a note: it was said once, below
    first, stop = session_for(arguments, output, lambda line: None)
    stop()
    first.close()

    def open_session() -> Any:
        session, done = session_for(arguments, quiet, lambda line: None)
        done()
        return session

    mcp = server(open_session, shared=not arguments.http)  # on stdio, one client: one session
    if arguments.http:
        output.note(
            f"serving MCP over streamable HTTP at http://127.0.0.1:{arguments.port}/mcp (Ctrl-C stops)"
        )
        mcp.run("streamable-http", host="127.0.0.1", port=arguments.port)
    else:
        output.note("serving MCP on stdio")
        mcp.run("stdio")
    return 0


class _Quiet(Output):
    def note(self, text: str) -> None:
        """Nothing: the note was made once."""


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    serve = commands.add_parser(
        "mcp", help="serve the book to AI agents over MCP", description=plain(__doc__)
    )
    serve.add_argument(
        "--http", action="store_true", help="serve over streamable HTTP on loopback, not stdio"
    )
    serve.add_argument("--port", type=counting(1, 65535), default=8000, help="the HTTP port (default 8000)")
    send_limit(serve, "sends a step may make without confirmation (default 100)")
    options(serve)
    common(serve)
    serve.set_defaults(run=_serve)
