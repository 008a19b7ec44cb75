"""``book listen``: run a script's ``when ...`` blocks as events happen.

By default it serves Twilio's webhooks on HTTP (POST /sms for inbound messages,
POST /status for status callbacks), checking each request's signature; with
--poll it reads new inbound messages every few seconds instead, for a book with
no public URL. Each event's handlers run once: the record of events (--store)
remembers what ran, across restarts. One line per event goes to stdout (JSON
lines with --format json); notes go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from book.cli.output import Output, UsageError, plain
from book.cli.run import english, options, session_for

__all__ = ["add"]


def _token(connection: Any) -> str:
    """The auth token that checks Twilio's signatures: the sandbox's own, or
    TWILIO_AUTH_TOKEN (also with API-key credentials, which cannot check them)."""
    if connection.sandbox is not None:
        return str(connection.sandbox.account.token)
    token = os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if not token:
        from book.errors import ConfigurationError

        raise ConfigurationError(
            "book listen checks each webhook's X-Twilio-Signature with the account's auth token, "
            "and TWILIO_AUTH_TOKEN is not set",
            hint="With API-key credentials (TWILIO_API_KEY), set TWILIO_AUTH_TOKEN too: an API key "
            "cannot check Twilio's signatures, and the book never skips the check. Or use --poll.",
        )
    return token


class Log:
    """One line per event on stdout, and a live count on a terminal's stderr."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.counts = {"received": 0, "status": 0, "failed": 0, "unknown": 0}
        self._status: Any = None
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(self._counted())
            self._status.start()

    def __call__(self, handled: Any) -> None:
        self.counts[handled.kind] += 1
        self.counts["failed"] += handled.failed
        self.counts["unknown"] += handled.outcome.startswith("unknown")
        line = (
            json.dumps(handled.to_dict(), ensure_ascii=False)
            if self.format in ("json", "jsonl")
            else handled.line()
        )
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        if self._status is not None:
            self._status.update(self._counted())

    def _counted(self) -> str:
        return "listening: " + ", ".join(f"{count:,} {what}" for what, count in self.counts.items())

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()


def _release(arguments: argparse.Namespace, output: Output) -> int:
    """Let unknown events of the messages named run again (once an operator has
    looked: the handler did not finish what it does)."""
    from book.listen import SqliteStore, default_path

    with SqliteStore.open(arguments.store or default_path()) as store:
        found = [record for record in store.unknown if record.key[1] in arguments.release]
        for record in found:
            store.release(record.key)
            output.note(f"released: {' '.join(record.key)} runs again when it comes again")
    missing = set(arguments.release) - {record.key[1] for record in found}
    if missing:
        raise UsageError(
            f"no unknown event of {', '.join(sorted(missing))} in {store.path}",
            hint="Only events a process started and never finished are released; they are listed when book listen starts.",
        )
    return 0


def _listen(arguments: argparse.Namespace, output: Output) -> int:
    if arguments.release:
        return _release(arguments, output)
    from grammar import parse_script

    text = english(arguments, example="book listen examples/reply-when-received.english")
    script = parse_script(text)
    said = output.said if not output.machine else (lambda line: None)  # JSON: in each event's line
    session, stop_progress = session_for(arguments, output, said)
    stop_progress()
    try:
        return asyncio.run(_main(arguments, output, session, text, script))
    finally:
        session.close()


async def _main(arguments: argparse.Namespace, output: Output, session: Any, text: str, script: Any) -> int:
    from book.connection import Connection
    from book.listen import SqliteStore, default_path
    from book.listen.listener import Listener
    from grammar import Handler

    if not any(isinstance(statement, Handler) for statement in script.statements):
        raise UsageError(
            f"{arguments.file or 'the script'} has no 'when ...' block: there is nothing to listen for",
            hint="Write one, such as: when an SMS message is received (then the lines it runs, indented).",
        )
    rest = session.keep_handlers(script, text)

    async def first() -> None:
        """What the script does besides its blocks, once (as ``book run`` would)."""
        if rest.statements:
            await session.arun(text, rest)

    connection = session.resources[Connection]
    store = SqliteStore.open(arguments.store or default_path())
    log = Log(output.format)
    try:
        for record in store.unknown:
            what = f"{' '.join(record.key)} was started by process {record.pid} at "
            what += f"{record.started.isoformat(timespec='seconds')} and never finished"
            if record.rerun:  # its handlers changed nothing outside: it runs again when it comes again
                output.note(f"interrupted: {what}; its handlers send and change nothing, so it runs again")
            else:
                output.note(f"unknown: {what}; it will not run again unless released (see docs/listening.md)")
        statuses = _statuses(session)
        listener = Listener(
            session, store, source=text, concurrency=arguments.handlers, log=log, statuses=statuses
        )
        if arguments.poll:
            await first()
            return await _poll(arguments, output, session, connection, listener, store)
        return await _serve(arguments, output, session, connection, listener, first)
    finally:
        log.stop()
        store.close()


def _statuses(session: Any) -> Callable[[str, str], None]:
    """What tells a ``wait until`` of the status callbacks that come in."""
    from book.procedures.waiting import Statuses

    statuses = session.resources.get(Statuses)
    if statuses is None:
        statuses = Statuses()
        session.resources[Statuses] = statuses
    notify: Callable[[str, str], None] = statuses.notify
    return notify


