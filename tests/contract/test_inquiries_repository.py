"""The call center's repository contract: InquiryTable and ReportMarks (DynamoDB, on the contract suite's
moto server) and their in-memory twins answer the same way, so unit tests on the twins say something
about production."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.errors import Conflict, InvalidInput
from chalicelib.inquiries.repository import (
    InMemoryInquiryRepository,
    InMemoryReportMarks,
    InquiryRepository,
    InquiryTable,
    ReportMarks,
    ReportMarkStore,
    commit_or_yield,
)

SECRET = "contract-test-secret-of-thirty-two-bytes"
JST = timezone(timedelta(hours=9))


@pytest.fixture
def repo(kind: str, request: pytest.FixtureRequest) -> InquiryRepository:
    if kind == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return InquiryTable(real.settings.tables.inquiries_table, SECRET, real.cipher)  # sealing, as deployed
    return InMemoryInquiryRepository(SECRET)


@pytest.fixture
def marks(kind: str, request: pytest.FixtureRequest) -> ReportMarkStore:
    if kind == "dynamo":
        real: Any = request.getfixturevalue("deps")
        return ReportMarks(real.settings.tables.keys_table)
    return InMemoryReportMarks()


def inquiry(n: int, received_at: str, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "inquiry_id": f"IQ{n:06d}", "version": 1, "received_at": received_at, "month": received_at[:7],
        "channel": "phone", "caller_type": "resident", "category": "usage", "summary": f"問い合わせ{n}",
        "answer": "回答", "status": "pending", "store_id": None, "caller": None, "handling_minutes": 5,
        "outside_hours": False, "created_at": received_at, "created_by": "agent",
    }
    item.update(overrides)
    return item


def given(repo: InquiryRepository, *items: dict[str, Any]) -> None:
    tx = repo.new_tx()
    for item in items:
        repo.put_in(tx, item)
    tx.commit()


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["inquiry_id"] for i in items]


def test_a_logged_inquiry_reads_back_without_its_unset_attributes(repo: InquiryRepository) -> None:
    given(repo, inquiry(1, "2025-06-02T10:00:00+09:00", caller={"name": "山田", "phone": None}))
    got = repo.get("IQ000001")
    assert got is not None
    assert "store_id" not in got and got["caller"] == {"name": "山田", "phone": None}
    assert got == {k: v for k, v in inquiry(1, "2025-06-02T10:00:00+09:00",
                                            caller={"name": "山田", "phone": None}).items() if v is not None}
    assert repo.get("IQ999999") is None
    assert repo.get("") is None


def test_an_inquiry_id_is_logged_once(repo: InquiryRepository) -> None:
    given(repo, inquiry(1, "2025-06-02T10:00:00+09:00"))
    tx = repo.new_tx()
    repo.put_in(tx, inquiry(1, "2025-06-02T11:00:00+09:00", summary="二重"))
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("IQ000001")["summary"] == "問い合わせ1"  # type: ignore[index]


def test_an_update_sets_and_removes_only_while_its_expectations_hold(repo: InquiryRepository) -> None:
    given(repo, inquiry(1, "2025-06-02T10:00:00+09:00", notice_state="queued",
                        notice_due="2025-06-03T08:30:00+09:00"))
    tx = repo.new_tx()
    repo.update_in(tx, "IQ000001", set_values={"status": "resolved", "version": 2, "answer": None,
                                               "escalation": {"to": "pref", "sent": None}},
                   remove=("notice_state", "notice_due"), expect={"version": 1, "prefecture_answer": None})
    tx.commit()
    got = repo.get("IQ000001")
    assert got is not None
    assert (got["status"], got["version"], got["escalation"]) == ("resolved", 2, {"to": "pref", "sent": None})
    assert not {"answer", "notice_state", "notice_due"} & set(got)

    stale = repo.new_tx()
    repo.update_in(stale, "IQ000001", set_values={"status": "pending"}, expect={"version": 1})
    with pytest.raises(Conflict):
        stale.commit()
    present = repo.new_tx()
    repo.update_in(present, "IQ000001", set_values={"status": "pending"}, expect={"escalation": None})
    assert commit_or_yield(present) is False
    missing = repo.new_tx()
    repo.update_in(missing, "IQ999999", set_values={"status": "pending"}, expect={"version": 1})
    with pytest.raises(Conflict):
        missing.commit()
    assert repo.get("IQ000001")["status"] == "resolved"  # type: ignore[index]
    assert repo.get("IQ999999") is None


def test_a_failed_write_leaves_the_whole_transaction_unwritten(repo: InquiryRepository) -> None:
    given(repo, inquiry(1, "2025-06-02T10:00:00+09:00"))
    tx = repo.new_tx()
    repo.put_in(tx, inquiry(2, "2025-06-02T11:00:00+09:00"))
    repo.update_in(tx, "IQ000001", set_values={"status": "resolved"}, expect={"version": 7})
    with pytest.raises(Conflict):
        tx.commit()
    assert repo.get("IQ000002") is None
    assert repo.get("IQ000001")["status"] == "pending"  # type: ignore[index]


def walk(list_page: Any, limit: int) -> list[list[str]]:
    """The ids of every page. A page that read a full `limit` may hand out a cursor even when nothing
    follows (DynamoDB does, moto does not, the twin does as DynamoDB): a last empty page is dropped."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(20):
        items, cursor = list_page(limit, cursor)
        pages.append(ids(items))
        if cursor is None:
            return pages[:-1] if len(pages) > 1 and not pages[-1] else pages
    raise AssertionError("the pages never ended")


