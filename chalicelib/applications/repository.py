"""DynamoDB access for applications and stores, named after the questions they answer."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import plain
from chalicelib.kernel.cursors import decode_cursor, encode_cursor


class ItemTable:
    """A table keyed by one id attribute with a `by_status` index."""

    def __init__(self, table_name: str, id_attr: str, status_sort: str) -> None:
        self.table_name = table_name
        self.id_attr = id_attr
        self.status_sort = status_sort

    def get(self, item_id: str) -> dict[str, Any] | None:
        try:
            item = aws.table(self.table_name).get_item(Key={self.id_attr: item_id}, ConsistentRead=True).get("Item")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationException":
                return None
            raise
        return plain(item) if item else None

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
        return [plain(i) for i in page.get("Items", [])], encode_cursor(secret, scope, plain(page.get("LastEvaluatedKey")))
