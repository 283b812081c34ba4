"""Sending what a report run queued, and what an earlier run of the same kind left unsent.

Every scheduled report (daily and monthly inquiry reports, escalation notices, session reports and
warnings, the access report) queues its mails in the transaction that claims the delivery, then sends
them. A run cut off between the commit and the send leaves them pending: the next run of the same
kind sends them too, so a report reaches the prefecture exactly once, however often the job runs.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters.dynamo import MemoryTx

if TYPE_CHECKING:
    from chalicelib.adapters.dynamo import Transaction
    from chalicelib.deps import Deps


def send_with_earlier(deps: Deps, prefix: str, queued: list[str], now: datetime) -> dict[str, int]:
    """Send `queued` and every pending mail whose id starts with `prefix`; the outbox's counts plus
    `retried` (how many earlier mails were picked up)."""
    retry = [m for m in deps.outbox.pending_ids() if m.startswith(prefix) and m not in queued]
    return {"retried": len(retry), **deps.outbox.deliver([*queued, *retry], deps.sender, now)}


class Marks(Protocol):
    """Which deliveries were made: a report claims its key with the change that delivers it."""

    def delivered(self, key: str) -> dict[str, Any] | None: ...

    def claim_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        """Claim `key` with the change that delivers it; a key claimed before is a Conflict at commit."""
        ...


class KeyMarks:
    """Marks in the keys table under one prefix (pk `<prefix><key>`, e.g. `sessions#report#2026-01`), through
    the shared KeyStore port."""

    def __init__(self, deps: Deps, prefix: str) -> None:
        self.keys = deps.keys
        self.prefix = prefix

    def delivered(self, key: str) -> dict[str, Any] | None:
        return self.keys.get(self.prefix + key)

    def claim_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        self.keys.claim_in(tx, self.prefix + key, attrs)


class InMemoryMarks:
    """The twin of KeyMarks for tests on the in-memory repositories."""

    def __init__(self) -> None:
        self.claims: dict[str, dict[str, Any]] = {}

    def delivered(self, key: str) -> dict[str, Any] | None:
        found = self.claims.get(key)
        return copy.deepcopy(found) if found else None

    def claim_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's marks in a MemoryTx")
        item = copy.deepcopy(attrs)
        tx.add(lambda: key not in self.claims, lambda: self.claims.__setitem__(key, item))
