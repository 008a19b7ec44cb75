"""How fast the sandbox answers: a filtered page of 1,000 messages out of 100,000,
in process; and one call at a time, from the official twilio library and from
this book's client, in process and on loopback.

    python benchmarks/sandbox.py [--messages 100000] [--runs 25] [--calls 200] [--part pages|calls|all]

Pages: seeds a sandbox file with realistic messages, then times list requests
with PageSize=1000 under several filters: the sandbox's own answer
(``handle``: query, lifecycle check and JSON), and the same through the
in-process httpx transport and the client, which also parses the page into models.

Calls: a create and a fetch of one message, made in turn by the official
library and by this book's client, side by side in one run (the rounds
interleave the four ways, so that a busy moment of the machine costs each
alike): in process (the official library through an ``HttpClient`` on the
sandbox's transport) and on loopback (``serve``; the official library with
``client.api.base_url``). Medians, in ms a call.

Goals: a filtered page of 1,000 served in process in at most 50 ms median
(issue 5); a call from the official library on loopback about as fast as one
from this book's client (issue 12: it took some 44 ms when the answer waited
for a delayed ACK).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from book.client import Client
from book.sandbox import Sandbox, seed, serve
from book.sandbox.segments import count  # noqa: F401 - imported for a warm start

FILTERS = {
    "From (one of the account's numbers)": [("From", "+15005550006")],
    "DateSent> (the last 120 days)": [("DateSent>", "")],
    "From and a DateSent range": [("From", "+12125550100"), ("DateSent>", ""), ("DateSent<", "")],
    "no filter": [],
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--part", choices=["pages", "calls", "all"], default="all")
    arguments = parser.parse_args()
    if arguments.part in ("pages", "all"):
        pages(arguments)
    if arguments.part in ("calls", "all"):
        if arguments.part == "all":
            print()
        calls(arguments)


def pages(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(str(Path(directory) / "bench.sqlite3"))
        started = time.perf_counter()
        seed(sandbox, arguments.messages, seed=42)
        seeding = time.perf_counter() - started
        now = sandbox.clock.now()
        days = {
            "DateSent>": (now.date().fromordinal(now.date().toordinal() - 120)).isoformat(),
            "DateSent<": (now.date().fromordinal(now.date().toordinal() - 10)).isoformat(),
        }
        path = f"/2010-04-01/Accounts/{sandbox.account.sid}/Messages.json"
        authorization = (
            sandbox.client()
            ._httpx(sandbox.client()._http, sandbox.client().api.fetch("SM" + "0" * 32))
            .headers["authorization"]
        )
        client = sandbox.client()

        print(f"{arguments.messages:,} messages seeded into a sandbox file in {seeding:.1f} s")
        print()
        print(
            "| filter, PageSize=1000 | messages on the page | sandbox answer, median | through the client, median |"
        )
        print("|---|---|---|---|")
        for name, template in FILTERS.items():
            query = [(key, value or days[key]) for key, value in template] + [("PageSize", "1000")]
            answers, through = [], []
            size = 0
            for _ in range(arguments.runs):
                began = time.perf_counter()
                reply = sandbox.handle("GET", path, query, [], authorization)
                answers.append(time.perf_counter() - began)
                assert reply.status == 200
                began = time.perf_counter()
                page = next(client.list_pages(dict(query[:-1]), page_size=1000))
                through.append(time.perf_counter() - began)
                size = len(page.messages)
            print(
                f"| {name} | {size} | {statistics.median(answers) * 1000:.1f} ms | "
                f"{statistics.median(through) * 1000:.1f} ms |"
            )


def calls(arguments: argparse.Namespace) -> None:
    """One create and one fetch at a time: the official library and this book's client."""
    try:
        from twilio.rest import Client as Twilio
    except ImportError:
        print("The official twilio library is not installed (pip install twilio): no call figures.")
        return
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(str(Path(directory) / "calls.sqlite3"))
        with serve(sandbox) as server:
            official_near = _official_in_process(sandbox)
            official_far = Twilio(sandbox.account.sid, sandbox.account.token)
            official_far.api.base_url = server.url
            ours_near = sandbox.client()
            ours_far = Client(credentials=sandbox.credentials(), base_url=server.url)
            sent = {"to": "+14155550100", "from_": "+15005550006", "body": "How fast?"}
            ways: dict[tuple[str, str, str], Callable[[], Any]] = {}
            for where, official, ours in (
                ("in process", official_near, ours_near),
                ("on loopback", official_far, ours_far),
            ):
                sid = ours.create_message(**sent).sid or ""
                ways[(where, "create", "official")] = lambda o=official: o.messages.create(**sent)
                ways[(where, "create", "ours")] = lambda c=ours: c.create_message(**sent)
                ways[(where, "fetch", "official")] = lambda o=official, s=sid: o.messages(s).fetch()
                ways[(where, "fetch", "ours")] = lambda c=ours, s=sid: c.fetch_message(s)
            times: dict[tuple[str, str, str], list[float]] = {way: [] for way in ways}
            for round_ in range(arguments.calls + 5):  # the first five warm up
                for way, call in ways.items():
                    began = time.perf_counter()
                    call()
                    if round_ >= 5:
                        times[way].append(time.perf_counter() - began)
            ours_far.close()
    print(f"One call at a time, median of {arguments.calls} (ms a call):")
    print()
    print("| way in | call | the official library | this book's client | official / ours |")
    print("|---|---|---|---|---|")
    for where in ("in process", "on loopback"):
        for call in ("create", "fetch"):
            official = statistics.median(times[(where, call, "official")]) * 1000
            ours = statistics.median(times[(where, call, "ours")]) * 1000
            print(f"| {where} | {call} | {official:.2f} ms | {ours:.2f} ms | {official / ours:.2f} |")


def _official_in_process(sandbox: Sandbox) -> Any:
    """The official library's client, its HTTP on the sandbox's in-process transport."""
    from twilio.http import HttpClient
    from twilio.http.response import Response
    from twilio.rest import Client as Twilio

    http = httpx.Client(transport=sandbox.transport())

    class InProcess(HttpClient):  # type: ignore[misc]
        def request(
            self,
            method: str,
            uri: str,
            params: Any = None,
            data: Any = None,
            headers: Any = None,
            auth: Any = None,
            timeout: Any = None,
            allow_redirects: bool = False,
        ) -> Response:
            answer = http.request(method, uri, params=params, data=data, headers=headers, auth=auth)
            return Response(answer.status_code, answer.text, answer.headers)

    client = InProcess(logging.getLogger("twilio.http_client"), is_async=False)
    return Twilio(sandbox.account.sid, sandbox.account.token, http_client=client)


if __name__ == "__main__":
    main()
