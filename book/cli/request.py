"""``book request``: any request of Twilio's API, with the book's credentials, retries and errors.

For what the book has no English for yet. The path is on Twilio's host (or the
sandbox's), ``{AccountSid}`` in it is the account's sid; ``-d NAME=VALUE``
gives a parameter (a query parameter of a GET or DELETE, a form field of a
POST), each value as written. A POST or a DELETE is sent only with --yes,
and a POST is never sent twice after it may have arrived. The answer is
printed as the JSON Twilio gave (whatever --format says), with any secret in
it (an auth token, a new API key's secret) shown as ***.

Example: book request GET '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json' -d PageSize=20
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from book.cli.output import Output, UsageError, plain

__all__ = ["add"]


def _request(arguments: argparse.Namespace, output: Output) -> int:
    from book.connection import Connection

    form = []
    for given in arguments.data or ():
        name, equals, value = given.partition("=")
        if not equals or not name:
            raise UsageError(
                f"-d {given!r} is not a parameter: write -d NAME=VALUE",
                hint="For example: -d To=+14155550100",
            )
        form.append((name, value))
    if getattr(arguments, "sandbox_given", False):
        from pathlib import Path

        if not Path(arguments.sandbox).exists():
            raise UsageError(f"there is no sandbox at {arguments.sandbox}")
    connection = Connection.choose(arguments.sandbox)
    output.note(f"using {connection.describe()}")
    if arguments.method.upper() != "GET" and not arguments.yes:
        request = connection.client().api.request(arguments.method, arguments.path, tuple(form))
        raise UsageError(
            f"a {request.method} may change or create things, and the book cannot know what "
            f"{request.path} does; nothing was sent",
            hint="Add --yes to send it.",
        )
    answer = connection.client().request(arguments.method, arguments.path, tuple(form))
    output.json(answer)
    return 0


def add(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    request = commands.add_parser(
        "request", help="send any request of Twilio's API (an escape hatch)", description=plain(__doc__)
    )
    request.add_argument(
        "method", choices=("GET", "POST", "DELETE", "get", "post", "delete"), help="the method"
    )
    request.add_argument("path", help="the path, such as /2010-04-01/Accounts/{AccountSid}/Calls.json")
    request.add_argument(
        "-d", dest="data", action="append", metavar="NAME=VALUE", help="a parameter (repeat for several)"
    )
    request.add_argument("--yes", action="store_true", help="send a POST or DELETE (it may change things)")
    common(request)
    request.set_defaults(run=_request)
