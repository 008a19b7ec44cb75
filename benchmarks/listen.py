"""Webhooks answered per second by ``book listen`` on loopback, each a new signed
inbound message, against a bare Starlette app on the same uvicorn, in the same run.

    python benchmarks/listen.py [--requests 2000] [--concurrency 16] [--replays 200] [--warmup 100] [--rounds 4]

``book listen`` is run as a subprocess (``--port 0``, ``--format json``, a
temporary sandbox and record of events) with a trivial script:

    when an SMS message is received
      reply with "ok"

Each request is a new inbound message (its own MessageSid), signed with the
sandbox's auth token as Twilio signs it: the app checks the signature, claims
the event in the record of events (SQLite, one transaction), runs the handler,
records it done with its reply (a second transaction) and answers with TwiML.

The anchor is a bare Starlette app, started by this file as a subprocess
(``--anchor-server PORT``) and served by uvicorn with the same settings as
``book listen``, on a pre-bound socket made the way book/cli/listen.py makes
its own (``socket.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)``, so that asyncio
turns Nagle's algorithm off on its connections): it reads the same POST and
answers empty TwiML, with no signature, record or handler.

One load generator (httpx.AsyncClient per server, as many connections as
requests in flight, ``--concurrency``) drives both in turn: after
``--warmup`` untimed requests to each, ``--rounds`` rounds of ``--requests /
--rounds`` to each, the order reversed every other round, so that a busy moment
of the machine costs each alike. Throughput is requests over the time taken;
latency is from sending a request to its whole answer read; server CPU is read
from /proc.

Then ``--replays`` of the book's timed requests are sent again, exactly as
signed: each must be answered with the recorded reply. The book's JSON log must
show every request sent run once with outcome ``ok`` (warm-up included) and
every replay ``handled before``, running nothing.

Measured on a 2-CPU shared machine, 2026-12-02, with the defaults (2,000
requests, 16 in flight, 4 rounds, 100 warm-up, 200 replays):

    | run | server | req/s | p50 ms | p99 ms | server CPU ms/request |
    |---|---|---|---|---|---|
    | 1 | book listen | 205 | 56.1 | 344.8 | 2.87 |
    | 1 | bare app | 286 | 28.3 | 261.9 | 0.83 |
    | 2 | book listen | 256 | 35.1 | 348.7 | 2.64 |
    | 2 | bare app | 336 | 22.7 | 278.4 | 0.74 |

``book listen`` gave 0.72 and 0.76 of the bare app's throughput; its work
(signature, two SQLite transactions, the handler) cost 1.9-2.0 ms of server CPU
a request more. 200 replays answered at 215-279 req/s (p50 34-40 ms). Every
check passed. Take the ratio as an upper bound: the load generator, on the same
two CPUs, used 88-100% of one CPU while driving the bare app, so the anchor is
partly client-bound; and the p99s of both (260-350 ms) move with what else the
shared machine runs, the p50s and CPU per request much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

SCRIPT = 'when an SMS message is received\n  reply with "ok"\n'
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'  # book.listen.listener.EMPTY
ANSWER = "<Message>ok</Message>"
SENDERS = 10_000


# ------------------------------------------------------------------ the servers


def bound(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:port as book/cli/listen.py makes it, its protocol named
    (IPPROTO_TCP): asyncio turns Nagle's algorithm off only on connections whose socket names it."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", port))
    return listening


def anchor_server(port: int) -> None:
    """A bare app on the same uvicorn settings as ``book listen`` (book/cli/listen.py):
    POST /sms read, answered with empty TwiML."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def inbound(request: Request) -> Response:
        await request.body()
        return Response(EMPTY, media_type="application/xml")

    app = Starlette(routes=[Route("/sms", inbound, methods=["GET", "POST"])])
    listening = bound(port)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    print(f"listening at http://127.0.0.1:{listening.getsockname()[1]}", file=sys.stderr, flush=True)
    asyncio.run(server.serve(sockets=[listening]))


# ------------------------------------------------------------------ the load


