"""The outbox's contract: Outbox (DynamoDB, on the contract suite's moto server) and its in-memory twin
queue, lease and mark mails the same way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.mail.outbox import InMemoryOutbox, Mail, MailOutbox, Outbox

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)


@pytest.fixture
def outbox(kind: str, request: pytest.FixtureRequest) -> MailOutbox:
    if kind == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return Outbox(real.settings.tables.outbox_table, real.cipher)  # sealing, as deployed
    return InMemoryOutbox()


def mail(n: int) -> Mail:
    return Mail(f"test-mail#{n}", f"shop{n}@example.com", f"件名{n}", "本文", "test")


class Sender:
    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.failing = failing
        self.sent: list[str] = []

    def send(self, m: Mail) -> str:
        if m.mail_id in self.failing:
            raise RuntimeError("smtp down")
        self.sent.append(m.mail_id)
        return f"msg-{m.mail_id}"


def test_a_mail_staged_with_a_change_is_queued_once(outbox: MailOutbox, new_tx: Any) -> None:
    tx = new_tx()
    outbox.add_to(tx, mail(1), NOW)
    assert outbox.get("test-mail#1") is None
    tx.commit()
    assert outbox.get("test-mail#1") == {
        "mail_id": "test-mail#1", "to": "shop1@example.com", "subject": "件名1", "body": "本文", "kind": "test",
        "state": "pending", "created_at": NOW.isoformat(), "attempts": 0}
    again = new_tx()
    outbox.add_to(again, mail(1), NOW + timedelta(minutes=1))
    with pytest.raises(Conflict):
        again.commit()
    assert outbox.add(mail(1), NOW) is False
    assert outbox.add(mail(2), NOW + timedelta(seconds=1)) is True
    assert outbox.get("test-mail#2")["created_at"] == (NOW + timedelta(seconds=1)).isoformat()  # type: ignore[index]
    assert outbox.get("test-mail#9") is None


def test_delivery_sends_each_mail_once_and_a_failed_send_waits_for_the_sweep(outbox: MailOutbox) -> None:
    for n in (1, 2, 3):
        outbox.add(mail(n), NOW + timedelta(seconds=n))
    assert outbox.pending_ids() == ["test-mail#1", "test-mail#2", "test-mail#3"]
    sender = Sender(failing=("test-mail#2",))
    counts = outbox.deliver(["test-mail#1", "test-mail#2", "test-mail#9"], sender, NOW + timedelta(minutes=1))
    assert counts == {"sent": 1, "failed": 1, "skipped": 1}
    sent = outbox.get("test-mail#1")
    assert sent is not None
    assert (sent["state"], sent["attempts"], sent["message_id"]) == ("sent", 1, "msg-test-mail#1")
    assert sent["sent_at"] == (NOW + timedelta(minutes=1)).isoformat()
    failed = outbox.get("test-mail#2")
    assert failed is not None and (failed["state"], failed["attempts"]) == ("pending", 1)
    assert outbox.pending_ids() == ["test-mail#2", "test-mail#3"]
    assert outbox.pending_ids(limit=1) == ["test-mail#2"]

    again = outbox.deliver(["test-mail#1", "test-mail#2", "test-mail#3"], Sender(), NOW)
    assert again == {"sent": 2, "failed": 0, "skipped": 1}
    assert outbox.get("test-mail#2")["attempts"] == 2  # type: ignore[index]
    assert outbox.pending_ids() == []


def test_a_mail_being_sent_is_left_to_its_lease(outbox: MailOutbox) -> None:
    outbox.add(mail(1), NOW)

    class Racing(Sender):
        def send(self, m: Mail) -> str:
            # Another run tries the same mail while this one holds the lease.
            self.inner = outbox.deliver([m.mail_id], Sender(), NOW)
            assert outbox.pending_ids() == [m.mail_id]
            return super().send(m)

    racing = Racing()
    assert outbox.deliver(["test-mail#1"], racing, NOW) == {"sent": 1, "failed": 0, "skipped": 0}
    assert racing.inner == {"sent": 0, "failed": 0, "skipped": 1}
    assert outbox.get("test-mail#1")["state"] == "sent"  # type: ignore[index]
