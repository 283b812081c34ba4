"""The daily retention sweep (chalicelib/privacy/retention.py): removes what is due and reports counts only.

In the cloud DynamoDB TTL (outbox `expires_at`) and S3 lifecycle rules (infra/stack.py) remove most of it;
TTL may lag up to days, and the local stack (moto) has neither, so the sweep removes the same here:
- sent mails (address and body) 30 days after sending;
- rejected applications a year after the decision (no TTL attribute can say "rejected");
- in the local stack only, S3 object versions past their prefix's lifecycle (never a protected prefix
  early: its period is the settlement period).
Idempotent: a second run finds nothing more. Never personal data in its report or its logs.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.auth.roles import Role
from chalicelib.jobs.registry import job
from chalicelib.mail.outbox import KEEP_AFTER_SENDING
from chalicelib.privacy.retention import REJECTED_APPLICATION_DAYS, RETENTION

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.deps import Deps


class SweepStore(Protocol):
    def sent_mails_created_before(self, before: str) -> Iterator[dict[str, Any]]: ...

    def delete_mail(self, mail_id: str) -> None: ...

    def rejected_applications_submitted_before(self, before: str) -> Iterator[dict[str, Any]]: ...

    def delete_application(self, application_id: str) -> None: ...

    def object_versions(self, bucket: str, prefix: str) -> Iterator[dict[str, Any]]: ...

    def delete_version(self, bucket: str, key: str, version_id: str) -> None: ...


def _mail_due(mail: dict[str, Any], now: datetime) -> bool:
    if "expires_at" in mail:
        return int(mail["expires_at"]) <= int(now.timestamp())
    sent_at = mail.get("sent_at")
    return bool(sent_at) and datetime.fromisoformat(str(sent_at)) + KEEP_AFTER_SENDING <= now


def sweep(store: SweepStore, now: datetime, local: bool) -> dict[str, Any]:
    removed: Counter[str] = Counter()
    # A mail is sent after it is created: created 30 days ago is the widest set that can be due.
    for mail in store.sent_mails_created_before((now - KEEP_AFTER_SENDING).isoformat()):
        if _mail_due(mail, now):
            store.delete_mail(str(mail["mail_id"]))
            removed["outbox"] += 1
    cutoff = now - timedelta(days=REJECTED_APPLICATION_DAYS)
    for application in store.rejected_applications_submitted_before(cutoff.isoformat()):
        decided = application.get("updated_at") or application.get("submitted_at")
        if decided and datetime.fromisoformat(str(decided)) <= cutoff:
            store.delete_application(str(application["application_id"]))
            removed["applications_rejected"] += 1
    if local:
        for row in RETENTION:
            if row.where != "bucket" or row.days is None:
                continue
            before = now - timedelta(days=row.days)
            for version in store.object_versions(row.location, row.selector):
                if datetime.fromisoformat(version["last_modified"]) <= before:
                    store.delete_version(row.location, version["key"], version["version_id"])
                    removed[row.kind] += 1
    return {"removed": dict(sorted(removed.items())), "total": sum(removed.values())}


@job("retention-sweep", roles=(Role.ADMIN,))
def retention_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    from chalicelib.privacy.aws_inventory import AwsSweepStore

    return sweep(AwsSweepStore(deps.settings), now, deps.settings.is_local)
