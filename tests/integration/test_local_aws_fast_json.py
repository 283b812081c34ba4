"""The local AWS's DynamoDB JSON (scripts.local_aws `fast_dynamodb_json`) is byte for byte moto's own: every
read below is sent twice to the same moto, once with moto's own serializer and once with the fast one, and
the status, the headers (but the date and the request id) and the body must be identical."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import Binary, TypeSerializer

from scripts.local_aws import fast_dynamodb_json

TABLE = "fast-json-check"
_VARYING = {"date", "x-amzn-requestid", "x-amz-id-2"}


@contextlib.contextmanager
def _moto_own_serializer() -> Iterator[None]:
    from moto.core import serialize

    mine = serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"].pop("json")
    try:
        yield
    finally:
        serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"]["json"] = mine


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n in range(40):
        item: dict[str, Any] = {
            "pk": f"part-{n % 3}",
            "sk": f"s{n:03d}",
            "gk": ("東京", "大阪")[n % 2],
            "name": f"株式会社みやぽ 第{n}店舗 「テスト」\u3000😀 \"quoted\" \\ back",
            "n_int": n * 1_000,
            "n_big": 10**37 + n,
            "n_neg": Decimal(f"-{n}.5"),
            "n_small": Decimal("0.000000000000000000000000000001"),
            "bin": Binary(bytes(range(n % 7, 256, 13))),
            "flag": n % 2 == 0,
            "nothing": None,
            "tags": {f"t{n % 4}", "共通"},
            "nums": {Decimal(1), Decimal("2.25"), 10**20 + n},
            "blobs": {b"\x00\x01", bytes([n % 256]) * 3},
            "list": ["a", n, None, True, [1, ["深い"]], {"k": "v"}, Binary(b"\xff")],
            "map": {"city": "札幌", "nested": {"deeper": {"x": Decimal("1.5"), "l": []}}, "empty": {}},
            "empty_list": [],
            "empty_map": {},
            "empty_str": "",
        }
        if n % 5 == 0:
            del item["nothing"]
            item["only_some"] = "ときどき"
        items.append(item)
    return items


@pytest.fixture
def dynamodb(fresh_aws: str) -> Any:
    assert fast_dynamodb_json() is True
    client = boto3.session.Session().client(
        "dynamodb", endpoint_url=fresh_aws, region_name="ap-northeast-1",
        aws_access_key_id="local", aws_secret_access_key="local")
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_gk", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        }],
    )
    to_wire = TypeSerializer()
    for item in _items():
        client.put_item(TableName=TABLE, Item={k: to_wire.serialize(v) for k, v in item.items()})
    return client


class _Raw:
    def __init__(self, client: Any) -> None:
        self.last: Any = None
        client.meta.events.register("after-call.dynamodb", self._keep)

    def _keep(self, http_response: Any, **_: Any) -> None:
        self.last = http_response


def _both(client: Any, operation: str, **params: Any) -> tuple[Any, Any, dict[str, Any]]:
    raw = _Raw(client)
    call = getattr(client, operation)
    with _moto_own_serializer():
        call(**params)
    theirs = raw.last
    parsed = call(**params)
    return theirs, raw.last, parsed


def _same(theirs: Any, ours: Any) -> None:
    assert ours.status_code == theirs.status_code
    assert ours.content == theirs.content  # byte for byte, so JSON-equal too
    assert {k.lower(): v for k, v in ours.headers.items() if k.lower() not in _VARYING} == \
        {k.lower(): v for k, v in theirs.headers.items() if k.lower() not in _VARYING}


_PART0 = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "part-0"}}}
_TOKYO = {"IndexName": "by_gk", "KeyConditionExpression": "gk = :g",
          "ExpressionAttributeValues": {":g": {"S": "東京"}}}

READS: list[tuple[str, dict[str, Any]]] = [
    ("query", _PART0),
    ("query", {**_PART0, "ScanIndexForward": False, "Limit": 4}),
    ("query", {**_PART0, "Limit": 3, "ExclusiveStartKey": {"pk": {"S": "part-0"}, "sk": {"S": "s006"}}}),
    ("query", {**_PART0, "ProjectionExpression": "sk, #n, #m.nested, tags, bin",
               "ExpressionAttributeNames": {"#n": "name", "#m": "map"}}),
    ("query", {"KeyConditionExpression": "pk = :p", "FilterExpression": "flag = :t AND n_int > :k",
               "ExpressionAttributeValues": {":p": {"S": "part-1"}, ":t": {"BOOL": True}, ":k": {"N": "5000"}}}),
    ("query", {**_PART0, "Select": "COUNT"}),
    ("query", {**_PART0, "ReturnConsumedCapacity": "TOTAL"}),
    ("query", _TOKYO),
    ("query", {**_TOKYO, "Limit": 5}),
    ("query", {**_TOKYO, "Limit": 5, "ExclusiveStartKey": {"pk": {"S": "part-1"}, "sk": {"S": "s010"},
                                                           "gk": {"S": "東京"}}}),
    ("query", {**_TOKYO, "Select": "COUNT", "FilterExpression": "attribute_exists(only_some)"}),
    ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}}),
    ("scan", {}),
    ("scan", {"Limit": 7}),
    ("scan", {"Limit": 7, "ExclusiveStartKey": {"pk": {"S": "part-2"}, "sk": {"S": "s005"}}}),
    ("scan", {"FilterExpression": "contains(tags, :t)", "ExpressionAttributeValues": {":t": {"S": "t1"}}}),
    ("scan", {"IndexName": "by_gk", "Select": "COUNT"}),
    ("get_item", {"Key": {"pk": {"S": "part-1"}, "sk": {"S": "s001"}}}),
    ("get_item", {"Key": {"pk": {"S": "part-0"}, "sk": {"S": "s000"}}, "ProjectionExpression": "bin, blobs, nums"}),
    ("get_item", {"Key": {"pk": {"S": "part-0"}, "sk": {"S": "nope"}}}),
    ("get_item", {"Key": {"pk": {"S": "part-2"}, "sk": {"S": "s002"}}, "ReturnConsumedCapacity": "TOTAL"}),
]


@pytest.mark.parametrize(("operation", "params"), READS, ids=[f"{op}-{n}" for n, (op, _) in enumerate(READS)])
def test_a_read_answers_what_moto_answers(dynamodb: Any, operation: str, params: dict[str, Any]) -> None:
    theirs, ours, parsed = _both(dynamodb, operation, TableName=TABLE, **params)
    _same(theirs, ours)
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_batch_get_answers_what_moto_answers(dynamodb: Any) -> None:
    keys = [{"pk": {"S": f"part-{n % 3}"}, "sk": {"S": f"s{n:03d}"}} for n in (0, 1, 5, 39)]
    keys.append({"pk": {"S": "part-0"}, "sk": {"S": "missing"}})
    theirs, ours, parsed = _both(dynamodb, "batch_get_item", RequestItems={
        TABLE: {"Keys": keys, "ProjectionExpression": "pk, sk, #m, #l", "ExpressionAttributeNames": {"#m": "map", "#l": "list"}},
    }, ReturnConsumedCapacity="TOTAL")
    _same(theirs, ours)
    assert len(parsed["Responses"][TABLE]) == 4


def test_writes_returning_items_and_errors_answer_what_moto_answers(dynamodb: Any) -> None:
    key = {"pk": {"S": "part-0"}, "sk": {"S": "s003"}}
    theirs, ours, _ = _both(dynamodb, "update_item", TableName=TABLE, Key=key, ReturnValues="ALL_NEW",
                            UpdateExpression="SET note = :v", ExpressionAttributeValues={":v": {"S": "更新"}})
    _same(theirs, ours)
    raw = _Raw(dynamodb)
    answers = []
    for own in (True, False):
        with _moto_own_serializer() if own else contextlib.nullcontext():
            with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
                dynamodb.delete_item(TableName=TABLE, Key=key, ConditionExpression="attribute_not_exists(pk)",
                                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
        answers.append(raw.last)
    _same(*answers)
    assert answers[0].status_code == 400


def test_the_items_are_written_without_walking_their_shape(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the comparisons above compared the fast path: with it no AttributeValue goes through moto's
    structure walk; with moto's own serializer every attribute does."""
    from moto.core import serialize

    walked: list[str] = []
    original = serialize.BaseJSONSerializer._serialize_type_structure

    def counting(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue":
            walked.append(key)
        original(self, serialized, value, shape, key)

    monkeypatch.setattr(serialize.BaseJSONSerializer, "_serialize_type_structure", counting)
    dynamodb.query(TableName=TABLE, **_PART0)
    assert walked == []
    with _moto_own_serializer():
        dynamodb.query(TableName=TABLE, **_PART0)
    assert len(walked) > 14 * 18


def test_it_is_installed_once_and_says_so(fresh_aws: str) -> None:
    from moto.core import serialize

    assert fast_dynamodb_json() is True
    installed = serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"]["json"]
    assert fast_dynamodb_json() is True
    assert serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"]["json"] is installed
    assert serialize.get_serializer_class("dynamodb", "json") is installed
    assert serialize.get_serializer_class("dynamodb", "json") is not serialize.JSONSerializer
