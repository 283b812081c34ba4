"""Every e-mail goes through the outbox: written in the same transaction as the change that causes
it, under a deterministic id (so a retried request or job never queues it twice), then sent.
A send that fails stays pending and the mail sweep sends it later.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTx, Transaction, _clean, conflict_on_condition, plain
from chalicelib.clock import now_jst
from chalicelib.errors import Conflict
from chalicelib.kernel.field_crypto import OUTBOX, FieldCipher, open_tree
from chalicelib.observability import logger

#: A send that has not finished within this time is considered failed and may be retried.
LEASE = timedelta(minutes=5)
#: A sent mail's address and body are kept this long after sending (chalicelib/privacy/retention.py):
#: `expires_at` (epoch seconds) is the outbox table's DynamoDB TTL attribute; the retention sweep removes
#: what is due where there is no TTL (the local stack).
KEEP_AFTER_SENDING = timedelta(days=30)


def expires_at(sent: datetime) -> int:
    """The TTL of a mail sent at `sent` (DynamoDB TTL: epoch seconds)."""
    return int((sent + KEEP_AFTER_SENDING).timestamp())


@dataclass(frozen=True)
class Mail:
    mail_id: str
    to: str
    subject: str
    body: str
    kind: str


class MailSender(Protocol):
    def send(self, mail: Mail) -> str: ...


def _queued(mail: Mail, now: datetime) -> dict[str, Any]:
    return {"mail_id": mail.mail_id, "to": mail.to, "subject": mail.subject, "body": mail.body,
            "kind": mail.kind, "state": "pending", "created_at": now.isoformat(), "attempts": 0}


class MailOutbox(Protocol):
    """The outbox's port: mails queued under deterministic ids, then sent once each."""

    def add_to(self, tx: Transaction, mail: Mail, now: datetime) -> None:
        """Queue with the change that causes the mail (all or none); a mail id queued before is a Conflict."""
        ...

    def add(self, mail: Mail, now: datetime) -> bool:
        """Queue a mail on its own (not part of a change); False if it was queued before."""
        ...

    def get(self, mail_id: str) -> dict[str, Any] | None: ...

    def pending_ids(self, limit: int = 100) -> list[str]:
        """Mails not sent yet: pending ones (oldest first), then those being sent (perhaps stuck)."""
        ...

    def deliver(self, mail_ids: list[str], sender: MailSender, now: datetime) -> dict[str, int]:
        """Send each mail this run can lease; counts of sent, failed (back to pending) and skipped."""
        ...


