"""How fast the sandbox serves a filtered page of 1,000 messages out of 100,000, in process.

    python benchmarks/sandbox.py [--messages 100000] [--runs 25]

Seeds a sandbox file with realistic messages, then times list requests with
PageSize=1000 under several filters: the sandbox's own answer (``handle``:
query, lifecycle check and JSON), and the same through the in-process httpx
transport and the client, which also parses the page into models.

Goal (issue 5): a filtered page of 1,000 served in process in at most 50 ms median.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from book.sandbox import Sandbox, seed
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
    arguments = parser.parse_args()

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


if __name__ == "__main__":
    main()
