"""`python -m bench` (what `make bench` runs): every benchmark, one after the other."""

from __future__ import annotations

import sys

from bench import apply_load, cold_start, settlement

BENCHMARKS = (settlement.main, cold_start.main, apply_load.main)


def main(argv: list[str] | None = None) -> int:
    return max(benchmark(argv) for benchmark in BENCHMARKS)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
