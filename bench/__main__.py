"""`python -m bench` (what `make bench` runs): every benchmark, one after the other.

Arguments go to the benchmarks that take positional numbers (cold_start's runs, apply_load's sizes);
the year-sized ones run at the size that fits a bench run (`python -m bench.local_scale` alone for 1,500)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import (
    apply_calls,
    apply_load,
    cold_start,
    dynamo_cost,
    inquiry_views,
    local_scale,
    settlement,
    settlement_views,
)

BENCHMARKS: tuple[Callable[[list[str] | None], int], ...] = (
    settlement.main,
    lambda argv: settlement_views.main([]),
    cold_start.main,
    apply_load.main,
    lambda argv: local_scale.main(["--stores", "300"]),
    lambda argv: dynamo_cost.main([]),
    lambda argv: inquiry_views.main([]),
    lambda argv: apply_calls.main([]),
)


def main(argv: list[str] | None = None) -> int:
    return max(benchmark(argv) for benchmark in BENCHMARKS)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
