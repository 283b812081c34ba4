"""Late is told (issue 12, point 6), on the in-memory twins.

A round not approved by its deadline (the payment date minus `approval_lead_days` bank business days)
gets one mail to the prefecture and one to the staff, the first sweep after the deadline, never again
however often the sweep runs. A round approved late is transferred once the bank's lead time allows,
and each store's notice (mail and kept file) and the prefecture's report name the planned and the
actual transfer date."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.audit.log import Actor
from chalicelib.settlement import jobs, service
from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.fakes import with_setting
from tests.unit.test_settlement_fee_base import ALICE, BOB, JST, add_store, import_usage, make_deps

JUNE_DEADLINE = date(2025, 7, 15)  # pays 2025-07-18 (the 20th is a Sunday, the 21st 海の日), 3 bank days before
MOVED = "振込日は当初予定の7月18日から7月22日に変更になりました"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def late_mails(deps) -> dict[str, dict]:
    return {k: v for k, v in deps.outbox.mails.items() if k.startswith("settlement-late#")}


@pytest.fixture
def deps():
    deps = make_deps()
    for s in ("MP000001", "MP000002"):
        add_store(deps, s)
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 1_200), ("2025-06", "MP000002", 800)],
                 at("2025-07-01T09:00"))
    return deps


@pytest.mark.parametrize(("approved_on", "transfer"), [
    ("2025-07-02", "2025-07-18"),
    ("2025-07-15", "2025-07-18"),  # the deadline itself is in time
    ("2025-07-16", "2025-07-22"),  # 3 bank days later: 17, 18, (19–21 weekend and 海の日) 22
    ("2025-07-19", "2025-07-24"),  # a Saturday: 22, 23, 24
    ("2025-07-25", "2025-07-30"),  # after the payment date itself
])
def test_the_transfer_date_of_an_approval_on_a_day(deps, approved_on, transfer):
    assert service.approval_deadline(deps, "2025-06") == JUNE_DEADLINE
    assert service.transfer_date_on(deps, "2025-06", date.fromisoformat(approved_on)) == date.fromisoformat(transfer)


def test_without_a_lead_time_a_late_approval_moves_to_the_next_bank_day_as_before(deps):
    deps.settings = with_setting(deps.settings, "settlement.approval_lead_days", 0)
    assert service.transfer_date_on(deps, "2025-06", date(2025, 7, 17)) == date(2025, 7, 18)
    assert service.transfer_date_on(deps, "2025-06", date(2025, 7, 18)) == date(2025, 7, 22)


def test_past_the_deadline_the_prefecture_and_the_staff_are_told_once(deps):
    service.draft(deps, "2025-06", Actor.of(ALICE), at("2025-07-02T10:00"))
    on_time = jobs.settlement_sweep(deps, at("2025-07-15T07:00"))  # the deadline day: still in time
    assert "late-notice" not in on_time["actions"] and late_mails(deps) == {}

    first = jobs.settlement_sweep(deps, at("2025-07-16T07:00"))
    assert "late-notice" in first["actions"]
    mails = late_mails(deps)
    assert sorted((m["mail_id"], m["to"]) for m in mails.values()) == [
        ("settlement-late#2025-06#prefecture", "pref@example.com"), ("settlement-late#2025-06#staff", "staff@example.com")]
    body = mails["settlement-late#2025-06#prefecture"]["body"]
    assert "承認期限（2025年7月15日）までに承認されませんでした" in body and "当初予定の 2025年7月18日" in body
    assert "本日承認された場合の振込日: 2025年7月22日" in body and "下書き（承認待ち）" in body
    assert {m["state"] for m in mails.values()} == {"sent"}
    assert [e["action"] for e in deps.audit.entries if e["action"] == "settlement.late_notice"] == [
        "settlement.late_notice"]

    # reruns the same day and the days after queue nothing more (the staff's own daily reminder goes on)
    for now in ("2025-07-16T07:05", "2025-07-16T12:00", "2025-07-17T07:00"):
        again = jobs.settlement_sweep(deps, at(now))
        assert "late-notice" not in again["actions"] and "approval-late" in again["actions"]
    assert late_mails(deps).keys() == mails.keys()
    assert len([e for e in deps.audit.entries if e["action"] == "settlement.late_notice"]) == 1


def test_a_round_approved_late_names_the_actual_transfer_date_to_stores_and_the_prefecture(deps):
    service.draft(deps, "2025-06", Actor.of(ALICE), at("2025-07-02T10:00"))
    jobs.settlement_sweep(deps, at("2025-07-16T07:00"))
    approved = service.approve(deps, "2025-06", BOB, at("2025-07-16T10:00"))
    assert (approved["payment_date"], approved["transfer_date"], approved["late"]) == ("2025-07-18", "2025-07-22", True)
    transfer = parse_transfer_file(deps.documents.get(approved["files"]["transfer_file"]))
    assert transfer.header.transfer_date == "0722"
    for store_id in ("MP000001", "MP000002"):
        notice = deps.outbox.get(f"payment-notice#2025-06#{store_id}")
        assert MOVED in notice["body"] and "お支払日: 2025年7月22日" in notice["body"]
        kept = deps.documents.get(f"settlements/2025-06/notices/{store_id}.txt").decode("utf-8")
        assert MOVED in kept
    report = deps.outbox.get("prefecture-settlement-report#2025-06")["body"]
    assert MOVED in report and "承認期限 2025-07-15 を過ぎて承認されたため" in report
    assert "支払日: 2025-07-22" in report
    # approved: the sweep tells nobody anything more
    after = jobs.settlement_sweep(deps, at("2025-07-17T07:00"))
    assert after["actions"] == [] and len(late_mails(deps)) == 2


def test_a_round_approved_in_time_says_nothing_of_a_change(deps):
    service.draft(deps, "2025-06", Actor.of(ALICE), at("2025-07-02T10:00"))
    approved = service.approve(deps, "2025-06", BOB, at("2025-07-15T16:00"))
    assert (approved["transfer_date"], approved["late"]) == ("2025-07-18", False)
    assert "変更になりました" not in deps.outbox.get("payment-notice#2025-06#MP000001")["body"]
    assert "変更になりました" not in deps.outbox.get("prefecture-settlement-report#2025-06")["body"]
    assert jobs.settlement_sweep(deps, at("2025-07-16T07:00"))["actions"] == []
    assert late_mails(deps) == {}


def test_usage_in_but_no_round_past_the_deadline_is_late_too_and_a_month_without_anything_is_not():
    deps = make_deps()
    add_store(deps, "MP000001")
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 100)], at("2025-07-16T06:00"))
    swept = jobs.settlement_sweep(deps, at("2025-07-16T07:00"))  # drafts it, and it is late
    assert swept["actions"][0] == "drafted" and "late-notice" in swept["actions"]
    assert "精算の状態: 下書き（承認待ち）" in deps.outbox.get("settlement-late#2025-06#prefecture")["body"]

    empty = make_deps()
    swept = jobs.settlement_sweep(empty, at("2025-07-16T07:00"))
    assert swept["actions"] == ["usage-missing"] and late_mails(empty) == {}
