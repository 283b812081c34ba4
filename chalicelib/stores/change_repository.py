"""Store change requests' persistence (table `storechanges`, chalicelib/adapters/resources.py).

One item per request (`request_id`, e.g. `CR000001`): the store it changes, the new values (`changes`),
the values they replace (`before`, read when the request was entered), the reason, who entered it
(`entered_by`: a staff id, or `store` for the store's own link), its `status` (`open` → `approved` |
`rejected`) and its `history` (entered, decided). A store's requests are a query on `by_store`
(newest first); the open ones on `by_status` (oldest first: the screeners' queue).

Writes are staged in a transaction (`new_tx()`) beside the store's update, the audit entry and the
mails; deciding is conditional on the request still being open, so two screeners never both decide it
(a `Conflict` at commit). `InMemoryStoreChangeRepository` is the twin; pass the stores twin's `tables`
so that one MemoryTx carries both areas' writes (tests/contract runs both implementations).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Protocol

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, plain
from chalicelib.kernel.field_crypto import PERSONAL, FieldCipher, open_tree

if TYPE_CHECKING:
    from chalicelib.deps import Deps

OPEN = "open"


class StoreChangeRepository(Protocol):
    def new_tx(self) -> Transaction:
        """A transaction the writes below join (the store's update, audit and outbox add theirs)."""
        ...

    def get(self, request_id: str) -> dict[str, Any] | None: ...

    def create_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        """A new request (status `open`); a request id already taken is a Conflict."""
        ...

    def decide_in(self, tx: Transaction, request_id: str, status: str, decision: dict[str, Any],
                  history_entry: dict[str, Any]) -> None:
        """The open request becomes `status` with `decision` (decided_by, decided_at, decision_reason…)
        and one more history entry; a request no longer open is a Conflict."""
        ...

    def list_by_store(self, store_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """A store's requests, newest first."""
        ...

    def list_by_status(self, status: str, limit: int = 100) -> list[dict[str, Any]]:
        """Requests in `status`, oldest first."""
        ...


class DynamoStoreChangeRepository:
    """The `storechanges` table (key `request_id`; indexes `by_store`, `by_status` on created_at)."""

    def __init__(self, table_name: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        #: seals the personal values of `changes`/`before` and opens them on read (None: stored as they are)
        self.cipher = cipher

    def _table(self) -> Any:
        return aws.table(self.table_name)

    def new_tx(self) -> Tx:
        return Tx()

    def get(self, request_id: str) -> dict[str, Any] | None:
        item = self._table().get_item(Key={"request_id": request_id}, ConsistentRead=True).get("Item")
        return open_tree(self.cipher, plain(item)) if item else None

    def create_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        tx.put(self.table_name, PERSONAL.seal(self.cipher, {**item, "status": OPEN}),
               condition="attribute_not_exists(request_id)")

    def decide_in(self, tx: Transaction, request_id: str, status: str, decision: dict[str, Any],
                  history_entry: dict[str, Any]) -> None:
        names = {"#s": "status", **{f"#d{i}": k for i, k in enumerate(decision)}}
        decision, history_entry = PERSONAL.seal(self.cipher, decision), PERSONAL.seal(self.cipher, history_entry)
        values = {":s": status, ":open": OPEN, ":h": [history_entry],
                  **{f":d{i}": v for i, v in enumerate(decision.values())}}
        sets = "".join(f", #d{i} = :d{i}" for i in range(len(decision)))
        tx.update(self.table_name, {"request_id": request_id},
                  f"SET #s = :s, history = list_append(history, :h){sets}",
                  condition="#s = :open", names=names, values=values)

    def _query(self, index: str, key: Any, limit: int, forward: bool) -> list[dict[str, Any]]:
        page = self._table().query(IndexName=index, KeyConditionExpression=key, Limit=limit,
                                   ScanIndexForward=forward)
        return [open_tree(self.cipher, plain(i)) for i in page.get("Items", [])]

    def list_by_store(self, store_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return self._query("by_store", Key("store_id").eq(store_id), limit, False)

    def list_by_status(self, status: str, limit: int = 100) -> list[dict[str, Any]]:
        return self._query("by_status", Key("status").eq(status), limit, True)


class InMemoryStoreChangeRepository(MemoryTables):
    """The twin of DynamoStoreChangeRepository, held to the same contract (tests/contract)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: what other ports put in committed transactions; share the stores twin's to share its transactions
        self.tables: dict[str, list[dict[str, Any]]] = tables if tables is not None else {}

    def get(self, request_id: str) -> dict[str, Any] | None:
        row = self.rows.get(request_id)
        return copy.deepcopy(row) if row else None

    def create_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        row = copy.deepcopy({**{k: v for k, v in item.items() if v is not None}, "status": OPEN})
        self._tx(tx).add(lambda: row["request_id"] not in self.rows,
                         lambda: self.rows.__setitem__(row["request_id"], row))

    def decide_in(self, tx: Transaction, request_id: str, status: str, decision: dict[str, Any],
                  history_entry: dict[str, Any]) -> None:
        def apply() -> None:
            row = self.rows[request_id]
            row.update(copy.deepcopy({"status": status, **decision}))
            row["history"] = [*row.get("history", []), copy.deepcopy(history_entry)]

        self._tx(tx).add(lambda: self.rows.get(request_id, {}).get("status") == OPEN, apply)

    def list_by_store(self, store_id: str, limit: int = 50) -> list[dict[str, Any]]:
        rows = sorted((r for r in self.rows.values() if r.get("store_id") == store_id),
                      key=lambda r: (r["created_at"], r["request_id"]), reverse=True)
        return [copy.deepcopy(r) for r in rows[:limit]]

    def list_by_status(self, status: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = sorted((r for r in self.rows.values() if r.get("status") == status),
                      key=lambda r: (r["created_at"], r["request_id"]))
        return [copy.deepcopy(r) for r in rows[:limit]]


def store_change_repository(deps: Deps) -> StoreChangeRepository:
    """The repository of a process's deps (Deps has no field for it: built from its settings)."""
    found = getattr(deps, "store_change_repository", None)
    if found is not None:
        return found
    return DynamoStoreChangeRepository(deps.settings.tables.storechanges_table, getattr(deps, "cipher", None))
