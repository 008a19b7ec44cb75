"""``book sandbox ...``: serve, inspect, seed, load, receive and reset the local sandbox."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from book.cli.output import Output, UsageError, plain
from book.cli.run import counting
from book.errors import SandboxError

__all__ = ["add"]

TICK = 0.25  # seconds between moves of a served sandbox's lifecycle (its status callbacks come on time)


def _open(arguments: argparse.Namespace) -> Any:
    """The sandbox at --sandbox, on the run's clock (SMS_BOOK_NOW fixes it)."""
    from book.connection import clock_from
    from book.sandbox import Sandbox

    return Sandbox(str(arguments.sandbox), clock=clock_from(os.environ))


def _serve(arguments: argparse.Namespace, output: Output) -> int:
    from book.sandbox import Server

    sandbox = _open(arguments)
    sandbox.webhooks.hosts = tuple(arguments.webhook_host)
    sandbox.sender_rate = arguments.sender_rate
    server = Server(sandbox, arguments.port, verbose=arguments.verbose, tick=TICK)
    output.note(f"serving the sandbox {arguments.sandbox} at {server.url} (Ctrl-C stops it)")
    output.note(f"account {sandbox.account.sid}; 'book sandbox info' shows its token")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _info(arguments: argparse.Namespace, output: Output) -> int:
    sandbox = _open(arguments)
    account = sandbox.account
    output.pairs(
        "Sandbox",
        [
            ("path", str(arguments.sandbox)),
            ("account_sid", account.sid),
            ("auth_token", account.token),
            ("api_keys", [sid for sid, _ in account.keys]),
            ("api_key_secrets", [secret for _, secret in account.keys]),
            ("numbers", list(account.numbers)),
            ("messaging_services", list(account.services)),
            ("messages", sandbox.count()),
            ("deliveries", [_delivery(found) for found in sandbox.state.deliveries(account.sid, last=5)]),
        ],
    )
    return 0


def _delivery(found: dict[str, Any]) -> str:
    """One webhook delivery in a line: when, what, where, how it went."""
    outcome = f"answered {found['status']}" if found.get("status") is not None else found.get("error")
    return f"{found['at']} {found['kind']} {found['sid']} -> {found['url']}: {outcome}"


def _seed(arguments: argparse.Namespace, output: Output) -> int:
    from book.sandbox import seed

    sandbox = _open(arguments)
    added = seed(sandbox, arguments.count, arguments.seed, days=arguments.days)
    output.pairs("Seeded", [("added", added), ("messages", sandbox.count())])
    return 0


def _load(arguments: argparse.Namespace, output: Output) -> int:
    from book.sandbox import load

    source = arguments.file
    try:
        text = sys.stdin.read() if str(source) == "-" else Path(source).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SandboxError(f"cannot read {source}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SandboxError(f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    sandbox = _open(arguments)
    added = load(sandbox, text)
    output.pairs("Loaded", [("loaded", added), ("messages", sandbox.count())])
    return 0


def _receive(arguments: argparse.Namespace, output: Output) -> int:
    sandbox = _open(arguments)
    sandbox.webhooks.hosts = tuple(arguments.webhook_host)
    message = sandbox.receive(sender=getattr(arguments, "from"), body=arguments.body, to=arguments.to)
    from book.resources.messages import WireMessage, message_from_wire
    from procedures import jsonable

    wire = WireMessage.model_validate(
        {key: value for key, value in message.items() if key not in ("webhook", "replies")}
    )
    received = jsonable(message_from_wire(wire))
    fields = (
        "sid",
        "sender_number",
        "recipient_number",
        "body",
        "status",
        "date_sent",
    )  # the concept's names
    shown = [(field if output.machine else field.replace("_", " "), received[field]) for field in fields]
    if "webhook" in message:  # the number has an SmsUrl: what it answered, and the replies that made
        hook = message["webhook"]
        outcome = f"answered {hook['status']}" if hook["status"] is not None else hook["error"]
        shown += [("webhook", f"{hook['url']}: {outcome}"), ("replies", message["replies"])]
    output.pairs("Received", shown)
    return 0


def _reset(arguments: argparse.Namespace, output: Output) -> int:
    try:
        sandbox = _open(arguments)
    except SandboxError:
        if not arguments.yes or not Path(arguments.sandbox).exists():
            raise
        from book.sandbox import State

        # A sandbox of another version, or a damaged one, is made afresh; discard
        # refuses a file that is not a sandbox's, and one another process holds.
        State.discard(arguments.sandbox)
        sandbox = _open(arguments)
    removed = sandbox.count()
    if removed and not arguments.yes:
        raise UsageError(
            f"this would forget the sandbox's {removed:,} messages and its account",
            hint="Run it again with --yes to go ahead.",
        )
    sandbox.reset()
    output.pairs("Reset", [("removed", removed), ("account_sid", sandbox.account.sid)])
    return 0


def port(text: str) -> int:
    """A TCP port: 0 to 65535."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: ports go from 0 to 65535")
    return value


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``sandbox`` and its sub-commands to the command's sub-parsers."""
    sandbox = commands.add_parser("sandbox", help="the local Twilio sandbox", description=plain(__doc__))
    actions = sandbox.add_subparsers(dest="action", metavar="ACTION", required=True)

    serve = actions.add_parser("serve", help="serve the sandbox over HTTP on loopback")
    serve.add_argument("--port", type=port, default=8573, help="the port on 127.0.0.1 (0: any free port)")
    serve.add_argument("--verbose", action="store_true", help="log each request")
    serve.add_argument(
        "--webhook-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host (beyond loopback) status callbacks and SmsUrls may be on; '*' for any",
    )
    serve.add_argument(
        "--sender-rate",
        type=counting(1),
        default=None,
        metavar="N",
        help="segments a second each number sends, as Twilio's long codes (1); default: no queue",
    )
    serve.set_defaults(run=_serve)

    info = actions.add_parser("info", help="the account: SID, token, numbers, message count")
    info.set_defaults(run=_info)

    seed = actions.add_parser("seed", help="add realistic messages")
    seed.add_argument("--count", type=counting(0), default=1000, help="how many (default 1000)")
    seed.add_argument("--seed", type=int, default=0, help="the same seed gives the same messages")
    seed.add_argument(
        "--days",
        type=counting(1, 36_500),
        default=365,
        help="spread over this many days up to now: 1 to 36500 (default 365)",
    )
    seed.set_defaults(run=_seed)

    load = actions.add_parser("load", help="load messages in Twilio's JSON form, kept exactly as given")
    load.add_argument("file", help="a JSON file: a list of messages or a list page ('-' reads stdin)")
    load.set_defaults(run=_load)

    receive = actions.add_parser("receive", help="inject an inbound message, as from a customer")
    receive.add_argument("--from", required=True, metavar="NUMBER", help="the customer's number")
    receive.add_argument("--body", required=True, help="what they wrote (STOP opts them out)")
    receive.add_argument(
        "--to", default=None, metavar="NUMBER", help="which of the account's numbers (default: the first)"
    )
    receive.add_argument(
        "--webhook-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host (beyond loopback) the number's SmsUrl may be on; '*' for any",
    )
    receive.set_defaults(run=_receive)

    reset = actions.add_parser("reset", help="forget every message and make a new account")
    reset.add_argument("--yes", action="store_true", help="go ahead even when the sandbox holds messages")
    reset.set_defaults(run=_reset)

    for action in (serve, info, seed, load, receive, reset):
        common(action)
