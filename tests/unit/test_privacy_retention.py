"""The retention table (issue 13 point 2) covers every table and bucket; the disposal's rules and certificate."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.resources import BUCKETS, TABLES
from chalicelib.mail.outbox import KEEP_AFTER_SENDING, expires_at
from chalicelib.privacy import retention
from chalicelib.privacy.certificate import certificate_pdf, mail_body
from chalicelib.privacy.disposal import anonymize, plan
from chalicelib.privacy.jobs import sweep

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_every_table_has_a_retention_row() -> None:
    covered = {r.location for r in retention.RETENTION if r.where == "table"}
    missing = [t.name for t in TABLES if t.name not in covered]
    assert not missing, f"tables without a row in chalicelib/privacy/retention.py: {missing}"


def test_every_bucket_has_a_retention_row() -> None:
    covered = {r.location for r in retention.RETENTION if r.where == "bucket"}
    assert not [b.name for b in BUCKETS if b.name not in covered]


def test_every_personal_data_table_is_deleted_or_anonymized_at_disposal() -> None:
    # Staff accounts run and evidence the disposal itself; they go with the user pool when the stack is removed.
    for spec in TABLES:
        if spec.personal_data and spec.name != "staff":
            rows = [r for r in retention.RETENTION if r.location == spec.name and r.personal_data]
            assert rows and all(r.at_disposal in ("delete", "anonymize") for r in rows), spec.name


def test_rows_are_unique_cited_and_complete() -> None:
    kinds = [r.kind for r in retention.RETENTION]
    assert len(kinds) == len(set(kinds))
    for row in retention.RETENTION:
        assert row.label and row.period and row.basis and row.mechanism, row.kind
        assert row.at_disposal in ("delete", "anonymize", "keep")
    assert retention.BY_KIND["outbox"].days == 30
    assert "7(1)チ" in retention.BY_KIND["settlement_rounds"].basis
    assert retention.BY_KIND["settlement_rounds"].at_disposal == "anonymize"


def test_the_json_answer_lists_every_row() -> None:
    items = retention.table_json()["items"]
    assert len(items) == len(retention.RETENTION)
    assert {"kind", "label", "where", "location", "period", "basis", "at_disposal"} <= set(items[0])


def test_the_outbox_expires_by_ttl_30_days_after_sending() -> None:
    [outbox] = [t for t in TABLES if t.name == "outbox"]
    assert outbox.ttl == "expires_at"
    assert KEEP_AFTER_SENDING == timedelta(days=retention.OUTBOX_DAYS)
    assert expires_at(NOW) == int((NOW + timedelta(days=30)).timestamp())


def test_lifecycle_rules_and_protected_settlement_prefixes() -> None:
    uploads = {r["prefix"]: r for r in retention.lifecycle_rules("uploads")}
    assert uploads["usage/"]["expiration_days"] == retention.USAGE_FILE_DAYS
    documents = {r["prefix"]: r for r in retention.lifecycle_rules("documents")}
    assert documents["settlements/"]["expiration_days"] >= 7 * 365
    assert documents["settlements/"]["noncurrent_days"] >= 7 * 365
    assert set(retention.protected_prefixes("documents")) == {"settlements/", "prefecture/settlements/"}
    assert retention.kind_of_object("documents", "prefecture/settlements/2025-06/x.csv").kind == "statements"  # type: ignore[union-attr]
    assert retention.kind_of_object("documents", "prefecture/monthly-sessions/x.csv").kind == "session_reports"  # type: ignore[union-attr]


def test_anonymize_keeps_ids_and_figures_and_drops_names_and_bank_data() -> None:
    line = {"pk": "round#2025-06", "sk": "line#v1#MP000001", "store_id": "MP000001", "paid": 7000,
            "store_name": "みやぎ商店", "bank_code": "0001", "account_number": "1234567", "holder_kana": "ﾐﾔｷﾞ",
            "payee": {"name": "x"}, "holds": [{"reason": "口座の名義が違う", "amount": 10}], "month": "2025-06"}
    assert anonymize(line) == {"pk": "round#2025-06", "sk": "line#v1#MP000001", "store_id": "MP000001",
                               "paid": 7000, "holds": [{"amount": 10}], "month": "2025-06"}


class FakeInventory:
    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {
            "stores": [{"store_id": "MP1", "name": "店"}],
            "settlements": [{"pk": "round#2025-06", "sk": "line#v1#MP1", "store_id": "MP1", "store_name": "店",
                             "paid": 5}, {"pk": "rounds", "sk": "2025-06", "month": "2025-06"}],
            "keys": [{"pk": "counter", "sk": "application"}, {"pk": "fp#phone", "sk": "x"}],
            "audit": [{"day": "2025-06-01", "entry_id": "1"}],
        }
        self.objects = {"documents": [{"key": "settlements/2025-06/z.txt", "version_id": "v1"},
                                      {"key": "settlements/2025-06/z.txt", "version_id": "v2"},
                                      {"key": "sessions/SS1/flyer.pdf", "version_id": "v1"}]}
        self.done: list[tuple[str, ...]] = []

    def table_items(self, table: str) -> Iterator[dict[str, Any]]:
        yield from self.tables.get(table, [])

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def delete_item(self, table: str, key: dict[str, Any]) -> None:
        self.done.append(("delete", table))

    def replace_item(self, table: str, item: dict[str, Any]) -> None:
        self.done.append(("replace", table))

    def object_versions(self, bucket: str) -> Iterator[dict[str, Any]]:
        yield from self.objects.get(bucket, [])

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        self.done.append(("delete_version", bucket, version_id))


def test_the_plan_counts_what_goes_and_what_is_kept() -> None:
    inventory = FakeInventory()
    p = plan(inventory, ["stores", "settlements", "keys", "audit"], ["documents"])
    assert dict(p.counts) == {"stores": 1, "settlement_rounds": 1, "keys": 1, "transfer_files": 2}
    assert dict(p.kept) == {"settlement_figures": 2, "counters": 1, "audit_log": 1, "session_documents": 1}
    assert dict(p.locations) == {"table:stores": 1, "table:settlements": 1, "table:keys": 1, "bucket:documents": 2}
    for action in p.actions:
        action()
    assert len(inventory.done) == sum(p.counts.values())  # exactly what was counted


def _certificate() -> dict[str, Any]:
    return {"run_id": "DR000001", "certificate_id": "DC-DR000001", "executed_at": NOW.isoformat(),
            "executed_by": "admin2", "dry_run_by": "admin", "dry_run_at": NOW.isoformat(),
            "counts": {"stores": 3, "transfer_files": 2}, "kept": {"settlement_figures": 4, "audit_log": 9},
            "locations": {}, "exceptions": "県の指示により問合せ記録は3か月保存する", "pdf": "/x.pdf",
            "mail_id": "disposal-certificate#DR000001"}


def test_the_certificate_is_an_a4_pdf_and_the_mail_says_what_how_many_and_why() -> None:
    from pypdf import PdfReader

    pdf = certificate_pdf(_certificate())
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]  # A4
    text = page.extract_text()
    for expected in ("個人情報の廃棄証明書", "DR000001", "admin2", "3件", "7(1)チ", "問合せ記録は3か月"):
        assert expected in text
    assert certificate_pdf(_certificate()) == pdf  # deterministic
    body = mail_body(_certificate())
    assert "3件" in body and "admin2" in body and "7(1)チ" in body and "問合せ記録は3か月" in body


class FakeSweepStore:
    def __init__(self, mails: list[dict[str, Any]]) -> None:
        self.mails = {m["mail_id"]: m for m in mails}
        self.deleted: list[str] = []

    def sent_mails_created_before(self, before: str) -> Iterator[dict[str, Any]]:
        yield from [m for m in self.mails.values() if m["created_at"] < before]

    def delete_mail(self, mail_id: str) -> None:
        self.deleted.append(mail_id)

    def rejected_applications_submitted_before(self, before: str) -> Iterator[dict[str, Any]]:
        yield from []

    def delete_application(self, application_id: str) -> None:
        raise AssertionError

    def object_versions(self, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
        yield from []

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        raise AssertionError


def test_the_sweep_removes_mails_30_days_after_sending_and_reports_counts_only() -> None:
    old = NOW - timedelta(days=40)
    store = FakeSweepStore([
        {"mail_id": "a", "created_at": old.isoformat(), "expires_at": expires_at(old)},
        {"mail_id": "b", "created_at": old.isoformat(), "expires_at": expires_at(NOW - timedelta(days=10))},
        {"mail_id": "c", "created_at": old.isoformat(), "sent_at": (NOW - timedelta(days=31)).isoformat()},
    ])
    assert sweep(store, NOW, local=True) == {"removed": {"outbox": 2}, "total": 2}
    assert store.deleted == ["a", "c"]


def test_docs_retention_lists_every_kind() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "retention.md").read_text(encoding="utf-8")
    assert not [r.kind for r in retention.RETENTION if f"`{r.kind}`" not in text]
