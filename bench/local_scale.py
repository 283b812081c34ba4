"""The local stack with a year of data (issue 14 point 2): is it still fast?

    python -m bench.local_scale [--stores 1500] [--requests 200] [--clients 4]
    python -m bench.local_scale --base http://127.0.0.1:8000     # a stack started with SEED=year make run

Starts `python -m scripts.local_stack` on free ports (SEED=0), seeds the year into it with
`python -m scripts.seed_year` (scripts/seed_year.py: N stores, ten months of usage, ~8 inquiries per
store, the sessions; the last month's round is left to draft), then measures through HTTP, as the
console would call the app:

- `GET /health` — the baseline, measured in the same run with the same clients;
- `POST /applications` (the public form) — target p95 ≤ 200 ms;
- the list screens — the stores list, the screening queue, a day's inquiries, the inquiries in one
  status, the usage imports, a round, a page of its lines (50) and their stores' names, as the console's
  settlement screen reads them — target p95 ≤ 300 ms; every line of the round at once is shown too, without
  a target (what the screen read before it paged);
- the last round's draft (accountant) and approval (accountant2: four eyes) for all the stores, each
  once — target ≤ 30 s.

Prints one table: n, p50, p95 (ms, or seconds for the round), the ratio of p95 to the health p95, the
target and whether it holds. Also how long the seed took. No assertion: a benchmark reports.

    python -m bench.local_scale --calls 200

The local AWS itself, in this process (scripts/local_aws.py): N PutItem + GetItem pairs and N small S3
PutObject + GetObject pairs through chalicelib.adapters.aws's clients, first over HTTP (a TCP connection
and werkzeug per call, as before), then answered in process (`LocalAws.serve_in_process`, what the local
stack does), each also from 4 threads at once; ms per call and the ratio against HTTP in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tests.e2e.conftest import ROOT, Stack, start_stack
from tests.factories import application_body

ROUND = "2026-02"
ROUND_DAY = "2026-03-05T10:00:00+09:00"
DAY_OF_INQUIRIES = "2026-02-16"
TARGET_APPLY_MS = 200
TARGET_LIST_MS = 300
TARGET_ROUND_S = 30


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def seed(stack: Stack, stores: int) -> tuple[float, str]:
    env = {**os.environ, "AWS_PORT": str(urlparse(stack.aws).port), "APP_PORT": str(urlparse(stack.base).port),
           "SEED_YEAR_STORES": str(stores), "SEED_YEAR_OPEN_ROUNDS": "1"}
    seconds, run = _timed(lambda: subprocess.run([sys.executable, "-m", "scripts.seed_year"], cwd=ROOT, env=env,
                                                 capture_output=True, text=True, timeout=3600))
    if run.returncode != 0:
        raise RuntimeError("the year seed failed:\n" + run.stdout[-2000:] + run.stderr[-4000:])
    return seconds, run.stdout


def _burst(pool: ThreadPoolExecutor, n: int, call: Callable[[int], tuple[int, Any]]) -> tuple[list[float], int]:
    results = list(pool.map(lambda i: _timed(lambda: call(i)), range(n)))
    errors = sum(1 for _, (status, _) in results if status >= 400)
    return [t for t, _ in results], errors


def _names_path(stack: Stack) -> str:
    """The names the settlement screen asks for beside its first page of lines."""
    status, page = stack.request("GET", "/settlements/2026-01/lines?limit=50", token="accountant")
    ids = [str(line["store_id"]) for line in page.get("items", [])] if status == 200 and isinstance(page, dict) else []
    return "/settlements/2026-01/stores?ids=" + ",".join(ids or ["MP000001"])


def _round(stack: Stack, now: dict[str, str], rows: list[Any]) -> tuple[Any, Any]:
    """The open round drafted (accountant) and approved (accountant2), each timed once."""
    drafted_s, (status, drafted) = _timed(lambda: stack.request("POST", f"/settlements/{ROUND}/draft", {},
                                                                 token="accountant", headers=now))
    rows.append((f"POST /settlements/{ROUND}/draft", 1, drafted_s, drafted_s, TARGET_ROUND_S, "s",
                 int(status != 200)))
    approved_s, (status, approved) = _timed(lambda: stack.request("POST", f"/settlements/{ROUND}/approve", {},
                                                                   token="accountant2", headers=now))
    rows.append((f"POST /settlements/{ROUND}/approve", 1, approved_s, approved_s, TARGET_ROUND_S, "s",
                 int(status != 200)))
    return drafted, approved


def _running(base: str) -> Iterator[Stack]:
    """A stack that is already running (e.g. `SEED=year make run`), with the tokens it wrote."""
    tokens = json.loads((ROOT / ".local" / "tokens.json").read_text(encoding="utf-8"))
    yield Stack(base, "", tokens, None, ROOT / ".local" / "aws.log")  # type: ignore[arg-type]


def run(stores: int = 1500, requests: int = 200, clients: int = 4, base: str | None = None) -> int:
    log = ROOT / ".local" / "bench-local-scale.log"
    gen = _running(base) if base else start_stack(log)
    stack = next(gen)
    try:
        seed_seconds, seed_out = seed(stack, stores) if not base else (0.0, "")
        rows: list[tuple[str, int, float, float, float | None, str, int]] = []
        with ThreadPoolExecutor(max_workers=clients) as pool:
            health, _ = _burst(pool, requests, lambda _: stack.request("GET", "/health"))
            base_p95 = _pct(health, 0.95)
            rows.append(("GET /health (baseline)", len(health), statistics.median(health), base_p95, None, "", 0))
            # A fresh token per run: a rerun against the same stack (--base) submits new applications
            # rather than timing the idempotent replay of the last run's.
            run = os.urandom(4).hex()
            bodies = [application_body(client_token=f"bench-scale-{run}-{i:06d}") for i in range(requests)]
            applied, errors = _burst(pool, requests, lambda i: stack.request("POST", "/applications", bodies[i]))
            rows.append(("POST /applications", len(applied), statistics.median(applied), _pct(applied, 0.95),
                         TARGET_APPLY_MS / 1000, "ms", errors))
            screens = [
                ("GET /stores (active, 50)", "/stores?status=active&limit=50", "screener"),
                ("GET /applications (queue, 50)", "/applications?status=submitted&limit=50", "screener"),
                ("GET /inquiries (a day, 50)", f"/inquiries?date={DAY_OF_INQUIRIES}&limit=50", "agent"),
                ("GET /inquiries (escalated, 50)", "/inquiries?status=escalated&limit=50", "agent"),
                ("GET /usage-imports", "/usage-imports", "accountant"),
                ("GET /settlements/2026-01 (round)", "/settlements/2026-01", "accountant"),
                # The console's settlement screen reads its lines a page at a time, with the page's names.
                ("GET /settlements/2026-01/lines (50)", "/settlements/2026-01/lines?limit=50", "accountant"),
                ("GET /settlements/2026-01/stores (50)", _names_path(stack), "accountant"),
            ]
            for name, path, token in screens:
                times, errors = _burst(pool, max(20, requests // 4),
                                       lambda _, p=path, t=token: stack.request("GET", p, token=t))  # type: ignore[misc]
                rows.append((name, len(times), statistics.median(times), _pct(times, 0.95), TARGET_LIST_MS / 1000,
                             "ms", errors))
            # Every line at once (what the screen read before it paged): shown, no target.
            times, errors = _burst(pool, max(20, requests // 4),
                                   lambda _: stack.request("GET", "/settlements/2026-01/lines", token="accountant"))
            rows.append(("GET /settlements/2026-01/lines (all)", len(times), statistics.median(times),
                         _pct(times, 0.95), None, "ms", errors))
        now = {"X-Miyapo-Now": ROUND_DAY}
        _, existing = stack.request("GET", f"/settlements/{ROUND}", token="accountant")
        drafted: Any = None
        approved: Any = None
        if isinstance(existing, dict) and existing.get("status") == "approved":
            print(f"(round {ROUND} is already approved on this stack: its draft and approval are not measured)")
        else:
            drafted, approved = _round(stack, now, rows)
        print(f"\nthe local stack with a year at {stores} stores, through HTTP ({clients} concurrent clients)")
        print(f"seeded in {seed_seconds:.0f} s:" if not base else f"the running stack at {base}, seeded before")
        for line in seed_out.splitlines():
            text = line.split("seed year: ", 1)[-1]
            if text.split(":", 1)[0] in ("stores", "settlement", "inquiries", "sessions"):
                print(f"  {text}")
        print(f"{'request':<36}{'n':>5}{'p50':>10}{'p95':>10}{'x health':>10}{'target':>10}{'met':>6}{'errors':>8}")
        ok = True
        for name, n, p50, p95, target, unit, errors in rows:
            scale = 1 if unit == "s" else 1000
            shown = "s" if unit == "s" else "ms"
            met = "" if target is None else ("yes" if p95 <= target and not errors else "NO")
            ok = ok and met != "NO"
            target_text = "" if target is None else f"≤{target * scale:g}{shown}"
            print(f"{name:<36}{n:>5}{p50 * scale:>8.1f}{shown:<2}{p95 * scale:>8.1f}{shown:<2}"
                  f"{p95 / base_p95:>9.1f}x{target_text:>10}{met:>6}{errors:>8}")
        if isinstance(drafted, dict) and isinstance(approved, dict):
            print(f"round {ROUND}: {drafted.get('stores_paid')} stores paid, {len(drafted.get('held') or [])} held, "
                  f"total {approved.get('total_amount')} yen, status {approved.get('status')}")
        return 0 if ok else 1
    finally:
        next(gen, None)


def _calls_once(n: int, threads: int, table: str, bucket: str) -> tuple[float, float]:
    """Seconds per call for n PutItem+GetItem pairs, then n PutObject+GetObject pairs, spread on threads."""
    from chalicelib.adapters import aws

    db, s3 = aws.client("dynamodb"), aws.client("s3")

    def dynamo(i: int) -> None:
        key = {"pk": {"S": f"bench-{i % 50}"}, "sk": {"S": f"{i:06d}"}}
        db.put_item(TableName=table, Item={**key, "v": {"S": "x" * 200}})
        db.get_item(TableName=table, Key=key, ConsistentRead=True)

    def objects(i: int) -> None:
        s3.put_object(Bucket=bucket, Key=f"bench/{i:06d}.txt", Body=b"x" * 2048)
        s3.get_object(Bucket=bucket, Key=f"bench/{i:06d}.txt")["Body"].read()

    out = []
    for work in (dynamo, objects):
        with ThreadPoolExecutor(max_workers=threads) as pool:
            seconds, _ = _timed(lambda w=work: list(pool.map(w, range(n))))  # type: ignore[misc]
        out.append(seconds / (2 * n))
    return out[0], out[1]


def calls(n: int = 200) -> int:
    """The local AWS's calls over HTTP against in process, in one run."""
    from chalicelib.adapters import aws
    from scripts.local_aws import LocalAws
    from tests.e2e.conftest import free_port

    port = free_port()
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "ap-northeast-1",
                       "AWS_REGION": "ap-northeast-1"})
    aws.reset_clients()
    local = LocalAws(port).start()
    try:
        table, bucket = "bench-calls", "bench-calls"
        aws.client("dynamodb").create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        aws.client("s3").create_bucket(Bucket=bucket,
                                       CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
        results: dict[tuple[str, int], tuple[float, float]] = {}
        for threads in (1, 4):
            _calls_once(20, threads, table, bucket)  # warm up the HTTP path
            results[("HTTP", threads)] = _calls_once(n, threads, table, bucket)
        handled = local.serve_in_process()
        for threads in (1, 4):
            _calls_once(20, threads, table, bucket)
            results[("in process", threads)] = _calls_once(n, threads, table, bucket)
        print(f"\nthe local AWS's calls from the app's clients ({n} pairs each; {handled.calls} answered in process)")
        print(f"{'path':<14}{'threads':>8}{'DynamoDB ms/call':>18}{'x HTTP':>8}{'S3 ms/call':>12}{'x HTTP':>8}")
        for (path, threads), (dynamo, objects) in results.items():
            http_dynamo, http_objects = results[("HTTP", threads)]
            print(f"{path:<14}{threads:>8}{dynamo * 1000:>18.2f}{dynamo / http_dynamo:>7.2f}x"
                  f"{objects * 1000:>12.2f}{objects / http_objects:>7.2f}x")
        return 0
    finally:
        local.stop()
        aws.reset_clients()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local stack with a year of data: latency against /health.")
    parser.add_argument("--stores", type=int, default=1500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--base", default=None,
                        help="measure a running stack already seeded (e.g. SEED=year make run) instead of starting "
                             "one; its round 2026-02 is drafted and approved only if it is still open")
    parser.add_argument("--calls", type=int, default=0,
                        help="instead: N PutItem/GetItem and PutObject/GetObject pairs on a local AWS in this "
                             "process, over HTTP against in process")
    args = parser.parse_args(argv or [])
    if args.calls:
        return calls(args.calls)
    return run(args.stores, args.requests, args.clients, args.base)


if __name__ == "__main__":
    Path(ROOT / ".local").mkdir(exist_ok=True)
    raise SystemExit(main(sys.argv[1:]))