@dataclass
class Side:
    """One server under load: how it is started, its requests, and what was measured."""

    name: str
    command: list[str]
    expect: str  # in each answer
    book: bool  # logs JSON lines, and is sent replays
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    requests: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0  # the server's CPU seconds during the timed rounds
    client_cpu: float = 0.0
    replayed: list[str] = field(default_factory=list)
    replay_seconds: float = 0.0
    replay_latencies: list[float] = field(default_factory=list)
    bad: Counter[str] = field(default_factory=Counter)
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def server_cpu(process: subprocess.Popen[bytes] | None) -> float:
    """User and system CPU seconds of a process (its threads included), from /proc."""
    assert process is not None
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    client: httpx.AsyncClient, side: Side, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> tuple[float, list[float]]:
    """Send ``requests``, ``concurrency`` in flight; the time taken and each latency.
    Answers that are not 200 with the expected text are counted in ``side.bad``."""
    pending = iter(requests)
    latencies: list[float] = []

    async def worker() -> None:
        for _, content, headers in pending:
            started = time.perf_counter()
            try:
                answer = await client.post(side.url + "/sms", content=content, headers=headers)
            except httpx.TransportError as error:  # counted, not retried: a retry is not a new message
                side.bad[f"nothing: {type(error).__name__} {error}"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200 or side.expect not in answer.text:
                side.bad[f"{answer.status_code} {answer.text[:60]!r}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def drive(sides: list[Side], arguments: argparse.Namespace) -> None:
    """Warm up, then the timed rounds, then the books' replays."""
    limits = httpx.Limits(  # idle connections dropped before uvicorn's 5 s keep-alive closes them
        max_connections=arguments.concurrency,
        max_keepalive_connections=arguments.concurrency,
        keepalive_expiry=1.0,
    )
    clients = {side.name: httpx.AsyncClient(limits=limits, timeout=60.0) for side in sides}
    try:
        for side in sides:
            await load(clients[side.name], side, side.requests[: arguments.warmup], arguments.concurrency)
        per_round = -(-arguments.requests // arguments.rounds)
        for number in range(arguments.rounds):
            for side in sides if number % 2 == 0 else sides[::-1]:
                chunk = side.requests[arguments.warmup :][number * per_round : (number + 1) * per_round]
                if not chunk:
                    continue
                cpu, mine = server_cpu(side.process), time.process_time()
                seconds, latencies = await load(clients[side.name], side, chunk, arguments.concurrency)
                side.cpu += server_cpu(side.process) - cpu
                side.client_cpu += time.process_time() - mine
                side.seconds += seconds
                side.latencies.extend(latencies)
        for side in sides:
            if side.book:
                timed = side.requests[arguments.warmup :]
                replays = timed[:: max(1, len(timed) // arguments.replays)][: arguments.replays]
                side.replayed = [sid for sid, _, _ in replays]
                side.replay_seconds, side.replay_latencies = await load(
                    clients[side.name], side, replays, arguments.concurrency
                )
    finally:
        for client in clients.values():
            await client.aclose()


# ------------------------------------------------------------------ the run


def start(side: Side, env: dict[str, str], directory: Path) -> None:
    """Start a side's server, stdout and stderr in files, and read the URL it says it listens at."""
    out, err = directory / f"{side.name}.out", directory / f"{side.name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        side.process = subprocess.Popen(side.command, stdout=stdout, stderr=stderr, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"listening (?:for webhooks )?at (http://[0-9.:]+)", err.read_text())
        if found:
            side.url = found.group(1)
            return
        if side.process.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"{side.name} did not start: " + err.read_text())


def stop(side: Side, directory: Path) -> None:
    """Stop a side's server (SIGTERM: uvicorn ends cleanly) and read a book's JSON log."""
    if side.process is None:
        return
    side.process.terminate()
    try:
        side.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        side.process.kill()
        side.process.wait()
    if side.book:
        lines = (directory / f"{side.name}.out").read_text().splitlines()
        side.log = [json.loads(line) for line in lines]


def signed(
    url: str, account: str, token: str, recipient: str, count: int
) -> list[tuple[str, bytes, dict[str, str]]]:
    """``count`` new inbound messages' webhooks to ``url``/sms, each signed: (sid, body, headers)."""
    from book.sandbox.webhooks import inbound_delivery
    from book.signature import signature

    requests = []
    for n in range(count):
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "from": f"+1415{5550000 + n % SENDERS:07d}",
            "to": recipient,
            "body": f"benchmark message {n}",
        }
        form = inbound_delivery(account, token, url + "/sms", "POST", message).params
        headers = {
            "X-Twilio-Signature": signature(url + "/sms", form, token),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        requests.append((message["sid"], urlencode(form).encode(), headers))
    return requests


def checks(side: Side, arguments: argparse.Namespace) -> dict[str, bool]:
    """What a book's JSON log must show: each request run once, ok; each replay nothing."""
    ran = [event for event in side.log if event["ran"] == 1 and event["outcome"] == "ok"]
    again = [event for event in side.log if event["outcome"] == "handled before"]
    total = arguments.warmup + arguments.requests
    return {
        f"{side.name}: {total:,} events ran once, outcome ok ({arguments.warmup} warm-up included)": (
            len(ran) == total and sorted(event["sid"] for event in ran) == sorted(r[0] for r in side.requests)
        ),
        f"{side.name}: {len(side.replayed)} replays ran nothing, outcome handled before": (
            sorted(event["sid"] for event in again) == sorted(side.replayed)
            and all(event["ran"] == 0 for event in again)
        ),
        f"{side.name}: no other event logged": len(side.log) == len(ran) + len(again),
    }


def quantile(latencies: list[float], q: int) -> float:
    """The q-th percentile, in ms."""
    if len(latencies) < 2:
        return latencies[0] * 1000 if latencies else 0.0
    return statistics.quantiles(latencies, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--replays", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--anchor-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.anchor_server is not None:
        anchor_server(arguments.anchor_server)
        return
    if not 0 < arguments.replays <= arguments.requests or arguments.rounds < 1:
        parser.error("--replays must be 1 to --requests, and --rounds 1 or more")

    from book.sandbox import Sandbox

    book = shutil.which("book") or str(Path(sys.executable).parent / "book")
    here = str(Path(__file__).resolve())
    total = arguments.warmup + arguments.requests
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "SMS_BOOK_"))
        }
        env["SMS_BOOK_SANDBOX"] = str(directory / "sandbox.sqlite3")
        made = subprocess.run([book, "sandbox", "info"], capture_output=True, text=True, env=env)
        if made.returncode != 0:
            raise SystemExit(made.stderr)
        sandbox = Sandbox(env["SMS_BOOK_SANDBOX"])
        account, token, recipient = sandbox.account.sid, sandbox.account.token, sandbox.senders()[0]
        (directory / "ok.english").write_text(SCRIPT)

        listen = [str(directory / "ok.english"), "--port", "0", "--format", "json"]
        listen += ["--store", str(directory / "listen.sqlite3")]
        sides = [
            Side("book listen", [book, "listen", *listen], ANSWER, book=True),
            Side("bare app", [sys.executable, here, "--anchor-server", "0"], "<Response/>", book=False),
        ]
        try:
            for side in sides:
                start(side, env, directory)
                side.requests = signed(side.url, account, token, recipient, total)
            asyncio.run(drive(sides, arguments))
        finally:
            for side in sides:
                stop(side, directory)

    report(sides, arguments)


def report(sides: list[Side], arguments: argparse.Namespace) -> None:
    """The table, the ratios, and the checks (exit 1 when one fails)."""
    print(
        f"{arguments.requests:,} new signed inbound messages per server on loopback, {arguments.concurrency} "
        f"in flight, in {arguments.rounds} alternating rounds (after {arguments.warmup} untimed each); "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| server | requests | seconds | req/s | p50 ms | p99 ms | server CPU ms/request |")
    print("|---|---|---|---|---|---|---|")
    for side in sides:
        print(
            f"| {side.name} | {side.count:,} | {side.seconds:.2f} | {side.rate:,.0f} | "
            f"{quantile(side.latencies, 50):.1f} | {quantile(side.latencies, 99):.1f} | "
            f"{side.cpu / side.count * 1000:.2f} |"
        )
    for side in sides:
        if side.book:
            count = len(side.replay_latencies)
            print(
                f"| {side.name}, replays (handled before) | {count:,} | {side.replay_seconds:.2f} | "
                f"{count / side.replay_seconds:,.0f} | {quantile(side.replay_latencies, 50):.1f} | "
                f"{quantile(side.replay_latencies, 99):.1f} | |"
            )
    print()
    ours, bare = sides
    print(
        f"{ours.name} / {bare.name}: {ours.rate / bare.rate:.2f} of the throughput; the book's work costs "
        f"{(ours.seconds / ours.count - bare.seconds / bare.count) * 1000:.2f} ms of wall time and "
        f"{(ours.cpu / ours.count - bare.cpu / bare.count) * 1000:.2f} ms of server CPU a request"
    )
    print(
        "load generator CPU (share of one CPU while timed): "
        + ", ".join(f"{side.name} {side.client_cpu / side.seconds:.0%}" for side in sides)
    )
    print()
    results = {"every answer 200 with the expected TwiML": not any(side.bad for side in sides)}
    for side in sides:
        if side.book:
            results.update(checks(side, arguments))
    for check, passed in results.items():
        print(f"{'ok' if passed else 'FAILED'}: {check}")
    for side in sides:
        for answer, count in side.bad.most_common(5):
            print(f"  {side.name}: {count} answered {answer}")
    if not all(results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
