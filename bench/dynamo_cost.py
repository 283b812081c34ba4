"""DynamoDB calls and capacity of a month's money path, and the on-demand bill they imply (issue 14, point 4).

    python -m bench.dynamo_cost [--quick] [--stores 1500] [--small 300]

What runs: the local AWS of the tests and the local stack (moto's server, scripts/local_aws.py) with the app's
tables (chalicelib/adapters/bootstrap.py); `--stores` active stores written through the store repository (not
counted); then, counted, through the services exactly as the functions call them:

1. **import** — a month's usage export (~33 rows per store, UTF-8 with BOM: ~50,000 rows at 1,500 stores)
   registered (`usage.create_import`) and imported (`usage.process_import`: dedupe, totals, commit);
2. **draft** — the month's settlement round drafted by one accountant (`settlement.draft`);
3. **approval** — approved by a second (`settlement.approve`: lines, transfer file, statements; the stores'
   payment notices too when the round pays at most `INLINE_NOTICE_LIMIT` stores (setting, default 300));
4. **notices** — the mail sweep (`mail-sweep` job) run until the outbox is empty: a larger round's notices
   are queued for it, so approval + notices is the same work at every size;
5. **inquiries** — 20 call-center inquiries logged (`inquiries.log_inquiry`), scaled to the seed's volume.

Counting: a botocore `before-call` / `after-call` hook on the app's DynamoDB client (chalicelib/adapters/aws.py:
every repository goes through it) counts each call by operation and stage, adds `ReturnConsumedCapacity=TOTAL`
to every call that takes it, and keeps what moto answers. moto does answer `ConsumedCapacity`, but with a
constant per call (0.5 or 1 unit) whatever the item sizes or the number of items, so the table shows it
only as a check ("moto's") and computes the capacity from the items themselves, by DynamoDB's rules
(developer guide, "Read/write capacity mode" and "Item sizes"):

- item size: attribute names plus values (strings UTF-8 bytes, numbers ~1 byte per 2 digits + 1, binary
  bytes, booleans/null 1, lists and maps 3 bytes + 1 per element + their elements);
- reads (RRU): per item (GetItem, each BatchGetItem key, each TransactGetItems key) or per page (Query,
  Scan: the items read, summed), rounded up to 4 KB; eventually consistent 0.5 per 4 KB, strongly
  consistent 1, transactional 2; an empty answer still costs one unit. Query/Scan with a filter read more
  than they return: the returned items' average size times `ScannedCount` is used;
- writes (WRU): per item, the larger of the item before and after the write, rounded up to 1 KB (PutItem,
  UpdateItem, DeleteItem, each BatchWriteItem request); transactional writes 2 per KB; a transaction's
  ConditionCheck is counted as a transactional write of its item (DynamoDB charges it as one). The "before"
  and "after" items are read with a second, uncounted client.

Sizes: both store counts are measured (`--small` and `--stores`, default 500 and 1,500: ~6 minutes on a shared
2-core machine, most of it moto sending the notices; `--quick`: 320 and 640, ~2-3 minutes); the per-month cost
at 15,000 stores (and at 1,500 with `--quick`) is extrapolated from the two measured points with a straight
line per stage (fixed part + per store), not measured (15,000 stores take too long on moto) — the table says
so. Keep both sizes above the inline-notice limit (300): below it the notices take the cheaper inline path.

Prices: on-demand, Asia Pacific (Tokyo), Standard table class, as stated in the constants below with their
date and source; storage, backups (PITR), streams and data transfer are not included.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: On-demand request prices, Asia Pacific (Tokyo), DynamoDB Standard, after AWS's price cut of 2024-11-01
#: (on-demand throughput -50%; us-east-1 became USD 0.625 per million WRU and 0.125 per million RRU, as pages
#: citing the cut state). The Tokyo figures are the ones the issue gives, not re-checked against
#: https://aws.amazon.com/dynamodb/pricing/on-demand/ from this machine: verify them there before quoting.
USD_PER_MILLION_WRU = 0.715
USD_PER_MILLION_RRU = 0.1425
PRICES_AS_OF = "2024-11-01 price cut, Tokyo figures assumed (verify on aws.amazon.com/dynamodb/pricing/on-demand/)"

MONTH = "2025-06"
ROWS_PER_STORE = 33  # ~50,000 usage rows a month at 1,500 stores (the seed's scale)
INQUIRIES_PER_STORE_MONTH = 12_000 / 1_500 / 12  # 12,000 inquiries a year at 1,500 stores
INQUIRY_SAMPLE = 20
TARGET_STORES = (1_500, 15_000)
STAGES = ("import", "draft", "approval", "notices", "inquiries")
HEADER = ("取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分")

_CAPACITY_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                 "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}


# --- item sizes and capacity units ------------------------------------------------------------------------


def _value_size(value: dict[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = len(v.lstrip("-").replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(v)) if isinstance(v, str) else len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(x) for k, x in v.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes DynamoDB counts for an item in wire format ({"name": {"S": "..."}})."""
    if not item:
        return 0
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in item.items())


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    blocks = max(1, math.ceil(size / 4096))
    return blocks * (2.0 if transactional else 1.0 if consistent else 0.5)


