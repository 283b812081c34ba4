"""DynamoDB access for applications and stores, named after the questions they answer.

ApplicationRepository is the applications' port: writes are staged in a transaction (`new_tx()`) next
to the store, keys, audit entry and mails that must land with them, and take effect when the caller
commits it, all or none. Each change is conditional on the status and revision the caller read; a
failed condition is a `Conflict` at commit (`Tx.commit` maps ConditionalCheckFailed; the twin's
`MemoryTx` checks every staged write before applying any).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, _clean, plain
from chalicelib.kernel.cursors import decode_cursor, encode_cursor
from chalicelib.kernel.field_crypto import PERSONAL, FieldCipher, open_tree


class ItemTable:
    """A table keyed by one id attribute with a `by_status` index."""

    def __init__(self, table_name: str, id_attr: str, status_sort: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        self.id_attr = id_attr
        self.status_sort = status_sort
        #: opens the sealed personal fields of what is read (chalicelib/kernel/field_crypto.py)
        self.cipher = cipher

    def get(self, item_id: str) -> dict[str, Any] | None:
        try:
            item = aws.table(self.table_name).get_item(Key={self.id_attr: item_id}, ConsistentRead=True).get("Item")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationException":
                return None
            raise
        return open_tree(self.cipher, plain(item)) if item else None

    def list_by_status(self, status: str, limit: int, cursor: str | None, newest_first: bool = False, *,
                       secret: str) -> tuple[list[dict[str, Any]], str | None]:
        """A page of one status, and the signed cursor of the next page (None at the end).

        `secret` signs the cursor: a caller can only hand back one this list gave out (InvalidInput otherwise).
        """
        kwargs: dict[str, Any] = {
            "IndexName": "by_status", "KeyConditionExpression": Key("status").eq(status),
            "Limit": limit, "ScanIndexForward": not newest_first,
        }
        scope = f"{self.table_name}/by_status/{status}/{'desc' if newest_first else 'asc'}"
        start = decode_cursor(secret, scope, cursor)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = aws.table(self.table_name).query(**kwargs)
        return ([open_tree(self.cipher, plain(i)) for i in page.get("Items", [])],
                encode_cursor(secret, scope, plain(page.get("LastEvaluatedKey"))))




@dataclass(frozen=True)
class DecisionRecord:
    """A screener's decision as the application keeps it (appended to `decisions`)."""

    new_status: str
    record: dict[str, Any]
    checks: dict[str, bool | None]
    at: str
    #: the store an approval created
    store_id: str | None = None
    #: the return round a "return" opened
    return_round: int | None = None


@dataclass(frozen=True)
class Resubmission:
    """The applicant's corrected data after a return."""

    new_status: str
    revision: int
    data: dict[str, Any]
    warnings: list[str]
    duplicates: list[dict[str, str]]
    at: str


class ApplicationRepository(Protocol):
    def new_tx(self) -> Transaction:
        """A transaction the staged writes below join (other ports add their items to it)."""
        ...

    def get(self, application_id: str) -> dict[str, Any] | None: ...

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        """The screening queue: one status, oldest submission first, and the signed cursor of the next page."""
        ...

    def create(self, tx: Transaction, application: dict[str, Any]) -> None:
        """A new application; an application id already taken is a Conflict."""
        ...

    def record_decision(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                        decision: DecisionRecord) -> None:
        """Approve, return or reject the revision the screener saw, still in the status they saw."""
        ...

    def resubmit(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                 return_round: int, resubmission: Resubmission) -> None:
        """Replace the data of a returned application, once per return round."""
        ...

    def add_duplicate_refs(self, application_id: str, refs: set[str]) -> None:
        """Add to the application's `duplicate_refs` (the other applications and stores sharing a phone,
        e-mail or bank account with it). Atomic and idempotent (a set); an application that does not
        exist (any more) is left alone."""
        ...


