"""1,000 sends to the sandbox on loopback, with 50 ms added latency and 5% 429s:
this book against the official twilio library, in a pool of the same concurrency
(the fair anchor) and in a plain loop, in the same run.

    python benchmarks/bulk_send.py [--messages 1000] [--latency 0.05] [--too-many 0.05] [--concurrent N]

The sandbox is served on loopback with seeded faults; 1,000 customers have
written to +15005550006. The book replies to each with one English script, run
by the installed ``book`` command (start-up included):

    read the first 1000 SMS messages whose recipient number is "+15005550006" and whose direction is "inbound"
    process each SMS message as follows
      send an SMS message where ...

The official library replies to the same customers from a pool of as many
threads as the book's concurrency (50), and then in a plain loop, each retrying
a 429 with the same backoff as this book's client (exponential from 0.25 s, with
jitter; the official client does not retry by itself). Each way's 429s are
counted where the sandbox gives them, and its messages per recipient: every
customer must get exactly one.

``--concurrent N`` makes the account allow N requests in flight at once, as
Twilio does (a request over it is answered 429, error 20429): with N under 50,
the book's client lowers its pace as the 429s crowd in (book/pace.py), while
the pool retries into the limit.

Goals: issue 7, the book at least 10x faster than the plain loop; issue 18,
ahead of the pool of the same concurrency, with 0 doubles.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from book.sandbox import Faults, Reply, Sandbox, serve

SCRIPT = """\
read the first {count} SMS messages whose recipient number is "+15005550006" and whose direction is "inbound"
process each SMS message as follows
  send an SMS message where
    the sender number is "+15005550006"
    the recipient number is the SMS message's sender number
    the message body is "{body}"
"""


def customers(count: int) -> list[str]:
    return [f"+1415555{n // 100:02d}{n % 100:02d}" if n < 10000 else f"+1646555{n:04d}" for n in range(count)]


def sent_to(sandbox: Sandbox, body: str) -> Counter[str]:
    client = sandbox.client()
    return Counter(
        m.to or "" for m in client.list_messages({"From": "+15005550006"}, page_size=1000) if m.body == body
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--too-many", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--concurrent", type=int, default=None, help="requests the account may have in flight"
    )
    arguments = parser.parse_args()

    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client as Twilio

    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(str(Path(directory) / "bulk.sqlite3"))
        people = customers(arguments.messages)
        for number in people:
            sandbox.receive(sender=number, body="Hi!")
        sandbox.faults = Faults(
            seed=7, latency=arguments.latency, too_many=arguments.too_many, concurrent=arguments.concurrent
        )
        refused = {"book": 0}  # 429s the sandbox gave each way, counted as it answers them
        handle = sandbox.handle

        def counted(*request: Any) -> Reply:
            reply = handle(*request)
            if reply.status == 429:
                refused[next(reversed(refused))] += 1
            return reply

        sandbox.handle = counted  # type: ignore[method-assign]
        server = serve(sandbox)
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
        }
        environment.update(
            TWILIO_ACCOUNT_SID=sandbox.account.sid,
            TWILIO_AUTH_TOKEN=sandbox.account.token,
            SMS_BOOK_TWILIO_URL=server.url,
        )
        book = shutil.which("book") or str(Path(sys.executable).parent / "book")
        try:
            started = time.perf_counter()
            result = subprocess.run(
                [book, "run", "-", "--yes", "--format", "json", "--concurrency", str(arguments.concurrency)],
                input=SCRIPT.format(count=arguments.messages, body="from the book"),
                capture_output=True,
                text=True,
                env=environment,
            )
            ours = time.perf_counter() - started
            if result.returncode != 0:
                raise SystemExit(result.stderr)

            official = Twilio(sandbox.account.sid, sandbox.account.token)
            official.api.base_url = server.url
            jitter = random.Random(1)
            lock = threading.Lock()

            def reply(number: str, body: str) -> None:
                attempt = 0
                while True:
                    try:
                        official.messages.create(to=number, from_="+15005550006", body=body)
                        return
                    except TwilioRestException as error:
                        if error.status != 429:
                            raise
                        attempt += 1
                        with lock:
                            wait = jitter.uniform(
                                0, min(8.0, 0.25 * 2 ** (attempt - 1))
                            )  # as the book: capped at 8 s
                        time.sleep(wait)

            refused["pool"] = 0
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=arguments.concurrency) as pool:
                list(pool.map(lambda number: reply(number, "from the official library, pooled"), people))
            pooled = time.perf_counter() - started
            refused["loop"] = 0
            started = time.perf_counter()
            for number in people:
                reply(number, "from the official library")
            theirs = time.perf_counter() - started
        finally:
            server.shutdown()
            server.server_close()
        sandbox.faults = None
        mine, others = sent_to(sandbox, "from the book"), sent_to(sandbox, "from the official library")
        pooled_sent = sent_to(sandbox, "from the official library, pooled")

    def check(counts: Counter[str]) -> str:
        missing = sum(1 for number in people if counts[number] == 0)
        twice = sum(1 for number in people if counts[number] > 1)
        return f"{sum(counts.values())} sent, {missing} missing, {twice} more than once"

    allowed = f"; the account allows {arguments.concurrent} in flight" if arguments.concurrent else ""
    print(
        f"{arguments.messages:,} sends; {arguments.latency * 1000:.0f} ms latency; "
        f"{arguments.too_many:.0%} answered 429 at random{allowed}\n"
    )
    print("| way | time | 429s | messages |")
    print("|---|---|---|---|")
    print(
        f"| this book (`book run`, concurrency {arguments.concurrency}, start-up included) | {ours:.1f} s "
        f"| {refused['book']} | {check(mine)} |"
    )
    print(
        f"| official twilio library, pool of {arguments.concurrency} threads | {pooled:.1f} s "
        f"| {refused['pool']} | {check(pooled_sent)} |"
    )
    print(f"| official twilio library, plain loop | {theirs:.1f} s | {refused['loop']} | {check(others)} |")
    print(
        f"\nagainst the pool of the same concurrency (the fair anchor): the book takes {ours / pooled:.2f}x its time"
    )
    print(f"against the plain loop: the book is {theirs / ours:.1f}x faster")


if __name__ == "__main__":
    main()
