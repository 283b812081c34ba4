"""Issue 13 points 4–6 on the twins: incident counting, the fiscal year, access report rows and delivery,
the training gate, and the staff service's audit entries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.audit.log import SYSTEM, Actor, InMemoryAuditLog, entry
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.kernel.calendars import JST
from chalicelib.mail.delivery import InMemoryMarks
from chalicelib.privacy import access_report, incident
from chalicelib.staff import service as staff
from chalicelib.staff.fiscal import fiscal_label, fiscal_year, fiscal_year_of
from chalicelib.staff.repository import InMemoryStaffRepository
from tests.fakes import Counters, make_settings
from tests.staff_support import trained

NOW = datetime(2026, 10, 15, 10, 0, tzinfo=JST)
SCREENER = Actor("screener", "screener")
ACCOUNTANT = Actor("accountant", "accountant")
ADMIN = Principal("admin", frozenset({Role.ADMIN}))


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_the_fiscal_year_runs_april_to_march_in_japan_time():
    assert fiscal_year_of(date(2026, 3, 31)) == 2025 and fiscal_year_of(date(2026, 4, 1)) == 2026
    # 00:30 JST on 1 April is still 31 March in UTC: the new fiscal year all the same
    assert fiscal_year(datetime(2026, 3, 31, 15, 30, tzinfo=JST).astimezone(JST) + timedelta(hours=9)) == 2026
    assert fiscal_year(datetime(2026, 3, 31, 15, 30, tzinfo=JST).astimezone(JST)) == 2025
    assert fiscal_label(2026) == "2026年度（2026年4月〜2027年3月）"


def test_incident_counts_each_record_once_and_adds_batch_rows_as_an_upper_bound():
    entries = [
        entry(SCREENER, "store.view_bank_account", "store#MP000001", at(1)),
        entry(SCREENER, "store.view_bank_account", "store#MP000001", at(2)),  # the same record again
        entry(SCREENER, "store.view", "store#MP000001", at(3)),              # same person, another kind
        entry(SCREENER, "application.view", "application#AP000002", at(4)),
        entry(ACCOUNTANT, "settlement.download_transfer_file", "settlement#2026-09", at(5), detail={"stores": 40}),
        entry(ACCOUNTANT, "store.change_status", "store#MP000003", at(6)),   # a change, not an access
    ]
    q = incident.IncidentQuery(NOW, NOW + timedelta(hours=1))
    found = incident.summarize([e for e in entries if incident.matches(e, q, set())])
    assert found["kinds"] == ["bank_account", "contact"]
    assert found["persons_single"] == 2 and found["persons"] == 42
    assert found["records"] == 3 + 40 and found["exact"] is False
    # the transfer file and the settlement records are not sealed per field: not reported as encrypted
    assert found["encrypted"] is False and found["encryption"]["at_rest"] is True
    assert found["encryption"]["field_level"] is True
    assert found["encryption"]["plain_where"] == ["settlements", "documents"]
    assert found["encryption"]["field_level_where"] == ["applications", "stores"]
    assert [(w["user"], w["count"]) for w in found["accessed_by"]] == [("screener", 4), ("accountant", 1)]
    assert {s["name"] for s in found["stored_in"]} == {"stores", "applications", "settlements", "documents"}


def test_incident_filters_by_actor_store_kind_file_and_window():
    e1 = entry(SCREENER, "store.view_bank_account", "store#MP000001", at(1))
    e2 = entry(SCREENER, "application.view", "application#AP000009", at(2))
    e3 = entry(ACCOUNTANT, "store_import.upload", "store_import#SI000001", at(3), detail={"filename": "list-2025.csv",
                                                                                          "rows": 12})
    window = (NOW, NOW + timedelta(hours=1))

    def keep(**kw: Any) -> list[str]:
        q = incident.IncidentQuery(*window, **kw)
        return [e["subject"] for e in (e1, e2, e3) if incident.matches(e, q, {"store#MP000001", "application#AP000009"}
                                                                          if kw.get("store_id") else set())]

    assert keep(actor="accountant") == ["store_import#SI000001"]
    assert keep(store_id="MP000001") == ["store#MP000001", "application#AP000009"]
    assert keep(action="bank_account") == ["store#MP000001"]
    assert keep(action="application.view") == ["application#AP000009"]
    assert keep(file="list-2025") == ["store_import#SI000001"]
    late = incident.IncidentQuery(NOW + timedelta(minutes=2), NOW + timedelta(hours=1))
    assert [e["subject"] for e in (e1, e2, e3) if incident.matches(e, late, set())] == [
        "application#AP000009", "store_import#SI000001"]


def test_the_incident_query_is_checked_field_by_field():
    with pytest.raises(InvalidInput) as caught:
        incident.parse_query({"from": "2026-10-16", "to": "2026-10-15", "store_id": "X1", "action": "nope"})
    assert set(caught.value.fields) == {"to", "store_id", "action"}
    with pytest.raises(InvalidInput) as too_long:
        incident.parse_query({"from": "2026-01-01", "to": "2026-12-01"})
    assert "93日" in too_long.value.fields["to"]
    q = incident.parse_query({"from": "2026-10-15T00:00", "to": "2026-10-16T00:00", "store_id": "mp000001"})
    assert q.start.tzinfo is not None and q.store_id == "MP000001"
    assert incident.days_of(q.start, q.end) == ["2026-10-15"]


def test_the_report_files_carry_the_first_report_items_and_no_personal_data():
    e = entry(SCREENER, "store.view_bank_account", "store#MP000001", at(1))
    result = {"query": incident.IncidentQuery(NOW, NOW + timedelta(hours=1)).to_json(),
              **incident.summarize([e])}
    items = dict(incident.report_lines(result, NOW))
    # a store's bank account lives sealed in the stores table only: encrypted
    assert result["encrypted"] is True
    assert items["人数"] == "1人" and items["暗号化の有無"].startswith("あり") and "screener" in items["アクセス者"]
    exported = {**result, **incident.summarize([e, entry(ACCOUNTANT, "settlement.download_transfer_file",
                                                          "settlement#2026-09", at(2), detail={"stores": 3})])}
    assert dict(incident.report_lines(exported, NOW))["暗号化の有無"].startswith("なし")
    assert incident.csv_file(result, NOW).startswith(b"\xef\xbb\xbf")
    assert incident.xlsx_file(result, NOW).startswith(b"PK")
    assert incident.pdf_file(result, NOW).startswith(b"%PDF")


def test_access_rows_count_views_reveals_exports_and_imports_per_user():
    entries = [
        entry(SCREENER, "store.view", "store#MP000001", at(1)),
        entry(SCREENER, "store.view_bank_account", "store#MP000001", at(2)),
        entry(ACCOUNTANT, "settlement.download_transfer_file", "settlement#2026-09", at(3)),
        entry(ACCOUNTANT, "store_import.upload", "store_import#SI000001", at(4)),
        entry(SYSTEM, "store.view", "store#MP000001", at(5)),                       # not a person
        entry(ACCOUNTANT, "settlement.approve", "settlement#2026-09", at(6)),       # not personal data
    ]
    rows = access_report.access_rows(entries)
    assert [(r.user, r.counts, r.total) for r in rows] == [
        ("accountant", {"view": 0, "reveal": 0, "export": 1, "import": 1}, 2),
        ("screener", {"view": 1, "reveal": 1, "export": 0, "import": 0}, 2),
    ]
    table = access_report.table(rows)
    assert table[0][:7] == ["担当者", "役割", "閲覧", "口座番号の表示", "出力・ダウンロード", "取込", "合計"]
    assert table[-1][:7] == ["合計", "", 1, 1, 1, 1, 4]


def test_the_access_report_is_due_from_the_first_office_day_after_the_month():
    assert access_report.months_due(date(2026, 11, 1)) == ["2026-09"]   # a Sunday: October not yet
    assert access_report.months_due(date(2026, 11, 2)) == ["2026-09", "2026-10"]


class Outbox:
    def __init__(self) -> None:
        self.queued: list[Any] = []

    def add_to(self, tx: Any, mail: Any, now: datetime) -> None:
        tx.add(lambda: True, lambda: self.queued.append(mail))

    def pending_ids(self) -> list[str]:
        return []

    def deliver(self, mail_ids: list[str], sender: Any, now: datetime) -> dict[str, int]:
        return {"sent": len(mail_ids), "failed": 0, "skipped": 0}


class Files:
    bucket = "documents"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body


def twin_deps(**extra: Any) -> Any:
    audit = InMemoryAuditLog()
    repo = InMemoryStaffRepository()
    return SimpleNamespace(settings=make_settings(), audit=audit, outbox=Outbox(), sender=None, keys=Counters(),
                           staff_repository=repo, store_repository=repo, documents=Files(),
                           access_marks=InMemoryMarks(), **extra)


def test_the_access_report_sweep_delivers_a_month_once():
    deps = twin_deps()
    deps.audit.append(entry(SCREENER, "store.view_bank_account", "store#MP000001", NOW))
    first = access_report.report_sweep(deps, datetime(2026, 11, 2, 8, 40, tzinfo=JST))
    assert first["delivered"] == ["2026-09", "2026-10"]
    assert "prefecture/access-reports/2026-10.xlsx" in deps.documents.objects
    assert len(deps.outbox.queued) == 4
    assert "screener" in deps.documents.objects["prefecture/access-reports/2026-10.csv"].decode("utf-8-sig")
    again = access_report.report_sweep(deps, datetime(2026, 11, 3, 8, 40, tzinfo=JST))
    assert again["delivered"] == [] and len(deps.outbox.queued) == 4
    assert [e["action"] for e in deps.audit.entries].count("privacy.access_report") == 2


class Directory:
    def __init__(self) -> None:
        self.known: dict[str, dict[str, Any]] = {"admin": {"role": "admin", "enabled": True},
                                                 "screener": {"role": "screener", "enabled": True}}

    def users(self) -> dict[str, dict[str, Any]]:
        return self.known

    def invite(self, user: str, email: str, role: str) -> None:
        self.known[user] = {"role": role, "enabled": True, "email": email}

    def set_role(self, user: str, old_role: str | None, new_role: str) -> None:
        self.known[user]["role"] = new_role

    def disable(self, user: str) -> None:
        self.known[user]["enabled"] = False


def test_the_training_gate_refuses_an_untrained_user_with_a_reason():
    deps: Any = SimpleNamespace(settings=make_settings(), staff_repository=trained(NOW, "screener"),
                           staff_directory=Directory())
    staff.require_training(deps, Principal("screener", frozenset({Role.SCREENER})), NOW)
    with pytest.raises(Forbidden) as caught:
        staff.require_training(deps, Principal("newbie", frozenset({Role.SCREENER})), NOW)
    assert caught.value.message.startswith("今年度の個人情報保護研修の受講記録がないため表示できません")
    # last year's record is not this year's
    with pytest.raises(Forbidden):
        staff.require_training(deps, Principal("screener", frozenset({Role.SCREENER})), NOW.replace(year=2027, month=5))


def test_staff_changes_are_audited_in_the_same_transaction():
    deps = twin_deps(staff_directory=Directory())
    staff.invite(deps, ADMIN, {"user": "tanaka", "email": "tanaka@example.jp", "role": "agent"}, NOW)
    staff.change_role(deps, ADMIN, "tanaka", {"role": "screener"}, NOW)
    staff.record_training(deps, ADMIN, "tanaka", {"fiscal_year": 2026, "completed_on": "2026-10-01",
                                                  "course": "個人情報保護研修"}, NOW)
    staff.disable(deps, ADMIN, "tanaka", NOW)
    audit = deps.audit.entries
    assert [e["action"] for e in audit] == ["staff.invite", "staff.change_role", "staff.record_training",
                                            "staff.disable"]
    assert all(e["subject"] == "staff#tanaka" for e in audit)
    assert "tanaka@example.jp" not in str(audit)
    assert deps.staff_repository.get_user("tanaka")["status"] == "disabled"
    assert deps.staff_repository.has_training("tanaka", 2026)
    with pytest.raises(Forbidden):
        staff.disable(deps, ADMIN, "admin", NOW)
    with pytest.raises(InvalidInput) as caught:
        staff.invite(deps, ADMIN, {"user": "X", "email": "nope", "role": "boss", "extra": 1}, NOW)
    assert set(caught.value.fields) == {"user", "email", "role", "extra"}
