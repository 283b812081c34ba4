"""The keys table: counters for human-readable ids, idempotency keys and duplicate fingerprints."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTx, Tx, plain


class KeyStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def next_number(self, counter: str) -> int:
        """The next number of a counter. Numbers are never reused (a failed write leaves a gap)."""
        result = aws.table(self.table_name).update_item(
            Key={"pk": "counter", "sk": counter},
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["value"])

    def get(self, pk: str, sk: str = "-") -> dict[str, Any] | None:
        item = aws.table(self.table_name).get_item(Key={"pk": pk, "sk": sk}).get("Item")
        return plain(item) if item else None

    def claim_in(self, tx: Tx | MemoryTx, pk: str, attrs: dict[str, Any], sk: str = "-") -> None:
        """Put a key that must not exist yet (idempotency): the transaction fails if it does."""
        tx.put(self.table_name, {"pk": pk, "sk": sk, **attrs}, condition="attribute_not_exists(pk)")

    def put_in(self, tx: Tx | MemoryTx, pk: str, sk: str, attrs: dict[str, Any]) -> None:
        tx.put(self.table_name, {"pk": pk, "sk": sk, **attrs})

    def refs(self, pk: str) -> list[str]:
        page = aws.table(self.table_name).query(KeyConditionExpression=Key("pk").eq(pk), Limit=50)
        return [str(i["sk"]) for i in page.get("Items", [])]
