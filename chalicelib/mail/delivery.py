"""Sending what a report run queued, and what an earlier run of the same kind left unsent.

Every scheduled report (daily and monthly inquiry reports, escalation notices, session reports and
warnings, the access report) queues its mails in the transaction that claims the delivery, then sends
them. A run cut off between the commit and the send leaves them pending: the next run of the same
kind sends them too, so a report reaches the prefecture exactly once, however often the job runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.deps import Deps


def send_with_earlier(deps: Deps, prefix: str, queued: list[str], now: datetime) -> dict[str, int]:
    """Send `queued` and every pending mail whose id starts with `prefix`; the outbox's counts plus
    `retried` (how many earlier mails were picked up)."""
    retry = [m for m in deps.outbox.pending_ids() if m.startswith(prefix) and m not in queued]
    return {"retried": len(retry), **deps.outbox.deliver([*queued, *retry], deps.sender, now)}
