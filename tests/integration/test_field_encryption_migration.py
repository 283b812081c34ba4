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
