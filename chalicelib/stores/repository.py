"""The store master's persistence, named after the questions and changes the store screens need.

Writes are staged in a transaction (`new_tx()`) next to the audit entry, the outbox mail and the
fingerprint keys that must land with them, and take effect when the caller commits it: all or none.
Each write of the store screens is conditional (the version the caller read, or the bank change it
answers); a failed condition is a `Conflict` at commit (`Tx.commit` maps ConditionalCheckFailed; the
twin's `MemoryTx` checks every staged write before applying any).

Settlement's marks (`mark_transfer_returned_in`, `mark_paid`) are unconditional and leave `version`
alone: they record what happened to the money, not a change staff made to the store. With `by_ids` they
are the port settlement and usage reach the store master through (`StoreLedger`, `StoreDirectory`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, batch_get, plain
from chalicelib.applications.repository import ItemTable
from chalicelib.kernel.cursors import decode_cursor, encode_cursor
from chalicelib.kernel.field_crypto import PERSONAL, FieldCipher, open_tree


@dataclass(frozen=True)
class BankChange:
    """A staff member's change of a store's bank account, unverified until confirmed."""

    change_id: str
    bank: dict[str, Any]
    changed_by: str
    at: str


#: Pages of the status index a name search reads at most (DynamoDB reads up to 1 MB per page).
SEARCH_PAGES = 20


def changed_attributes(fields: dict[str, Any], log_entry: dict[str, Any], bank: BankChange | None,
                       confirmed_by: str | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What `apply_changes_in` sets and removes (both implementations build it here)."""
    at = str(log_entry["at"])
    sets: dict[str, Any] = {**fields, "updated_at": at}
    remove: tuple[str, ...] = ()
    if bank is not None:
        # As change_bank: the new account is paid with 新規コード 2 until a round pays it; a returned
        # transfer and an earlier dispute no longer apply.
        sets.update({"bank": bank.bank, "bank_verified": confirmed_by is not None, "bank_changed_pending": True,
                     "bank_change_id": bank.change_id, "bank_changed_by": bank.changed_by,
                     "bank_changed_at": bank.at})
        remove = ("transfer_returned", "bank_change_disputed")
        if confirmed_by is not None:
            sets.update({"bank_confirmed_by": confirmed_by, "bank_confirmed_at": at})
        else:
            remove += ("bank_confirmed_by", "bank_confirmed_at")
    return sets, remove


