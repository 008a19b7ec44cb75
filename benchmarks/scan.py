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
typed dates per message, and against pydantic's ``model_construct`` of the same
concepts from values already read (what making them alone costs pydantic's
way). Goal (issue 18): under 10 ms a page in process, and the scan within 2x of
the plain reader.

Memory: peak RSS of ``book run`` reading 1,000, 20,000 and 100,000 messages, with
the sandbox in its process and served by another (as Twilio is). Goal (issue 18):
streamed (``--format jsonl``), the peak for 100,000 within 20% of that for 1,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx

from book.client import Client
from book.planner import plan
from book.reading import WINDOWS, Reader
from book.resources.messages import MESSAGES, SmsMessage
from book.sandbox import Sandbox, seed, serve
from book.sandbox.faults import Faults
from book.wire import parse_rfc2822
from grammar import parse_filter
from procedures import Binder

FILTER = 'body contains "refund"'
EITHER = 'sender number is "+15005550006" or recipient number is "+15005550006"'  # two lists, merged
BOUNDED = "date sent is on or after 300 days ago"  # one list, bounded below by a day: windows
DATES = ("date_sent", "date_created", "date_updated")


def book_scan(
    client: Client, overlap: bool | None = None, english: str = FILTER, windows: int = WINDOWS
) -> tuple[int, int]:
    """The book's way: plan, client, reader. (matches, messages scanned)"""
    bound = Binder(now=dt.datetime.now(dt.UTC), timezone=dt.UTC, resolve=None).filter(
        parse_filter(english), SmsMessage
    )
    scanned = 0

    def counted(_: str, size: int) -> None:
        nonlocal scanned
        scanned += size

    reader = Reader(client, scan_budget=None, on_page=counted, overlap=overlap, windows=windows)
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
        with served(str(Path(directory) / "scan.sqlite3")) as url:
            client = Client(credentials=sandbox.credentials(), base_url=url)
            account, token = sandbox.account.sid, sandbox.account.token
            rates: dict[str, list[float]] = {"book": [], "plain": []}
            answers: dict[str, set[int]] = {"book": set(), "plain": set()}
            for _ in range(arguments.runs):
                for way in ("book", "plain"):
                    began = time.perf_counter()
                    found, scanned = book_scan(client) if way == "book" else plain_scan(url, account, token)
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


def _serve(path: str, delay: float, started: Connection, stop: Event) -> None:
    """In a process of its own, as Twilio is: the sandbox at ``path``, on loopback."""
    sandbox = Sandbox(path)
    sandbox.faults = Faults(latency=delay) if delay else None
    with serve(sandbox) as server:
        started.send(server.url)
        stop.wait()


@contextmanager
def served(path: str, delay: float = 0.0) -> Iterator[str]:
    """The URL of the sandbox at ``path`` served by another process (its CPU is not ours)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    stop = context.Event()
    process = context.Process(target=_serve, args=(path, delay, theirs, stop), daemon=True)
    process.start()
    try:
        yield ours.recv()
    finally:
        stop.set()
        process.join(timeout=10)


def latency(arguments: argparse.Namespace) -> None:
    """The same scan with latency on every answer: pages read ahead, or one after another."""
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(str(Path(directory) / "latency.sqlite3"))
        seed(sandbox, arguments.latency_messages, seed=3)
        with served(str(Path(directory) / "latency.sqlite3"), arguments.latency) as url:
            client = Client(credentials=sandbox.credentials(), base_url=url)
            for english in (FILTER, EITHER, BOUNDED):
                ways = {
                    "ahead": {"overlap": True, "windows": WINDOWS},
                    "in turn": {"overlap": False, "windows": 0},  # main before issue 18: page by page
                }
                seconds: dict[str, list[float]] = {way: [] for way in ways}
                answers: dict[str, set[int]] = {way: set() for way in ways}
                for _ in range(arguments.runs):
                    for way, how in ways.items():
                        began = time.perf_counter()
                        found, _ = book_scan(client, english=english, **how)  # type: ignore[arg-type]
                        seconds[way].append(time.perf_counter() - began)
                        answers[way].add(found)
                print(
                    f"{english} over {arguments.latency_messages:,} messages, "
                    f"{arguments.latency * 1000:.0f} ms latency, {arguments.runs} runs each:"
                )
                for way, taken in seconds.items():
                    print(f"  {way:7}: {statistics.median(taken):6.2f} s (matches: {sorted(answers[way])})")
                ratio = statistics.median(seconds["in turn"]) / statistics.median(seconds["ahead"])
                print(f"  read ahead (and in windows of days when bounded below) is {ratio:.2f}x faster")


def _peak(command: list[str], environment: dict[str, str]) -> tuple[int, float]:
    """A command's peak resident memory (KiB, from /usr/bin/time) and its seconds."""
    began = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return int(done.stderr.strip().splitlines()[-1]), time.perf_counter() - began


