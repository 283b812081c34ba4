"""Cold start (docs/SPEC.md §6.1, issue 14 point 3): importing `app` against importing boto3 + pydantic alone
(the baseline), each in a fresh interpreter, measured in the same run. Target: at most 1.3x the baseline.

The cases take turns within each round (baseline, app, app + first request, then the next round), so a
neighbour's load on this shared machine falls on all of them alike; each is timed by the wall clock and
by the CPU time (user + system) the interpreter used, and the table shows the median of each.

`import app + GET /health` also serves one request through the Lambda handler (API Gateway's event,
Powertools' context fields): what a cold start costs before its first answer, so that an import moved
from cold start into the first request shows up there instead of disappearing. Informational: the
target is on `import app`.

Run: `python -m bench.cold_start [runs]`.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
BASELINE = "import boto3, pydantic (baseline)"
APP = "import app"
FIRST_REQUEST = "import app + GET /health"

_HEALTH = """
import app
from types import SimpleNamespace
event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"Host": "localhost"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": "bench-cold-start",
                            "path": "/health", "stage": "api"}}
context = SimpleNamespace(function_name="api", memory_limit_in_mb=512, aws_request_id="bench-cold-start",
                          invoked_function_arn="arn:aws:lambda:ap-northeast-1:123456789012:function:api")
assert app.app(event, context)["statusCode"] == 200
"""

CASES = {
    BASELINE: "import boto3, pydantic",
    APP: "import app",
    FIRST_REQUEST: _HEALTH,
}


def _once(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(runs: int = 9) -> int:
    from scripts import localenv

    # The app reads its settings lazily; give it a local environment so nothing is missing.
    env = {**os.environ, **localenv.local_environment(ROOT / ".local", 4566, 8000), "PYTHONDONTWRITEBYTECODE": "0"}
    for code in CASES.values():  # warm the bytecode caches once, as a deployed package has them
        _once(code, env)
    walls: dict[str, list[float]] = {name: [] for name in CASES}
    cpus: dict[str, list[float]] = {name: [] for name in CASES}
    names = list(CASES)
    for i in range(runs):
        for name in names[i % len(names):] + names[:i % len(names)]:  # each case goes first in turn
            wall, cpu = _once(CASES[name], env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base_wall = statistics.median(walls[BASELINE])
    base_cpu = statistics.median(cpus[BASELINE])
    print(f"\ncold start, median of {runs} fresh interpreters per case, cases interleaved")
    print(f"{'what':<36}{'wall ms':>9}{'ratio':>8}{'cpu ms':>9}{'ratio':>8}")
    for name in CASES:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:<36}{wall * 1000:>9.0f}{wall / base_wall:>7.2f}x{cpu * 1000:>9.0f}{cpu / base_cpu:>7.2f}x")
    ratio = statistics.median(walls[APP]) / base_wall
    print(f"target: import app ≤ {TARGET}x the baseline (wall): {'yes' if ratio <= TARGET else 'NO'} ({ratio:.2f}x)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = [int(a) for a in (argv or []) if a.isdigit()]
    return run(*args[:1])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
