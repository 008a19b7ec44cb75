"""The escape hatch: any request of Twilio's API, for what the book has no English for yet.

``to send a *Twilio* request`` sends one request (a method, a path under Twilio's
host, its parameters) with the connection's credentials, retried by its safety as
every request of the book (a POST is never sent twice after it may have arrived),
its errors the book's, and answers the JSON Twilio gave. ``{AccountSid}`` in the
path is the account's sid. The book cannot know what a path does, so each such
request counts as a change: a run makes one unasked, more with ``--yes``, and a
dry run sends none but a GET.
"""

from __future__ import annotations

from typing import Any

from book.errors import InvalidRequestError
from book.procedures.connected import connection, settings
from procedures import Context, Registry
from procedures.effects import Effect

__all__ = ["parameters_of", "registry", "send_request"]

registry = Registry()


def parameters_of(text: str | None) -> tuple[tuple[str, str], ...]:
    """``"To=+14155550100&From=+15005550006"`` as Twilio's form fields, each value
    as written (no percent-decoding: a ``+`` stays a ``+``).

    >>> parameters_of("To=+14155550100&MediaUrl=https://a&MediaUrl=https://b")
    (('To', '+14155550100'), ('MediaUrl', 'https://a'), ('MediaUrl', 'https://b'))
    """
    pairs = []
    for part in (text or "").split("&"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise InvalidRequestError(
                f"{part!r} is not a parameter: write NAME=VALUE, several joined with &",
                hint='For example: the parameters is "To=+14155550100&PageSize=20"',
            )
        pairs.append((name.strip(), value))
    return tuple(pairs)


@registry.procedure("to send a *Twilio* request", effect=Effect.CHANGES)
async def send_request(method: str, path: str, context: Context, parameters: str | None = None) -> Any:
    """Sends any request of Twilio's API, and answers the JSON Twilio gave.

    Input Concepts:
        the method: GET, POST or DELETE.
        the path: The path on Twilio's host, such as
            /2010-04-01/Accounts/{AccountSid}/Calls.json ({AccountSid} is the account's sid).
        the parameters: Its parameters, NAME=VALUE joined with & (query parameters for
            a GET or DELETE, form fields for a POST), each value as written.

    Output Concepts:
        the answer: The JSON Twilio answered (nothing for an empty answer).

    Examples:
        send a Twilio request where
          the method is "GET"
          the path is "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
          the parameters is "PageSize=20"
        expect the above is not empty
    """
    form = parameters_of(parameters)
    client = connection(context).async_client(settings(context).concurrency)
    request = client.api.request(method, path, form)  # checked before anything is counted or sent
    context.record(target=f"{request.method} {request.path}")
    if context.dry_run and request.method != "GET":
        context.say(f"dry run: would send {request.method} {request.path}")
        return None
    return await client.request(method, path, form)
