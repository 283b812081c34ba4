"""`python -m scripts.encrypt_fields`: items written before field encryption are sealed in place, once;
readers open both sealed and legacy plaintext values, so the app works during the migration."""

from __future__ import annotations

import json

import boto3

from scripts import encrypt_fields
from tests.factories import GENERATED

LEGACY_PHONE = "0225550173"
LEGACY_ACCOUNT = "5550173"
LEGACY_CALLER = "旧データ 平文テスト"
LEGACY_MAIL = "legacy.plain@example.com"
GENERATED.update({LEGACY_PHONE, LEGACY_ACCOUNT, LEGACY_CALLER, LEGACY_MAIL})


def _raw_text(endpoint: str, table: str) -> str:
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-northeast-1")
    return json.dumps(ddb.scan(TableName=table)["Items"], ensure_ascii=False)


def _legacy_items(deps) -> None:
    t = deps.settings.tables
    ddb = boto3.resource("dynamodb", endpoint_url=deps.settings.aws_endpoint_url, region_name="ap-northeast-1")
    ddb.Table(t.stores_table).put_item(Item={
        "store_id": "MP900001", "status": "active", "store_name": "旧店舗", "phone": LEGACY_PHONE,
        "email": LEGACY_MAIL, "bank": {"bank_code": "0125", "account_number": LEGACY_ACCOUNT}, "version": 1})
    ddb.Table(t.inquiries_table).put_item(Item={
        "inquiry_id": "IQ900001", "month": "2025-06", "received_at": "2025-06-02T10:00:00+09:00",
        "status": "resolved", "caller": {"name": LEGACY_CALLER, "phone": LEGACY_PHONE}})
    ddb.Table(t.outbox_table).put_item(Item={
        "mail_id": "legacy#1", "to": LEGACY_MAIL, "subject": "件名", "body": f"{LEGACY_CALLER} 様", "state": "sent",
        "created_at": "2025-06-02T10:00:00+09:00"})


def test_the_migration_seals_legacy_plaintext_once_and_readers_tolerate_both(deps, capsys):
    _legacy_items(deps)
    endpoint = deps.settings.aws_endpoint_url
    t = deps.settings.tables
    # Before: readers pass legacy plaintext through.
    assert deps.store_repository.get("MP900001")["phone"] == LEGACY_PHONE

    assert encrypt_fields.main() == 0
    first = capsys.readouterr().out
    for secret in (LEGACY_PHONE, LEGACY_ACCOUNT, LEGACY_CALLER, LEGACY_MAIL):
        assert secret not in first
        for table in (t.stores_table, t.inquiries_table, t.outbox_table):
            assert secret not in _raw_text(endpoint, table), (secret, table)
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in first.splitlines()[1:]}
    assert rows[(t.stores_table, "phone")] == ["1", "0", "0"]
    assert rows[(t.stores_table, "account_number")] == ["1", "0", "0"]
    assert rows[(t.inquiries_table, "caller")] == ["2", "0", "0"]
    assert rows[(t.outbox_table, "to")] == ["1", "0", "0"]

    # After: the repositories answer the values; a second run seals nothing and says they were sealed already.
    store = deps.store_repository.get("MP900001")
    assert (store["phone"], store["email"], store["bank"]["account_number"]) == (LEGACY_PHONE, LEGACY_MAIL,
                                                                                  LEGACY_ACCOUNT)
    assert deps.outbox.get("legacy#1")["body"] == f"{LEGACY_CALLER} 様"
    before = _raw_text(endpoint, t.stores_table)
    assert encrypt_fields.main() == 0
    second = {tuple(line.split()[:2]): line.split()[2:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert second[(t.stores_table, "phone")] == ["0", "1", "0"]
    assert second[(t.inquiries_table, "caller")] == ["0", "2", "0"]
    assert _raw_text(endpoint, t.stores_table) == before


TRANSFER = "settlements/2025-04/zengin-sogo-furikomi-2025-04.txt"
NOTICE = "settlements/2025-04/notices/MP900001.txt"
STATEMENT = "prefecture/settlements/2025-04/statement-2025-04.csv"
LEGACY_HOLDER = "ｷｭｳﾃﾞｰﾀ ﾍｲﾌﾞﾝ"
GENERATED.add(LEGACY_HOLDER)


def _objects(s3, bucket: str, key: str) -> list[bytes]:
    """Every version's stored bytes, newest first."""
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    return [s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
            for v in sorted(versions, key=lambda v: v["LastModified"], reverse=True) if v["Key"] == key]


def _object_rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("objects"))
    return {line.split()[0]: line.split()[1:] for line in lines[start + 1:]}


def test_the_migration_seals_legacy_plaintext_files_once_and_the_app_reads_the_same_bytes(deps, capsys):
    from chalicelib.adapters.files import FileStore, sealed_kind
    from chalicelib.kernel.field_crypto import is_sealed_bytes

    endpoint = deps.settings.aws_endpoint_url
    bucket = deps.settings.buckets.documents_bucket
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-1")
    transfer = f"2{LEGACY_HOLDER} {LEGACY_ACCOUNT}\r\n".encode("cp932")
    older = f"2{LEGACY_HOLDER} 0000001\r\n".encode("cp932")
    notice = f"振込先: ****{LEGACY_ACCOUNT[-3:]} {LEGACY_CALLER}\n".encode()
    # Written before sealing existed: an older transfer file with other content, then the same file twice
    # (a re-run of the release), a notice, and a statement for the prefecture.
    for key, body in ((TRANSFER, older), (TRANSFER, transfer), (TRANSFER, transfer), (NOTICE, notice),
                      (STATEMENT, "\ufeff店舗ID,支払額\r\n".encode())):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream")
    statement_before = _objects(s3, bucket, STATEMENT)
    assert sealed_kind(TRANSFER) and sealed_kind(NOTICE) and sealed_kind(STATEMENT) is None

    assert encrypt_fields.main() == 0
    out = capsys.readouterr().out
    assert LEGACY_ACCOUNT not in out and LEGACY_CALLER not in out
    rows = _object_rows(out)
    # settlements/: 2 sealed now (transfer, notice); 3 plaintext versions removed (the two current ones
    # and the duplicate); 1 kept (the older transfer file, other content).
    assert rows["settlements/"] == ["2", "0", "3", "1"], out
    assert rows["privacy/"] == ["0", "0", "0", "0"] and rows["stores/"] == ["0", "0", "0", "0"], out

    stored = _objects(s3, bucket, TRANSFER)
    assert len(stored) == 2 and is_sealed_bytes(stored[0]) and stored[1] == older
    assert [is_sealed_bytes(b) for b in _objects(s3, bucket, NOTICE)] == [True]
    assert LEGACY_ACCOUNT.encode() not in stored[0] and LEGACY_HOLDER.encode("cp932") not in stored[0]
    assert _objects(s3, bucket, STATEMENT) == statement_before  # the prefecture's prefix stays plain

    files = FileStore(bucket, deps.cipher)
    assert files.get(TRANSFER) == transfer and files.get(NOTICE) == notice
    assert files.size(TRANSFER) == len(transfer)
    assert s3.head_object(Bucket=bucket, Key=TRANSFER)["ContentType"] == "application/octet-stream"

    # Once: a second run seals nothing and writes no version.
    assert encrypt_fields.main() == 0
    again = _object_rows(capsys.readouterr().out)
    assert again["settlements/"] == ["0", "2", "0", "1"]
    assert _objects(s3, bucket, TRANSFER) == stored