def memory(arguments: argparse.Namespace) -> None:
    """Peak memory of `book run` reading every message, streamed (--format jsonl) or
    listed (--format json), for answers of 1,000, 20,000 and 100,000 messages: with
    the sandbox in the command's process (--sandbox: its answers are made there too),
    and streamed from the sandbox served by another process, as from Twilio (the
    real-Twilio path: pages read ahead)."""
    book = shutil.which("book") or str(Path(sys.executable).parent / "book")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMS_BOOK_"))}
    english = ["-e", "read some SMS messages"]
    print(
        "| matches | jsonl: peak RSS | jsonl: time | json: peak RSS | json: time | jsonl, served: peak RSS |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        for count in arguments.sizes:
            path = Path(directory) / f"memory-{count}.sqlite3"
            sandbox = Sandbox(str(path))
            seed(sandbox, count, seed=3)
            figures = []
            for form in ("jsonl", "json"):
                command = [book, "run", "--sandbox", str(path), "--scan-budget", "0", "--format", form]
                figures.append(_peak([*command, *english], environment))
            (streamed, streamed_s), (listed, listed_s) = figures
            with served(str(path)) as url:
                twilio = {
                    **environment,
                    "TWILIO_ACCOUNT_SID": sandbox.account.sid,
                    "TWILIO_AUTH_TOKEN": sandbox.account.token,
                    "SMS_BOOK_TWILIO_URL": url,
                }
                command = [book, "run", "--scan-budget", "0", "--format", "jsonl"]
                remote, _ = _peak([*command, *english], twilio)
            print(
                f"| {count:,} | {streamed / 1024:.0f} MB | {streamed_s:.1f} s | {listed / 1024:.0f} MB "
                f"| {listed_s:.1f} s | {remote / 1024:.0f} MB |"
            )


def conversion(arguments: argparse.Namespace) -> None:
    sandbox = Sandbox()
    seed(sandbox, 1000, seed=3)
    page = next(iter(sandbox.client().list_pages({}, page_size=1000)))
    items = MESSAGES.items(page)
    text = json.dumps(page.to_json())
    values = [dict(MESSAGES.from_wire(item)) for item in items]
    ours: list[float] = []
    plain: list[float] = []
    construct: list[float] = []
    for _ in range(arguments.pages):
        began = time.perf_counter()
        [MESSAGES.from_wire(item) for item in items]
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        [SmsMessage.model_construct(**fields) for fields in values]
        construct.append(time.perf_counter() - began)
        began = time.perf_counter()
        for message in json.loads(text)["messages"]:
            for name in DATES:
                if message[name] is not None:
                    message[name] = parse_rfc2822(message[name])
        plain.append(time.perf_counter() - began)
    print(f"a page of {len(items):,} wire messages, median of {arguments.pages}:")
    print(f"  to concepts (from_wire):      {statistics.median(ours) * 1000:6.1f} ms (goal: under 10 ms)")
    print(f"  json.loads and typed dates:   {statistics.median(plain) * 1000:6.1f} ms")
    print(
        f"  model_construct of the same:  {statistics.median(construct) * 1000:6.1f} ms (pydantic, no reading)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to each answer")
    parser.add_argument("--latency-messages", type=int, default=20_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 20_000, 100_000])
    parser.add_argument("--part", choices=["scan", "conversion", "latency", "memory", "all"], default="all")
    arguments = parser.parse_args()
    if arguments.part in ("conversion", "all"):
        conversion(arguments)
    if arguments.part in ("scan", "all"):
        scan(arguments)
    if arguments.part in ("latency", "all"):
        latency(arguments)
    if arguments.part in ("memory", "all"):
        memory(arguments)


if __name__ == "__main__":
    main()
