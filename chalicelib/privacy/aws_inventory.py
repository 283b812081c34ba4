"""The disposal's view of the data stores on AWS (moto locally): every item of a table (Scan: the disposal
is an admin's one-off at contract end, never a request-path read) and every version of every object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import _clean, plain
from chalicelib.adapters.resources import BUCKETS, TABLES

if TYPE_CHECKING:
    from chalicelib.settings import Settings


class AwsInventory:
    def __init__(self, settings: Settings) -> None:
        env = settings_env(settings)
        self.tables = {t.name: env[t.env] for t in TABLES if t.env in env}
        self.buckets = {b.name: env[b.env] for b in BUCKETS if b.env in env}
        self.keys = {t.name: [t.pk] + ([t.sk] if t.sk else []) for t in TABLES}

    def table_items(self, table: str) -> Iterator[dict[str, Any]]:
        if table not in self.tables:
            return
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = aws.table(self.tables[table]).scan(**kwargs)
            for item in page.get("Items", []):
                yield plain(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys[table]}

    def delete_item(self, table: str, key: dict[str, Any]) -> None:
        aws.table(self.tables[table]).delete_item(Key=key)

    def replace_item(self, table: str, item: dict[str, Any]) -> None:
        aws.table(self.tables[table]).put_item(Item=_clean(item))

    def object_versions(self, bucket: str) -> Iterator[dict[str, Any]]:
        if bucket not in self.buckets:
            return
        paginator = aws.client("s3").get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.buckets[bucket]):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                yield {"key": v["Key"], "version_id": v.get("VersionId") or "null"}

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        # Governance-protected prefixes (infra/stack.py) allow this role to delete at disposal only.
        aws.client("s3").delete_object(Bucket=self.buckets[bucket], Key=key, VersionId=version_id)


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variable -> physical name of every table and bucket the settings know."""
    env: dict[str, str] = {}
    for spec in TABLES:
        value = getattr(settings.tables, spec.env.lower(), None)
        if isinstance(value, str):
            env[spec.env] = value
    for bucket in BUCKETS:
        value = getattr(settings.buckets, bucket.env.lower(), None)
        if isinstance(value, str):
            env[bucket.env] = value
    return env


class AwsSweepStore:
    """What the daily retention sweep reads and removes: Queries on keys and indexes only (no Scan)."""

    def __init__(self, settings: Settings) -> None:
        self.outbox = settings.tables.outbox_table
        self.applications = settings.tables.applications_table
        env = settings_env(settings)
        self.buckets = {b.name: env[b.env] for b in BUCKETS if b.env in env}

    def _query(self, table: str, status: str, before: str) -> Iterator[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        sort = "created_at" if table == self.outbox else "submitted_at"
        kwargs: dict[str, Any] = {"IndexName": "by_state" if table == self.outbox else "by_status",
                                  "KeyConditionExpression": Key("state" if table == self.outbox else "status").eq(
                                      status) & Key(sort).lt(before)}
        while True:
            page = aws.table(table).query(**kwargs)
            for item in page.get("Items", []):
                yield plain(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def sent_mails_created_before(self, before: str) -> Iterator[dict[str, Any]]:
        return self._query(self.outbox, "sent", before)

    def delete_mail(self, mail_id: str) -> None:
        aws.table(self.outbox).delete_item(Key={"mail_id": mail_id})

    def rejected_applications_submitted_before(self, before: str) -> Iterator[dict[str, Any]]:
        return self._query(self.applications, "rejected", before)

    def delete_application(self, application_id: str) -> None:
        aws.table(self.applications).delete_item(Key={"application_id": application_id},
                                                 ConditionExpression="#s = :r",
                                                 ExpressionAttributeNames={"#s": "status"},
                                                 ExpressionAttributeValues={":r": "rejected"})

    def object_versions(self, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
        if bucket not in self.buckets:
            return
        paginator = aws.client("s3").get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.buckets[bucket], Prefix=prefix):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                yield {"key": v["Key"], "version_id": v.get("VersionId") or "null",
                       "last_modified": v["LastModified"].isoformat()}

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        aws.client("s3").delete_object(Bucket=self.buckets[bucket], Key=key, VersionId=version_id)
