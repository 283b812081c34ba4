"""The append-only audit log: who (user, role), what (action, subject), when, before/after.

Entries are only ever put with a not-exists condition and never updated; the functions' IAM
policy has no UpdateItem/DeleteItem on this table. Values in before/after are masked: the log
records that personal data was seen or changed, not the data itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import Tx, plain
from chalicelib.auth.roles import Principal


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


class AuditLog:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def add_to(self, tx: Tx, item: dict[str, Any]) -> None:
        tx.put(self.table_name, item, condition="attribute_not_exists(entry_id)")

    def append(self, item: dict[str, Any]) -> None:
        aws.table(self.table_name).put_item(Item=item, ConditionExpression="attribute_not_exists(entry_id)")

    def by_day(self, day: str, limit: int = 200) -> list[dict[str, Any]]:
        page = aws.table(self.table_name).query(
            KeyConditionExpression=Key("day").eq(day), ScanIndexForward=False, Limit=limit
        )
        return [plain(i) for i in page.get("Items", [])]

    def by_subject(self, subject: str, limit: int = 200) -> list[dict[str, Any]]:
        page = aws.table(self.table_name).query(
            IndexName="by_subject", KeyConditionExpression=Key("subject").eq(subject),
            ScanIndexForward=False, Limit=limit,
        )
        return [plain(i) for i in page.get("Items", [])]
