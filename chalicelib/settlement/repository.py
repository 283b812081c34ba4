"""Where settlement keeps its rounds, named after the questions the service asks.

One table (`settlements_table`), keys built here and nowhere else:
- `round#YYYY-MM` / `round`: the round item; `round#YYYY-MM` / `line#v3#MP000001`: its lines, under the
  draft's version so a re-draft never leaves a mix; `round#YYYY-MM` / `held#v3#MP000001`: a copy of each
  held line (lines never change after the draft that wrote them), so the round's summary reads the round
  item and its held lines, not every line (a round item with `held_indexed`); `rounds` / `YYYY-MM`: the
  index of months in order;
- `adjustments` / `manual#ADJ000001` | `return#YYYY-MM#MP000001` | `late#IMP000001#YYYY-MM#MP000001`;
- `returns#YYYY-MM` / store, `ceiling#YYYY-MM` / store, `notices-pending` / `YYYY-MM`.
The stores a round pays are read (and marked paid or returned) through the stores area's port,
`StoreLedger` (the store repository, `deps.store_repository`); settlement never touches the stores table.

Writes that must go together are added to a transaction (`transaction()`: a Tx for DynamoDB, a
MemoryTx for the twin) so the service composes one atomic write with the audit entry and the outbox.
`InMemorySettlementStore` is the twin; tests/contract runs both through the same tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import (
    MemoryTx,
    Transaction,
    Tx,
    batch_put,
    conflict_on_condition,
    plain,
    query_all,
)
from chalicelib.errors import Conflict

if TYPE_CHECKING:
    from chalicelib.deps import Deps

FROZEN = ("approving", "approved")
ROUND_INDEX = "rounds"
ADJUSTMENTS = "adjustments"
NOTICES_PENDING = "notices-pending"


def _round_pk(month: str) -> str:
    return f"round#{month}"


def _line_prefix(version: int) -> str:
    return f"line#v{int(version)}#"


def _held_prefix(version: int) -> str:
    return f"held#v{int(version)}#"


HELD_INDEXED = "held_indexed"  # on the round item: its held lines are also kept under `held#v{n}#`


def is_held(line: dict[str, Any]) -> bool:
    return line.get("status") == "hold"


LATE_USAGE_PREFIX = "late#"


def late_usage_items(import_id: str, late: list[tuple[str, str, int]], now: datetime) -> list[dict[str, Any]]:
    """Usage of a month already settled is owed all the same: adjustments settled in the next round.

    Each names its import (`import_id`): a round counts it only once that import is committed, and
    whoever uploaded it shaped the round that pays it (chalicelib.settlement.four_eyes)."""
    return [{
        "pk": ADJUSTMENTS, "sk": f"{LATE_USAGE_PREFIX}{import_id}#{month}#{store_id}",
        "adjustment_id": f"late-{import_id}-{month}-{store_id}", "import_id": import_id, "usage_month": month,
        "store_id": store_id, "amount": points, "reason": f"確定後に取り込まれた {month} 利用分",
        "created_by": "system", "created_at": now.isoformat(), "state": "open",
    } for month, store_id, points in late if points != 0]


def is_late_usage(adjustment: dict[str, Any]) -> bool:
    """Late usage (point usage counted for the first time), as opposed to a return's re-payment or a
    manual correction: only late usage enters a round's fee base."""
    return str(adjustment.get("sk", "")).startswith(LATE_USAGE_PREFIX)


