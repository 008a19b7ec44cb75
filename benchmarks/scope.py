"""How a script's length weighs on its references, on this machine.

    python benchmarks/scope.py [--sizes 500 1000 2000 4000]

For each size N, runs a script of N names (``the count number7 is 7``) followed
by N references to them (``say the count number7``), and reports the time and
the time per statement. References are looked up through an index of the nouns'
forms, so the time per statement should stay flat as N grows; a scan of every
earlier name would make it grow with N (the script's time with N squared).
"""

from __future__ import annotations

import argparse
import time

from procedures import Session


def timed(size: int) -> float:
    names = "\n".join(f"the count number{i} is {i}" for i in range(size))
    lookups = "\n".join(f"say the count number{i}" for i in range(size))
    session = Session(say=lambda line: None)
    start = time.perf_counter()
    result = session.run(names + "\n" + lookups)
    elapsed = time.perf_counter() - start
    if result.value != str(size - 1):
        raise SystemExit(f"wrong answer for {size}: {result.value!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    arguments = parser.parse_args()
    print("| names + references | time | per statement |")
    print("|---|---|---|")
    for size in arguments.sizes:
        seconds = min(timed(size) for _ in range(3))
        print(f"| {size:,} + {size:,} | {seconds:.2f} s | {seconds / (2 * size) * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
