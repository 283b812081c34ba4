"""The mail sweep: sends every pending mail (first tries that failed or were cut off)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.jobs.registry import job
from chalicelib.settlement import release


@job("mail-sweep", roles=(Role.ADMIN, Role.ACCOUNTANT, Role.AGENT, Role.COORDINATOR, Role.SCREENER))
def mail_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    # An approved round whose payment notices a crash left unqueued gets them now (exactly once).
    completed = release.complete_pending(deps, now)
    ids = deps.outbox.pending_ids()
    counts = deps.outbox.deliver(ids, deps.sender, now)
    return {"pending": len(ids), **counts, **({"rounds_completed": completed} if completed else {})}
