"""Scheduled jobs by name: the same functions run from EventBridge schedules and `POST /jobs/{name}`.

Each job is an idempotent sweep: it works out what is due, does it once, and reports what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.clock import parse_aware
from chalicelib.deps import Deps, get_deps
from chalicelib.errors import InvalidInput, NotFound


def mail_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Send every pending mail (first tries that failed, or were cut off)."""
    ids = deps.outbox.pending_ids()
    counts = deps.outbox.deliver(ids, deps.sender, now)
    return {"job": "mail-sweep", "pending": len(ids), **counts}


JOBS: dict[str, Callable[[Deps, datetime], dict[str, Any]]] = {
    "mail-sweep": mail_sweep,
}


def run(name: str, now: datetime, deps: Deps | None = None) -> dict[str, Any]:
    if name not in JOBS:
        raise NotFound("そのジョブはありません", {"name": "、".join(sorted(JOBS))})
    return JOBS[name](deps or get_deps(), now)


def run_from_request(name: str, body: dict[str, Any], now: datetime, is_local: bool) -> dict[str, Any]:
    unknown = set(body) - {"now"}
    if unknown:
        raise InvalidInput("不明な項目があります", {k: "この項目は受け付けていません" for k in unknown})
    if "now" in body and is_local:
        if not isinstance(body["now"], str):
            raise InvalidInput("日時の形式が正しくありません", {"now": "ISO 8601 形式の文字列で指定してください"})
        now = parse_aware(body["now"])
    return {"now": now.isoformat(), **run(name, now)}