DAY = date(2025, 6, 2)


def day_log(repo: InquiryRepository) -> None:
    given(repo,
          inquiry(1, "2025-06-01T23:59:59+09:00"),
          inquiry(2, "2025-06-02T09:00:00+09:00", category="bank"),
          inquiry(3, "2025-06-02T10:00:00+09:00", store_id="MP000001"),
          inquiry(4, "2025-06-02T11:00:00+09:00", status="resolved", store_id="MP000001"),
          inquiry(5, "2025-06-02T12:00:00+09:00", status="escalated"),
          inquiry(6, "2025-06-03T00:00:00+09:00", store_id="MP000001"),
          inquiry(7, "2025-05-31T10:00:00+09:00", status="escalated"))


def test_a_day_log_pages_newest_first_and_filters_after_reading(repo: InquiryRepository) -> None:
    day_log(repo)
    assert walk(lambda n, c: repo.list_day(DAY, n, c), 3) == [["IQ000005", "IQ000004", "IQ000003"], ["IQ000002"]]
    # The filter applies to each page read: a page may hold fewer than the limit.
    assert walk(lambda n, c: repo.list_day(DAY, n, c, status="pending"), 2) == [[], ["IQ000003", "IQ000002"]]
    assert walk(lambda n, c: repo.list_day(DAY, n, c, category="bank", status="pending"), 10) == [["IQ000002"]]
    assert walk(lambda n, c: repo.list_day(DAY, n, c, store_id="MP000001"), 4) == [["IQ000004", "IQ000003"]]


def test_a_store_history_and_a_status_list_page_newest_first(repo: InquiryRepository) -> None:
    day_log(repo)
    assert walk(lambda n, c: repo.list_by_store("MP000001", n, c), 2) == [["IQ000006", "IQ000004"], ["IQ000003"]]
    assert walk(lambda n, c: repo.list_by_store("MP000001", n, c, status="pending"), 5) == [["IQ000006", "IQ000003"]]
    assert walk(lambda n, c: repo.list_by_status("escalated", n, c), 1) == [["IQ000005"], ["IQ000007"]]
    assert walk(lambda n, c: repo.list_by_status("pending", n, c, category="bank"), 9) == [["IQ000002"]]


def test_a_cursor_only_fits_the_list_that_gave_it(repo: InquiryRepository) -> None:
    day_log(repo)
    _, cursor = repo.list_day(DAY, 1, None)
    assert cursor is not None
    with pytest.raises(InvalidInput):
        repo.list_day(date(2025, 6, 3), 1, cursor)
    with pytest.raises(InvalidInput):
        repo.list_by_status("pending", 1, cursor)
    with pytest.raises(InvalidInput):
        repo.list_day(DAY, 1, cursor[:-2] + "xx")


