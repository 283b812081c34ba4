"""Staff users and their personal-data training records (the `staff` table).

pk `user`, sk `<user name>`: one item per staff user the product invited or changed (e-mail, role,
status, version). pk `training#<fiscal year>`, sk `<user name>#<record id>`: that year's training
records, so "was this user trained this year?" is one Query on a key prefix, and the year's register is
one Query.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTx, Transaction, Tx, _clean, query_all

USER_PK = "user"


def training_pk(fiscal_year: int) -> str:
    return f"training#{fiscal_year}"


class StaffRepository(Protocol):
    def new_tx(self) -> Transaction: ...

    def users(self) -> list[dict[str, Any]]:
        """Every staff user the product knows, by user name."""
        ...

    def get_user(self, user: str) -> dict[str, Any] | None: ...

    def create_user(self, tx: Transaction, item: dict[str, Any]) -> None:
        """A new user (`user`, `email`, `role`, `status`, …) at version 1; an existing name is a Conflict."""
        ...

    def update_user(self, tx: Transaction, user: str, version: int, changes: dict[str, Any]) -> None:
        """Set `changes` and bump the version; a stale version or a missing user is a Conflict."""
        ...

    def training_of_year(self, fiscal_year: int) -> list[dict[str, Any]]:
        """The year's training records, by user and record id."""
        ...

    def has_training(self, user: str, fiscal_year: int) -> bool: ...

    def add_training(self, tx: Transaction, record: dict[str, Any]) -> None:
        """A record (`user`, `fiscal_year`, `record_id`, …); a repeated record id is a Conflict."""
        ...


class DynamoStaffRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def new_tx(self) -> Transaction:
        return Tx()

    def users(self) -> list[dict[str, Any]]:
        items = query_all(aws.table(self.table_name), KeyConditionExpression=Key("pk").eq(USER_PK))
        return [_strip(i) for i in items]

    def get_user(self, user: str) -> dict[str, Any] | None:
        from chalicelib.adapters.dynamo import plain

        item = aws.table(self.table_name).get_item(Key={"pk": USER_PK, "sk": user}).get("Item")
        return _strip(plain(item)) if item else None

    def create_user(self, tx: Transaction, item: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": USER_PK, "sk": item["user"], **item, "version": 1},
               condition="attribute_not_exists(sk)")

    def update_user(self, tx: Transaction, user: str, version: int, changes: dict[str, Any]) -> None:
        if not isinstance(tx, Tx):
            raise TypeError("stage DynamoDB writes in a Tx")
        names = {f"#f{i}": k for i, k in enumerate(changes)} | {"#v": "version"}
        values: dict[str, Any] = {f":f{i}": v for i, v in enumerate(changes.values())}
        values |= {":v": version, ":next": version + 1}
        sets = ", ".join(f"#f{i} = :f{i}" for i in range(len(changes)))
        tx.update(self.table_name, {"pk": USER_PK, "sk": user}, f"SET {sets}, #v = :next",
                  condition="#v = :v", names=names, values=values)

    def training_of_year(self, fiscal_year: int) -> list[dict[str, Any]]:
        items = query_all(aws.table(self.table_name), KeyConditionExpression=Key("pk").eq(training_pk(fiscal_year)))
        return [_strip(i) for i in items]

    def has_training(self, user: str, fiscal_year: int) -> bool:
        page = aws.table(self.table_name).query(
            KeyConditionExpression=Key("pk").eq(training_pk(fiscal_year)) & Key("sk").begins_with(f"{user}#"),
            Limit=1)
        return bool(page.get("Items"))

    def add_training(self, tx: Transaction, record: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": training_pk(int(record["fiscal_year"])),
                                 "sk": f"{record['user']}#{record['record_id']}", **record},
               condition="attribute_not_exists(sk)")


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}


class InMemoryStaffRepository:
    """The twin of DynamoStaffRepository (tests/contract/test_staff_repository.py)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def new_tx(self) -> Transaction:
        return MemoryTx(self.tables)

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(v) for (p, _), v in sorted(self.rows.items()) if p == pk]

    def users(self) -> list[dict[str, Any]]:
        return self._partition(USER_PK)

    def get_user(self, user: str) -> dict[str, Any] | None:
        found = self.rows.get((USER_PK, user))
        return copy.deepcopy(found) if found else None

    @staticmethod
    def _memory(tx: Transaction) -> MemoryTx:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's writes in a MemoryTx")
        return tx

    def create_user(self, tx: Transaction, item: dict[str, Any]) -> None:
        key = (USER_PK, str(item["user"]))
        stored = copy.deepcopy(_clean({**item, "version": 1}))
        self._memory(tx).add(lambda: key not in self.rows, lambda: self.rows.__setitem__(key, stored))

    def update_user(self, tx: Transaction, user: str, version: int, changes: dict[str, Any]) -> None:
        key = (USER_PK, user)

        def check() -> bool:
            return key in self.rows and self.rows[key].get("version") == version

        def apply() -> None:
            self.rows[key].update(copy.deepcopy(changes))
            self.rows[key]["version"] = version + 1

        self._memory(tx).add(check, apply)

    def training_of_year(self, fiscal_year: int) -> list[dict[str, Any]]:
        return self._partition(training_pk(fiscal_year))

    def has_training(self, user: str, fiscal_year: int) -> bool:
        pk = training_pk(fiscal_year)
        return any(p == pk and s.startswith(f"{user}#") for p, s in self.rows)

    def add_training(self, tx: Transaction, record: dict[str, Any]) -> None:
        key = (training_pk(int(record["fiscal_year"])), f"{record['user']}#{record['record_id']}")
        stored = copy.deepcopy(_clean(record))
        self._memory(tx).add(lambda: key not in self.rows, lambda: self.rows.__setitem__(key, stored))
