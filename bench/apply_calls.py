"""What one public application costs in AWS calls, with few and with many applications present (issue 14 point 2).

    python -m bench.apply_calls [--present 1500] [--submits 40]

What runs: the local AWS of the tests and the local stack (moto's server, scripts/local_aws.py, answering
the app's calls in process as the local stack does), started as bench.dynamo_cost starts it, with the
app's tables. `--submits` applications go through `applications.service.submit` exactly as
`POST /applications` calls it (each its own client token, the mails sent through SES), first on empty
tables, then again after `--present` more applications were submitted the same way (not counted).
Each AWS call of a submit is timed on botocore's events (from the request's creation to its parsed
answer): per operation (and table), the calls per submit and the ms per submit, both times, with the
time of the whole submit and a GetItem of the keys table measured in the same run as the baseline.

No assertions: the table is the result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 5, 20, 10, 0, tzinfo=JST)


class CallClock:
    """botocore's events on every session chalicelib.adapters.aws creates: each call's operation, its table or
    bucket, and its time from `before-call` to `after-call` (what the app waits for)."""

    def __init__(self) -> None:
        self.on = False
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._local = threading.local()

    def register(self, session: Any) -> None:
        session.events.register("before-call", self._before)
        session.events.register("after-call", self._after)

    def _before(self, model: Any = None, params: Any = None, **_: Any) -> None:
        body = params.get("body") if isinstance(params, dict) else None
        if isinstance(body, bytes | str) and body[:1] in (b"{", "{"):
            body = json.loads(body)
        target = ""
        if isinstance(body, dict):
            target = str(body.get("TableName") or body.get("Bucket") or "")
            if not target and isinstance(body.get("TransactItems"), list):
                target = f"{len(body['TransactItems'])} items"
        self._local.started = (f"{model.service_model.service_name}.{model.name}" + (f" [{target}]" if target else ""),
                               time.perf_counter())

    def _after(self, **_: Any) -> None:
        started = getattr(self._local, "started", None)
        if started is None or not self.on:
            return
        name, at = started
        self.seconds[name] += time.perf_counter() - at
        self.calls[name] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def _bodies(prefix: str, n: int) -> list[dict[str, Any]]:
    from tests.factories import application_body

    return [application_body(client_token=f"{prefix}-{i:06d}-token") for i in range(n)]


def _measure(deps: Any, clock: CallClock, bodies: list[dict[str, Any]]) -> tuple[float, dict[str, tuple[float, float]]]:
    from chalicelib.applications import service

    clock.reset()
    clock.on = True
    seconds = []
    for body in bodies:
        start = time.perf_counter()
        service.submit(deps, body, NOW)
        seconds.append(time.perf_counter() - start)
    clock.on = False
    n = len(bodies)
    return statistics.median(seconds), {k: (clock.calls[k] / n, clock.seconds[k] / n) for k in clock.calls}


def _baseline(deps: Any, runs: int = 50) -> float:
    from chalicelib.adapters import aws

    table = aws.table(deps.settings.tables.keys_table)
    table.get_item(Key={"pk": "bench", "sk": "none"})
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        table.get_item(Key={"pk": "bench", "sk": "none"}, ConsistentRead=True)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def run(present: int, submits: int) -> int:
    from bench.dynamo_cost import _SERVER, fresh_local_deps
    from chalicelib.adapters import aws
    from chalicelib.applications import service

    fresh_local_deps()
    _SERVER["server"].serve_in_process()
    clock = CallClock()
    aws.on_new_session(clock.register)
    try:
        from chalicelib.deps import get_deps

        get_deps.cache_clear()
        deps = get_deps()
        service.submit(deps, _bodies("bench-warm", 1)[0], NOW)  # clients, data keys, lazy imports
        base_few = _baseline(deps)
        few = _measure(deps, clock, _bodies("bench-few", submits))
        started = time.perf_counter()
        for body in _bodies("bench-present", present):
            service.submit(deps, body, NOW)
        seeded = time.perf_counter() - started
        base_many = _baseline(deps)
        many = _measure(deps, clock, _bodies("bench-many", submits))
    finally:
        aws.on_new_session(clock.register, remove=True)

    print(f"\nPOST /applications in process: {submits} submits with {submits + 1} and with {present + 2 * submits + 1} "
          f"applications present (the {present:,} between submitted in {seeded:.0f} s)")
    print(f"{'submit (median)':<58}{few[0] * 1000:>10.1f} ms{many[0] * 1000:>10.1f} ms"
          f"{many[0] / few[0]:>8.2f}x")
    print(f"{'baseline: GetItem (keys table)':<58}{base_few * 1000:>10.2f} ms{base_many * 1000:>10.2f} ms")
    print(f"{'AWS call per submit':<50}{'calls':>8}{'few ms':>13}{'many ms':>13}{'x':>8}")
    names = sorted(set(few[1]) | set(many[1]), key=lambda k: -many[1].get(k, (0, 0))[1])
    for name in names:
        _, ms_few = few[1].get(name, (0.0, 0.0))
        calls_many, ms_many = many[1].get(name, (0.0, 0.0))
        ratio = f"{ms_many / ms_few:>7.2f}x" if ms_few else f"{'':>8}"
        print(f"{name[:50]:<50}{calls_many:>8.1f}{ms_few * 1000:>13.2f}{ms_many * 1000:>13.2f}{ratio}")
    total_few = sum(v[1] for v in few[1].values())
    total_many = sum(v[1] for v in many[1].values())
    print(f"{'all AWS calls':<50}{sum(v[0] for v in many[1].values()):>8.1f}{total_few * 1000:>13.2f}"
          f"{total_many * 1000:>13.2f}{total_many / total_few:>7.2f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.apply_calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--present", type=int, default=1500, help="applications submitted between (default 1500)")
    parser.add_argument("--submits", type=int, default=40, help="timed submits each time (default 40)")
    args, _ = parser.parse_known_args(argv)
    from bench.dynamo_cost import stop_local_aws

    try:
        return run(args.present, args.submits)
    finally:
        stop_local_aws()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
