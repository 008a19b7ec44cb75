"""How much CPU the ``book`` command takes to start, on this machine.

    python benchmarks/startup.py [--runs 9]

Each command runs in a fresh interpreter, ``--runs`` times, the commands taking
turns so that what another process on the machine takes falls on all of them
alike; the figure is the child's CPU time (user + system), the median and the
range. Byte-code is written and reused (in a cache directory of the run's own,
warmed by one run of each command first), as for an installed package.

- ``book --help``: the command's parser alone;
- ``book run -e 'say "hi"'``: a script that calls no procedure and makes no request;
- ``book run -e 'read the first 5 SMS messages'``: one read of the default
  sandbox (``SMS_BOOK_SANDBOX``, a file seeded with 200 messages), through the
  client, httpx and the sandbox's ASGI app in process;

side by side with the floors, measured in the same run: the interpreter alone
(``python -c pass``); ``import lark, httpx, pydantic``; and what those imports
leave out of a run's libraries (pydantic imports its parts lazily; only a model
loads them): lark (the English), asyncio (the runtime), sqlite3 (the sandbox) and
one pydantic model (the concepts), which any run needs, and, for a read, httpx
(the client) and Starlette with anyio (the sandbox's ASGI app, which answers the
client's requests in process).

Goal (issue 18, start-up): ``book --help`` and ``book run -e '...'`` well under
0.35 s of CPU.

Measured (December 2026, 2 shared CPUs; medians, the machine quiet): the floors
0.015, 0.22-0.27, 0.26 and 0.40 s; ``--help`` 0.12-0.15 s; ``say`` 0.49-0.56 s and
the read 0.55-0.61 s. A read cannot start in 0.35 s with these libraries: their
floor alone is 0.40 s. ``say`` still loads httpx (with click, pygments and rich,
which httpx's package imports for its command line when they are installed)
because book.connection takes two constants from modules that import it; without
them ``say`` measured 0.41 s against 0.49 s, side by side. Under load every figure
doubles: compare rows of one run only.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BOOK = "import sys; from book.cli.main import entry; sys.argv[0] = 'book'; entry()"

MODEL = "from pydantic import BaseModel\nclass Model(BaseModel):\n    x: int"
RUN = "import asyncio, sqlite3, lark\n" + MODEL
READ = "import httpx, anyio, starlette.applications, starlette.requests, starlette.routing\n" + RUN

FLOORS = {
    "python -c pass": ["-c", "pass"],
    "import lark, httpx, pydantic": ["-c", "import lark, httpx, pydantic"],
    "lark, asyncio, sqlite3, a pydantic model (a run's floor)": ["-c", RUN],
    "... and httpx, Starlette, anyio (a read's floor)": ["-c", READ],
}

COMMANDS = {  # each with the floor it is set against
    "book --help": (["-c", BOOK, "--help"], "python -c pass"),
    "book run -e 'say \"hi\"'": (
        ["-c", BOOK, "run", "-e", 'say "hi"'],
        "lark, asyncio, sqlite3, a pydantic model (a run's floor)",
    ),
    "book run -e 'read the first 5 SMS messages'": (
        ["-c", BOOK, "run", "-e", "read the first 5 SMS messages"],
        "... and httpx, Starlette, anyio (a read's floor)",
    ),
}


def cpu(arguments: list[str], environment: dict[str, str]) -> float:
    """The CPU time, in seconds, of one fresh interpreter running ``arguments``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, *arguments], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{arguments[2:]} failed ({done.returncode}):\n{done.stderr.decode()}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int, environment: dict[str, str]) -> dict[str, list[float]]:
    """The CPU times of the floors and the commands, ``runs`` of each, taking turns."""
    everything = {**FLOORS, **{name: arguments for name, (arguments, _) in COMMANDS.items()}}
    for arguments in everything.values():  # writes the byte-code, and lark's analysis, before timing
        cpu(arguments, environment)
    times: dict[str, list[float]] = {name: [] for name in everything}
    for _ in range(runs):
        for name, arguments in everything.items():
            times[name].append(cpu(arguments, environment))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        environment = {  # the sandbox, never Twilio
            **{
                key: value
                for key, value in os.environ.items()
                if key != "PYTHONDONTWRITEBYTECODE" and not key.startswith(("TWILIO_", "SMS_BOOK_"))
            },
            "PYTHONPYCACHEPREFIX": str(Path(scratch) / "pycache"),
            "SMS_BOOK_SANDBOX": str(Path(scratch) / "sandbox.sqlite3"),
        }
        seed = ["-c", BOOK, "sandbox", "seed", "--count", "200"]
        subprocess.run([sys.executable, *seed], check=True, env=environment, capture_output=True)
        times = measure(arguments.runs, environment)

    def row(name: str, floor: str | None = None) -> str:
        found = times[name]
        above = f"{statistics.median(found) - statistics.median(times[floor]):+.3f} s" if floor else ""
        return (
            f"| {name} | {statistics.median(found):.3f} s | {min(found):.3f}-{max(found):.3f} s | {above} |"
        )

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; {arguments.runs} runs of each")
    print()
    print("| CPU time of | median | range | above its floor |")
    print("|---|---|---|---|")
    for name in FLOORS:
        print(row(name))
    for name, (_, floor) in COMMANDS.items():
        print(row(name, floor))


if __name__ == "__main__":
    main()
