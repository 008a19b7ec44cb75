"""Reads at scale: a full scan through the book's real-Twilio path, against a plain
reader of the same pages; and a page of 1,000 wire messages made into concepts.

    python benchmarks/scan.py [--messages 100000] [--runs 3] [--pages 20]

Scan: seeds a sandbox file, serves it on loopback (``book sandbox serve``'s
server), and reads ``read some SMS messages whose body contains "refund"`` with
no scan budget: the book's client, reader and planner (pages of 1,000, each
message converted to its concept and checked here) against a plain reader of the
same pages (httpx and ``json.loads``, the three dates typed with the book's
``parse_rfc2822``, the same check of the body). The two alternate, run by run,
so that a busy moment costs each alike. Messages a second, end to end.

Conversion: the median time to make concepts of the 1,000 wire messages of one
page (``Resource.from_wire``), against ``json.loads`` of the page plus the three
typed dates per message. Goal (issue 18): under 10 ms a page in process, and the
scan within 2x of the plain reader.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from book.client import Client
from book.planner import plan
from book.reading import Reader
from book.resources.messages import MESSAGES, SmsMessage
from book.sandbox import Sandbox, seed, serve
from book.wire import parse_rfc2822
from grammar import parse_filter
from procedures import Binder

FILTER = 'body contains "refund"'
DATES = ("date_sent", "date_created", "date_updated")


def book_scan(client: Client) -> tuple[int, int]:
    """The book's way: plan, client, reader. (matches, messages scanned)"""
    bound = Binder(now=dt.datetime.now(dt.UTC), timezone=dt.UTC, resolve=None).filter(
        parse_filter(FILTER), SmsMessage
    )
    scanned = 0

    def counted(_: str, size: int) -> None:
        nonlocal scanned
        scanned += size

    reader = Reader(client, scan_budget=None, on_page=counted)  # the progress hook the command uses
    found = sum(1 for _ in reader.read(plan(bound)))
    return found, scanned


def plain_scan(url: str, account: str, token: str) -> tuple[int, int]:
    """A plain reader of the same pages: httpx, json.loads, typed dates, the same check."""
    found = scanned = 0
    with httpx.Client(base_url=url, auth=(account, token)) as http:
        path: str | None = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize=1000"
        while path:
            page = json.loads(http.get(path).content)
            for message in page["messages"]:
                for name in DATES:
                    if message[name] is not None:
                        message[name] = parse_rfc2822(message[name])
                scanned += 1
                body = message["body"]
                if body is not None and "refund" in body.casefold():
                    found += 1
            path = page.get("next_page_uri")
    return found, scanned


def scan(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(str(Path(directory) / "scan.sqlite3"))
        began = time.perf_counter()
        seed(sandbox, arguments.messages, seed=3)
        print(f"seeded {arguments.messages:,} messages in {time.perf_counter() - began:.1f} s")
        with serve(sandbox) as server:
            client = Client(credentials=sandbox.credentials(), base_url=server.url)
            account, token = sandbox.account.sid, sandbox.account.token
            rates: dict[str, list[float]] = {"book": [], "plain": []}
            answers: dict[str, set[int]] = {"book": set(), "plain": set()}
            for _ in range(arguments.runs):
                for way in ("book", "plain"):
                    began = time.perf_counter()
                    found, scanned = (
                        book_scan(client) if way == "book" else plain_scan(server.url, account, token)
                    )
                    seconds = time.perf_counter() - began
                    rates[way].append(scanned / seconds)
                    answers[way].add(found)
            print(f"scan of {arguments.messages:,} messages, {FILTER}, {arguments.runs} runs each:")
            for way, found in answers.items():
                print(
                    f"  {way:5}: {statistics.median(rates[way]):9,.0f} messages/s (matches: {sorted(found)})"
                )
            ratio = statistics.median(rates["plain"]) / statistics.median(rates["book"])
            print(f"  the plain reader is {ratio:.2f}x the book's (goal: within 2x)")


def conversion(arguments: argparse.Namespace) -> None:
    sandbox = Sandbox()
    seed(sandbox, 1000, seed=3)
    page = next(iter(sandbox.client().list_pages({}, page_size=1000)))
    items = MESSAGES.items(page)
    text = json.dumps(page.to_json())
    ours: list[float] = []
    plain: list[float] = []
    for _ in range(arguments.pages):
        began = time.perf_counter()
        [MESSAGES.from_wire(item) for item in items]
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        for message in json.loads(text)["messages"]:
            for name in DATES:
                if message[name] is not None:
                    message[name] = parse_rfc2822(message[name])
        plain.append(time.perf_counter() - began)
    print(f"a page of {len(items):,} wire messages, median of {arguments.pages}:")
    print(f"  to concepts (from_wire):      {statistics.median(ours) * 1000:6.1f} ms (goal: under 10 ms)")
    print(f"  json.loads and typed dates:   {statistics.median(plain) * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--part", choices=["scan", "conversion", "all"], default="all")
    arguments = parser.parse_args()
    if arguments.part in ("conversion", "all"):
        conversion(arguments)
    if arguments.part in ("scan", "all"):
        scan(arguments)


if __name__ == "__main__":
    main()
