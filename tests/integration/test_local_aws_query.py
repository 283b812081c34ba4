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


def _moto_table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["ap-northeast-1"].get_table(name)


def _answer(result: Any) -> tuple[list[Any], int, Any]:
    items, scanned, last = result
    return [item.to_json() for item in items], scanned, last


def test_an_index_query_with_a_key_condition_answers_exactly_what_moto_answers(deps: Any) -> None:
    """The items an index query is handed (its key condition) and the string sort give moto's own answer:
    the same items, order, scanned count and last key, for every range condition, both ways, page by page."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    name = deps.settings.tables.inquiries_table
    table = aws.table(name)
    rng = random.Random(14)
    with table.batch_writer() as batch:
        for n in range(400):
            item = {"inquiry_id": f"IQ{n:06d}", "status": rng.choice(("pending", "escalated", "resolved")),
                    "month": rng.choice(("2026-01", "2026-02", "2026-03")), "summary": "x" * rng.randrange(200)}
            if n % 13:  # some items lack the range key: not in the indexes
                item["received_at"] = f"{item['month']}-{rng.randint(1, 28):02d}T{rng.randint(9, 17):02d}:00:00+09:00"
            batch.put_item(Item=item)
    moto_table = _moto_table(name)
    assert query_one_partition() is True
    original = Table.query.moto_query  # type: ignore[attr-defined]

    def s(value: str) -> Any:
        return DynamoType({"S": value})

    cases = [
        ("by_month", "month", "2026-02", "BEGINS_WITH", [s("2026-02-16")]),
        ("by_month", "month", "2026-02", "BETWEEN", [s("2026-02-03"), s("2026-02-10T24")]),
        ("by_month", "month", "2026-01", "LT", [s("2026-01-15")]),
        ("by_month", "month", "2026-03", "GE", [s("2026-03-20")]),
        ("by_month", "month", "2026-03", "EQ", [s("2026-03-05T10:00:00+09:00")]),
        ("by_status", "status", "escalated", None, []),
        ("by_status", "status", "nobody", None, []),
    ]
    compared = 0
    for index, attr, value, comparison, objs in cases:
        for forward in (True, False):
            for limit in (7, 50, 1000):
                start = None
                for _ in range(100):
                    args: tuple[Any, ...] = (s(value), comparison, objs, limit, start, forward, None)
                    kwargs: dict[str, Any] = {"index_name": index, "hash_key_conditions": [(attr, s(value))],
                              "range_key_conditions": [("received_at", comparison, objs)] if comparison else []}
                    ours = _answer(Table.query(moto_table, *args, **kwargs))
                    theirs = _answer(original(moto_table, *args, **kwargs))
                    assert ours == theirs, (index, value, comparison, forward, limit, start)
                    compared += 1
                    start = ours[2]
                    if not start:
                        break
    assert compared > 50
    # And through the API: a day's page, newest first, is the day's items in received_at order.
    day = table.query(IndexName="by_month", KeyConditionExpression=Key("month").eq("2026-02")
                      & Key("received_at").begins_with("2026-02-16"), ScanIndexForward=False)["Items"]
    every = [i for i in _pages(table, IndexName="by_month", KeyConditionExpression=Key("month").eq("2026-02"), Limit=40)]
    expected = sorted((i for i in every if str(i["received_at"]).startswith("2026-02-16")),
                      key=lambda i: (i["received_at"], i["inquiry_id"]), reverse=True)
    assert [i["inquiry_id"] for i in day] == [i["inquiry_id"] for i in expected]