class SettlementStore(Protocol):
    """The settlement area's port. `*_in` methods add to a transaction from `transaction()`."""

    def transaction(self) -> Transaction: ...

    # rounds and their lines
    def get_round(self, month: str) -> dict[str, Any] | None: ...
    def latest_round_before(self, month: str) -> str | None: ...
    def months_with_rounds(self) -> list[str]: ...
    def round_lines(self, month: str, version: int) -> list[dict[str, Any]]: ...
    def put_lines(self, month: str, version: int, lines: list[dict[str, Any]]) -> None:
        """The lines of a draft, and a copy of each held one (`held_lines`)."""
        ...
    def lines_page(self, month: str, version: int, limit: int,
                   after: str | None) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` lines of a version in store order, after store `after`; and whether more follow."""
        ...
    def held_lines(self, month: str, version: int) -> list[dict[str, Any]]:
        """The held lines `put_lines` wrote for this version, in store order."""
        ...
    def save_draft_in(self, tx: Transaction, item: dict[str, Any], replaces_version: int | None) -> None: ...
    def start_approval_in(self, tx: Transaction, month: str, version: int, changes: dict[str, Any]) -> None: ...
    def reopen_in(self, tx: Transaction, month: str, at: str) -> None: ...
    def record_release_error(self, month: str, message: str) -> None: ...
    def mark_files_verified(self, month: str, files: dict[str, str], at: str) -> bool: ...
    def approve_in(self, tx: Transaction, month: str, files: dict[str, str], at: str) -> None: ...
    def notices_pending(self) -> list[str]: ...
    def has_notices_pending(self, month: str) -> bool: ...
    def clear_notices_pending(self, month: str) -> None: ...

    # what a round settles besides usage
    def open_adjustments(self) -> list[dict[str, Any]]: ...
    def adjustments(self) -> list[dict[str, Any]]: ...
    def add_adjustment_in(self, tx: Transaction, key: str, item: dict[str, Any]) -> None: ...
    def claim_adjustments_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None: ...
    def release_claims_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None: ...
    def add_return_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None: ...
    def confirm_ceiling_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None: ...
    def ceiling_confirmations(self, month: str) -> dict[str, int]: ...

    # what the call center reads of one store (chalicelib/stores/help.py)
    def store_rounds(self, store_id: str) -> list[dict[str, Any]]:
        """Per round, newest first: `{"round": item, "line": the store's line or None, "returned": its
        returned transfer or None}` (a few GetItems per round: grows with months, not with stores)."""
        ...

    # the port usage talks to (chalicelib.usage.repository.SettledMonths)
    def frozen_months(self, months: Iterable[str]) -> set[str]:
        """The months whose usage is settled: a month with an approved (or approving) round, and every
        month before one (rounds go in month order: such a month can no longer get a round of its own,
        so its usage is late usage, paid by the next round as an adjustment)."""
        ...

    def add_late_usage(self, import_id: str, late: list[tuple[str, str, int]], now: datetime) -> None: ...


class StoreLedger(Protocol):
    """What settlement asks of the stores area about the stores a round pays (implemented by
    chalicelib.stores.repository's StoreRepository). `mark_transfer_returned_in` joins the
    transaction from `SettlementStore.transaction()`, so a return is recorded all or nothing."""

    def by_ids(self, store_ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    def mark_transfer_returned_in(self, tx: Transaction, store_id: str, month: str, at: str) -> None: ...
    def mark_paid(self, store: dict[str, Any], month: str) -> None: ...


class DynamoSettlementStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def _table(self) -> Any:
        return aws.table(self.table_name)

    def _partition(self, pk: str, consistent: bool = True) -> list[dict[str, Any]]:
        return query_all(self._table(), KeyConditionExpression=Key("pk").eq(pk), ConsistentRead=consistent)

    def transaction(self) -> Tx:
        return Tx()

    def get_round(self, month: str) -> dict[str, Any] | None:
        item = self._table().get_item(Key={"pk": _round_pk(month), "sk": "round"}, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def latest_round_before(self, month: str) -> str | None:
        page = self._table().query(KeyConditionExpression=Key("pk").eq(ROUND_INDEX) & Key("sk").lt(month),
                                   ScanIndexForward=False, Limit=1, ConsistentRead=True)
        items = page.get("Items", [])
        return str(items[0]["sk"]) if items else None

    def months_with_rounds(self) -> list[str]:
        return sorted(str(m["sk"]) for m in self._partition(ROUND_INDEX))

    def round_lines(self, month: str, version: int) -> list[dict[str, Any]]:
        return query_all(self._table(), KeyConditionExpression=Key("pk").eq(_round_pk(month))
                         & Key("sk").begins_with(_line_prefix(version)), ConsistentRead=True)

    def put_lines(self, month: str, version: int, lines: list[dict[str, Any]]) -> None:
        pk = _round_pk(month)
        batch_put(self.table_name, [{"pk": pk, "sk": f"{_line_prefix(version)}{line['store_id']}", **line}
                                    for line in lines]
                  + [{"pk": pk, "sk": f"{_held_prefix(version)}{line['store_id']}", **line}
                     for line in lines if is_held(line)])

    def lines_page(self, month: str, version: int, limit: int,
                   after: str | None) -> tuple[list[dict[str, Any]], bool]:
        pk = _round_pk(month)
        kwargs: dict[str, Any] = {}
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": pk, "sk": f"{_line_prefix(version)}{after}"}
        items = self._table().query(KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(
            _line_prefix(version)), ConsistentRead=True, Limit=limit + 1, **kwargs).get("Items", [])
        return [plain(i) for i in items[:limit]], len(items) > limit

    def held_lines(self, month: str, version: int) -> list[dict[str, Any]]:
        return query_all(self._table(), KeyConditionExpression=Key("pk").eq(_round_pk(month))
                         & Key("sk").begins_with(_held_prefix(version)), ConsistentRead=True)

    def save_draft_in(self, tx: Transaction, item: dict[str, Any], replaces_version: int | None) -> None:
        month = item["month"]
        stored = {"pk": _round_pk(month), "sk": "round", **item}
        if replaces_version is not None:
            tx.put(self.table_name, stored, condition="#s = :draft AND version = :v",
                   names={"#s": "status"}, values={":draft": "draft", ":v": replaces_version})
        else:
            tx.put(self.table_name, stored, condition="attribute_not_exists(pk)")
            tx.put(self.table_name, {"pk": ROUND_INDEX, "sk": month, "month": month})

    def start_approval_in(self, tx: Transaction, month: str, version: int, changes: dict[str, Any]) -> None:
        names = {"#s": "status", **{f"#{k}": k for k in changes}}
        values = {":approving": "approving", ":draft": "draft", ":v": version,
                  **{f":{k}": v for k, v in changes.items()}}
        tx.update(self.table_name, {"pk": _round_pk(month), "sk": "round"},
                  "SET #s = :approving" + "".join(f", #{k} = :{k}" for k in changes),
                  condition="#s = :draft AND version = :v", names=names, values=values)

    def reopen_in(self, tx: Transaction, month: str, at: str) -> None:
        tx.update(self.table_name, {"pk": _round_pk(month), "sk": "round"},
                  "SET #s = :draft, reopened_at = :at REMOVE approved_by, approved_at, transfer_date, late",
                  condition="#s = :approving AND attribute_not_exists(files_verified_at)", names={"#s": "status"},
                  values={":draft": "draft", ":approving": "approving", ":at": at})

    def record_release_error(self, month: str, message: str) -> None:
        self._table().update_item(Key={"pk": _round_pk(month), "sk": "round"},
                                  UpdateExpression="SET release_error = :e",
                                  ExpressionAttributeValues={":e": message[:2000]})

    def mark_files_verified(self, month: str, files: dict[str, str], at: str) -> bool:
        try:
            with conflict_on_condition():
                self._table().update_item(
                    Key={"pk": _round_pk(month), "sk": "round"},
                    UpdateExpression="SET files = :f, files_verified_at = :at",
                    ConditionExpression="#s = :approving", ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":f": files, ":at": at, ":approving": "approving"})
        except Conflict:
            return False
        return True

    def approve_in(self, tx: Transaction, month: str, files: dict[str, str], at: str) -> None:
        tx.update(self.table_name, {"pk": _round_pk(month), "sk": "round"},
                  "SET #s = :approved, files = :f, released_at = :at REMOVE release_error",
                  condition="#s = :approving", names={"#s": "status"},
                  values={":approved": "approved", ":approving": "approving", ":f": files, ":at": at})
        tx.put(self.table_name, {"pk": NOTICES_PENDING, "sk": month, "month": month, "created_at": at})

    def notices_pending(self) -> list[str]:
        return [str(m["sk"]) for m in self._partition(NOTICES_PENDING)]

    def has_notices_pending(self, month: str) -> bool:
        return "Item" in self._table().get_item(Key={"pk": NOTICES_PENDING, "sk": month}, ConsistentRead=True)

    def clear_notices_pending(self, month: str) -> None:
        self._table().delete_item(Key={"pk": NOTICES_PENDING, "sk": month})

    def open_adjustments(self) -> list[dict[str, Any]]:
        return [a for a in self._partition(ADJUSTMENTS) if a.get("state") == "open"]

    def adjustments(self) -> list[dict[str, Any]]:
        return self._partition(ADJUSTMENTS, consistent=False)

    def add_adjustment_in(self, tx: Transaction, key: str, item: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": ADJUSTMENTS, "sk": key, **item}, condition="attribute_not_exists(pk)")

    def claim_adjustments_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None:
        for key in keys:
            tx.update(self.table_name, {"pk": ADJUSTMENTS, "sk": key},
                      "SET #st = :settled, settled_in = :m", condition="#st = :open", names={"#st": "state"},
                      values={":settled": "settled", ":open": "open", ":m": month})

    def release_claims_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None:
        for key in keys:
            tx.update(self.table_name, {"pk": ADJUSTMENTS, "sk": key},
                      "SET #st = :open REMOVE settled_in", condition="settled_in = :m", names={"#st": "state"},
                      values={":open": "open", ":m": month})

    def add_return_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": f"returns#{month}", "sk": store_id, **item},
               condition="attribute_not_exists(pk)")

    def confirm_ceiling_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": f"ceiling#{month}", "sk": store_id, **item})

    def ceiling_confirmations(self, month: str) -> dict[str, int]:
        return {i["store_id"]: int(i["amount"]) for i in self._partition(f"ceiling#{month}")}

    def store_rounds(self, store_id: str) -> list[dict[str, Any]]:
        table = self._table()
        found = []
        for month in reversed([str(m["sk"]) for m in self._partition(ROUND_INDEX, consistent=False)]):
            item = self.get_round(month)
            if item is None:
                continue
            line = table.get_item(Key={"pk": _round_pk(month), "sk": f"{_line_prefix(int(item['version']))}{store_id}"},
                                  ConsistentRead=True).get("Item")
            returned = table.get_item(Key={"pk": f"returns#{month}", "sk": store_id}, ConsistentRead=True).get("Item")
            found.append({"round": item, "line": plain(line) if line else None,
                          "returned": plain(returned) if returned else None})
        return found

    def frozen_months(self, months: Iterable[str]) -> set[str]:
        return _up_to(set(months), _latest_frozen(self))

    def add_late_usage(self, import_id: str, late: list[tuple[str, str, int]], now: datetime) -> None:
        batch_put(self.table_name, late_usage_items(import_id, late, now))


def _stored(item: dict[str, Any]) -> dict[str, Any]:
    # As DynamoDB keeps it: a top-level None is "not set".
    return {k: v for k, v in item.items() if v is not None}


def _memory(tx: Transaction) -> MemoryTx:
    """The twin stages its writes only in its own kind of transaction."""
    if not isinstance(tx, MemoryTx):
        raise TypeError("the in-memory settlement store takes the MemoryTx from its transaction()")
    return tx


class InMemorySettlementStore:
    """The twin: the same items under the same keys, in dicts. `tables` holds what the audit log and
    the outbox add to this store's transactions; pass the stores twin's `tables` so that its
    `mark_transfer_returned_in` joins this store's transactions (one set of committed tables)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.tables: dict[str, list[dict[str, Any]]] = tables if tables is not None else {}

    def _partition(self, pk: str, prefix: str = "") -> list[dict[str, Any]]:
        return [dict(self.items[k]) for k in sorted(self.items) if k[0] == pk and k[1].startswith(prefix)]

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.items.get((pk, sk))

    def _round_is(self, month: str, **expected: Any) -> bool:
        item = self._get(_round_pk(month), "round")
        return item is not None and all(item.get(k) == v for k, v in expected.items())

    def _change(self, pk: str, sk: str, set_: dict[str, Any], remove: tuple[str, ...] = ()) -> None:
        item = self.items.setdefault((pk, sk), {"pk": pk, "sk": sk})
        item.update(_stored(set_))
        for name in remove:
            item.pop(name, None)

    def _put(self, item: dict[str, Any]) -> None:
        self.items[(item["pk"], item["sk"])] = _stored(item)

    def transaction(self) -> MemoryTx:
        return MemoryTx(self.tables)

    def get_round(self, month: str) -> dict[str, Any] | None:
        item = self._get(_round_pk(month), "round")
        return dict(item) if item else None

    def latest_round_before(self, month: str) -> str | None:
        earlier = [m["sk"] for m in self._partition(ROUND_INDEX) if m["sk"] < month]
        return earlier[-1] if earlier else None

    def round_lines(self, month: str, version: int) -> list[dict[str, Any]]:
        return self._partition(_round_pk(month), _line_prefix(version))

    def put_lines(self, month: str, version: int, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            self._put({"pk": _round_pk(month), "sk": f"{_line_prefix(version)}{line['store_id']}", **line})
            if is_held(line):
                self._put({"pk": _round_pk(month), "sk": f"{_held_prefix(version)}{line['store_id']}", **line})

    def lines_page(self, month: str, version: int, limit: int,
                   after: str | None) -> tuple[list[dict[str, Any]], bool]:
        lines = [x for x in self.round_lines(month, version) if after is None or x["store_id"] > after]
        return lines[:limit], len(lines) > limit

    def held_lines(self, month: str, version: int) -> list[dict[str, Any]]:
        return self._partition(_round_pk(month), _held_prefix(version))

    def save_draft_in(self, tx: Transaction, item: dict[str, Any], replaces_version: int | None) -> None:
        month = item["month"]
        stored = {"pk": _round_pk(month), "sk": "round", **item}
        if replaces_version is not None:
            _memory(tx).add(lambda: self._round_is(month, status="draft", version=replaces_version),
                   lambda: self._put(stored))
        else:
            _memory(tx).add(lambda: self.get_round(month) is None, lambda: self._put(stored))
            _memory(tx).add(lambda: True, lambda: self._put({"pk": ROUND_INDEX, "sk": month, "month": month}))

    def start_approval_in(self, tx: Transaction, month: str, version: int, changes: dict[str, Any]) -> None:
        _memory(tx).add(lambda: self._round_is(month, status="draft", version=version),
               lambda: self._change(_round_pk(month), "round", {"status": "approving", **changes}))

    def reopen_in(self, tx: Transaction, month: str, at: str) -> None:
        _memory(tx).add(lambda: self._round_is(month, status="approving")
               and "files_verified_at" not in (self.get_round(month) or {}),
               lambda: self._change(_round_pk(month), "round", {"status": "draft", "reopened_at": at},
                                    ("approved_by", "approved_at", "transfer_date", "late")))

    def record_release_error(self, month: str, message: str) -> None:
        self._change(_round_pk(month), "round", {"release_error": message[:2000]})

    def mark_files_verified(self, month: str, files: dict[str, str], at: str) -> bool:
        if not self._round_is(month, status="approving"):
            return False
        self._change(_round_pk(month), "round", {"files": dict(files), "files_verified_at": at})
        return True

    def approve_in(self, tx: Transaction, month: str, files: dict[str, str], at: str) -> None:
        _memory(tx).add(lambda: self._round_is(month, status="approving"),
               lambda: self._change(_round_pk(month), "round",
                                    {"status": "approved", "files": dict(files), "released_at": at},
                                    ("release_error",)))
        _memory(tx).add(lambda: True, lambda: self._put({"pk": NOTICES_PENDING, "sk": month, "month": month,
                                                "created_at": at}))

    def notices_pending(self) -> list[str]:
        return [m["sk"] for m in self._partition(NOTICES_PENDING)]

    def has_notices_pending(self, month: str) -> bool:
        return self._get(NOTICES_PENDING, month) is not None

    def clear_notices_pending(self, month: str) -> None:
        self.items.pop((NOTICES_PENDING, month), None)

    def open_adjustments(self) -> list[dict[str, Any]]:
        return [a for a in self._partition(ADJUSTMENTS) if a.get("state") == "open"]

    def adjustments(self) -> list[dict[str, Any]]:
        return self._partition(ADJUSTMENTS)

    def add_adjustment_in(self, tx: Transaction, key: str, item: dict[str, Any]) -> None:
        _memory(tx).add(lambda: self._get(ADJUSTMENTS, key) is None, lambda: self._put({"pk": ADJUSTMENTS, "sk": key, **item}))

    def claim_adjustments_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None:
        for key in keys:
            _memory(tx).add(partial(self._adjustment_is, key, "state", "open"),
                            partial(self._change, ADJUSTMENTS, key, {"state": "settled", "settled_in": month}))

    def release_claims_in(self, tx: Transaction, month: str, keys: Iterable[str]) -> None:
        for key in keys:
            _memory(tx).add(partial(self._adjustment_is, key, "settled_in", month),
                            partial(self._change, ADJUSTMENTS, key, {"state": "open"}, ("settled_in",)))

    def _adjustment_is(self, key: str, field: str, value: str) -> bool:
        return bool((self._get(ADJUSTMENTS, key) or {}).get(field) == value)

    def add_return_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None:
        pk = f"returns#{month}"
        _memory(tx).add(lambda: self._get(pk, store_id) is None, lambda: self._put({"pk": pk, "sk": store_id, **item}))

    def confirm_ceiling_in(self, tx: Transaction, month: str, store_id: str, item: dict[str, Any]) -> None:
        _memory(tx).add(lambda: True, lambda: self._put({"pk": f"ceiling#{month}", "sk": store_id, **item}))

    def ceiling_confirmations(self, month: str) -> dict[str, int]:
        return {i["store_id"]: int(i["amount"]) for i in self._partition(f"ceiling#{month}")}

    def store_rounds(self, store_id: str) -> list[dict[str, Any]]:
        found = []
        for month in reversed([m["sk"] for m in self._partition(ROUND_INDEX)]):
            item = self.get_round(month)
            if item is None:
                continue
            line = self._get(_round_pk(month), f"{_line_prefix(int(item['version']))}{store_id}")
            returned = self._get(f"returns#{month}", store_id)
            found.append({"round": item, "line": dict(line) if line else None,
                          "returned": dict(returned) if returned else None})
        return found

    def months_with_rounds(self) -> list[str]:
        return [m["sk"] for m in self._partition(ROUND_INDEX)]

    def frozen_months(self, months: Iterable[str]) -> set[str]:
        return _up_to(set(months), _latest_frozen(self))

    def add_late_usage(self, import_id: str, late: list[tuple[str, str, int]], now: datetime) -> None:
        for item in late_usage_items(import_id, late, now):
            self._put(item)


def _latest_frozen(repo: DynamoSettlementStore | InMemorySettlementStore) -> str | None:
    """The latest month whose round is approved or approving (rounds go in order: the newest round or
    the one before it, so this reads one or two rounds)."""
    for month in reversed(repo.months_with_rounds()):
        if (repo.get_round(month) or {}).get("status") in FROZEN:
            return month
    return None


def _up_to(months: set[str], latest: str | None) -> set[str]:
    return {m for m in months if latest is not None and m <= latest}


def settlement_store(deps: Deps) -> SettlementStore:
    """The store the deps carry (a twin in unit tests), else DynamoDB's from the settings."""
    return getattr(deps, "settlements", None) or DynamoSettlementStore(deps.settings.tables.settlements_table)


def store_ledger(deps: Deps) -> StoreLedger:
    """The stores a round pays, through the stores area's repository."""
    return deps.store_repository
