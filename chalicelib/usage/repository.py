"""Where usage imports and the per-store monthly totals live, named after the questions asked of them.

- imports table: one item per import (`import_id`), listed newest first through the `by_kind` index;
- usage table: `month` / `{store_id}#{import_id}` per store, month and import (idempotent keyed items);
- keys table: `lock` / `usage-import`, the one import lease (owner, until).

`DynamoUsageStore` and its twin `InMemoryUsageStore` go through the same tests (tests/contract).
Also here, the two ports between usage and settlement: `UsageTotals` (what settlement reads of usage)
and `SettledMonths` (what usage asks of settlement); neither area builds the other's keys. The stores
an export names are asked of the stores area through `StoreDirectory` (its repository).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import batch_put, conflict_on_condition, plain, query_all
from chalicelib.errors import Conflict

if TYPE_CHECKING:
    from chalicelib.deps import Deps

LOCK_KEY = {"pk": "lock", "sk": "usage-import"}


class UsageStore(Protocol):
    def register_import(self, item: dict[str, Any]) -> None: ...
    def get_import(self, import_id: str) -> dict[str, Any] | None: ...
    def latest_imports(self, limit: int) -> list[dict[str, Any]]: ...
    def committed_imports(self) -> list[dict[str, Any]]: ...
    def set_import_status(self, import_id: str, status: str, extra: dict[str, Any]) -> None: ...
    def put_totals(self, items: list[dict[str, Any]]) -> None: ...
    def month_totals(self, month: str) -> list[dict[str, Any]]: ...
    # the import lease: times are ISO strings of the machine's clock
    def take_lease(self, owner: str, until: str, now: str) -> bool: ...
    def renew_lease(self, owner: str, until: str) -> bool: ...
    def release_lease(self, owner: str) -> bool: ...


class SettledMonths(Protocol):
    """What usage asks of settlement (implemented by chalicelib.settlement.repository's stores)."""

    def frozen_months(self, months: Iterable[str]) -> set[str]: ...
    def add_late_usage(self, import_id: str, late: list[tuple[str, str, int]], now: datetime) -> None: ...


class StoreDirectory(Protocol):
    """What usage asks of the stores area: the stores an export names, to tell unknown and inactive
    ones (implemented by chalicelib.stores.repository's StoreRepository)."""

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...


class DynamoUsageStore:
    def __init__(self, imports_table: str, usage_table: str, keys_table: str) -> None:
        self.imports_table = imports_table
        self.usage_table = usage_table
        self.keys_table = keys_table

    def register_import(self, item: dict[str, Any]) -> None:
        with conflict_on_condition("この取り込み番号は既に使われています"):
            aws.table(self.imports_table).put_item(Item=item, ConditionExpression="attribute_not_exists(import_id)")

    def get_import(self, import_id: str) -> dict[str, Any] | None:
        item = aws.table(self.imports_table).get_item(Key={"import_id": import_id}, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def latest_imports(self, limit: int) -> list[dict[str, Any]]:
        page = aws.table(self.imports_table).query(
            IndexName="by_kind", KeyConditionExpression=Key("kind").eq("usage"), ScanIndexForward=False, Limit=limit)
        return [plain(i) for i in page.get("Items", [])]

    def committed_imports(self) -> list[dict[str, Any]]:
        return query_all(aws.table(self.imports_table), IndexName="by_kind",
                         KeyConditionExpression=Key("kind").eq("usage"),
                         FilterExpression=Attr("status").eq("committed"))

    def set_import_status(self, import_id: str, status: str, extra: dict[str, Any]) -> None:
        names = {"#s": "status", **{f"#{k}": k for k in extra}}
        values = {":s": status, **{f":{k}": v for k, v in extra.items()}}
        expression = "SET #s = :s" + "".join(f", #{k} = :{k}" for k in extra)
        aws.table(self.imports_table).update_item(
            Key={"import_id": import_id}, UpdateExpression=expression,
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def put_totals(self, items: list[dict[str, Any]]) -> None:
        batch_put(self.usage_table, items)

    def month_totals(self, month: str) -> list[dict[str, Any]]:
        return query_all(aws.table(self.usage_table), KeyConditionExpression=Key("month").eq(month))

    def take_lease(self, owner: str, until: str, now: str) -> bool:
        try:
            with conflict_on_condition():
                aws.table(self.keys_table).put_item(
                    Item={**LOCK_KEY, "owner": owner, "until": until},
                    ConditionExpression="attribute_not_exists(pk) OR #u < :now",
                    ExpressionAttributeNames={"#u": "until"}, ExpressionAttributeValues={":now": now})
        except Conflict:
            return False
        return True

    def renew_lease(self, owner: str, until: str) -> bool:
        try:
            with conflict_on_condition():
                aws.table(self.keys_table).update_item(
                    Key=LOCK_KEY, UpdateExpression="SET #u = :until",
                    ConditionExpression="#o = :me", ExpressionAttributeNames={"#u": "until", "#o": "owner"},
                    ExpressionAttributeValues={":until": until, ":me": owner})
        except Conflict:
            return False
        return True

    def release_lease(self, owner: str) -> bool:
        try:
            with conflict_on_condition():
                aws.table(self.keys_table).delete_item(
                    Key=LOCK_KEY, ConditionExpression="#o = :me",
                    ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":me": owner})
        except Conflict:
            return False
        return True


class InMemoryUsageStore:
    """The twin: imports by id (in creation order, as import ids grow), totals by (month, key), the lease."""

    def __init__(self) -> None:
        self.imports: dict[str, dict[str, Any]] = {}
        self.totals: dict[tuple[str, str], dict[str, Any]] = {}
        self.lease: dict[str, Any] | None = None

    def register_import(self, item: dict[str, Any]) -> None:
        if item["import_id"] in self.imports:
            raise Conflict("この取り込み番号は既に使われています")
        self.imports[item["import_id"]] = dict(item)  # PutItem keeps a None as NULL

    def get_import(self, import_id: str) -> dict[str, Any] | None:
        item = self.imports.get(import_id)
        return dict(item) if item else None

    def _usage_imports(self) -> list[dict[str, Any]]:
        # by_kind sorts by created_at (then, here, by id)
        return sorted((dict(i) for i in self.imports.values() if i.get("kind") == "usage"),
                      key=lambda i: (i.get("created_at", ""), i["import_id"]))

    def latest_imports(self, limit: int) -> list[dict[str, Any]]:
        return list(reversed(self._usage_imports()))[:limit]

    def committed_imports(self) -> list[dict[str, Any]]:
        return [i for i in self._usage_imports() if i.get("status") == "committed"]

    def set_import_status(self, import_id: str, status: str, extra: dict[str, Any]) -> None:
        self.imports.setdefault(import_id, {"import_id": import_id}).update({"status": status, **extra})

    def put_totals(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.totals[(item["month"], item["key"])] = {k: v for k, v in item.items() if v is not None}

    def month_totals(self, month: str) -> list[dict[str, Any]]:
        return [dict(self.totals[k]) for k in sorted(self.totals) if k[0] == month]

    def take_lease(self, owner: str, until: str, now: str) -> bool:
        if self.lease is not None and not self.lease["until"] < now:
            return False
        self.lease = {**LOCK_KEY, "owner": owner, "until": until}
        return True

    def renew_lease(self, owner: str, until: str) -> bool:
        if self.lease is None or self.lease["owner"] != owner:
            return False
        self.lease["until"] = until
        return True

    def release_lease(self, owner: str) -> bool:
        if self.lease is None or self.lease["owner"] != owner:
            return False
        self.lease = None
        return True


class UsageTotals:
    """The port settlement reads usage through: committed usage per store and month."""

    def __init__(self, store: UsageStore) -> None:
        self.store = store

    def usage_for_month(self, month: str) -> tuple[dict[str, int], list[str]]:
        """Net points per store for a month, counting committed imports only; and which imports."""
        committed = {i["import_id"] for i in self.store.committed_imports()}
        totals: dict[str, int] = {}
        used: set[str] = set()
        for row in self.store.month_totals(month):
            if row["import_id"] in committed:
                totals[row["store_id"]] = totals.get(row["store_id"], 0) + int(row["points"])
                used.add(row["import_id"])
        return totals, sorted(used)

    def first_days(self, month: str) -> dict[str, str]:
        """Per store, the first day (JST, YYYY-MM-DD) of its committed usage in a month (imports made
        before first days were recorded name none)."""
        committed = {i["import_id"] for i in self.store.committed_imports()}
        first: dict[str, str] = {}
        for row in self.store.month_totals(month):
            day = row.get("first_day")
            if row["import_id"] in committed and day and day < first.get(row["store_id"], "~"):
                first[row["store_id"]] = str(day)
        return first

    def import_uploaders(self) -> dict[str, str]:
        """Who uploaded each committed import (they shaped the rounds that count it)."""
        return {i["import_id"]: str(i.get("uploaded_by") or "") for i in self.store.committed_imports()}


def usage_store(deps: Deps) -> UsageStore:
    """The store the deps carry (a twin in unit tests), else DynamoDB's from the settings."""
    return getattr(deps, "usage", None) or DynamoUsageStore(deps.settings.tables.imports_table, deps.settings.tables.usage_table,
                                          deps.settings.tables.keys_table)


def usage_totals(deps: Deps) -> UsageTotals:
    return UsageTotals(usage_store(deps))


def store_directory(deps: Deps) -> StoreDirectory:
    """The stores an export names, through the stores area's repository."""
    return deps.store_repository
