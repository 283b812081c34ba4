"""The inquiry lists at a year's size: a day's log and the escalated list (issue 14, point 2).

    python -m bench.inquiry_views [--inquiries 12000] [--runs 9]

What runs: the local AWS of the tests and the local stack (moto's server, scripts/local_aws.py, started as
bench.dynamo_cost starts it) with the app's tables; `--inquiries` inquiries over the year's office days
(April 2025 to 24 March 2026, more in June and February as scripts/seed_year.py spreads them), about 2%
escalated, most with a caller's name and phone sealed by the field cipher, written as `log_inquiry` writes
them (the repository's item, sealed) in batches, not counted. Then, each `--runs` times (median and max
printed), exactly as `GET /inquiries` calls it:

- baseline: a GetItem of one inquiry (`InquiryTable.get`), measured in the same run;
- the day list (`?date=2026-02-16&limit=50`) and the escalated list (`?status=escalated&limit=50`)
  through `service.list_inquiries`;
- each list's bare Query (the same key, index and Limit through boto3, nothing opened), to tell the local
  AWS's part from the app's.

Each row twice: before (the local AWS's index query as it was: moto handed every item of the table and
sorting the matches with its DynamoType comparisons) and after (scripts/local_aws.py hands it only the items
its key condition selects, strings sorted as strings); the answers are checked equal.

No assertions: the table is the result (ratios against the GetItem of the same run).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 2, 16)
FIRST, LAST = date(2025, 4, 7), date(2026, 3, 24)


def _office_days() -> list[date]:
    days = [FIRST + timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
    return [d for d in days if d.weekday() < 5]


def _items(n: int) -> list[dict[str, Any]]:
    rng = random.Random(14)
    days = _office_days()
    weight = [1.6 if d.month in (6, 2) else 1.3 if d.month in (5, 7) else 0.8 if d.month in (8, 1) else 1.0
              for d in days]
    total = sum(weight)
    out: list[dict[str, Any]] = []
    for d, w in zip(days, weight, strict=True):
        for _ in range(int(n * w / total + 0.5)):
            i = len(out) + 1
            received = datetime(d.year, d.month, d.day, 9, tzinfo=JST) + timedelta(minutes=rng.randrange(510))
            logged = received + timedelta(minutes=rng.randint(3, 20))
            escalated = rng.random() < 0.02
            status = "escalated" if escalated else "pending" if rng.random() < 0.05 else "resolved"
            item: dict[str, Any] = {
                "inquiry_id": f"IQ{i:06d}", "version": 2 if escalated else 1,
                "received_at": received.isoformat(timespec="seconds"), "month": d.isoformat()[:7],
                "channel": rng.choice(("phone", "phone", "phone", "email", "web")), "caller_type": "resident",
                "category": "points", "summary": "ポイントの使い方についての問い合わせ（付与日と有効期限）",
                "answer": "" if status != "resolved" else "付与日と有効期限をご案内しました。", "status": status,
                "store_id": None, "handling_minutes": rng.randint(2, 25), "outside_hours": False,
                "caller": {"name": f"宮城 太郎{i}", "phone": f"090{i:08d}"} if rng.random() < 0.6 else None,
                "created_at": logged.isoformat(timespec="seconds"), "created_by": "agent",
                "updated_at": logged.isoformat(timespec="seconds"), "updated_by": "agent",
            }
            if status == "resolved":
                item.update(closed_at=item["created_at"], closed_by="agent")
            if escalated:
                due = (logged + timedelta(hours=1)).isoformat(timespec="seconds")
                item["escalation"] = {"reason": "県の判断が必要", "at": item["created_at"], "by": "agent",
                                      "notice_due": due, "immediate": True, "notice_queued_at": item["created_at"]}
                item.update(notice_state="sent", notice_due=due)
            out.append(item)
    return out


def _table(deps: Any) -> Any:
    """The DynamoDB adapter of the inquiries (its table name and cipher)."""
    from chalicelib.inquiries.repository import InquiryTable, ports

    table = ports(deps).inquiries
    if not isinstance(table, InquiryTable):
        raise RuntimeError("the inquiries are not on DynamoDB here")
    return table


def _seed(deps: Any, n: int) -> int:
    from chalicelib.adapters.dynamo import batch_put
    from chalicelib.kernel.field_crypto import INQUIRY

    table = _table(deps)
    items = _items(n)
    batch_put(table.table_name, [INQUIRY.seal(table.cipher, item) for item in items])
    return len(items)


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    fn()  # warm (clients, lazy imports, data keys)
    seconds = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds), result


def rows(deps: Any) -> list[tuple[str, Callable[[], Any]]]:
    """What is timed: the GetItem baseline, each list as the route calls it, each list's bare Query."""
    from boto3.dynamodb.conditions import Key

    from chalicelib.adapters import aws
    from chalicelib.inquiries import service as inquiries

    table = _table(deps)
    raw = aws.table(table.table_name)

    def listed(**kw: Any) -> Any:
        return inquiries.list_inquiries(deps, category=None, store_id=None, limit=50, cursor=None, today=DAY, **kw)

    return [
        ("baseline: GetItem of one inquiry", lambda: table.get("IQ000100")),
        ("day list (?date=, 50)", lambda: listed(day=DAY, status=None)),
        ("  its Query alone", lambda: raw.query(
            IndexName="by_month", KeyConditionExpression=Key("month").eq(DAY.isoformat()[:7])
            & Key("received_at").begins_with(DAY.isoformat()), Limit=50, ScanIndexForward=False)),
        ("escalated list (?status=escalated, 50)", lambda: listed(day=None, status="escalated")),
        ("  its Query alone", lambda: raw.query(
            IndexName="by_status", KeyConditionExpression=Key("status").eq("escalated"), Limit=50,
            ScanIndexForward=False)),
    ]


