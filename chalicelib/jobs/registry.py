"""Scheduled jobs by name: the same functions run from EventBridge schedules and `POST /jobs/{name}`.

Each job is an idempotent sweep: it works out what is due, does it once, and reports what it did.
Areas register their jobs with `@job("name", roles=…)` in their own `jobs.py`, listed in JOB_MODULES.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal, Role
from chalicelib.clock import parse_aware
from chalicelib.deps import Deps, get_deps
from chalicelib.errors import Forbidden, InvalidInput, NotFound

JobFn = Callable[[Deps, datetime], dict[str, Any]]
JOBS: dict[str, JobFn] = {}
#: Who may trigger each job by hand (`POST /jobs/{name}`): only the roles that own its work. A job
#: that moves money is never an agent's to run.
JOB_ROLES: dict[str, frozenset[Role]] = {}

#: Modules whose import registers jobs (one per area of the business).
JOB_MODULES = (
    "chalicelib.mail.jobs",
    "chalicelib.settlement.jobs",
    "chalicelib.inquiries.jobs",
    "chalicelib.sessions.jobs",
    "chalicelib.stores.bank_master",
    "chalicelib.overview.jobs",
    "chalicelib.privacy.access_jobs",
    "chalicelib.privacy.jobs",
    "chalicelib.yearend.jobs",
)


def job(name: str, roles: Iterable[Role]) -> Callable[[JobFn], JobFn]:
    def decorator(fn: JobFn) -> JobFn:
        JOBS[name] = fn
        JOB_ROLES[name] = frozenset(roles)
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


def run_from_request(name: str, body: dict[str, Any], now: datetime, is_local: bool,
                     principal: Principal) -> dict[str, Any]:
    """A manual trigger: only by a role that owns the job, and audited (who, which job, when, result)."""
    _load()
    if name not in JOBS:
        raise NotFound("そのジョブはありません", {"name": "、".join(sorted(JOBS))})
    if not principal.has_any(JOB_ROLES[name]):
        raise Forbidden("このジョブを実行する権限がありません",
                        {"name": "実行できるのは " + "・".join(sorted(r.value for r in JOB_ROLES[name])) + " です"})
    unknown = set(body) - {"now"}
    if unknown:
        raise InvalidInput("不明な項目があります", {k: "この項目は受け付けていません" for k in unknown})
    if "now" in body and is_local:
        if not isinstance(body["now"], str):
            raise InvalidInput("日時の形式が正しくありません", {"now": "ISO 8601 形式の文字列で指定してください"})
        now = parse_aware(body["now"])
    deps = get_deps()
    result = {"now": now.isoformat(), **run(name, now, deps)}
    deps.audit.append(entry(Actor.of(principal), "job.run", f"job#{name}", now,
                            detail={"result": json.loads(json.dumps(result, default=str))}))
    return result
