"""Every e-mail goes through the outbox: written in the same transaction as the change that causes
it, under a deterministic id (so a retried request or job never queues it twice), then sent.
A send that fails stays pending and the mail sweep sends it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import Tx, plain
from chalicelib.clock import now_jst
from chalicelib.observability import logger

#: A send that has not finished within this time is considered failed and may be retried.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Mail:
    mail_id: str
    to: str
    subject: str
    body: str
    kind: str


class MailSender(Protocol):
    def send(self, mail: Mail) -> str: ...


class Outbox:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def add_to(self, tx: Tx, mail: Mail, now: datetime) -> None:
        tx.put(self.table_name, {
            "mail_id": mail.mail_id, "to": mail.to, "subject": mail.subject, "body": mail.body,
            "kind": mail.kind, "state": "pending", "created_at": now.isoformat(), "attempts": 0,
        }, condition="attribute_not_exists(mail_id)")

    def add(self, mail: Mail, now: datetime) -> bool:
        """Queue a mail on its own (not part of a change); False if it was queued before."""
        try:
            aws.table(self.table_name).put_item(Item={
                "mail_id": mail.mail_id, "to": mail.to, "subject": mail.subject, "body": mail.body,
                "kind": mail.kind, "state": "pending", "created_at": now.isoformat(), "attempts": 0,
            }, ConditionExpression="attribute_not_exists(mail_id)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, mail_id: str) -> dict[str, Any] | None:
        item = aws.table(self.table_name).get_item(Key={"mail_id": mail_id}).get("Item")
        return plain(item) if item else None

    def pending_ids(self, limit: int = 100) -> list[str]:
        page = aws.table(self.table_name).query(
            IndexName="by_state", KeyConditionExpression=Key("state").eq("pending"), Limit=limit,
        )
        ids = [i["mail_id"] for i in page.get("Items", [])]
        page = aws.table(self.table_name).query(
            IndexName="by_state", KeyConditionExpression=Key("state").eq("sending"), Limit=limit,
        )
        return ids + [i["mail_id"] for i in page.get("Items", [])]

    def _claim(self, mail_id: str) -> dict[str, Any] | None:
        """Take the lease on a mail; None if it is sent or someone else is sending it.

        Leases are technical, so they use the wall clock, never a business `now` pinned for a demo
        or a test (a pinned past `now` would make every live lease look expired).
        """
        now = now_jst()
        try:
            result = aws.table(self.table_name).update_item(
                Key={"mail_id": mail_id},
                UpdateExpression="SET #s = :sending, lease_until = :until ADD attempts :one",
                ConditionExpression="#s = :pending OR (#s = :sending AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":sending": "sending", ":pending": "pending", ":one": 1,
                    ":until": (now + LEASE).isoformat(), ":now": now.isoformat(),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return plain(result["Attributes"])

    def deliver(self, mail_ids: list[str], sender: MailSender, now: datetime) -> dict[str, int]:
        counts = {"sent": 0, "failed": 0, "skipped": 0}
        for mail_id in mail_ids:
            item = self._claim(mail_id)
            if item is None:
                counts["skipped"] += 1
                continue
            mail = Mail(item["mail_id"], item["to"], item["subject"], item["body"], item["kind"])
            try:
                message_id = sender.send(mail)
            except Exception as exc:  # any send failure: back to pending for the sweep
                logger.warning("mail send failed", extra={"mail_id": mail_id, "error": type(exc).__name__})
                aws.table(self.table_name).update_item(
                    Key={"mail_id": mail_id}, UpdateExpression="SET #s = :pending",
                    ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":pending": "pending"},
                )
                counts["failed"] += 1
                continue
            aws.table(self.table_name).update_item(
                Key={"mail_id": mail_id}, UpdateExpression="SET #s = :sent, sent_at = :at, message_id = :mid",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":sent": "sent", ":at": now.isoformat(), ":mid": message_id},
            )
            logger.info("mail sent", extra={"mail_id": mail_id, "kind": mail.kind})
            counts["sent"] += 1
        return counts
