"""The local stack's in-process path (scripts.local_aws `LocalAws.serve_in_process`): the app's own AWS calls
go straight to moto's WSGI app, under the HTTP server's lock, and answer exactly what the HTTP path answers;
everything outside the process keeps the HTTP server; a client created without the hook never uses it."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from chalicelib.adapters import aws
from scripts.local_aws import InProcessCalls, LocalAws
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-northeast-1"


@pytest.fixture(scope="module")
def local(aws_server: tuple[str, dict[str, Any]]) -> Iterator[LocalAws]:
    """A local AWS of its own (moto's state is the process's: the same backends), served in process."""
    server = LocalAws(free_port()).start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", server.endpoint)
        server.serve_in_process()
        try:
            yield server
        finally:
            server.stop()
            aws.reset_clients()


def _http(service: str, local: LocalAws) -> Any:
    """A client that goes over HTTP: a session without the hook."""
    return boto3.session.Session().client(service, endpoint_url=local.endpoint, region_name=REGION)


def _counted(local: LocalAws) -> InProcessCalls:
    assert local.in_process is not None
    return local.in_process


def _table(local: LocalAws) -> str:
    name = f"inproc-{uuid.uuid4().hex[:8]}"
    aws.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
    return name


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _plain(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_the_apps_clients_answer_in_process_under_the_servers_lock(local: LocalAws) -> None:
    calls = _counted(local)
    assert calls.app is local.app  # one OneRequestAtATime: one lock for in-process calls and HTTP requests
    before = calls.calls
    aws.client("dynamodb").list_tables()
    aws.table("absent-table")  # a resource from the same module is hooked too
    with pytest.raises(ClientError):
        aws.dynamodb().Table("absent-table").load()
    assert calls.calls == before + 2
    # a client of a session without the hook goes over HTTP: the counter does not move
    _http("dynamodb", local).list_tables()
    assert calls.calls == before + 2


def test_dynamodb_answers_as_over_http(local: LocalAws) -> None:
    table = _table(local)
    db, over_http = aws.client("dynamodb"), _http("dynamodb", local)
    calls = _counted(local)
    before = calls.calls
    for i in range(5):
        db.put_item(TableName=table, Item={**_key("p", f"s{i}"), "v": {"N": str(i)}, "t": {"S": "日本語"}})
    got = db.get_item(TableName=table, Key=_key("p", "s3"), ConsistentRead=True)
    assert got["Item"]["t"] == {"S": "日本語"}
    assert _plain(got) == _plain(over_http.get_item(TableName=table, Key=_key("p", "s3"), ConsistentRead=True))
    query = {"TableName": table, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
             "ScanIndexForward": False, "Limit": 3}
    page = db.query(**query)
    assert [item["sk"]["S"] for item in page["Items"]] == ["s4", "s3", "s2"]
    assert _plain(page) == _plain(over_http.query(**query))
    cancelled = [
        {"Put": {"TableName": table, "Item": {**_key("p", "new"), "v": {"N": "9"}}}},
        {"Update": {"TableName": table, "Key": _key("p", "s1"), "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "99"}}}},
        {"ConditionCheck": {"TableName": table, "Key": _key("p", "s0"), "ConditionExpression": "v = :x",
                            "ExpressionAttributeValues": {":x": {"N": "7"}}}},
    ]
    errors = []
    for client in (db, over_http):
        with pytest.raises(ClientError) as info:
            client.transact_write_items(TransactItems=cancelled)
        errors.append((info.value.response["Error"], info.value.response.get("CancellationReasons")))
    assert errors[0] == errors[1]
    assert errors[0][0]["Code"] == "TransactionCanceledException"
    assert "Item" not in db.get_item(TableName=table, Key=_key("p", "new"), ConsistentRead=True)
    assert db.get_item(TableName=table, Key=_key("p", "s1"), ConsistentRead=True)["Item"]["v"] == {"N": "1"}
    db.transact_write_items(TransactItems=cancelled[:2])
    assert over_http.get_item(TableName=table, Key=_key("p", "s1"))["Item"]["v"] == {"N": "99"}
    assert calls.calls == before + 11  # everything the hooked client did was answered here


def test_s3_answers_as_over_http_and_a_presigned_post_still_goes_over_http(local: LocalAws) -> None:
    bucket = f"inproc-{uuid.uuid4().hex[:8]}"
    s3, over_http = aws.client("s3"), _http("s3", local)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    calls = _counted(local)
    before = calls.calls
    key = "settlements/2026-02/振込 ファイル+1.txt"
    body = bytes(range(256)) * 400  # ~100 kB, every byte value
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream",
                  Metadata={"plain_size": "102400", "kind": "transfer"})
    got = s3.get_object(Bucket=bucket, Key=key)
    assert b"".join(got["Body"].iter_chunks(chunk_size=4096)) == body
    http_got = over_http.get_object(Bucket=bucket, Key=key)
    assert http_got["Body"].read() == body
    for name in ("ContentLength", "ContentType", "ETag", "Metadata"):
        assert got[name] == http_got[name]
    assert got["Metadata"] == {"plain_size": "102400", "kind": "transfer"}
    head = s3.head_object(Bucket=bucket, Key=key)
    assert {k: head[k] for k in ("ContentLength", "ETag", "Metadata")} == \
        {k: http_got[k] for k in ("ContentLength", "ETag", "Metadata")}
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="settlements/")
    assert [o["Key"] for o in listed["Contents"]] == [key]
    assert [o["Key"] for o in over_http.list_objects_v2(Bucket=bucket, Prefix="settlements/")["Contents"]] == [key]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="absent")
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    assert calls.calls == before + 5
    # The browser's presigned POST: made by the app, posted from outside, over the HTTP server.
    post = s3.generate_presigned_post(bucket, "uploads/list.csv", ExpiresIn=300)
    assert calls.calls == before + 5  # presigning sends nothing
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in post["fields"].items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + "店舗,1\n".encode() + b"\r\n")
    request = urllib.request.Request(post["url"], data=b"".join(parts) + f"--{boundary}--\r\n".encode(),
                                     method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status in (200, 204)
    assert s3.get_object(Bucket=bucket, Key="uploads/list.csv")["Body"].read() == "店舗,1\n".encode()


def test_ses_mail_sent_in_process_is_read_back_over_http(local: LocalAws) -> None:
    ses = aws.client("ses")
    sender = f"noreply-{uuid.uuid4().hex[:6]}@example.jp"
    ses.verify_email_identity(EmailAddress=sender)
    calls = _counted(local)
    before = calls.calls
    subject = f"審査結果のお知らせ {uuid.uuid4().hex[:6]}"
    sent = ses.send_email(Source=sender, Destination={"ToAddresses": ["store@example.jp"]},
                          Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                                   "Body": {"Text": {"Data": "本文", "Charset": "UTF-8"}}})
    assert calls.calls == before + 1
    with urllib.request.urlopen(f"{local.endpoint}/moto-api/data.json", timeout=30) as resp:
        data = json.loads(resp.read().decode("utf-8"))
    text = json.dumps(data.get("ses", {}), ensure_ascii=False)
    assert subject in text and sent["MessageId"] in text


def test_kms_data_keys_made_in_process_open_over_http_and_back(local: LocalAws) -> None:
    kms, over_http = aws.client("kms"), _http("kms", local)
    key_id = kms.create_key(Description="in-process test")["KeyMetadata"]["KeyId"]
    made = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"purpose": "test"})
    opened = over_http.decrypt(CiphertextBlob=made["CiphertextBlob"], EncryptionContext={"purpose": "test"})
    assert opened["Plaintext"] == made["Plaintext"] and len(made["Plaintext"]) == 32
    made_http = over_http.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=made_http["CiphertextBlob"])["Plaintext"] == made_http["Plaintext"]
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=made["CiphertextBlob"], EncryptionContext={"purpose": "other"})
    assert info.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_in_process_calls_and_http_requests_take_turns_on_one_lock(local: LocalAws) -> None:
    """Cancelled transactions in process racing puts over HTTP: no committed put is wiped."""
    table = _table(local)
    db, over_http = aws.client("dynamodb"), _http("dynamodb", local)
    written: list[str] = []
    guard = threading.Lock()

    def put(i: int) -> None:
        sk = f"w{i:04d}"
        over_http.put_item(TableName=table, Item=_key("race", sk))
        with guard:
            written.append(sk)

    def cancel(i: int) -> None:
        with pytest.raises(ClientError):
            db.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": _key("race", f"tx{i}")}},
                {"ConditionCheck": {"TableName": table, "Key": _key("race", "absent"),
                                    "ConditionExpression": "attribute_exists(pk)"}}])

    threads = [threading.Thread(target=put if i % 2 else cancel, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    items = db.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "race"}}, ConsistentRead=True)["Items"]
    assert sorted(item["sk"]["S"] for item in items) == sorted(written) and len(written) == 30


def test_a_client_made_without_the_hook_never_answers_in_process(local: LocalAws) -> None:
    calls = _counted(local)
    hooked = aws.client("sts")
    plain = boto3.session.Session().client("sts", endpoint_url=local.endpoint, region_name=REGION)
    before = calls.calls
    assert hooked.get_caller_identity()["Account"] == plain.get_caller_identity()["Account"]
    assert calls.calls == before + 1
    # another local AWS stopping removes its own hook only; once this one stops, nothing is hooked
    other = LocalAws(free_port()).start()
    other.serve_in_process()
    assert len(aws._session_hooks) == 2
    other.stop()
    assert aws._session_hooks == [calls.register]


def test_only_the_local_stack_registers_it() -> None:
    """chalicelib and app.py never reach the hook; the local stack is the one caller outside the tests."""
    callers = []
    for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if "serve_in_process(" in text or "on_new_session(" in text:
            callers.append(str(path.relative_to(ROOT)))
    assert sorted(callers) == ["chalicelib/adapters/aws.py", "scripts/local_aws.py", "scripts/local_stack.py"]
    assert "moto" not in (ROOT / "chalicelib" / "adapters" / "aws.py").read_text(encoding="utf-8")
    assert "serve_in_process()" in (ROOT / "scripts" / "local_stack.py").read_text(encoding="utf-8")


def test_calls_are_in_the_access_log_and_a_failing_handler_answers_500(local: LocalAws,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    from botocore.config import Config

    with caplog.at_level("INFO", logger="werkzeug"):
        with pytest.raises(ClientError):
            aws.client("s3").list_objects_v2(Bucket="absent-bucket-x", Prefix="usage/")
    assert any("in-process" in r.getMessage() and "list-type=2&prefix=usage" in r.getMessage() and '" 404' in
               r.getMessage() for r in caplog.records)

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("moto failed")

    failing = InProcessCalls(broken, local.port)
    session = boto3.session.Session()
    failing.register(session)
    client = session.client("sts", endpoint_url=local.endpoint, region_name=REGION,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    caplog.clear()
    with caplog.at_level("INFO", logger="werkzeug"), pytest.raises(ResponseParserError) as info:
        client.get_caller_identity()  # the HTML page werkzeug's server answers with, as over HTTP
    assert "500 Internal Server Error" in str(info.value)
    assert any("Error on request" in r.getMessage() and "moto failed" in r.getMessage() for r in caplog.records)
    assert failing.calls == 1


def test_a_refused_call_names_its_operation_and_error_but_never_the_item(local: LocalAws,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    # DynamoDB answers every call on "POST /": a refusal's line names what was refused (a failed condition
    # is DynamoDB's normal answer to a lost race), never its message (which can carry the stored item).
    dynamo = aws.client("dynamodb")
    table = f"refusals-{uuid.uuid4().hex[:8]}"
    dynamo.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    secret = "090-1234-5678"
    dynamo.put_item(TableName=table, Item={"pk": {"S": "a"}, "phone": {"S": secret}})
    with caplog.at_level("INFO", logger="werkzeug"):
        with pytest.raises(ClientError):
            dynamo.put_item(TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)",
                            ReturnValuesOnConditionCheckFailure="ALL_OLD")
        with pytest.raises(ClientError):
            dynamo.transact_write_items(TransactItems=[{"Put": {
                "TableName": table, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
        with pytest.raises(ClientError):
            aws.client("s3").get_object(Bucket="absent-bucket-x", Key="k")
    lines = [r.getMessage() for r in caplog.records if "in-process" in r.getMessage()]
    assert any('" 400 - PutItem ConditionalCheckFailedException' in line for line in lines), lines
    assert any('" 400 - TransactWriteItems TransactionCanceledException' in line for line in lines), lines
    assert any('" 404 - NoSuchBucket' in line for line in lines), lines
    assert not any(secret in line for line in lines)
