"""DynamoDB access for applications and stores, named after the questions they answer."""

from __future__ import annotations

import base64
import json
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import plain
from chalicelib.errors import InvalidInput


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(plain(key)).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("ページ指定が正しくありません", {"cursor": "一覧を最初から開き直してください"}) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidInput("ページ指定が正しくありません", {"cursor": "一覧を最初から開き直してください"})
    return value


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

    def list_by_status(self, status: str, limit: int, cursor: str | None,
                       newest_first: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        kwargs: dict[str, Any] = {
            "IndexName": "by_status", "KeyConditionExpression": Key("status").eq(status),
            "Limit": limit, "ScanIndexForward": not newest_first,
        }
        start = decode_cursor(cursor)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = aws.table(self.table_name).query(**kwargs)
        return [plain(i) for i in page.get("Items", [])], encode_cursor(page.get("LastEvaluatedKey"))