def _answer(result: dict[str, Any]) -> Any:
    """What a list answered: its rows and where the next page starts (no request ids)."""
    if "items" in result:
        return result["items"], result.get("next_cursor") is not None
    return result["Items"], result.get("LastEvaluatedKey")


@contextlib.contextmanager
def _as_before() -> Iterator[None]:
    """The local AWS's index query as it was before it was handed only the key condition's items
    (scripts/local_aws.py: every item of the table handed over, sorted by moto's DynamoType comparisons)."""
    from scripts import local_aws

    def not_a_string(value: Any) -> str:
        raise local_aws._NotAString

    saved = local_aws._index_key_condition, local_aws._string_of
    local_aws._index_key_condition = lambda *_: None
    local_aws._string_of = not_a_string
    try:
        yield
    finally:
        local_aws._index_key_condition, local_aws._string_of = saved


def run(n: int, runs: int) -> int:
    from bench.dynamo_cost import fresh_local_deps

    deps = fresh_local_deps()
    started = time.perf_counter()
    written = _seed(deps, n)
    seeded = time.perf_counter() - started
    with _as_before():
        before = [(name, *_time(fn, runs)) for name, fn in rows(deps)]
    after = [(name, *_time(fn, runs)) for name, fn in rows(deps)]
    if [_answer(r[3]) for r in before[1:]] != [_answer(r[3]) for r in after[1:]]:
        raise RuntimeError("the lists differ before and after")
    base = after[0][1]
    day_rows = len(after[1][3]["items"])
    escalated_rows = len(after[3][3]["items"])
    print(f"\ninquiry lists on moto's server, {written:,} inquiries ({day_rows} on {DAY}, "
          f"{escalated_rows} escalated shown), median of {runs} (seeded in {seeded:.1f} s)")
    print(f"{'read':<40}{'before ms':>11}{'after ms':>10}{'max ms':>9}{'x GetItem':>11}{'after/before':>14}")
    for (name, was, _, _), (_, median, worst, _) in zip(before, after, strict=True):
        print(f"{name:<40}{was * 1000:>11.1f}{median * 1000:>10.1f}{worst * 1000:>9.1f}{median / base:>11.1f}"
              f"{median / was:>14.2f}")
    print("before: the local AWS handing an index query every item of the table (scripts/local_aws.py until "
          "this change); after: only the items of its key condition")
    print("(in process, one client; through the local stack's HTTP and 4 clients the same reads take longer)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inquiry_views", description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=int, default=12000, help="inquiries over the year (default 12000)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per read (default 9)")
    args, _ = parser.parse_known_args(argv)
    from bench.dynamo_cost import stop_local_aws

    try:
        return run(args.inquiries, args.runs)
    finally:
        stop_local_aws()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