async def _serve(
    arguments: argparse.Namespace,
    output: Output,
    session: Any,
    connection: Any,
    listener: Any,
    first: Callable[[], Awaitable[None]],
) -> int:
    import uvicorn

    from book.listen.app import application

    token = _token(connection)
    family = socket.AF_INET6 if ":" in arguments.host else socket.AF_INET
    listening = socket.socket(
        family, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )  # asyncio sets TCP_NODELAY on it
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((arguments.host, arguments.port))
    except OSError as exc:
        raise UsageError(f"cannot listen on {arguments.host}:{arguments.port}: {exc.strerror}") from exc
    port = listening.getsockname()[1]
    local = f"http://{arguments.host if ':' not in arguments.host else f'[{arguments.host}]'}:{port}"
    public = (arguments.public_url or local).rstrip("/")
    if arguments.configure:
        await _configure(output, session, connection, arguments.number, public + "/sms")
    connection.status_callback = public + "/status"  # sends made from here report back here
    app = application(listener, token, arguments.public_url)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    output.note(
        f"listening for webhooks at {local} (POST /sms: inbound messages, POST /status: status callbacks); "
        f"signatures checked for {public}; Ctrl-C stops"
    )
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started and not serving.done():  # the script's first lines may wait for callbacks
        await asyncio.sleep(0.01)
    try:
        await first()
    except BaseException:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await serving
        raise
    await serving
    return 0


async def _configure(output: Output, session: Any, connection: Any, numbers: list[str], url: str) -> None:
    """Point the numbers' SMS URL at the listener, through the phone-number procedure."""
    if not numbers:
        if connection.sandbox is not None:
            numbers = [connection.sandbox.senders()[0]]  # where 'book sandbox receive' sends by default
        else:
            found = await session.arun("read some phone numbers")
            if len(found.value) != 1:
                raise UsageError(
                    f"the account has {len(found.value)} phone numbers: name the one(s) to configure",
                    hint="Add --number +1... (once per number).",
                )
            numbers = [str(found.value[0].phone_number)]
    for number in numbers:
        await session.arun(
            f'set the SMS URL of a phone number whose phone number is "{number}" where the SMS URL is "{url}"'
        )
        output.note(f"configured: messages to {number} now come to {url}")


async def _poll(
    arguments: argparse.Namespace, output: Output, session: Any, connection: Any, listener: Any, store: Any
) -> int:
    from book.listen.poller import Poller

    client = connection.async_client()
    poller = Poller(
        listener,
        client,
        store,
        account=connection.credentials.account_sid,
        now=session.clock.now,
        interval=arguments.interval,
        lookback=dt.timedelta(seconds=arguments.lookback),
        note=output.note,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    output.note(
        f"polling {connection.describe()} every {arguments.interval:g} s for inbound messages "
        f"(lookback {arguments.lookback:g} s; no webhooks); Ctrl-C stops"
    )
    await poller.run(stop)
    return 0


def _seconds(least: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not least <= value <= 86_400:
            raise argparse.ArgumentTypeError(f"{value:g} is not {least:g} to 86400 seconds")
        return value

    return parse


def _url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL with a host (and no query)")
    if parts.username or parts.password:
        raise argparse.ArgumentTypeError("the public URL must not hold credentials")
    return text


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    from book.cli.run import counting

    listen = commands.add_parser(
        "listen", help="run a script's 'when' blocks as events happen", description=plain(__doc__)
    )
    listen.add_argument("file", nargs="?", help="a script file with 'when ...' blocks ('-' reads stdin)")
    listen.add_argument(
        "-e", dest="expression", action="append", metavar="ENGLISH", help="English instead of a file"
    )
    listen.add_argument(
        "--port",
        type=counting(0, 65535),
        default=8080,
        help="the port to serve on (default 8080; 0: any free one)",
    )
    listen.add_argument("--host", default="127.0.0.1", help="the address to serve on (default 127.0.0.1)")
    listen.add_argument(
        "--public-url",
        type=_url,
        metavar="URL",
        help="the URL Twilio calls (and signs), when a proxy or tunnel stands in front: https://example.com",
    )
    listen.add_argument(
        "--configure",
        action="store_true",
        help="set the receiving number's SMS URL to this listener (on the sandbox: the number "
        "'book sandbox receive' sends to)",
    )
    listen.add_argument(
        "--number", action="append", default=[], metavar="NUMBER", help="the number --configure sets"
    )
    listen.add_argument(
        "--poll", action="store_true", help="read new inbound messages instead of serving webhooks"
    )
    listen.add_argument(
        "--interval",
        type=_seconds(0.05),
        default=5.0,
        metavar="SECONDS",
        help="seconds between polls (default 5)",
    )
    listen.add_argument(
        "--lookback",
        type=_seconds(0),
        default=120.0,
        metavar="SECONDS",
        help="how far back each poll looks for messages dated late (default 120)",
    )
    listen.add_argument(
        "--handlers", type=counting(1), default=8, metavar="N", help="handlers run at once (default 8)"
    )
    listen.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="PATH",
        help="the record of events handled (default: listen.sqlite3 in your state directory)",
    )
    listen.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="SID",
        help="let an unknown event of this message run again, once you know its handler did not finish; then exit",
    )
    options(listen)
    common(listen)
    listen.set_defaults(run=_listen)
