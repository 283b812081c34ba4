"""End-of-contract disposal runs (the `privacy` table, pk `disposal#DR000001`): the dry run's counts, who
ran it, and once executed who executed it and the certificate. Counts and staff ids only, no personal data.

A Protocol, the DynamoDB adapter and the in-memory twin, both held to tests/contract/test_privacy_repository.py.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import _clean, conflict_on_condition, plain

STALE = "この廃棄はすでに実行されたか、別の操作と競合しました。画面を再読み込みしてください"


def _pk(run_id: str) -> str:
    return f"disposal#{run_id}"


class DisposalRepository(Protocol):
    def create(self, run: dict[str, Any]) -> None:
        """Record a dry run (`run_id`, state `dry_run`); a run id recorded before is a Conflict."""
        ...

    def get(self, run_id: str) -> dict[str, Any] | None: ...

    def mark_executed(self, run_id: str, executed: dict[str, Any]) -> None:
        """Set the run executed with `executed` (by, at, certificate…), only while it is a dry run (else Conflict)."""
        ...


class DynamoDisposalRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def create(self, run: dict[str, Any]) -> None:
        with conflict_on_condition(STALE):
            aws.table(self.table_name).put_item(Item=_clean({"pk": _pk(run["run_id"]), **run}),
                                                ConditionExpression="attribute_not_exists(pk)")

    def get(self, run_id: str) -> dict[str, Any] | None:
        item = aws.table(self.table_name).get_item(Key={"pk": _pk(run_id)}, ConsistentRead=True).get("Item")
        if not item:
            return None
        found = plain(item)
        found.pop("pk", None)
        return dict(found)

    def mark_executed(self, run_id: str, executed: dict[str, Any]) -> None:
        with conflict_on_condition(STALE):
            aws.table(self.table_name).update_item(
                Key={"pk": _pk(run_id)}, UpdateExpression="SET #s = :done, executed = :e",
                ConditionExpression="#s = :dry", ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":done": "executed", ":dry": "dry_run", ":e": _clean(executed)},
            )


class InMemoryDisposalRepository:
    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}

    def create(self, run: dict[str, Any]) -> None:
        from chalicelib.errors import Conflict

        if run["run_id"] in self.runs:
            raise Conflict(STALE)
        self.runs[run["run_id"]] = _clean(copy.deepcopy(run))

    def get(self, run_id: str) -> dict[str, Any] | None:
        run = self.runs.get(run_id)
        return copy.deepcopy(run) if run else None

    def mark_executed(self, run_id: str, executed: dict[str, Any]) -> None:
        from chalicelib.errors import Conflict

        run = self.runs.get(run_id)
        if run is None or run.get("state") != "dry_run":
            raise Conflict(STALE)
        run.update(state="executed", executed=_clean(copy.deepcopy(executed)))
