"""DynamoDB and S3 adapters of the call center, named after the questions they answer.

Every read is a GetItem or a Query on the table's key or one of its indexes (never a Scan):
a day's log is the month partition of `by_month` with the day as received_at prefix
(received_at is stored in JST, so its first ten characters are the business day).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTx, Transaction, Tx, _clean, conflict_on_condition, plain, query_all
from chalicelib.adapters.files import FileStore
from chalicelib.deps import Deps
from chalicelib.errors import Conflict
from chalicelib.inquiries.config import OPEN_STATUSES
from chalicelib.kernel.cursors import decode_cursor, encode_cursor
from chalicelib.kernel.field_crypto import INQUIRY, FieldCipher, open_tree

Page = tuple[list[dict[str, Any]], str | None]


def commit_or_yield(tx: Transaction) -> bool:
    """Commit; False when another writer won (a failed condition) or raced us (DynamoDB cancels both
    sides of a transaction conflict). Either way nothing was written and a later sweep decides again."""
    try:
        tx.commit()
    except Conflict:
        return False
    except ClientError as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if exc.response["Error"]["Code"] == "TransactionCanceledException" and "TransactionConflict" in reasons:
            return False
        raise
    return True


def stamp(dt: datetime) -> str:
    """The stored form of a time: JST ISO 8601 to the second (sorts as it reads)."""
    return dt.isoformat(timespec="seconds")


class InquiryRepository(Protocol):
    """The call center's inquiries, named after the questions the screens, reports and sweeps ask."""

    def new_tx(self) -> Transaction:
        """A transaction the staged writes join (the audit log, the outbox and the keys add to it too)."""
        ...

    def get(self, inquiry_id: str) -> dict[str, Any] | None: ...

    def put_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        """A new inquiry; an inquiry id already taken is a Conflict at commit."""
        ...

    def update_in(self, tx: Transaction, inquiry_id: str, *, set_values: dict[str, Any],
                  remove: tuple[str, ...] = (), expect: dict[str, Any]) -> None:
        """SET (None: REMOVE) attributes if every `expect` attribute still has its value (None: absent)."""
        ...

    def list_day(self, day: date, limit: int, cursor: str | None, *, category: str | None = None,
                 status: str | None = None, store_id: str | None = None) -> Page: ...

    def list_by_store(self, store_id: str, limit: int, cursor: str | None, *, category: str | None = None,
                      status: str | None = None) -> Page: ...

    def list_by_status(self, status: str, limit: int, cursor: str | None, *,
                       category: str | None = None) -> Page: ...

    def day_items(self, day: date) -> list[dict[str, Any]]: ...

    def month_items(self, month: str) -> list[dict[str, Any]]: ...

    def count_between(self, month: str, first: date, last: date) -> int: ...

    def open_items(self) -> list[dict[str, Any]]: ...

    def due_notices(self, now: datetime) -> list[dict[str, Any]]: ...