def test_reports_read_a_day_a_month_a_range_and_the_open_items(repo: InquiryRepository) -> None:
    day_log(repo)
    assert ids(repo.day_items(DAY)) == ["IQ000002", "IQ000003", "IQ000004", "IQ000005"]
    assert ids(repo.month_items("2025-06")) == ["IQ000001", "IQ000002", "IQ000003", "IQ000004", "IQ000005",
                                                "IQ000006"]
    assert repo.count_between("2025-06", date(2025, 6, 1), date(2025, 6, 2)) == 5
    assert repo.count_between("2025-06", date(2025, 6, 3), date(2025, 6, 30)) == 1
    assert repo.count_between("2025-07", date(2025, 7, 1), date(2025, 7, 31)) == 0
    assert ids(repo.open_items()) == ["IQ000007", "IQ000001", "IQ000002", "IQ000003", "IQ000005", "IQ000006"]


def test_due_notices_are_the_queued_ones_whose_time_has_come(repo: InquiryRepository) -> None:
    given(repo,
          inquiry(1, "2025-06-01T20:00:00+09:00", notice_state="queued", notice_due="2025-06-02T08:30:00+09:00"),
          inquiry(2, "2025-06-01T21:00:00+09:00", notice_state="queued", notice_due="2025-06-02T08:31:00+09:00"),
          inquiry(3, "2025-06-01T22:00:00+09:00"))
    now = datetime(2025, 6, 2, 8, 30, tzinfo=JST)
    assert ids(repo.due_notices(now)) == ["IQ000001"]
    assert ids(repo.due_notices(now + timedelta(hours=1))) == ["IQ000001", "IQ000002"]
    assert repo.due_notices(now - timedelta(minutes=1)) == []


def test_report_watermarks_move_only_their_own_way(marks: ReportMarkStore) -> None:
    assert marks.day("from") is None and marks.day("last") is None
    marks.note_reportable(date(2025, 6, 5))
    marks.note_reportable(date(2025, 6, 7))
    marks.note_reportable(date(2025, 6, 3))
    marks.advance_last(date(2025, 6, 4))
    marks.advance_last(date(2025, 6, 2))
    assert (marks.day("from"), marks.day("last")) == (date(2025, 6, 3), date(2025, 6, 4))


def test_a_delivery_is_claimed_once(marks: ReportMarkStore, repo: InquiryRepository, kind: str) -> None:
    # The twins' transactions are the repository's (the marks join what the service stages there).
    tx = repo.new_tx()
    marks.claim_in(tx, "daily", "2025-06-03", {"count": 4})
    tx.commit()
    assert marks.delivered("daily", "2025-06-03") == {"pk": "inquiry-report", "sk": "daily#2025-06-03", "count": 4}
    assert marks.delivered("daily", "2025-06-04") is None
    again = repo.new_tx()
    marks.claim_in(again, "daily", "2025-06-03", {"count": 5})
    assert commit_or_yield(again) is False
    assert marks.delivered("daily", "2025-06-03")["count"] == 4  # type: ignore[index]


def test_what_a_report_stated_per_day_is_replaced_and_read_by_month(marks: ReportMarkStore,
                                                                    repo: InquiryRepository) -> None:
    tx = repo.new_tx()
    marks.put_reported_in(tx, "2025-06-30", {"total": 3, "by_category": {"usage": 3}})
    marks.put_reported_in(tx, "2025-07-01", {"total": 1, "by_category": {"usage": 1}})
    tx.commit()
    later = repo.new_tx()
    marks.put_reported_in(later, "2025-06-30", {"total": 4, "by_category": {"usage": 3, "other": 1}})
    assert marks.reported("2025-06")["2025-06-30"]["total"] == 3  # nothing before the commit
    later.commit()
    june = marks.reported("2025-06")
    marks_tx = repo.new_tx()
    marks.put_reported_in(marks_tx, "2025-06~edit", {"edit": "IQ000001#2"})
    marks_tx.commit()
    june = marks.reported("2025-06")
    assert list(june) == ["2025-06-30", "2025-06~edit"] and june["2025-06~edit"]["edit"] == "IQ000001#2"
    assert (june["2025-06-30"]["total"], june["2025-06-30"]["by_category"]) == (4, {"usage": 3, "other": 1})
    assert [(d, f["total"]) for d, f in marks.reported("2025-07").items()] == [("2025-07-01", 1)]
    assert marks.reported("2025-08") == {}
