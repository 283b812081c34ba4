"""The local AWS (scripts.local_aws) behaves as DynamoDB does when requests arrive at once: each call
is atomic, and a cancelled transaction undoes exactly its own writes and nobody else's."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _get(table: str, pk: str, sk: str) -> dict[str, Any] | None:
    return aws.client("dynamodb").get_item(TableName=table, Key=_key(pk, sk), ConsistentRead=True).get("Item")


def test_a_cancelled_transaction_puts_back_exactly_what_it_touched(deps: Any) -> None:
    table = deps.settings.tables.keys_table
    db = aws.client("dynamodb")
    db.put_item(TableName=table, Item={**_key("t", "kept"), "v": {"N": "1"}})
    db.put_item(TableName=table, Item={**_key("t", "gone"), "v": {"N": "2"}})
    db.put_item(TableName=table, Item={**_key("t", "guard"), "v": {"N": "3"}})
    with pytest.raises(ClientError) as info:
        db.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**_key("t", "new"), "v": {"N": "9"}}}},
            {"Update": {"TableName": table, "Key": _key("t", "kept"), "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "99"}}}},
            {"Delete": {"TableName": table, "Key": _key("t", "gone")}},
            {"ConditionCheck": {"TableName": table, "Key": _key("t", "guard"), "ConditionExpression": "v = :x",
                                "ExpressionAttributeValues": {":x": {"N": "0"}}}},
        ])
    assert info.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _get(table, "t", "new") is None
    assert _get(table, "t", "kept")["v"] == {"N": "1"}
    assert _get(table, "t", "gone")["v"] == {"N": "2"}
    # and a transaction that succeeds still writes everything
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {**_key("t", "new"), "v": {"N": "9"}}}},
        {"Delete": {"TableName": table, "Key": _key("t", "gone")}},
    ])
    assert _get(table, "t", "new")["v"] == {"N": "9"} and _get(table, "t", "gone") is None


def _fill(table: str, n: int) -> None:
    """Items nobody touches: a table of some size (moto used to copy whole tables per transaction)."""
    db = aws.client("dynamodb")
    for start in range(0, n, 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**_key("filler", f"f{i:05d}"),
                                                                           "pad": {"S": "x" * 200}}}}
                                                  for i in range(start, min(n, start + 25))]})


def test_cancelled_transactions_never_wipe_what_others_committed(deps: Any) -> None:
    table = deps.settings.tables.keys_table
    db = aws.client("dynamodb")
    _fill(table, 2000)
    written: list[str] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        sk = f"w{i:04d}-{uuid.uuid4().hex[:6]}"
        db.put_item(TableName=table, Item=_key("race", sk))
        with lock:
            written.append(sk)

    def cancelled(i: int) -> None:
        with pytest.raises(ClientError):
            db.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": _key("race", f"tx{i}")}},
                {"ConditionCheck": {"TableName": table, "Key": _key("race", "absent"),
                                    "ConditionExpression": "attribute_exists(pk)"}},
            ])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: (write if i % 2 else cancelled)(i), range(200)))
    stored = {item["sk"]["S"] for item in db.query(
        TableName=table, KeyConditionExpression="pk = :p", ConsistentRead=True,
        ExpressionAttributeValues={":p": {"S": "race"}})["Items"]}
    assert stored == set(written) and len(written) == 100


def test_a_conditional_claim_is_won_once(deps: Any) -> None:
    table = deps.settings.tables.keys_table
    db = aws.client("dynamodb")
    start = threading.Barrier(8)

    def claim(i: int) -> bool:
        start.wait(timeout=10)
        try:
            db.put_item(TableName=table, Item={**_key("claim", "one"), "by": {"N": str(i)}},
                        ConditionExpression="attribute_not_exists(pk)")
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(claim, range(8)))
    assert wins.count(True) == 1
    assert _get(table, "claim", "one")["by"] == {"N": str(wins.index(True))}