class ReportMarkStore(Protocol):
    """What has been reported: claimed deliveries and the two watermarks of the report sweep."""

    def day(self, name: str) -> date | None: ...

    def note_reportable(self, received_day: date) -> None: ...

    def advance_last(self, delivery_day: date) -> None: ...

    def delivered(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def claim_in(self, tx: Transaction, kind: str, key: str, attrs: dict[str, Any]) -> None: ...

    def reported(self, month: str) -> dict[str, dict[str, Any]]:
        """What the daily reports have stated for `month`: per day ("YYYY-MM-DD" → its figures), and the
        month's edit marks ("YYYY-MM~edit", "YYYY-MM~checked")."""
        ...

    def put_reported_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        """Replace the mark `key` (a day, or a month's edit mark; see `reported`) in `tx`."""
        ...


class InquiryTable:
    """The DynamoDB adapter of InquiryRepository (the inquiries table and its four indexes)."""

    def __init__(self, table_name: str, cursor_secret: str | None = None, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        #: signs the staff log's page cursors (required only by the paged lists)
        self.cursor_secret = cursor_secret
        #: seals the caller's name and phone written and opens them on read (None: stored as they are)
        self.cipher = cipher

    def _open(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [open_tree(self.cipher, i) for i in items] if self.cipher else items

    def _table(self) -> Any:
        return aws.table(self.table_name)

    def new_tx(self) -> Tx:
        return Tx()

    def get(self, inquiry_id: str) -> dict[str, Any] | None:
        try:
            item = self._table().get_item(Key={"inquiry_id": inquiry_id}, ConsistentRead=True).get("Item")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationException":
                return None
            raise
        return open_tree(self.cipher, plain(item)) if item else None

    def put_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        tx.put(self.table_name, INQUIRY.seal(self.cipher, item), condition="attribute_not_exists(inquiry_id)")

    def update_in(self, tx: Transaction, inquiry_id: str, *, set_values: dict[str, Any], remove: tuple[str, ...] = (),
                  expect: dict[str, Any]) -> None:
        """SET/REMOVE attributes if every `expect` attribute still has its value (None: must be absent)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets: list[str] = []
        removes: list[str] = []
        for i, (attr, value) in enumerate(INQUIRY.seal(self.cipher, set_values).items()):
            names[f"#s{i}"] = attr
            if value is None:
                removes.append(f"#s{i}")
            else:
                values[f":s{i}"] = value
                sets.append(f"#s{i} = :s{i}")
        for i, attr in enumerate(remove):
            names[f"#r{i}"] = attr
            removes.append(f"#r{i}")
        conditions: list[str] = []
        for i, (attr, value) in enumerate(expect.items()):
            names[f"#e{i}"] = attr
            if value is None:
                conditions.append(f"attribute_not_exists(#e{i})")
            else:
                values[f":e{i}"] = value
                conditions.append(f"#e{i} = :e{i}")
        expression = " ".join(part for part in (
            "SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "") if part)
        tx.update(self.table_name, {"inquiry_id": inquiry_id}, expression,
                  condition=" AND ".join(conditions) or None, names=names, values=values or None)

    # --- the staff log --------------------------------------------------------------------------------

    def _page(self, index: str, partition: str, key: ConditionBase, limit: int, cursor: str | None,
              filters: ConditionBase | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list, newest first; `partition` names the list, so a cursor only fits its own."""
        if self.cursor_secret is None:
            raise RuntimeError("InquiryTable needs cursor_secret to page (see ports())")
        kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": key, "Limit": limit,
                                  "ScanIndexForward": False}
        if filters is not None:
            kwargs["FilterExpression"] = filters
        scope = f"{self.table_name}/{index}/{partition}"
        start = decode_cursor(self.cursor_secret, scope, cursor)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = self._table().query(**kwargs)
        return (self._open([plain(i) for i in page.get("Items", [])]),
                encode_cursor(self.cursor_secret, scope, plain(page.get("LastEvaluatedKey"))))

    @staticmethod
    def _filters(**equal: str | None) -> ConditionBase | None:
        condition: ConditionBase | None = None
        for attr, value in equal.items():
            if value is None:
                continue
            part = Attr(attr).eq(value)
            condition = part if condition is None else condition & part
        return condition

    def list_day(self, day: date, limit: int, cursor: str | None, *, category: str | None = None,
                 status: str | None = None, store_id: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """A day's inquiries, newest first."""
        key = Key("month").eq(day.isoformat()[:7]) & Key("received_at").begins_with(day.isoformat())
        return self._page("by_month", day.isoformat(), key, limit, cursor,
                          self._filters(category=category, status=status, store_id=store_id))

    def list_by_store(self, store_id: str, limit: int, cursor: str | None, *, category: str | None = None,
                      status: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return self._page("by_store", store_id, Key("store_id").eq(store_id), limit, cursor,
                          self._filters(category=category, status=status))

    def list_by_status(self, status: str, limit: int, cursor: str | None, *,
                       category: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return self._page("by_status", status, Key("status").eq(status), limit, cursor,
                          self._filters(category=category))

    # --- reports and sweeps (bounded by design: a day, a month, the open items) -----------------------

    def day_items(self, day: date) -> list[dict[str, Any]]:
        return self._open(query_all(self._table(), IndexName="by_month",
                                    KeyConditionExpression=Key("month").eq(day.isoformat()[:7])
                                    & Key("received_at").begins_with(day.isoformat())))

    def month_items(self, month: str) -> list[dict[str, Any]]:
        return self._open(query_all(self._table(), IndexName="by_month", KeyConditionExpression=Key("month").eq(month)))

    def count_between(self, month: str, first: date, last: date) -> int:
        """How many inquiries of `month` were received from `first` to `last` (inclusive days)."""
        # "YYYY-MM-DD" sorts before every time of that day and "YYYY-MM-DDT24" after all of them.
        key = Key("month").eq(month) & Key("received_at").between(first.isoformat(), f"{last.isoformat()}T24")
        kwargs: dict[str, Any] = {"IndexName": "by_month", "KeyConditionExpression": key, "Select": "COUNT"}
        total = 0
        while True:
            page = self._table().query(**kwargs)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def open_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for status in OPEN_STATUSES:
            items += query_all(self._table(), IndexName="by_status", KeyConditionExpression=Key("status").eq(status))
        return sorted(self._open(items), key=lambda i: i["received_at"])

    def due_notices(self, now: datetime) -> list[dict[str, Any]]:
        """Escalations queued for the prefecture whose notice is due at `now`."""
        return self._open(query_all(self._table(), IndexName="by_notice",
                                    KeyConditionExpression=Key("notice_state").eq("queued")
                                    & Key("notice_due").lte(stamp(now))))


class ReportMarks:
    """The DynamoDB adapter of ReportMarkStore. What has been reported, in the keys table: a delivery is claimed once (idempotency), and two
    watermarks bound the sweep: `from` (the first day that has inquiries to report) and `last` (the
    last delivery day done)."""

    PK = "inquiry-report"

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def day(self, name: str) -> date | None:
        item = aws.table(self.table_name).get_item(Key={"pk": self.PK, "sk": name}, ConsistentRead=True).get("Item")
        return date.fromisoformat(str(item["day"])) if item else None

    def _move(self, name: str, day: date, *, earlier: bool) -> None:
        """Set a watermark to `day` if it is unset or `day` moves it the given way (never backwards)."""
        op = "<" if earlier else ">"
        with contextlib.suppress(Conflict), conflict_on_condition():  # already further: nothing to move
            aws.table(self.table_name).update_item(
                Key={"pk": self.PK, "sk": name}, UpdateExpression="SET #d = :d",
                ConditionExpression=f"attribute_not_exists(#d) OR :d {op} #d",
                ExpressionAttributeNames={"#d": "day"}, ExpressionAttributeValues={":d": day.isoformat()},
            )

    def note_reportable(self, received_day: date) -> None:
        """Reports start with the earliest day an inquiry was logged for."""
        self._move("from", received_day, earlier=True)

    def advance_last(self, delivery_day: date) -> None:
        self._move("last", delivery_day, earlier=False)

    def delivered(self, kind: str, key: str) -> dict[str, Any] | None:
        item = aws.table(self.table_name).get_item(
            Key={"pk": self.PK, "sk": f"{kind}#{key}"}, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def claim_in(self, tx: Transaction, kind: str, key: str, attrs: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": self.PK, "sk": f"{kind}#{key}", **attrs},
               condition="attribute_not_exists(pk)")

    def reported(self, month: str) -> dict[str, dict[str, Any]]:
        # At most a month's days under one partition key: bounded by design.
        items = query_all(aws.table(self.table_name), ConsistentRead=True,
                          KeyConditionExpression=Key("pk").eq(self.PK) & Key("sk").begins_with(f"reported#{month}"))
        return {str(i["sk"]).removeprefix("reported#"): i for i in items}

    def put_reported_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": self.PK, "sk": f"reported#{key}", **attrs})


#: The by_month/by_status/by_store/by_notice indexes: partition and sort attribute.
_INDEXES = {"by_month": ("month", "received_at"), "by_status": ("status", "received_at"),
            "by_store": ("store_id", "received_at"), "by_notice": ("notice_state", "notice_due")}


class InMemoryInquiryRepository:
    """The twin of InquiryTable, held to the same contract (tests/contract/test_inquiries_repository.py)."""

    def __init__(self, cursor_secret: str | None = None, table_name: str = "inquiries") -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: what other ports put in committed transactions (audit entries, mails, keys), by table name
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.cursor_secret = cursor_secret
        self.table_name = table_name

    def new_tx(self) -> MemoryTx:
        return MemoryTx(self.tables)

    def _tx(self, tx: Transaction) -> MemoryTx:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's writes in a MemoryTx (from new_tx())")
        return tx

    def get(self, inquiry_id: str) -> dict[str, Any] | None:
        row = self.rows.get(inquiry_id)
        return copy.deepcopy(row) if row else None

    def put_in(self, tx: Transaction, item: dict[str, Any]) -> None:
        row = copy.deepcopy(_clean(item))
        self._tx(tx).add(lambda: row["inquiry_id"] not in self.rows,
                         lambda: self.rows.__setitem__(row["inquiry_id"], row))

    def update_in(self, tx: Transaction, inquiry_id: str, *, set_values: dict[str, Any],
                  remove: tuple[str, ...] = (), expect: dict[str, Any]) -> None:
        def check() -> bool:
            row = self.rows.get(inquiry_id, {})
            return all((attr not in row) if value is None else row.get(attr) == value
                       for attr, value in expect.items())

        def apply() -> None:
            # Like UpdateItem, an unconditional update of a missing item creates it.
            row = self.rows.setdefault(inquiry_id, {"inquiry_id": inquiry_id})
            for attr, value in set_values.items():
                if value is None:
                    row.pop(attr, None)
                else:
                    row[attr] = copy.deepcopy(_clean(value, False))
            for attr in remove:
                row.pop(attr, None)

        self._tx(tx).add(check, apply)

    def _index(self, index: str, partition: str, keep: Callable[[str], bool] = lambda _: True) -> list[dict[str, Any]]:
        """Rows in one partition of a sparse index (rows without the index's keys are not in it), ascending."""
        pk, sk = _INDEXES[index]
        rows = [r for r in self.rows.values() if r.get(pk) == partition and sk in r and keep(str(r[sk]))]
        return [copy.deepcopy(r) for r in sorted(rows, key=lambda r: (str(r[sk]), r["inquiry_id"]))]

    def _page(self, index: str, partition: str, scope_partition: str, keep: Callable[[str], bool], limit: int,
              cursor: str | None, filters: dict[str, str | None]) -> Page:
        if self.cursor_secret is None:
            raise RuntimeError("InMemoryInquiryRepository needs cursor_secret to page")
        pk, sk = _INDEXES[index]
        scope = f"{self.table_name}/{index}/{scope_partition}"
        start = decode_cursor(self.cursor_secret, scope, cursor)
        rows = list(reversed(self._index(index, partition, keep)))
        if start:
            after = (str(start[sk]), str(start["inquiry_id"]))
            rows = [r for r in rows if (str(r[sk]), r["inquiry_id"]) < after]
        # A Query reads `limit` items, then filters them (a page may hold fewer), and hands out the
        # last key read whenever it read a full page.
        read = rows[:limit]
        last = read[-1] if len(read) == limit else None
        items = [r for r in read if all(v is None or r.get(a) == v for a, v in filters.items())]
        key = {"inquiry_id": last["inquiry_id"], pk: last[pk], sk: last[sk]} if last else None
        return items, encode_cursor(self.cursor_secret, scope, key)

    def list_day(self, day: date, limit: int, cursor: str | None, *, category: str | None = None,
                 status: str | None = None, store_id: str | None = None) -> Page:
        return self._page("by_month", day.isoformat()[:7], day.isoformat(),
                          lambda at: at.startswith(day.isoformat()), limit, cursor,
                          {"category": category, "status": status, "store_id": store_id})

    def list_by_store(self, store_id: str, limit: int, cursor: str | None, *, category: str | None = None,
                      status: str | None = None) -> Page:
        return self._page("by_store", store_id, store_id, lambda _: True, limit, cursor,
                          {"category": category, "status": status})

    def list_by_status(self, status: str, limit: int, cursor: str | None, *,
                       category: str | None = None) -> Page:
        return self._page("by_status", status, status, lambda _: True, limit, cursor, {"category": category})

    def day_items(self, day: date) -> list[dict[str, Any]]:
        return self._index("by_month", day.isoformat()[:7], lambda at: at.startswith(day.isoformat()))

    def month_items(self, month: str) -> list[dict[str, Any]]:
        return self._index("by_month", month)

    def count_between(self, month: str, first: date, last: date) -> int:
        return len(self._index("by_month", month,
                               lambda at: first.isoformat() <= at <= f"{last.isoformat()}T24"))

    def open_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for status in OPEN_STATUSES:
            items += self._index("by_status", status)
        return sorted(items, key=lambda i: i["received_at"])

    def due_notices(self, now: datetime) -> list[dict[str, Any]]:
        return self._index("by_notice", "queued", lambda due: due <= stamp(now))


class InMemoryReportMarks:
    """The twin of ReportMarks, held to the same contract."""

    def __init__(self) -> None:
        self.days: dict[str, date] = {}
        self.claims: dict[str, dict[str, Any]] = {}

    def day(self, name: str) -> date | None:
        return self.days.get(name)

    def _move(self, name: str, day: date, *, earlier: bool) -> None:
        current = self.days.get(name)
        if current is None or (day < current if earlier else day > current):
            self.days[name] = day

    def note_reportable(self, received_day: date) -> None:
        self._move("from", received_day, earlier=True)

    def advance_last(self, delivery_day: date) -> None:
        self._move("last", delivery_day, earlier=False)

    def delivered(self, kind: str, key: str) -> dict[str, Any] | None:
        item = self.claims.get(f"{kind}#{key}")
        return copy.deepcopy(item) if item else None

    def claim_in(self, tx: Transaction, kind: str, key: str, attrs: dict[str, Any]) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's writes in a MemoryTx")
        sk = f"{kind}#{key}"
        item = copy.deepcopy(_clean({"pk": ReportMarks.PK, "sk": sk, **attrs}))
        tx.add(lambda: sk not in self.claims, lambda: self.claims.__setitem__(sk, item))

    def reported(self, month: str) -> dict[str, dict[str, Any]]:
        return {sk.removeprefix("reported#"): copy.deepcopy(item) for sk, item in sorted(self.claims.items())
                if sk.startswith(f"reported#{month}")}

    def put_reported_in(self, tx: Transaction, key: str, attrs: dict[str, Any]) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's writes in a MemoryTx")
        sk = f"reported#{key}"
        item = copy.deepcopy(_clean({"pk": ReportMarks.PK, "sk": sk, **attrs}))
        tx.add(lambda: True, lambda: self.claims.__setitem__(sk, item))


@dataclass(frozen=True)
class InquiryPorts:
    inquiries: InquiryRepository
    marks: ReportMarkStore
    files: FileStore


def ports(deps: Deps) -> InquiryPorts:
    """The call center's adapters over the shared deps (cheap objects; clients are cached in adapters.aws)."""
    return InquiryPorts(
        inquiries=InquiryTable(deps.settings.tables.inquiries_table, deps.settings.app_secret,
                               getattr(deps, "cipher", None)),
        marks=ReportMarks(deps.settings.tables.keys_table),
        files=FileStore(deps.settings.buckets.documents_bucket),
    )