class _Delivery:
    """The sending rule both the adapter and the twin follow: lease, send, then sent or back to pending."""

    def _claim(self, mail_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _back_to_pending(self, mail_id: str) -> None:
        raise NotImplementedError

    def _mark_sent(self, mail_id: str, now: datetime, message_id: str) -> None:
        raise NotImplementedError

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
                self._back_to_pending(mail_id)
                counts["failed"] += 1
                continue
            self._mark_sent(mail_id, now, message_id)
            logger.info("mail sent", extra={"mail_id": mail_id, "kind": mail.kind})
            counts["sent"] += 1
        return counts


class Outbox(_Delivery):
    """The DynamoDB adapter of MailOutbox (key `mail_id`, index `by_state` sorted by created_at)."""

    def __init__(self, table_name: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        #: seals the address and the body while the mail waits and after it is sent (None: stored as they are)
        self.cipher = cipher

    def _sealed(self, mail: Mail, now: datetime) -> dict[str, Any]:
        return OUTBOX.seal(self.cipher, _queued(mail, now))

    def add_to(self, tx: Transaction, mail: Mail, now: datetime) -> None:
        tx.put(self.table_name, self._sealed(mail, now), condition="attribute_not_exists(mail_id)")

    def add(self, mail: Mail, now: datetime) -> bool:
        """Queue a mail on its own (not part of a change); False if it was queued before."""
        try:
            with conflict_on_condition():
                aws.table(self.table_name).put_item(Item=self._sealed(mail, now),
                                                    ConditionExpression="attribute_not_exists(mail_id)")
        except Conflict:
            return False
        return True

    def get(self, mail_id: str) -> dict[str, Any] | None:
        item = aws.table(self.table_name).get_item(Key={"mail_id": mail_id}).get("Item")
        return open_tree(self.cipher, plain(item)) if item else None

    def _in_state(self, state: str, limit: int) -> list[str]:
        page = aws.table(self.table_name).query(
            IndexName="by_state", KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": state}, Limit=limit,
        )
        return [i["mail_id"] for i in page.get("Items", [])]

    def pending_ids(self, limit: int = 100) -> list[str]:
        return self._in_state("pending", limit) + self._in_state("sending", limit)

    def _claim(self, mail_id: str) -> dict[str, Any] | None:
        """Take the lease on a mail; None if it is sent or someone else is sending it.

        Leases are technical, so they use the wall clock, never a business `now` pinned for a demo
        or a test (a pinned past `now` would make every live lease look expired).
        """
        now = now_jst()
        try:
            with conflict_on_condition():
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
        except Conflict:
            return None
        return open_tree(self.cipher, plain(result["Attributes"]))

    def _back_to_pending(self, mail_id: str) -> None:
        aws.table(self.table_name).update_item(
            Key={"mail_id": mail_id}, UpdateExpression="SET #s = :pending",
            ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":pending": "pending"},
        )

    def _mark_sent(self, mail_id: str, now: datetime, message_id: str) -> None:
        aws.table(self.table_name).update_item(
            Key={"mail_id": mail_id},
            UpdateExpression="SET #s = :sent, sent_at = :at, message_id = :mid, expires_at = :exp",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":sent": "sent", ":at": now.isoformat(), ":mid": message_id,
                                       ":exp": expires_at(now)},
        )


class InMemoryOutbox(_Delivery):
    """The twin of Outbox, held to the same contract (tests/contract/test_outbox_repository.py)."""

    def __init__(self) -> None:
        self.mails: dict[str, dict[str, Any]] = {}

    def add_to(self, tx: Transaction, mail: Mail, now: datetime) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's mails in a MemoryTx")
        item = _clean(_queued(mail, now))
        tx.add(lambda: mail.mail_id not in self.mails, lambda: self.mails.__setitem__(mail.mail_id, item))

    def add(self, mail: Mail, now: datetime) -> bool:
        if mail.mail_id in self.mails:
            return False
        self.mails[mail.mail_id] = _queued(mail, now)
        return True

    def get(self, mail_id: str) -> dict[str, Any] | None:
        item = self.mails.get(mail_id)
        return copy.deepcopy(item) if item else None

    def _in_state(self, state: str, limit: int) -> list[str]:
        found = sorted((m for m in self.mails.values() if m["state"] == state),
                       key=lambda m: (m["created_at"], m["mail_id"]))
        return [m["mail_id"] for m in found[:limit]]

    def pending_ids(self, limit: int = 100) -> list[str]:
        return self._in_state("pending", limit) + self._in_state("sending", limit)

    def _claim(self, mail_id: str) -> dict[str, Any] | None:
        now = now_jst()
        item = self.mails.get(mail_id)
        if item is None or not (item["state"] == "pending" or (
                item["state"] == "sending" and "lease_until" in item and item["lease_until"] < now.isoformat())):
            return None
        item.update(state="sending", lease_until=(now + LEASE).isoformat(), attempts=item.get("attempts", 0) + 1)
        return copy.deepcopy(item)

    def _back_to_pending(self, mail_id: str) -> None:
        self.mails.setdefault(mail_id, {"mail_id": mail_id})["state"] = "pending"

    def _mark_sent(self, mail_id: str, now: datetime, message_id: str) -> None:
        self.mails.setdefault(mail_id, {"mail_id": mail_id}).update(
            state="sent", sent_at=now.isoformat(), message_id=message_id, expires_at=expires_at(now))
