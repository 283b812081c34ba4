"""Cold start (docs/SPEC.md §6.1): importing `app` against importing boto3 + pydantic alone (the baseline),
each in a fresh interpreter, measured in the same run. Target: at most 1.5x the baseline.
Run: `python -m bench.cold_start [runs]`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "import boto3, pydantic (baseline)": "import boto3, pydantic",
    "import app": "import app",
}


def _once(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def run(runs: int = 7) -> int:
    from scripts import localenv

    # The app reads its settings lazily; give it a local environment so nothing is missing.
    env = {**os.environ, **localenv.local_environment(ROOT / ".local", 4566, 8000), "PYTHONDONTWRITEBYTECODE": "0"}
    for code in CASES.values():  # warm the bytecode caches once, as a deployed package has them
        _once(code, env)
    results = {name: [_once(code, env) for _ in range(runs)] for name, code in CASES.items()}
    base = statistics.median(results["import boto3, pydantic (baseline)"])
    print(f"\ncold start, median of {runs} fresh interpreters")
    print(f"{'what':<36}{'median ms':>11}{'ratio':>8}")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:<36}{median * 1000:>11.0f}{median / base:>7.2f}x")
    ratio = statistics.median(results["import app"]) / base
    print(f"target ≤ 1.5x: {'yes' if ratio <= 1.5 else 'NO'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = [int(a) for a in (argv or []) if a.isdigit()]
    return run(*args[:1])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
