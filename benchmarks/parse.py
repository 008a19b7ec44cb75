"""How fast the grammar parses, on this machine.

    python benchmarks/parse.py [--rounds 31] [--runs 15]

Reports:
- throughput: sentences parsed into a tree per second on one core (the median of
  several rounds of a few thousand parses of the sentence below);
- start-up: ``import grammar`` plus the first parse, in a fresh interpreter,
  with the parser's analysis already cached (the usual case) and, once, with an
  empty cache (the very first run on a machine); ``import lark`` alone is timed
  the same way as the floor that the grammar cannot go below.

Goals (issue 2): at least 5,000 sentences a second; import and first parse within 60 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

SENTENCE = (
    'read some SMS messages whose sender number is "+15005550006" and whose date sent is after 2024-03-01 '
    'and whose body contains "refund"'
)

START_UP = f"""
import time
start = time.perf_counter()
import grammar
grammar.parse_script({SENTENCE!r})
print((time.perf_counter() - start) * 1000)
"""

LARK_ONLY = """
import time
start = time.perf_counter()
import lark
print((time.perf_counter() - start) * 1000)
"""


def throughput(rounds: int, parses: int = 1000) -> tuple[float, float, float]:
    """Rates over ``rounds`` rounds: the median by the wall clock, the best round,
    and the median by the process's own CPU time (the machine is a shared virtual
    one: time another guest takes shows on the wall clock, not in CPU time)."""
    import grammar

    grammar.parse_script(SENTENCE)
    wall, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        for _ in range(parses):
            grammar.parse_script(SENTENCE)
        wall.append(parses / (time.perf_counter() - started))
        cpu.append(parses / (time.process_time() - used))
    return statistics.median(wall), max(wall), statistics.median(cpu)


def fresh(code: str, runs: int, environment: dict[str, str]) -> float:
    """The median of ``runs`` fresh interpreters, each printing a time in milliseconds."""
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
        )
        times.append(float(result.stdout))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()

    # Like an installed package: byte-code is written and reused.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", START_UP], check=True, capture_output=True, env=environment)

    rate, best, cpu = throughput(arguments.rounds)
    warm = fresh(START_UP, arguments.runs, environment)
    lark_alone = fresh(LARK_ONLY, arguments.runs, environment)
    with tempfile.TemporaryDirectory() as empty:
        cold = fresh(START_UP, 1, {**environment, "XDG_CACHE_HOME": empty})

    print(f"sentence: {SENTENCE}")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores")
    print()
    print("| measure | figure | goal |")
    print("|---|---|---|")
    print(f"| parse throughput, one core (median of rounds) | {rate:,.0f} sentences/s | >= 5,000 |")
    print(f"| parse throughput, one core (best round) | {best:,.0f} sentences/s | |")
    print(f"| parse throughput, one core (median, by CPU time) | {cpu:,.0f} sentences/s | |")
    print(f"| import grammar + first parse (cached analysis) | {warm:.1f} ms | <= 60 ms |")
    print(f"| import lark alone (floor) | {lark_alone:.1f} ms | |")
    print(f"| import grammar + first parse, first run on a machine | {cold:.1f} ms | |")


if __name__ == "__main__":
    main()
