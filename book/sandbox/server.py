"""The sandbox on loopback: a real HTTP server, so that any Twilio client can use it.

``serve(sandbox, port=0)`` starts a threaded HTTP/1.1 server on 127.0.0.1 in a
background thread and returns it (``server.url``); ``book sandbox serve`` runs
one in the foreground. Point a client at ``server.url`` with the sandbox's
Account SID and token, e.g. the official library's ``client.api.base_url``.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from book.errors import SandboxError
from book.sandbox.app import Sandbox

__all__ = ["Server", "serve"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        content = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        reply = self.server.sandbox.handle(
            self.command,
            parts.path,
            parse_qsl(parts.query, keep_blank_values=True),
            parse_qsl(content.decode(), keep_blank_values=True),
            self.headers.get("Authorization"),
        )
        if reply.delay:
            time.sleep(reply.delay)
        if reply.lost:  # committed, then the connection drops without an answer
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = _answer  # noqa: N815 - the names http.server looks up
    do_POST = _answer  # noqa: N815
    do_DELETE = _answer  # noqa: N815
    do_PUT = _answer  # noqa: N815 - answered as Twilio does: 405 with code 20004
    do_PATCH = _answer  # noqa: N815
    do_OPTIONS = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class Server(ThreadingHTTPServer):
    """The loopback server of one sandbox."""

    daemon_threads = True
    request_queue_size = 512  # many clients at once must queue, not be refused

    def __init__(self, sandbox: Sandbox, port: int, verbose: bool = False) -> None:
        self.sandbox = sandbox
        self.verbose = verbose
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SandboxError(
                f"cannot serve the sandbox on port {port}: {reason}", hint="Choose another --port."
            ) from exc

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the base URL for clients."""
        return f"http://127.0.0.1:{self.server_address[1]}"


def serve(sandbox: Sandbox, port: int = 0, verbose: bool = False) -> Server:
    """Start serving in a background thread; ``server.shutdown()`` stops it."""
    server = Server(sandbox, port, verbose)
    threading.Thread(target=server.serve_forever, name="sandbox-server", daemon=True).start()
    return server
