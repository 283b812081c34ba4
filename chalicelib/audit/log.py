"""The append-only audit log: who (user, role), what (action, subject), when, before/after.

Entries are only ever put with a not-exists condition and never updated; the functions' IAM
policy has no UpdateItem/DeleteItem on this table. Values in before/after are masked: the log
records that personal data was seen or changed, not the data itself.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import DEFAULT_CONFLICT, MemoryTx, Transaction, _clean, conflict_on_condition, plain
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict


@dataclass(frozen=True)
class Actor:
    user: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user, principal.role_label)


SYSTEM = Actor("system", "system")
APPLICANT = Actor("applicant", "public")


def entry(actor: Actor, action: str, subject: str, now: datetime, *,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          detail: dict[str, Any] | None = None) -> dict[str, Any]:
    at = now.isoformat(timespec="milliseconds")
    return {
        "day": now.date().isoformat(),
        "entry_id": f"{at}#{uuid.uuid4().hex[:12]}",
        "at": at,
        "user": actor.user,
        "role": actor.role,
        "action": action,
        "subject": subject,
        "before": before,
        "after": after,
        "detail": detail,
    }


class AuditTrail(Protocol):
    """The audit log's port: entries are added (never changed) and read back by day or by subject."""

    def add_to(self, tx: Transaction, item: dict[str, Any]) -> None:
        """The entry lands with the change it records (all or none); a repeated entry id is a Conflict."""
        ...

    def append(self, item: dict[str, Any]) -> None:
        """An entry on its own (a read of personal data, an export); a repeated entry id is a Conflict."""
        ...

    def by_day(self, day: str, limit: int = 200) -> list[dict[str, Any]]:
        """A JST day's entries, newest first."""
        ...

    def by_subject(self, subject: str, limit: int = 200) -> list[dict[str, Any]]:
        """A subject's entries (`application#…`, `store#…`, …), newest first."""
        ...


class AuditLog:
    """The DynamoDB adapter of AuditTrail (key day + entry_id, index `by_subject` sorted by entry_id)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def add_to(self, tx: Transaction, item: dict[str, Any]) -> None:
        tx.put(self.table_name, item, condition="attribute_not_exists(entry_id)")

    def append(self, item: dict[str, Any]) -> None:
        with conflict_on_condition():
            aws.table(self.table_name).put_item(Item=item, ConditionExpression="attribute_not_exists(entry_id)")

    def by_day(self, day: str, limit: int = 200) -> list[dict[str, Any]]:
        page = aws.table(self.table_name).query(
            KeyConditionExpression="#d = :d", ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={":d": day}, ScanIndexForward=False, Limit=limit,
        )
        return [plain(i) for i in page.get("Items", [])]

    def by_subject(self, subject: str, limit: int = 200) -> list[dict[str, Any]]:
        page = aws.table(self.table_name).query(
            IndexName="by_subject", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "subject"},
            ExpressionAttributeValues={":s": subject}, ScanIndexForward=False, Limit=limit,
        )
        return [plain(i) for i in page.get("Items", [])]


class InMemoryAuditLog:
    """The twin of AuditLog, held to the same contract (tests/contract/test_audit_repository.py)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def _taken(self, item: dict[str, Any]) -> bool:
        return any((e["day"], e["entry_id"]) == (item["day"], item["entry_id"]) for e in self.entries)

    def add_to(self, tx: Transaction, item: dict[str, Any]) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's entries in a MemoryTx")
        stored = copy.deepcopy(_clean(item))
        tx.add(lambda: not self._taken(stored), lambda: self.entries.append(stored))

    def append(self, item: dict[str, Any]) -> None:
        # PutItem stores an unset (None) value as NULL, where a transaction's put leaves it out.
        stored = copy.deepcopy(item)
        if self._taken(stored):
            raise Conflict(DEFAULT_CONFLICT)
        self.entries.append(stored)

    def _newest_first(self, keep: Any, limit: int) -> list[dict[str, Any]]:
        found = sorted((e for e in self.entries if keep(e)), key=lambda e: str(e["entry_id"]), reverse=True)
        return copy.deepcopy(found[:limit])

    def by_day(self, day: str, limit: int = 200) -> list[dict[str, Any]]:
        return self._newest_first(lambda e: e["day"] == day, limit)

    def by_subject(self, subject: str, limit: int = 200) -> list[dict[str, Any]]:
        return self._newest_first(lambda e: e.get("subject") == subject, limit)
