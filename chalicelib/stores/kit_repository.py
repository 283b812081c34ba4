"""The store kit's persistence (table `storekit`, chalicelib/adapters/resources.py): per store its handoff
to the app provider, the provider's answer, the credentials letter and the printed kit's shipments; and
the handoff batches.

Items:
- `pk = <store id>` (e.g. `MP000001`): the store's kit record. `version` counts its changes; every write
  replaces the record on the condition that it is still at the version the caller read (or does not
  exist yet), so two members of staff never both print the same password or hand off the same store.
  `password_ciphertext` is there only between the provider's answer and the letter (chalicelib/stores/
  credentials.py); writing the record without it erases it.
- `pk = batch#<batch id>` (e.g. `batch#HB000001`, `kind = "batch"`): a handoff batch and the stores it
  names; listed newest first through the sparse index `by_kind` (only batches carry `kind`).

Writes are staged in a transaction (`new_tx()`) beside the audit entry that records them, and a failed
condition is a `Conflict` at commit (`Tx.commit`; the twin's `MemoryTx` checks every write first).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, batch_get, plain

if TYPE_CHECKING:
    from chalicelib.deps import Deps

BATCH_PREFIX = "batch#"
BATCH_KIND = "batch"


class StoreKitRepository(Protocol):
    def new_tx(self) -> Transaction:
        """A transaction the writes below join (the audit log adds its entries to it)."""
        ...

    def get(self, store_id: str) -> dict[str, Any] | None:
        """A store's kit record, or None while nothing was done for it."""
        ...

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The kit records of these stores, by store id (a store without one is left out)."""
        ...

    def save(self, tx: Transaction, record: dict[str, Any], expected_version: int | None) -> None:
        """Write a store's record (its `version` already advanced by the caller): the record must still
        be at `expected_version`, or not exist when that is None; otherwise a Conflict at commit.
        Attributes left out of `record` are removed (that is how a password is erased)."""
        ...

    def get_batch(self, batch_id: str) -> dict[str, Any] | None: ...

    def save_batch(self, tx: Transaction, batch: dict[str, Any], expected_version: int | None) -> None:
        """Write a handoff batch, on the same condition as `save`."""
        ...

    def batches(self, limit: int = 50) -> list[dict[str, Any]]:
        """Handoff batches, newest first."""
        ...


def _store_item(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "pk": record["store_id"]}


def _batch_item(batch: dict[str, Any]) -> dict[str, Any]:
    return {**batch, "pk": BATCH_PREFIX + batch["batch_id"], "kind": BATCH_KIND}


def _strip(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: v for k, v in plain(item).items() if k not in ("pk", "kind")}


class DynamoStoreKitRepository:
    """The `storekit` table (key `pk`; sparse index `by_kind` on kind + created_at)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def new_tx(self) -> Tx:
        return Tx()

    def _put(self, tx: Transaction, item: dict[str, Any], expected_version: int | None) -> None:
        if expected_version is None:
            tx.put(self.table_name, item, condition="attribute_not_exists(pk)")
        else:
            tx.put(self.table_name, item, condition="version = :v", values={":v": expected_version})

    def get(self, store_id: str) -> dict[str, Any] | None:
        found = aws.table(self.table_name).get_item(Key={"pk": store_id}, ConsistentRead=True).get("Item")
        return _strip(found)

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        found = batch_get(self.table_name, "pk", [s for s in store_ids if not s.startswith(BATCH_PREFIX)])
        return {k: v for k, v in ((k, _strip(v)) for k, v in found.items()) if v is not None}

    def save(self, tx: Transaction, record: dict[str, Any], expected_version: int | None) -> None:
        self._put(tx, _store_item(record), expected_version)

    def get_batch(self, batch_id: str) -> dict[str, Any] | None:
        found = aws.table(self.table_name).get_item(Key={"pk": BATCH_PREFIX + batch_id},
                                                    ConsistentRead=True).get("Item")
        return _strip(found)

    def save_batch(self, tx: Transaction, batch: dict[str, Any], expected_version: int | None) -> None:
        self._put(tx, _batch_item(batch), expected_version)

    def batches(self, limit: int = 50) -> list[dict[str, Any]]:
        page = aws.table(self.table_name).query(
            IndexName="by_kind", KeyConditionExpression="#k = :k", ExpressionAttributeNames={"#k": "kind"},
            ExpressionAttributeValues={":k": BATCH_KIND}, ScanIndexForward=False, Limit=limit)
        return [b for b in (_strip(i) for i in page.get("Items", [])) if b is not None]


class InMemoryStoreKitRepository(MemoryTables):
    """The twin of DynamoStoreKitRepository, held to the same contract (tests/contract)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: what other ports (the audit log) put in committed transactions, by table name
        self.tables: dict[str, list[dict[str, Any]]] = tables if tables is not None else {}

    def _put(self, tx: Transaction, item: dict[str, Any], expected_version: int | None) -> None:
        stored = {k: copy.deepcopy(v) for k, v in item.items() if v is not None}
        key = stored["pk"]

        def check() -> bool:
            current = self.rows.get(key)
            if expected_version is None:
                return current is None
            return current is not None and current.get("version") == expected_version

        self._tx(tx).add(check, lambda: self.rows.__setitem__(key, stored))

    def get(self, store_id: str) -> dict[str, Any] | None:
        return _strip(copy.deepcopy(self.rows.get(store_id)))

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        found = {s: _strip(copy.deepcopy(self.rows[s])) for s in sorted(set(store_ids))
                 if s in self.rows and not s.startswith(BATCH_PREFIX)}
        return {k: v for k, v in found.items() if v is not None}

    def save(self, tx: Transaction, record: dict[str, Any], expected_version: int | None) -> None:
        self._put(tx, _store_item(record), expected_version)

    def get_batch(self, batch_id: str) -> dict[str, Any] | None:
        return _strip(copy.deepcopy(self.rows.get(BATCH_PREFIX + batch_id)))

    def save_batch(self, tx: Transaction, batch: dict[str, Any], expected_version: int | None) -> None:
        self._put(tx, _batch_item(batch), expected_version)

    def batches(self, limit: int = 50) -> list[dict[str, Any]]:
        found = [r for r in self.rows.values() if r.get("kind") == BATCH_KIND]
        found.sort(key=lambda r: str(r.get("created_at", "")), reverse=True)
        return [b for b in (_strip(copy.deepcopy(r)) for r in found[:limit]) if b is not None]


@functools.cache
def _dynamo(table_name: str) -> DynamoStoreKitRepository:
    return DynamoStoreKitRepository(table_name)


def storekit_repository(deps: Deps) -> StoreKitRepository:
    """The repository of a process's deps (Deps has no field for it yet: built from its settings)."""
    found = getattr(deps, "storekit_repository", None)
    if found is not None:
        return found
    return _dynamo(deps.settings.tables.storekit_table)
