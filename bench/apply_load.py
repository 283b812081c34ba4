"""Load on the public application endpoint through the real local stack (docs/SPEC.md §6.1, §6.2).

Starts `python -m scripts.local_stack` on free ports, sends a burst of N applications (default
300; docs/SPEC.md §6.2 names a burst of 1,500: pass 1500) from C concurrent clients, each with its own client token, then re-sends a tenth of them
(double submits). Prints latency percentiles and requests per second, next to a baseline measured
in the same run (`GET /health` through the same stack), and checks that none was lost and none
duplicated, that no request answered 5xx, and that the local AWS failed no request (a 500 from moto
is retried by the SDK, so the app may never see it: the stack's log shows it). Run:
`python -m bench.apply_load [N] [C]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.conftest import ROOT, start_stack
from tests.factories import application_body


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _local_aws_failures(log: Path) -> int:
    """Requests the local AWS (moto) answered with an internal error, from the stack's output."""
    return log.read_text(encoding="utf-8", errors="replace").count("Error on request")


def run(n: int = 300, clients: int = 8) -> int:
    log = ROOT / ".local" / "bench-stack.log"
    gen = start_stack(log)
    stack = next(gen)
    try:
        bodies = [application_body(client_token=f"bench-{i:06d}-token") for i in range(n)]
        with ThreadPoolExecutor(max_workers=clients) as pool:
            health_start = time.perf_counter()
            health = list(pool.map(lambda _: _timed(lambda: stack.request("GET", "/health")), range(300)))
            health_wall = time.perf_counter() - health_start
            apply_start = time.perf_counter()
            sent = list(pool.map(lambda b: _timed(lambda: stack.request("POST", "/applications", b)), bodies))
            apply_wall = time.perf_counter() - apply_start
            again = list(pool.map(lambda b: stack.request("POST", "/applications", b), bodies[: n // 10]))
        statuses = [r[1][0] for r in sent]
        ids = [r[1][1].get("application_id") for r in sent if isinstance(r[1][1], dict)]
        replay_ok = [a[1].get("application_id") for a in again] == ids[: n // 10]
        queued: set[str] = set()
        cursor = None
        while True:
            path = "/applications?status=submitted&limit=200" + (f"&cursor={cursor}" if cursor else "")
            _, page = stack.request("GET", path, token="screener")
            queued.update(i["application_id"] for i in page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        h = [t for t, _ in health]
        a = [t for t, _ in sent]
        rows = [
            ("GET /health (baseline)", len(h), statistics.median(h) * 1000, _pct(h, 0.95), len(h) / health_wall),
            ("POST /applications", len(a), statistics.median(a) * 1000, _pct(a, 0.95), len(a) / apply_wall),
        ]
        print(f"\npublic application endpoint through the local stack ({clients} concurrent clients)")
        print(f"{'request':<26}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>9}")
        for name, count, p50, p95, rps in rows:
            print(f"{name:<26}{count:>7}{p50:>10.1f}{p95:>10.1f}{rps:>9.1f}")
        print(f"ratio p95 apply/health: {rows[1][3] / rows[0][3]:.1f}x")
        lost = n - len(queued)
        server_errors = sum(1 for s in statuses + [a[0] for a in again] if s >= 500)
        aws_failures = _local_aws_failures(log)
        print(f"201 answers: {statuses.count(201)}/{n}; distinct ids: {len(set(ids))}; in the queue: {len(queued)}; "
              f"lost: {lost}; duplicated: {len(ids) - len(set(ids))}; replays answered the same id: {replay_ok}")
        print(f"5xx answers: {server_errors}; local AWS internal errors: {aws_failures}")
        ok = statuses.count(201) == n and lost == 0 and len(set(ids)) == n and replay_ok
        return 0 if ok and server_errors == 0 and aws_failures == 0 else 1
    finally:
        next(gen, None)


def main(argv: list[str] | None = None) -> int:
    args = [int(a) for a in (argv or []) if a.isdigit()]
    return run(*args[:2])


if __name__ == "__main__":
    Path(ROOT / ".local").mkdir(exist_ok=True)
    raise SystemExit(main(sys.argv[1:]))
