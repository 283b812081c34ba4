"""The settlement screen's reads at a year's scale: the round summary and its lines (issue 14, point 2).

    python -m bench.settlement_views [--stores 1500] [--runs 7]

What runs: the local AWS of the tests and the local stack (moto's server, scripts/local_aws.py, started as
bench.dynamo_cost starts it) with the app's tables; one round of `--stores` lines (about 7% held, with
the fields a draft writes) written through the settlement repository (`save_draft_in`, `put_lines`: the
held copies included), not counted. Then, each `--runs` times (median and max printed), through the
service exactly as the routes call it:

- baseline: a GetItem of the round item (`repository.get_round`), measured in the same run;
- summary, before: the round view built from every line (`views.view(deps, item, round_lines)`: what
  `GET /settlements/{month}` did until the held lines were kept apart);
- summary, after: `views.get_view` (what `GET /settlements/{month}` does now: the round item and the
  held lines only);
- lines: `views.lines_view` (what `GET /settlements/{month}/lines` does without `?limit=`: every line,
  one Query paged by DynamoDB's 1 MB pages) and `views.lines_page` (with `?limit=50`, first page and one
  from the middle of the round by its cursor).

No assertions: the table is the result (ratios against the GetItem of the same run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

MONTH = "2025-06"
HELD_EVERY = 14  # one store in 14 held (~7%)


def _line(i: int) -> dict[str, Any]:
    store_id = f"MP{i:06d}"
    usage = 20_000 + (i * 7919) % 180_000
    if i % HELD_EVERY == 0:
        return {"store_id": store_id, "usage": usage, "adjustments": 0, "late_usage": 0, "carried_in": 0,
                "paid": 0, "carried_out": usage, "status": "hold", "reason": "bank_unverified", "note": None,
                "sig": "0" * 64, "shaped_by": ["uploader"], "transfer_fee": 0}
    return {"store_id": store_id, "usage": usage, "adjustments": 0, "late_usage": 0, "carried_in": 0,
            "paid": usage, "carried_out": 0, "status": "pay", "reason": None, "note": None,
            "sig": "0" * 64, "shaped_by": ["uploader"], "transfer_fee": 145}


def _seed(deps: Any, stores: int) -> None:
    from chalicelib.settlement.repository import HELD_INDEXED, settlement_store

    store = settlement_store(deps)
    lines = [_line(i) for i in range(1, stores + 1)]
    store.put_lines(MONTH, 1, lines)
    paid = [x for x in lines if x["status"] == "pay"]
    item = {"month": MONTH, "status": "draft", "version": 1, "payment_date": f"{MONTH}-25",
            "approval_deadline": f"{MONTH}-20", "drafted_by": "accountant", "drafted_at": f"{MONTH}-30T10:00:00+09:00",
            "imports": ["IMP000001"], "shaped_by": ["accountant", "uploader"], "adjustment_keys": [],
            "usage_total": sum(x["usage"] for x in lines), "adjustments_total": 0, "carried_in_total": 0,
            "paid_total": sum(x["paid"] for x in lines), "held_total": sum(x["carried_out"] for x in lines),
            "stores_paid": len(paid), "stores_held": len(lines) - len(paid), "fee": 0, "fee_rate": "0.00",
            "fee_rounding": "down", "fee_base": sum(x["usage"] for x in lines), "late_usage_total": 0,
            "transfer_cost": 145 * len(paid), HELD_INDEXED: True}
    tx = store.transaction()
    store.save_draft_in(tx, item, None)
    tx.commit()


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    fn()  # warm (clients, lazy imports)
    seconds = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds), result


def run(stores: int, runs: int) -> int:
    from bench.dynamo_cost import fresh_local_deps
    from chalicelib.settlement import views as settlement
    from chalicelib.settlement.repository import settlement_store

    deps = fresh_local_deps()
    started = time.perf_counter()
    _seed(deps, stores)
    seeded = time.perf_counter() - started
    store = settlement_store(deps)

    def before() -> dict[str, Any]:
        item = settlement.get_round(deps, MONTH) or {}
        return settlement.view(deps, item, store.round_lines(MONTH, int(item["version"])))

    rows = [
        ("baseline: GetItem of the round item", lambda: store.get_round(MONTH)),
        ("summary, before (every line)", before),
        ("summary, after (round + held lines)", lambda: settlement.get_view(deps, MONTH)),
        ("lines (every line)", lambda: settlement.lines_view(deps, MONTH)),
        ("lines, one page of 50 (?limit=50)", lambda: settlement.lines_page(deps, MONTH, 50, None)),
        ("lines, a page of 50 mid-round (?cursor=)",
         lambda: settlement.lines_page(deps, MONTH, 50, f"v1.MP{stores // 2:06d}")),
    ]
    measured = [(name, *_time(fn, runs)) for name, fn in rows]
    if measured[1][3] != measured[2][3]:
        raise RuntimeError("the summary read from the held lines differs from the one read from every line")
    base = measured[0][1]
    held = len(measured[2][3]["held"])
    print(f"\nsettlement screen reads on moto's server, one round of {stores:,} lines ({held} held), "
          f"median of {runs} (seeded in {seeded:.1f} s)")
    print(f"{'read':<40}{'median ms':>11}{'max ms':>9}{'x GetItem':>11}")
    for name, median, worst, _ in measured:
        print(f"{name:<40}{median * 1000:>11.1f}{worst * 1000:>9.1f}{median / base:>11.1f}")
    print("(in process, one client; through the local stack's HTTP and 4 clients the same reads take longer)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement_views", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=1500, help="lines in the round (default 1500)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per read (default 7)")
    args, _ = parser.parse_known_args(argv)
    from bench.dynamo_cost import stop_local_aws

    try:
        return run(args.stores, args.runs)
    finally:
        stop_local_aws()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
