"""Scheduled jobs by name: the same functions run from EventBridge schedules and `POST /jobs/{name}`.

Each job is an idempotent sweep: it works out what is due, does it once, and reports what it did.
Areas register their jobs with `@job("name")` in their own `jobs.py`, listed in JOB_MODULES.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.clock import parse_aware
from chalicelib.deps import Deps, get_deps
from chalicelib.errors import InvalidInput, NotFound

JobFn = Callable[[Deps, datetime], dict[str, Any]]
JOBS: dict[str, JobFn] = {}

#: Modules whose import registers jobs (one per area of the business).
JOB_MODULES = (
    "chalicelib.mail.jobs",
    "chalicelib.settlement.jobs",
    "chalicelib.inquiries.jobs",
)


def job(name: str) -> Callable[[JobFn], JobFn]:
    def decorator(fn: JobFn) -> JobFn:
        JOBS[name] = fn
        return fn

    return decorator


@functools.cache
def _load() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)


def names() -> list[str]:
    _load()
    return sorted(JOBS)


def run(name: str, now: datetime, deps: Deps | None = None) -> dict[str, Any]:
    _load()
    if name not in JOBS:
        raise NotFound("そのジョブはありません", {"name": "、".join(sorted(JOBS))})
    return {"job": name, **JOBS[name](deps or get_deps(), now)}


def run_from_request(name: str, body: dict[str, Any], now: datetime, is_local: bool) -> dict[str, Any]:
    unknown = set(body) - {"now"}
    if unknown:
        raise InvalidInput("不明な項目があります", {k: "この項目は受け付けていません" for k in unknown})
    if "now" in body and is_local:
        if not isinstance(body["now"], str):
            raise InvalidInput("日時の形式が正しくありません", {"now": "ISO 8601 形式の文字列で指定してください"})
        now = parse_aware(body["now"])
    return {"now": now.isoformat(), **run(name, now)}