class StoreRepository(Protocol):
    def new_tx(self) -> Transaction:
        """A transaction the staged writes below join (other ports add their items to it)."""
        ...

    def get(self, store_id: str) -> dict[str, Any] | None: ...

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        """Stores of one status by store id, and the signed cursor of the next page (None at the end)."""
        ...

    def create(self, tx: Transaction, store: dict[str, Any]) -> None:
        """A new store; a store id already taken is a Conflict."""
        ...

    def change_bank(self, tx: Transaction, store_id: str, expected_version: int, change: BankChange) -> None:
        """New bank data, unverified; clears a returned transfer and any earlier confirmation or dispute."""
        ...

    def confirm_bank(self, tx: Transaction, store_id: str, expected_version: int, change_id: str, by: str,
                     at: str) -> None:
        """The pending change `change_id` is verified (by a second person or by the store)."""
        ...

    def mark_disputed(self, tx: Transaction, store_id: str, change_id: str, at: str) -> None:
        """The store says it did not ask for `change_id`: flagged, still unverified."""
        ...

    def change_status(self, tx: Transaction, store_id: str, expected_version: int, status: str, reason: str,
                      at: str) -> None: ...

    def apply_changes_in(self, tx: Transaction, store_id: str, expected_version: int, fields: dict[str, Any],
                         log_entry: dict[str, Any], bank: BankChange | None = None,
                         confirmed_by: str | None = None) -> None:
        """An approved change request: the new `fields` (store name, contact…), `log_entry` appended to
        the store's `change_log`, and a new bank account as `change_bank` stages it (pending until paid,
        so the next transfer file carries 新規コード 2), verified at once when `confirmed_by` (a second
        person) is given. The store must still be at `expected_version`, otherwise a Conflict."""
        ...

    def search_names(self, status: str, text: str, kana: str, limit: int) -> list[dict[str, Any]]:
        """Stores of one status whose name contains `text` or whose kana contains `kana`, by store id."""
        ...

    # What settlement (chalicelib.settlement.repository.StoreLedger) and usage
    # (chalicelib.usage.repository.StoreDirectory) ask of the store master.
    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stores among `store_ids`, by id (an unknown id is left out)."""
        ...

    def mark_transfer_returned_in(self, tx: Transaction, store_id: str, month: str, at: str) -> None:
        """The transfer of `month` came back: the store is flagged until its bank account changes."""
        ...

    def mark_paid(self, store: dict[str, Any], month: str) -> None:
        """The store was paid in `month` (first and last paid month); a pending bank change is now paid out."""
        ...


class DynamoStoreRepository:
    """The stores table (key `store_id`, index `by_status` sorted by store id)."""

    def __init__(self, table_name: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        #: seals the personal fields written and opens those read (None: stored as they are)
        self.cipher = cipher
        self._items = ItemTable(table_name, "store_id", "store_id", cipher)

    def new_tx(self) -> Tx:
        return Tx()

    def get(self, store_id: str) -> dict[str, Any] | None:
        return self._items.get(store_id)

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        return self._items.list_by_status(status, limit, cursor, secret=secret)

    def create(self, tx: Transaction, store: dict[str, Any]) -> None:
        tx.put(self.table_name, PERSONAL.seal(self.cipher, store), condition="attribute_not_exists(store_id)")

    def change_bank(self, tx: Transaction, store_id: str, expected_version: int, change: BankChange) -> None:
        tx.update(self.table_name, {"store_id": store_id},
                  "SET bank = :b, bank_verified = :f, bank_changed_pending = :t, bank_change_id = :c, "
                  "bank_changed_by = :by, bank_changed_at = :at, updated_at = :at, version = version + :one "
                  "REMOVE transfer_returned, bank_confirmed_by, bank_confirmed_at, bank_change_disputed",
                  condition="version = :v",
                  values={":b": PERSONAL.seal(self.cipher, change.bank), ":t": True, ":f": False, ":c": change.change_id,
                          ":by": change.changed_by, ":at": change.at, ":one": 1, ":v": expected_version})

    def confirm_bank(self, tx: Transaction, store_id: str, expected_version: int, change_id: str, by: str,
                     at: str) -> None:
        tx.update(self.table_name, {"store_id": store_id},
                  "SET bank_verified = :t, bank_confirmed_by = :by, bank_confirmed_at = :at, updated_at = :at, "
                  "version = version + :one REMOVE bank_change_disputed",
                  condition="version = :v AND bank_change_id = :c",
                  values={":t": True, ":by": by, ":at": at, ":one": 1, ":v": expected_version, ":c": change_id})

    def mark_disputed(self, tx: Transaction, store_id: str, change_id: str, at: str) -> None:
        tx.update(self.table_name, {"store_id": store_id}, "SET bank_change_disputed = :at",
                  condition="bank_change_id = :c", values={":at": at, ":c": change_id})

    def change_status(self, tx: Transaction, store_id: str, expected_version: int, status: str, reason: str,
                      at: str) -> None:
        tx.update(self.table_name, {"store_id": store_id},
                  "SET #s = :s, status_reason = :r, updated_at = :at, version = version + :one",
                  condition="version = :v", names={"#s": "status"},
                  values={":s": status, ":r": reason, ":at": at, ":one": 1, ":v": expected_version})

    def apply_changes_in(self, tx: Transaction, store_id: str, expected_version: int, fields: dict[str, Any],
                         log_entry: dict[str, Any], bank: BankChange | None = None,
                         confirmed_by: str | None = None) -> None:
        sets, remove = changed_attributes(fields, log_entry, bank, confirmed_by)
        sets, log_entry = PERSONAL.seal(self.cipher, sets), PERSONAL.seal(self.cipher, log_entry)
        names = {f"#a{i}": k for i, k in enumerate(sets)}
        values: dict[str, Any] = {f":a{i}": v for i, v in enumerate(sets.values())}
        values.update({":log": [log_entry], ":empty": [], ":one": 1, ":v": expected_version})
        expression = ("SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(sets)))
                      + ", change_log = list_append(if_not_exists(change_log, :empty), :log), version = version + :one")
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        tx.update(self.table_name, {"store_id": store_id}, expression, condition="version = :v",
                  names=names, values=values)

    def search_names(self, status: str, text: str, kana: str, limit: int) -> list[dict[str, Any]]:
        # A Query on the status index, filtered: the names are read page by page until enough match.
        condition = Attr("store_name").contains(text)
        if kana:
            condition = condition | Attr("store_name_kana").contains(kana)
        kwargs: dict[str, Any] = {"IndexName": "by_status", "KeyConditionExpression": Key("status").eq(status),
                                  "FilterExpression": condition}
        found: list[dict[str, Any]] = []
        for _ in range(SEARCH_PAGES):
            page = aws.table(self.table_name).query(**kwargs)
            found.extend(open_tree(self.cipher, plain(i)) for i in page.get("Items", []))
            if len(found) >= limit or "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        found = batch_get(self.table_name, "store_id", list(store_ids))
        return {k: open_tree(self.cipher, v) for k, v in found.items()} if self.cipher else found

    def mark_transfer_returned_in(self, tx: Transaction, store_id: str, month: str, at: str) -> None:
        tx.update(self.table_name, {"store_id": store_id}, "SET transfer_returned = :m, updated_at = :at",
                  values={":m": month, ":at": at})

    def mark_paid(self, store: dict[str, Any], month: str) -> None:
        expression = "SET first_paid_month = if_not_exists(first_paid_month, :m), last_paid_month = :m"
        if store.get("bank_changed_pending"):
            expression += ", bank_changed_pending = :f, bank_change_paid_month = :m"
        aws.table(self.table_name).update_item(
            Key={"store_id": store["store_id"]}, UpdateExpression=expression,
            ExpressionAttributeValues={":m": month, **({":f": False} if store.get("bank_changed_pending") else {})})


class InMemoryStoreRepository(MemoryTables):
    """The twin of DynamoStoreRepository, held to the same contract (tests/contract)."""

    def __init__(self, cursor_scope: str = "stores") -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: what other ports put in committed transactions (audit entries, mails, keys), by table name;
        #: another area's twin that shares these tables shares transactions with this one
        self.tables: dict[str, list[dict[str, Any]]] = {}
        # The cursor scope names the list, as the Dynamo adapter's does (table/index/partition).
        self.cursor_scope = cursor_scope

    def get(self, store_id: str) -> dict[str, Any] | None:
        row = self.rows.get(store_id)
        return copy.deepcopy(row) if row else None

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        scope = f"{self.cursor_scope}/by_status/{status}/asc"
        start = decode_cursor(secret, scope, cursor)
        ids = sorted(i for i, row in self.rows.items() if row.get("status") == status)
        if start:
            ids = [i for i in ids if i > str(start["store_id"])]
        page = ids[:limit]
        # Like a DynamoDB Query, a full page hands out a cursor even when nothing follows it.
        last = {"store_id": page[-1], "status": status} if len(page) == limit else None
        return [copy.deepcopy(self.rows[i]) for i in page], encode_cursor(secret, scope, last)

    def create(self, tx: Transaction, store: dict[str, Any]) -> None:
        row = {k: copy.deepcopy(v) for k, v in store.items() if v is not None}
        self._tx(tx).add(lambda: row["store_id"] not in self.rows,
                           lambda: self.rows.__setitem__(row["store_id"], row))

    def _at_version(self, store_id: str, version: int) -> bool:
        row = self.rows.get(store_id)
        return row is not None and row.get("version") == version

    def _update(self, store_id: str, set_: dict[str, Any], remove: tuple[str, ...] = (),
                bump: bool = True) -> Callable[[], None]:
        def apply() -> None:
            row = self.rows[store_id]
            row.update(copy.deepcopy(set_))
            for name in remove:
                row.pop(name, None)
            if bump:
                row["version"] = row["version"] + 1
        return apply

    def change_bank(self, tx: Transaction, store_id: str, expected_version: int, change: BankChange) -> None:
        self._tx(tx).add(
            lambda: self._at_version(store_id, expected_version),
            self._update(store_id, {"bank": change.bank, "bank_verified": False, "bank_changed_pending": True,
                                    "bank_change_id": change.change_id, "bank_changed_by": change.changed_by,
                                    "bank_changed_at": change.at, "updated_at": change.at},
                         ("transfer_returned", "bank_confirmed_by", "bank_confirmed_at", "bank_change_disputed")))

    def confirm_bank(self, tx: Transaction, store_id: str, expected_version: int, change_id: str, by: str,
                     at: str) -> None:
        self._tx(tx).add(
            lambda: self._at_version(store_id, expected_version)
            and self.rows[store_id].get("bank_change_id") == change_id,
            self._update(store_id, {"bank_verified": True, "bank_confirmed_by": by, "bank_confirmed_at": at,
                                    "updated_at": at}, ("bank_change_disputed",)))

    def mark_disputed(self, tx: Transaction, store_id: str, change_id: str, at: str) -> None:
        self._tx(tx).add(
            lambda: store_id in self.rows and self.rows[store_id].get("bank_change_id") == change_id,
            self._update(store_id, {"bank_change_disputed": at}, bump=False))

    def change_status(self, tx: Transaction, store_id: str, expected_version: int, status: str, reason: str,
                      at: str) -> None:
        self._tx(tx).add(
            lambda: self._at_version(store_id, expected_version),
            self._update(store_id, {"status": status, "status_reason": reason, "updated_at": at}))

    def apply_changes_in(self, tx: Transaction, store_id: str, expected_version: int, fields: dict[str, Any],
                         log_entry: dict[str, Any], bank: BankChange | None = None,
                         confirmed_by: str | None = None) -> None:
        sets, remove = changed_attributes(fields, log_entry, bank, confirmed_by)

        def apply() -> None:
            self._update(store_id, sets, remove)()
            row = self.rows[store_id]
            row["change_log"] = [*row.get("change_log", []), copy.deepcopy(log_entry)]

        self._tx(tx).add(lambda: self._at_version(store_id, expected_version), apply)

    def search_names(self, status: str, text: str, kana: str, limit: int) -> list[dict[str, Any]]:
        ids = sorted(i for i, row in self.rows.items() if row.get("status") == status and (
            text in str(row.get("store_name", "")) or (kana and kana in str(row.get("store_name_kana", "")))))
        return [copy.deepcopy(self.rows[i]) for i in ids[:limit]]

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {sid: copy.deepcopy(self.rows[sid]) for sid in sorted(set(store_ids)) if sid in self.rows}

    # Like their DynamoDB updates, these two are unconditional: a missing store is created with its key.
    def mark_transfer_returned_in(self, tx: Transaction, store_id: str, month: str, at: str) -> None:
        self._tx(tx).add(lambda: True, lambda: self.rows.setdefault(store_id, {"store_id": store_id}).update(
            {"transfer_returned": month, "updated_at": at}))

    def mark_paid(self, store: dict[str, Any], month: str) -> None:
        kept = self.rows.setdefault(store["store_id"], {"store_id": store["store_id"]})
        kept.setdefault("first_paid_month", month)
        kept["last_paid_month"] = month
        if store.get("bank_changed_pending"):
            kept.update({"bank_changed_pending": False, "bank_change_paid_month": month})