def write_units(size: int, *, transactional: bool = False) -> float:
    return max(1, math.ceil(size / 1024)) * (2.0 if transactional else 1.0)


# --- counting --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    calls: int = 0
    rru: float = 0.0
    wru: float = 0.0
    moto: float = 0.0  # what moto's ConsumedCapacity said

    def add(self, other: Tally, factor: float = 1.0) -> None:
        self.calls += round(other.calls * factor)
        self.rru += other.rru * factor
        self.wru += other.wru * factor
        self.moto += other.moto * factor


@dataclass
class Counter:
    """Counts the app's DynamoDB calls per (stage, operation) while `stage` is set."""

    side: Any  # an uncounted low-level client on the same endpoint, for items before and after writes
    stage: str | None = None
    tallies: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.side.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found

    def _key(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        schema = self._schemas.get(table)
        if schema is None:
            schema = [k["AttributeName"] for k in self.side.describe_table(TableName=table)["Table"]["KeySchema"]]
            self._schemas[table] = schema
        return {name: item[name] for name in schema}

    def __post_init__(self) -> None:
        self._schemas: dict[str, list[str]] = {}

    def _writes(self, op: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any] | None, bool]]:
        """(table, key, new item if known, transactional) of each item a write call touches."""
        if op in ("PutItem", "UpdateItem", "DeleteItem"):
            table = body["TableName"]
            item = body.get("Item")
            return [(table, body.get("Key") or self._key(table, item or {}), item, False)]
        if op == "BatchWriteItem":
            found = []
            for table, requests in body["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        item = r["PutRequest"]["Item"]
                        found.append((table, self._key(table, item), item, False))
                    else:
                        found.append((table, r["DeleteRequest"]["Key"], None, False))
            return found
        if op == "TransactWriteItems":
            found = []
            for entry in body["TransactItems"]:
                (_kind, spec), = entry.items()
                table = spec["TableName"]
                item = spec.get("Item")
                found.append((table, spec.get("Key") or self._key(table, item or {}), item, True))
            return found
        return []

    def before_call(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.stage is None or model.name not in _CAPACITY_OPS:
            return
        body = json.loads(params["body"] or b"{}")
        body["ReturnConsumedCapacity"] = "TOTAL"
        params["body"] = json.dumps(body).encode("utf-8")
        writes = self._writes(model.name, body)
        context["bench_writes"] = [(t, k, new, tx, item_size(self._get(t, k))) for t, k, new, tx in writes]
        context["bench_body"] = body

    def after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                   **_: Any) -> None:
        if self.stage is None:
            return
        tally = self.tallies[(self.stage, model.name)]
        tally.calls += 1
        # The wire answer: `parsed` may already be Python values (boto3's resource layer converts them first).
        parsed = json.loads(http_response.content or b"{}")
        consumed = parsed.get("ConsumedCapacity")
        for c in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            tally.moto += float(c.get("CapacityUnits") or 0)
        body = context.get("bench_body") or {}
        op = model.name
        if op == "GetItem":
            tally.rru += read_units(item_size(parsed.get("Item")), consistent=bool(body.get("ConsistentRead")))
        elif op in ("Query", "Scan"):
            items = parsed.get("Items") or []
            size = sum(item_size(i) for i in items)
            scanned = int(parsed.get("ScannedCount") or len(items))
            if items and scanned > len(items):
                size = size * scanned // len(items)
            tally.rru += read_units(size, consistent=bool(body.get("ConsistentRead")))
        elif op == "BatchGetItem":
            for table, items in (parsed.get("Responses") or {}).items():
                strong = bool(body.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
                tally.rru += sum(read_units(item_size(i), consistent=strong) for i in items)
        elif op == "TransactGetItems":
            for answer in parsed.get("Responses") or []:
                tally.rru += read_units(item_size(answer.get("Item")), consistent=True, transactional=True)
        writes = context.get("bench_writes") or []
        failed = int(http_response.status_code) >= 400
        for table, key, new, transactional, before in writes:
            after = item_size(new) if new is not None else item_size(self._get(table, key)) if not failed else 0
            tally.wru += write_units(max(before, after), transactional=transactional)

    @contextmanager
    def counting(self, stage: str) -> Iterator[None]:
        self.stage = stage
        try:
            yield
        finally:
            self.stage = None


# --- the scenario ----------------------------------------------------------------------------------------


def _jst(text: str) -> datetime:
    return datetime.fromisoformat(text + "+09:00")


def _usage_export(store_ids: list[str], rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    seq = 0
    for store_id in store_ids:
        for _ in range(ROWS_PER_STORE):
            seq += 1
            at = f"{MONTH}-{rng.randint(1, 30):02d} {rng.randint(9, 20):02d}:{rng.randrange(60):02d}:00"
            kind = "取消" if rng.random() < 0.02 else "利用"
            writer.writerow([f"T{seq:09d}", at, store_id, "店", str(int(rng.lognormvariate(6.8, 0.9)) + 1), kind])
    return out.getvalue().encode("utf-8-sig")


def _seed_stores(deps: Any, n: int) -> list[str]:
    """`n` active stores, approved before points could be used, written through the store repository."""
    from chalicelib.applications.service import _new_store
    from chalicelib.applications.validation import validate_application
    from chalicelib.auth.roles import Principal, Role
    from tests.factories import application_body

    screener = Principal("screener", frozenset({Role.SCREENER}))
    approved = _jst("2025-05-20T10:00:00")
    ids = []
    tx = deps.store_repository.new_tx()
    for i in range(1, n + 1):
        store_id = f"MP{i:06d}"
        data = validate_application(application_body()).fields
        deps.store_repository.create(tx, _new_store(store_id, {"application_id": f"A{i:07d}", "data": data},
                                                    screener, approved))
        ids.append(store_id)
        if i % 50 == 0 or i == n:
            tx.commit()
            tx = deps.store_repository.new_tx()
    return ids


def _inquiry(i: int) -> dict[str, Any]:
    return {"received_at": f"{MONTH}-10T10:{i % 60:02d}:00+09:00", "channel": "phone", "caller_type": "resident",
            "category": "points_use", "summary": "ポイントが使える店舗の探し方を知りたい。",
            "answer": "公式サイトの店舗検索を案内した。", "status": "resolved", "handling_minutes": 5,
            "caller_name": None, "caller_phone": None, "client_token": f"bench-inquiry-{i:05d}"}


def measure(stores: int) -> tuple[dict[tuple[str, str], Tally], dict[str, float]]:
    """One fresh local AWS, `stores` stores, the month counted; (tallies, seconds per stage)."""
    import boto3

    from chalicelib.adapters import aws
    from chalicelib.audit.log import Actor
    from chalicelib.auth.roles import Principal, Role
    from chalicelib.inquiries import service as inquiries
    from chalicelib.jobs import registry
    from chalicelib.settlement import service as settlement
    from chalicelib.usage import service as usage

    deps = fresh_local_deps()
    counter = Counter(side=boto3.session.Session().client("dynamodb", endpoint_url=_local_aws()))
    for events in (aws.client("dynamodb").meta.events, aws.dynamodb().meta.client.meta.events):
        events.register("before-call.dynamodb", counter.before_call)
        events.register("after-call.dynamodb", counter.after_call)

    accountant = Principal("accountant", frozenset({Role.ACCOUNTANT}))
    accountant2 = Principal("accountant2", frozenset({Role.ACCOUNTANT}))
    agent = Principal("agent", frozenset({Role.AGENT}))
    store_ids = _seed_stores(deps, stores)
    data = _usage_export(store_ids, random.Random(stores))
    seconds: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        with counter.counting(name):
            result = fn()
        seconds[name] = time.perf_counter() - start
        return result

    def import_month() -> dict[str, Any]:
        at = _jst("2025-07-02T09:30:00")
        import_id = usage.create_import(deps, data, accountant, at)
        return usage.process_import(deps, import_id, at, wait_seconds=120)

    report = stage("import", import_month)
    if report.get("status") != "committed":
        raise RuntimeError(f"the usage import did not commit: {report.get('status')}")
    stage("draft", lambda: settlement.draft(deps, MONTH, Actor.of(accountant), _jst("2025-07-07T10:00:00")))
    approved = stage("approval", lambda: settlement.approve(deps, MONTH, accountant2, _jst("2025-07-07T15:00:00")))
    round_ = settlement.get_round(deps, MONTH) or {}
    if round_.get("status") != "approved":
        raise RuntimeError(f"the round was not approved: {round_.get('status')}")
    seconds["stores_paid"] = float(approved.get("stores_paid") or 0)

    def sweep_until_sent() -> int:
        sent = 0
        for _ in range(10 + stores // 50):  # a bound: the sweep takes ~100 mails at a time
            result = registry.run("mail-sweep", _jst("2025-07-07T15:05:00"), deps)
            sent += int(result.get("sent") or 0)
            if not result.get("pending") and not result.get("rounds_completed"):
                return sent
        raise RuntimeError("the mail sweep did not empty the outbox")

    seconds["notices_sent"] = float(stage("notices", sweep_until_sent))
    stage("inquiries", lambda: [inquiries.log_inquiry(deps, agent, _inquiry(i), _jst(f"{MONTH}-10T10:30:00"))
                                for i in range(INQUIRY_SAMPLE)])
    return dict(counter.tallies), seconds


_SERVER: dict[str, Any] = {}


def fresh_local_deps() -> Any:
    """An emptied local AWS (tables, buckets and keys created again) and deps built on it, with the services'
    INFO lines turned down (they would bury the tables)."""
    import urllib.request

    from chalicelib.adapters import aws
    from chalicelib.adapters.bootstrap import create_all
    from chalicelib.deps import get_deps
    from chalicelib.observability import logger

    endpoint = _local_aws()
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()
    aws.reset_clients()  # clients of an earlier benchmark's local AWS (another port) are gone with it
    create_all("local")
    get_deps.cache_clear()
    logger.setLevel("WARNING")
    return get_deps()


def stop_local_aws() -> None:
    """Stop the local AWS a benchmark started (the next one in the same process starts its own)."""
    server = _SERVER.pop("server", None)
    _SERVER.pop("endpoint", None)
    if server is not None:
        server.stop()


def _local_aws() -> str:
    if "endpoint" not in _SERVER:
        import tempfile

        from scripts import localenv
        from scripts.local_aws import LocalAws
        from tests.e2e.conftest import free_port

        port = free_port()
        state = Path(tempfile.mkdtemp(prefix="dynamo-cost-"))
        localenv.apply(localenv.local_environment(state, port, 8000))
        from chalicelib.settings import get_settings

        get_settings.cache_clear()
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log, one line per call
        _SERVER["server"] = LocalAws(port).start()
        _SERVER["endpoint"] = f"http://127.0.0.1:{port}"
    return str(_SERVER["endpoint"])


# --- tables ----------------------------------------------------------------------------------------------


def _print_stage_table(title: str, tallies: dict[tuple[str, str], Tally], seconds: dict[str, float]) -> None:
    print(f"\n{title}")
    print(f"{'stage':<11}{'operation':<20}{'calls':>8}{'RRU':>11}{'WRU':>11}{'moto says':>11}")
    for stage in STAGES:
        rows = sorted(((op, t) for (s, op), t in tallies.items() if s == stage), key=lambda r: -r[1].calls)
        total = Tally()
        for op, t in rows:
            print(f"{stage:<11}{op:<20}{t.calls:>8}{t.rru:>11.1f}{t.wru:>11.1f}{t.moto:>11.1f}")
            total.add(t)
        label = f"{stage} total ({seconds[stage]:.1f} s)"
        print(f"{label:<31}{total.calls:>8}{total.rru:>11.1f}{total.wru:>11.1f}{total.moto:>11.1f}")


def _stage_totals(tallies: dict[tuple[str, str], Tally]) -> dict[str, Tally]:
    totals: dict[str, Tally] = {s: Tally() for s in STAGES}
    for (stage, _), t in tallies.items():
        totals[stage].add(t)
    return totals


def _at_scale(small: dict[str, Tally], large: dict[str, Tally], n_small: int, n_large: int,
              target: int) -> dict[str, Tally]:
    """Per stage, a straight line through the two measured sizes, read at `target` stores (never below 0)."""
    found: dict[str, Tally] = {}
    for stage in STAGES:
        a, b = small[stage], large[stage]
        slope = (target - n_large) / (n_large - n_small)
        found[stage] = Tally(calls=max(0, round(b.calls + (b.calls - a.calls) * slope)),
                             rru=max(0.0, b.rru + (b.rru - a.rru) * slope),
                             wru=max(0.0, b.wru + (b.wru - a.wru) * slope),
                             moto=max(0.0, b.moto + (b.moto - a.moto) * slope))
    return found


def _monthly(per_stage: dict[str, Tally], stores: int) -> tuple[float, float, float]:
    """(RRU, WRU, USD) of a month: one import, one draft, one approval, the month's inquiries."""
    inquiries_per_month = INQUIRIES_PER_STORE_MONTH * stores
    rru = wru = 0.0
    for stage in ("import", "draft", "approval", "notices"):
        rru += per_stage[stage].rru
        wru += per_stage[stage].wru
    rru += per_stage["inquiries"].rru / INQUIRY_SAMPLE * inquiries_per_month
    wru += per_stage["inquiries"].wru / INQUIRY_SAMPLE * inquiries_per_month
    usd = rru / 1e6 * USD_PER_MILLION_RRU + wru / 1e6 * USD_PER_MILLION_WRU
    return rru, wru, usd


def run(stores: int, small: int) -> int:
    started = time.perf_counter()
    measured: dict[int, dict[str, Tally]] = {}
    for n in (small, stores):
        tallies, seconds = measure(n)
        _print_stage_table(f"DynamoDB calls and capacity, {n} stores (measured; month {MONTH}, "
                           f"{n * ROWS_PER_STORE:,} usage rows, {seconds['stores_paid']:.0f} stores paid, "
                           f"{seconds['notices_sent']:.0f} mails sent by the sweep, "
                           f"{INQUIRY_SAMPLE} inquiries)", tallies, seconds)
        measured[n] = _stage_totals(tallies)
    print(f"\nmonthly on-demand cost, ap-northeast-1, USD {USD_PER_MILLION_RRU}/M RRU and USD "
          f"{USD_PER_MILLION_WRU}/M WRU (as of {PRICES_AS_OF})")
    print("a month = one usage import, one draft, one approval with its notices, and the inquiries of 12,000 a "
          "year per 1,500 stores; requests only (no storage, backups, streams)")
    print(f"{'stores':>8}  {'how':<34}{'import':>14}{'draft':>14}{'approval+notices':>18}{'inq/month':>11}"
          f"{'RRU':>12}{'WRU':>12}{'USD/month':>11}")
    for target in sorted({*TARGET_STORES, small, stores}):
        if target in measured:
            per_stage, how = measured[target], "measured"
        else:
            per_stage = _at_scale(measured[small], measured[stores], small, stores, target)
            how = f"extrapolated from {small} and {stores}"
        rru, wru, usd = _monthly(per_stage, target)
        cells = [f"{per_stage[s].calls:,} calls" for s in ("import", "draft")]
        cells.append(f"{per_stage['approval'].calls + per_stage['notices'].calls:,} calls")
        print(f"{target:>8,}  {how:<34}{cells[0]:>14}{cells[1]:>14}{cells[2]:>18}"
              f"{round(INQUIRIES_PER_STORE_MONTH * target):>11,}{rru:>12,.0f}{wru:>12,.0f}{usd:>11.4f}")
    print(f"(run took {time.perf_counter() - started:.0f} s; moto's ConsumedCapacity is a constant per call, "
          "shown only as a check; RRU/WRU computed from item sizes, see the module docstring)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dynamo_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="320 and 640 stores, both above the inline-notice limit (~2-3 minutes; default ~6)")
    parser.add_argument("--stores", type=int, default=1500, help="the larger measured size (default 1500)")
    parser.add_argument("--small", type=int, default=500, help="the smaller measured size (default 500)")
    args, _ = parser.parse_known_args(argv)  # `python -m bench` hands every benchmark the same arguments
    if args.quick:
        args.stores, args.small = 640, 320
    if not 0 < args.small < args.stores:
        parser.error("--small must be positive and below --stores")
    try:
        return run(args.stores, args.small)
    finally:
        stop_local_aws()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