class DynamoApplicationRepository:
    """The applications table (key `application_id`, index `by_status` sorted by submitted_at)."""

    def __init__(self, table_name: str, cipher: FieldCipher | None = None) -> None:
        self.table_name = table_name
        #: seals the personal fields written (None: stored as they are)
        self.cipher = cipher
        self._items = ItemTable(table_name, "application_id", "submitted_at", cipher)

    def new_tx(self) -> Tx:
        return Tx()

    def get(self, application_id: str) -> dict[str, Any] | None:
        return self._items.get(application_id)

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        return self._items.list_by_status(status, limit, cursor, secret=secret)

    def create(self, tx: Transaction, application: dict[str, Any]) -> None:
        tx.put(self.table_name, PERSONAL.seal(self.cipher, application),
               condition="attribute_not_exists(application_id)")

    def record_decision(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                        decision: DecisionRecord) -> None:
        values: dict[str, Any] = {":new": decision.new_status, ":old": expected_status, ":rev": expected_revision,
                                  ":d": [PERSONAL.seal(self.cipher, decision.record)], ":at": decision.at, ":checks": decision.checks}
        sets = ["#s = :new", "updated_at = :at", "decisions = list_append(decisions, :d)", "checks = :checks"]
        if decision.store_id is not None:
            sets.append("store_id = :sid")
            values[":sid"] = decision.store_id
        if decision.return_round is not None:
            sets.append("return_round = :rnd")
            values[":rnd"] = decision.return_round
        tx.update(self.table_name, {"application_id": application_id}, "SET " + ", ".join(sets),
                  condition="#s = :old AND revision = :rev", names={"#s": "status"}, values=values)

    def resubmit(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                 return_round: int, resubmission: Resubmission) -> None:
        r = resubmission
        tx.update(
            self.table_name, {"application_id": application_id},
            "SET #s = :new, revision = :rev2, #d = :data, warnings = :w, duplicates = :dup, "
            "submitted_at = :at, updated_at = :at",
            condition="#s = :old AND revision = :rev AND return_round = :rnd",
            names={"#s": "status", "#d": "data"},
            values={":new": r.new_status, ":rev2": r.revision, ":data": PERSONAL.seal(self.cipher, r.data), ":w": r.warnings,
                    ":dup": r.duplicates, ":at": r.at, ":old": expected_status, ":rev": expected_revision,
                    ":rnd": return_round},
        )


    def add_duplicate_refs(self, application_id: str, refs: set[str]) -> None:
        if not refs:
            return
        try:
            aws.table(self.table_name).update_item(
                Key={"application_id": application_id}, UpdateExpression="ADD duplicate_refs :r",
                ConditionExpression="attribute_exists(application_id)", ExpressionAttributeValues={":r": set(refs)})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


class InMemoryApplicationRepository(MemoryTables):
    """The twin of DynamoApplicationRepository, held to the same contract (tests/contract)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None,
                 cursor_scope: str = "applications") -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: what other ports put in committed transactions (audit entries, mails, keys), by table name;
        #: pass another twin's to share its transactions (the stores twin, for an approval)
        self.tables: dict[str, list[dict[str, Any]]] = tables if tables is not None else {}
        # The cursor scope names the list, as the Dynamo adapter's does (table/index/partition).
        self.cursor_scope = cursor_scope

    def get(self, application_id: str) -> dict[str, Any] | None:
        row = self.rows.get(application_id)
        return copy.deepcopy(row) if row else None

    def list_page(self, status: str, limit: int, cursor: str | None, *,
                  secret: str) -> tuple[list[dict[str, Any]], str | None]:
        scope = f"{self.cursor_scope}/by_status/{status}/asc"
        start = decode_cursor(secret, scope, cursor)
        rows = sorted((r for r in self.rows.values() if r.get("status") == status and "submitted_at" in r),
                      key=lambda r: (str(r["submitted_at"]), r["application_id"]))
        if start:
            after = (str(start["submitted_at"]), str(start["application_id"]))
            rows = [r for r in rows if (str(r["submitted_at"]), r["application_id"]) > after]
        page = rows[:limit]
        # Like a DynamoDB Query, a full page hands out a cursor even when nothing follows it.
        last = page[-1] if len(page) == limit else None
        key = ({"application_id": last["application_id"], "status": status, "submitted_at": last["submitted_at"]}
               if last else None)
        return copy.deepcopy(page), encode_cursor(secret, scope, key)

    def create(self, tx: Transaction, application: dict[str, Any]) -> None:
        row = copy.deepcopy(_clean(application))
        self._tx(tx).add(lambda: row["application_id"] not in self.rows,
                         lambda: self.rows.__setitem__(row["application_id"], row))

    def _holds(self, application_id: str, **expected: Any) -> Callable[[], bool]:
        def check() -> bool:
            row = self.rows.get(application_id)
            return row is not None and all(k in row and row[k] == v for k, v in expected.items())
        return check

    def record_decision(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                        decision: DecisionRecord) -> None:
        def apply() -> None:
            row = self.rows[application_id]
            row.update(status=decision.new_status, updated_at=decision.at,
                       decisions=[*row["decisions"], copy.deepcopy(decision.record)],
                       checks=copy.deepcopy(decision.checks))
            if decision.store_id is not None:
                row["store_id"] = decision.store_id
            if decision.return_round is not None:
                row["return_round"] = decision.return_round

        self._tx(tx).add(self._holds(application_id, status=expected_status, revision=expected_revision), apply)

    def resubmit(self, tx: Transaction, application_id: str, expected_status: str, expected_revision: int,
                 return_round: int, resubmission: Resubmission) -> None:
        r = resubmission

        def apply() -> None:
            self.rows[application_id].update(copy.deepcopy({
                "status": r.new_status, "revision": r.revision, "data": r.data, "warnings": r.warnings,
                "duplicates": r.duplicates, "submitted_at": r.at, "updated_at": r.at}))

        self._tx(tx).add(self._holds(application_id, status=expected_status, revision=expected_revision,
                                     return_round=return_round), apply)

    def add_duplicate_refs(self, application_id: str, refs: set[str]) -> None:
        row = self.rows.get(application_id)
        if row is not None and refs:
            row["duplicate_refs"] = set(row.get("duplicate_refs") or set()) | set(refs)
