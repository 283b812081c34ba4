"""DynamoDB plumbing shared by the repositories: value conversion and atomic transactions.

Numbers come back from DynamoDB as Decimal; everything we store is int (yen, counts) so they are
turned back into int. A failed condition in a transaction becomes a domain Conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.errors import Conflict

_ser = TypeSerializer()
_de = TypeDeserializer()


def plain(value: Any) -> Any:
    """A DynamoDB value as plain Python (Decimal → int; we never store fractions)."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return {plain(v) for v in value}
    return value


def _clean(value: Any, top: bool = True) -> Any:
    # DynamoDB cannot store float; money is int by rule, so a float here is a bug.
    if isinstance(value, float):
        raise TypeError("floats are not stored: use int yen or Decimal")
    if isinstance(value, dict):
        # A missing top-level attribute means "not set"; inside a map None is kept (stored as NULL),
        # e.g. a checklist item the screener left unconfirmed.
        return {k: _clean(v, False) for k, v in value.items() if v is not None or not top}
    if isinstance(value, (list, tuple)):
        return [_clean(v, False) for v in value]
    return value


def serialize_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in _clean(item).items()}


def deserialize_item(item: dict[str, Any]) -> dict[str, Any]:
    return plain({k: _de.deserialize(v) for k, v in item.items()})


class Tx:
    """Collects writes and commits them all or none (TransactWriteItems, up to 100 items)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put(self, table: str, item: dict[str, Any], *, condition: str | None = None,
            names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Tx:
        op: dict[str, Any] = {"TableName": table, "Item": serialize_item(item)}
        self._condition(op, condition, names, values)
        self.items.append({"Put": op})
        return self

    def update(self, table: str, key: dict[str, Any], expression: str, *, condition: str | None = None,
               names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Tx:
        op: dict[str, Any] = {"TableName": table, "Key": serialize_item(key), "UpdateExpression": expression}
        self._condition(op, condition, names, values)
        self.items.append({"Update": op})
        return self

    @staticmethod
    def _condition(op: dict[str, Any], condition: str | None, names: dict[str, str] | None,
                   values: dict[str, Any] | None) -> None:
        if condition:
            op["ConditionExpression"] = condition
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = serialize_item(values)

    def commit(self, conflict_message: str = "他の操作と競合しました。画面を再読み込みしてください") -> None:
        if not self.items:
            return
        if len(self.items) > 100:
            raise ValueError("a transaction holds at most 100 items")
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=self.items)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "TransactionCanceledException":
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise Conflict(conflict_message, {"_reasons": ",".join(r or "None" for r in reasons)}) from None
            raise


DEFAULT_CONFLICT = "他の操作と競合しました。画面を再読み込みしてください"


@contextmanager
def conflict_on_condition(message: str = DEFAULT_CONFLICT) -> Iterator[None]:
    """A single conditional write (PutItem/UpdateItem/DeleteItem) whose condition failed raises
    Conflict; every other error goes on as it is. The one place the error code is matched."""
    try:
        yield
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Conflict(message) from None
        raise


class MemoryTx:
    """In-memory twin of Tx for the repositories' twins: checks run first, then every write, or none.

    A twin repository adds a (check, apply) pair; `put` with `attribute_not_exists(<id>)` (what the
    audit log and the outbox add) keeps items in `tables` and refuses a repeated id, as DynamoDB does.
    """

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = tables if tables is not None else {}
        self.ops: list[tuple[Callable[[], bool], Callable[[], None]]] = []

    @property
    def items(self) -> list[Any]:
        return self.ops

    def add(self, check: Callable[[], bool], apply: Callable[[], None]) -> MemoryTx:
        self.ops.append((check, apply))
        return self

    def put(self, table: str, item: dict[str, Any], *, condition: str | None = None,
            names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> MemoryTx:
        rows = self.tables.setdefault(table, [])
        id_name = None
        if condition:
            if not (condition.startswith("attribute_not_exists(") and condition.endswith(")")):
                raise NotImplementedError(f"MemoryTx.put evaluates only attribute_not_exists: {condition}")
            id_name = condition[len("attribute_not_exists("):-1]
        stored = dict(_clean(item))
        return self.add(lambda: id_name is None or all(r.get(id_name) != stored.get(id_name) for r in rows),
                        lambda: rows.append(stored))

    def update(self, table: str, key: dict[str, Any], expression: str, **_: Any) -> MemoryTx:
        raise NotImplementedError("a twin repository adds its updates with add(check, apply)")

    def commit(self, conflict_message: str = DEFAULT_CONFLICT) -> None:
        if len(self.ops) > 100:
            raise ValueError("a transaction holds at most 100 items")
        if not all(check() for check, _ in self.ops):
            raise Conflict(conflict_message, {"_reasons": "ConditionalCheckFailed"})
        for _, apply in self.ops:
            apply()


def query_all(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of a Query (used where the result is bounded by design)."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(plain(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(table_name: str, key_name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Items by id, 100 keys per call (BatchGetItem), retrying what DynamoDB leaves unprocessed."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 100):
        request: dict[str, Any] = {table_name: {"Keys": [{key_name: i} for i in unique[start:start + 100]]}}
        while request:
            page = aws.dynamodb().batch_get_item(RequestItems=request)
            for item in page.get("Responses", {}).get(table_name, []):
                found[str(item[key_name])] = plain(item)
            request = page.get("UnprocessedKeys") or {}
    return found


def batch_put(table_name: str, items: list[dict[str, Any]]) -> None:
    """Unconditional puts in batches of 25 (BatchWriteItem); for idempotent, keyed writes only."""
    with aws.table(table_name).batch_writer() as writer:
        for item in items:
            writer.put_item(Item=_clean(item))


#: Either kind of transaction a repository hands out: DynamoDB's, or the in-memory twin's.
Transaction = Tx | MemoryTx


class MemoryTables:
    """What every repository twin shares: ``tables`` (what other ports put in committed transactions -
    audit entries, mails, keys - by table name; twins given the same dict share transactions) and the
    transactions staged on them."""

    tables: dict[str, list[dict[str, Any]]]

    def new_tx(self) -> MemoryTx:
        return MemoryTx(self.tables)

    def _tx(self, tx: Transaction) -> MemoryTx:
        if not isinstance(tx, MemoryTx) or tx.tables is not self.tables:
            raise TypeError("stage the twin's writes in a transaction from its new_tx() (one sharing its tables)")
        return tx
