"""The mail sweep: sends every pending mail (first tries that failed or were cut off)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.deps import Deps
from chalicelib.jobs.registry import job


@job("mail-sweep")
def mail_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    ids = deps.outbox.pending_ids()
    counts = deps.outbox.deliver(ids, deps.sender, now)
    return {"pending": len(ids), **counts}
