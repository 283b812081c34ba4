"""Carried-over stores' persistence (table `storeimports`, chalicelib/adapters/resources.py): the uploads of
the prefecture's list of last year's stores (spec 7(1)ハ), their rows and preview, and the one write the
re-confirmation makes to a carried-over store.

Items of `storeimports` (key `pk`):
- `import#SI000001`: an import (who, when, the encoding, counts, `chunks`, `state` previewed|confirmed,
  after confirmation the stores it created); `version` counts its changes.
- `rows#SI000001#0000`: up to ROWS_PER_CHUNK rows of that import (validated fields, kind, reason,
  matches), so that a long list never makes one item larger than DynamoDB's 400 KB.
- `digest#<sha256>`: the canonical rows' digest → the import that holds them: the same file (or the same
  rows in another encoding) uploaded again answers the same import.

The store write (`reconfirm_store`) lives here, not in stores/repository.py, because it is the
carried-over flow's own: a store awaiting re-confirmation becomes active with its pledges and its
corrected contact data, on the condition that it is still at the version read and still awaiting.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, batch_get, plain
from chalicelib.kernel.field_crypto import PERSONAL, FieldCipher, open_tree

if TYPE_CHECKING:
    from chalicelib.deps import Deps
    from chalicelib.stores.repository import InMemoryStoreRepository

ROWS_PER_CHUNK = 200
AWAITING = "awaiting_reconfirmation"


def _import_key(import_id: str) -> str:
    return f"import#{import_id}"


def _chunk_key(import_id: str, n: int) -> str:
    return f"rows#{import_id}#{n:04d}"


def _digest_key(digest: str) -> str:
    return f"digest#{digest}"


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i:i + ROWS_PER_CHUNK] for i in range(0, len(rows), ROWS_PER_CHUNK)] or [[]]


class CarriedOverRepository(Protocol):
    def new_tx(self) -> Transaction:
        """A transaction the writes below join (audit entries, mails and keys are staged in it too)."""
        ...

    def get(self, import_id: str) -> dict[str, Any] | None:
        """The import with its `rows` (in file order), or None."""
        ...

    def by_digest(self, digest: str) -> str | None:
        """The import id holding rows with this digest, or None."""
        ...

    def create(self, tx: Transaction, record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """A new import (`record` has `import_id`, `digest`, `version`); a taken id or digest is a Conflict."""
        ...

    def mark_confirmed(self, tx: Transaction, import_id: str, expected_version: int, stores: list[str],
                       by: str, at: str) -> None:
        """The import was confirmed by `by`, creating `stores`; a changed or confirmed import is a Conflict."""
        ...

    def reconfirm_store(self, tx: Transaction, store_id: str, expected_version: int, changes: dict[str, Any],
                        at: str) -> None:
        """A store awaiting re-confirmation becomes active with `changes` (pledges, corrected contact
        data); a store at another version or no longer awaiting is a Conflict."""
        ...


class DynamoCarriedOverRepository:
    """The `storeimports` table, and the stores table for the re-confirmation."""

    def __init__(self, table_name: str, stores_table: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        self.stores_table = stores_table
        #: seals the personal fields of imported rows and re-confirmed stores (None: stored as they are)
        self.cipher = cipher

    def new_tx(self) -> Tx:
        return Tx()

    def _get(self, pk: str) -> dict[str, Any] | None:
        found = aws.table(self.table_name).get_item(Key={"pk": pk}, ConsistentRead=True).get("Item")
        return open_tree(self.cipher, plain(found)) if found else None

    def get(self, import_id: str) -> dict[str, Any] | None:
        record = self._get(_import_key(import_id))
        if record is None:
            return None
        keys = [_chunk_key(import_id, n) for n in range(int(record.get("chunks", 0)))]
        found = batch_get(self.table_name, "pk", keys)
        rows = [row for key in keys for row in found.get(key, {}).get("rows", [])]
        return {**{k: v for k, v in record.items() if k != "pk"}, "rows": open_tree(self.cipher, rows)}

    def by_digest(self, digest: str) -> str | None:
        found = self._get(_digest_key(digest))
        return str(found["import_id"]) if found else None

    def create(self, tx: Transaction, record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        import_id = record["import_id"]
        chunks = _chunks(rows)
        new = "attribute_not_exists(pk)"
        tx.put(self.table_name, {**record, "pk": _import_key(import_id), "chunks": len(chunks)}, condition=new)
        for n, chunk in enumerate(chunks):
            tx.put(self.table_name, {"pk": _chunk_key(import_id, n), "rows": PERSONAL.seal(self.cipher, chunk)},
                   condition=new)
        tx.put(self.table_name, {"pk": _digest_key(record["digest"]), "import_id": import_id}, condition=new)

    def mark_confirmed(self, tx: Transaction, import_id: str, expected_version: int, stores: list[str],
                       by: str, at: str) -> None:
        tx.update(self.table_name, {"pk": _import_key(import_id)},
                  "SET #s = :c, stores = :st, confirmed_by = :by, confirmed_at = :at, version = version + :one",
                  condition="version = :v AND #s <> :c", names={"#s": "state"},
                  values={":c": "confirmed", ":st": stores, ":by": by, ":at": at, ":one": 1, ":v": expected_version})

    def reconfirm_store(self, tx: Transaction, store_id: str, expected_version: int, changes: dict[str, Any],
                        at: str) -> None:
        values: dict[str, Any] = {":active": "active", ":at": at, ":one": 1, ":v": expected_version,
                                  ":awaiting": AWAITING}
        names = {"#s": "status"}
        sets = ["#s = :active", "reconfirmed_at = :at", "updated_at = :at", "version = version + :one"]
        for n, (name, value) in enumerate(sorted(PERSONAL.seal(self.cipher, changes).items())):
            names[f"#f{n}"] = name
            values[f":f{n}"] = value
            sets.append(f"#f{n} = :f{n}")
        tx.update(self.stores_table, {"store_id": store_id}, "SET " + ", ".join(sets),
                  condition="version = :v AND #s = :awaiting", names=names, values=values)


class InMemoryCarriedOverRepository(MemoryTables):
    """The twin of DynamoCarriedOverRepository (tests/contract), over the stores twin it shares."""

    def __init__(self, stores: InMemoryStoreRepository | None = None) -> None:
        from chalicelib.stores.repository import InMemoryStoreRepository

        self.stores = stores if stores is not None else InMemoryStoreRepository()
        #: shared with the stores twin: one transaction may stage writes of both
        self.tables = self.stores.tables
        self.rows: dict[str, dict[str, Any]] = {}

    def get(self, import_id: str) -> dict[str, Any] | None:
        record = self.rows.get(_import_key(import_id))
        if record is None:
            return None
        rows = [row for n in range(int(record.get("chunks", 0)))
                for row in self.rows.get(_chunk_key(import_id, n), {}).get("rows", [])]
        return copy.deepcopy({**{k: v for k, v in record.items() if k != "pk"}, "rows": rows})

    def by_digest(self, digest: str) -> str | None:
        found = self.rows.get(_digest_key(digest))
        return str(found["import_id"]) if found else None

    def create(self, tx: Transaction, record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        import_id = record["import_id"]
        chunks = _chunks(rows)
        items = [{**copy.deepcopy(record), "pk": _import_key(import_id), "chunks": len(chunks)}]
        items += [{"pk": _chunk_key(import_id, n), "rows": copy.deepcopy(c)} for n, c in enumerate(chunks)]
        items.append({"pk": _digest_key(record["digest"]), "import_id": import_id})
        stored = [{k: v for k, v in item.items() if v is not None} for item in items]

        def apply() -> None:
            for item in stored:
                self.rows[item["pk"]] = item

        self._tx(tx).add(lambda: all(item["pk"] not in self.rows for item in stored), apply)

    def mark_confirmed(self, tx: Transaction, import_id: str, expected_version: int, stores: list[str],
                       by: str, at: str) -> None:
        key = _import_key(import_id)

        def check() -> bool:
            row = self.rows.get(key)
            return row is not None and row.get("version") == expected_version and row.get("state") != "confirmed"

        def apply() -> None:
            row = self.rows[key]
            row.update({"state": "confirmed", "stores": list(stores), "confirmed_by": by, "confirmed_at": at,
                        "version": row["version"] + 1})

        self._tx(tx).add(check, apply)

    def reconfirm_store(self, tx: Transaction, store_id: str, expected_version: int, changes: dict[str, Any],
                        at: str) -> None:
        rows = self.stores.rows

        def check() -> bool:
            row = rows.get(store_id)
            return row is not None and row.get("version") == expected_version and row.get("status") == AWAITING

        def apply() -> None:
            row = rows[store_id]
            row.update(copy.deepcopy(changes))
            row.update({"status": "active", "reconfirmed_at": at, "updated_at": at, "version": row["version"] + 1})

        self._tx(tx).add(check, apply)


@functools.cache
def _dynamo(table_name: str, stores_table: str, cipher: FieldCipher | None) -> DynamoCarriedOverRepository:
    return DynamoCarriedOverRepository(table_name, stores_table, cipher)


def carried_over_repository(deps: Deps) -> CarriedOverRepository:
    """The repository of a process's deps (Deps has no field for it: built from its settings; a test's
    deps may carry `carried_over_repository`)."""
    found = getattr(deps, "carried_over_repository", None)
    if found is not None:
        return found
    return _dynamo(deps.settings.tables.storeimports_table, deps.settings.tables.stores_table,
                   getattr(deps, "cipher", None))
