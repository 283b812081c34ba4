"""The local AWS's Query (scripts.local_aws `query_one_partition`) answers what DynamoDB answers — the
partition's items in range-key order, forwards and backwards, page by page; an index's matches in the
index's key order — while looking at one partition instead of sorting the whole table."""

from __future__ import annotations

import random
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters import aws
from scripts.local_aws import query_one_partition


def _pages(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_it_is_in_place_in_the_local_aws(deps: Any) -> None:
    from moto.dynamodb.models.table import Table

    assert query_one_partition() is True
    assert getattr(Table.query, "one_partition", False)


def test_a_table_query_answers_its_partition_in_range_key_order(deps: Any) -> None:
    table = aws.table(deps.settings.tables.keys_table)
    rng = random.Random(7)
    keys = [f"k{n:04d}" for n in rng.sample(range(10_000), 120)]
    with table.batch_writer() as batch:
        for k in keys:
            batch.put_item(Item={"pk": "part-a", "sk": k, "v": k})
        for n in range(300):  # other partitions around it, before and after in key order
            batch.put_item(Item={"pk": f"other-{n:03d}", "sk": "x"})
            batch.put_item(Item={"pk": "part-" + chr(ord("b") + n % 20), "sk": f"y{n:03d}"})
    forward = _pages(table, KeyConditionExpression=Key("pk").eq("part-a"), Limit=25)
    assert [i["sk"] for i in forward] == sorted(keys)
    backward = _pages(table, KeyConditionExpression=Key("pk").eq("part-a"), Limit=25, ScanIndexForward=False)
    assert [i["sk"] for i in backward] == sorted(keys, reverse=True)
    ranged = _pages(table, KeyConditionExpression=Key("pk").eq("part-a") & Key("sk").begins_with("k1"))
    assert [i["sk"] for i in ranged] == sorted(k for k in keys if k.startswith("k1"))
    assert table.query(KeyConditionExpression=Key("pk").eq("part-none"))["Items"] == []


def test_an_index_query_answers_the_matches_in_the_index_key_order(deps: Any) -> None:
    table = aws.table(deps.settings.tables.stores_table)
    rng = random.Random(11)
    ids = [f"MP{n:06d}" for n in rng.sample(range(1, 999_999), 200)]
    with table.batch_writer() as batch:
        for n, store_id in enumerate(ids):
            batch.put_item(Item={"store_id": store_id, "status": ("active", "suspended")[n % 2]})
    suspended = _pages(table, IndexName="by_status", KeyConditionExpression=Key("status").eq("suspended"), Limit=30)
    assert [i["store_id"] for i in suspended] == sorted(ids[1::2])
    newest = table.query(IndexName="by_status", KeyConditionExpression=Key("status").eq("active"), Limit=5,
                         ScanIndexForward=False)["Items"]
    assert [i["store_id"] for i in newest] == sorted(ids[0::2], reverse=True)[:5]
