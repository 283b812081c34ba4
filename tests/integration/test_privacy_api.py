"""Data protection through the API on moto (issue 13 points 2-3): the retention table, the retention sweep,
and the end-of-contract disposal by two different admins with its certificate."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters import aws
from chalicelib.mail.outbox import Mail
from chalicelib.privacy.disposal import PERSONAL_PARTS
from tests.integration.test_settlement_api import JULY_2, csv_of, download, june_usage, make_stores, upload

MARCH = {"X-Miyapo-Now": "2026-03-31T10:00:00+09:00"}


def scan(deps: Any, table: str) -> list[dict[str, Any]]:
    name = getattr(deps.settings.tables, f"{table}_table")
    return list(aws.table(name).scan(ConsistentRead=True).get("Items", []))


def versions(deps: Any, bucket: str) -> list[dict[str, Any]]:
    name = getattr(deps.settings.buckets, f"{bucket}_bucket")
    page = aws.client("s3").list_object_versions(Bucket=name)
    return page.get("Versions", []) + page.get("DeleteMarkers", [])


def test_the_retention_table_is_read_by_admin_and_prefecture(api):
    for role in ("admin", "prefecture"):
        code, answer = api.call("GET", "/privacy/retention", as_=role)
        assert code == 200
        kinds = {row["kind"]: row for row in answer["items"]}
        assert kinds["outbox"]["days"] == 30 and kinds["outbox"]["location"] == "outbox"
        assert "7(1)チ" in kinds["transfer_files"]["basis"] and kinds["transfer_files"]["protected"]
    assert api.call("GET", "/privacy/retention", as_="accountant")[0] == 403


def test_the_sweep_removes_a_mail_30_days_after_sending_and_nothing_else(api, deps):
    make_stores(api, 1)
    sent = datetime.fromisoformat("2025-06-01T10:00:00+09:00")
    for mail_id, at in (("old", sent), ("recent", sent + timedelta(days=20))):
        assert deps.outbox.add(Mail(mail_id, "someone@example.jp", "件名", "本文", "test"), at)
        assert deps.outbox.deliver([mail_id], deps.sender, at)["sent"] == 1
    before = {t: len(scan(deps, t)) for t in ("applications", "stores", "outbox", "keys", "settlements")}
    docs_before = len(versions(deps, "documents")) + len(versions(deps, "uploads"))
    assert api.call("POST", "/jobs/retention-sweep", {"now": "2025-07-01T09:00:00+09:00"}, as_="accountant")[0] == 403
    now = datetime.fromisoformat("2025-07-01T11:00:00+09:00")
    due = {m["mail_id"] for m in scan(deps, "outbox") if "expires_at" in m and int(m["expires_at"]) <= now.timestamp()}
    assert "old" in due and "recent" not in due
    code, report = api.call("POST", "/jobs/retention-sweep", {"now": now.isoformat()}, as_="admin")
    assert code == 200, report
    assert report["removed"] == {"outbox": len(due)} and report["total"] == len(due)
    assert deps.outbox.get("old") is None and deps.outbox.get("recent") is not None
    assert not due & {m["mail_id"] for m in scan(deps, "outbox")}
    after = {t: len(scan(deps, t)) for t in before}
    assert after == {**before, "outbox": before["outbox"] - len(due)}
    assert len(versions(deps, "documents")) + len(versions(deps, "uploads")) == docs_before
    # Counts only: the report names no address, subject or body.
    assert "someone@example.jp" not in str(report) and "本文" not in str(report)
    code, again = api.call("POST", "/jobs/retention-sweep", {"now": "2025-07-01T11:00:00+09:00"}, as_="admin")
    assert again["total"] == 0


@pytest.fixture
def paid_june(api) -> list[str]:
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    code, answer = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, answer
    return stores


def test_disposal_in_two_steps_by_two_admins_keeps_settlement_figures_anonymized(api, deps, paid_june):
    figures_before = {(i["pk"], i["sk"]): {k: v for k, v in i.items() if k in ("store_id", "paid", "usage")}
                      for i in scan(deps, "settlements")}
    assert api.call("POST", "/privacy/disposal/dry-run", {}, as_="accountant")[0] == 403
    code, dry = api.call("POST", "/privacy/disposal/dry-run", {"exceptions": "県の指示なし（テスト）"}, as_="admin",
                         headers=MARCH)
    assert code == 200, dry
    run_id = dry["run_id"]
    counts = dry["counts"]
    assert counts["stores"] == 3 and counts["applications"] == 3 and counts["statements"] >= 1
    assert counts["outbox"] >= 1 and counts["usage_exports"] >= 1
    assert dry["kept"]["settlement_figures"] >= 1 and dry["kept"]["audit_log"] >= 1
    # Nothing is deleted by the dry run.
    assert len(scan(deps, "stores")) == 3

    code, refused = api.call("POST", f"/privacy/disposal/{run_id}/execute", {}, as_="admin", headers=MARCH)
    assert code == 403 and "別の管理者" in refused["error"]["message"]
    assert api.call("GET", f"/privacy/disposal/{run_id}/certificate.pdf", as_="admin")[0] == 409

    code, done = api.call("POST", f"/privacy/disposal/{run_id}/execute", {}, as_="admin2", headers=MARCH)
    assert code == 200, done
    cert = done["certificate"]
    assert cert["counts"] == counts and cert["executed_by"] == "admin2" and cert["dry_run_by"] == "admin"

    # Exactly what the dry run listed is gone: a new dry run finds only the certificate's own mail.
    code, after = api.call("POST", "/privacy/disposal/dry-run", {}, as_="admin", headers=MARCH)
    assert after["counts"] == {"outbox": 1}
    assert scan(deps, "stores") == [] and scan(deps, "applications") == [] and scan(deps, "inquiries") == []
    assert not [v for v in versions(deps, "documents")
                if v["Key"].startswith(("settlements/", "prefecture/settlements/"))]
    assert not versions(deps, "uploads")
    # Settlement figures survive, anonymized: store ids and amounts stay, names and bank data are gone.
    settlements = scan(deps, "settlements")
    assert {(i["pk"], i["sk"]): {k: v for k, v in i.items() if k in ("store_id", "paid", "usage")}
            for i in settlements} == figures_before
    for item in settlements:
        assert not [k for k in item if k not in ("pk", "sk", "store_id", "month", "version", "state", "status")
                    and any(p in k.lower() for p in PERSONAL_PARTS)]

    # The certificate: a PDF, mailed to the prefecture under a deterministic id.
    response = download(api, f"/privacy/disposal/{run_id}/certificate.pdf", "admin")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(response.body)).pages[0].extract_text()
    assert "個人情報の廃棄証明書" in text and run_id in text and "admin2" in text
    mail = deps.outbox.get(f"disposal-certificate#{run_id}")
    assert mail is not None and mail["to"] == deps.settings.mail.prefecture_mailbox and mail["state"] == "sent"

    # Running it again is safe: the same certificate, nothing more deleted.
    outbox_before = len(scan(deps, "outbox"))
    code, again = api.call("POST", f"/privacy/disposal/{run_id}/execute", {}, as_="admin2", headers=MARCH)
    assert code == 200 and again["certificate"] == cert
    assert len(scan(deps, "outbox")) == outbox_before and scan(deps, "settlements") == settlements


def test_a_dry_run_is_outdated_when_data_grew(api, deps):
    make_stores(api, 1)
    code, dry = api.call("POST", "/privacy/disposal/dry-run", {}, as_="admin")
    assert code == 200
    make_stores(api, 1)
    code, refused = api.call("POST", f"/privacy/disposal/{dry['run_id']}/execute", {}, as_="admin2")
    assert code == 409 and "やり直して" in refused["error"]["message"]
    assert len(scan(deps, "stores")) == 2
    assert api.call("POST", "/privacy/disposal/DR999999/execute", {}, as_="admin2")[0] == 404
