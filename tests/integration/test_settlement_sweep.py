"""The daily settlement sweep: drafts once usage is in, warns in time, and is safe to re-run."""

from __future__ import annotations

from tests.integration.test_settlement_api import csv_of, june_usage, make_stores, upload


def sweep(api, now: str) -> dict:
    code, report = api.call("POST", "/jobs/settlement-sweep", {"now": now}, as_="accountant")
    assert code == 200, report
    return report


def staff_warnings(api) -> list[dict]:
    return [m for m in api.mail() if m["destinations"]["ToAddresses"][0] == "staff@example.jp"
            and "[miyapo-ops]" in m["subject"] and "精算" in m["body"]]


def test_missing_usage_warns_staff_once_a_day_as_the_deadline_nears(api):
    make_stores(api, 1)
    early = sweep(api, "2025-07-01T07:00:00+09:00")
    assert early["month"] == "2025-06" and early["round_status"] == "none" and early["actions"] == []
    assert early["payment_date"] == "2025-07-18" and early["approval_deadline"] == "2025-07-15"
    late = sweep(api, "2025-07-10T07:00:00+09:00")
    assert late["actions"] == ["usage-missing"]
    sweep(api, "2025-07-10T12:00:00+09:00")
    assert len(staff_warnings(api)) == 1
    sweep(api, "2025-07-11T07:00:00+09:00")
    assert len(staff_warnings(api)) == 2


def test_the_sweep_drafts_once_usage_is_in_and_a_second_run_does_nothing(api):
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    first = sweep(api, "2025-07-02T07:00:00+09:00")
    assert first["actions"] == ["drafted"] and first["round_status"] == "draft"
    again = sweep(api, "2025-07-02T08:00:00+09:00")
    assert again["actions"] == [] and again["round_status"] == "draft"
    _, round_ = api.call("GET", "/settlements/2025-06", as_="accountant")
    assert round_["drafted_by"] == "system" and round_["version"] == 1
    # more usage arrives: the system's own draft is refreshed
    upload(api, csv_of([("T5000", "2025-06-29 10:00:00", stores[0], "店A", 10, "利用")]))
    third = sweep(api, "2025-07-03T07:00:00+09:00")
    assert third["actions"] == ["redrafted"]
    _code, round_ = api.call("GET", "/settlements/2025-06", as_="accountant")
    assert round_["version"] == 2 and round_["total_amount"] == 6310
    # past the approval deadline with the round unapproved: a warning
    late = sweep(api, "2025-07-15T07:00:00+09:00")
    assert "approval-late" in late["actions"]
    # a system draft still needs two people: who uploaded its usage cannot approve it, another can
    code, refused = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant",
                             headers={"X-Miyapo-Now": "2025-07-15T09:00:00+09:00"})
    assert code == 403 and refused["error"]["fields"]["approver"]
    assert round_["shaped_by"] == ["accountant"]
    assert api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2",
                    headers={"X-Miyapo-Now": "2025-07-15T09:00:00+09:00"})[0] == 200
    done = sweep(api, "2025-07-16T07:00:00+09:00")
    assert done["round_status"] == "approved" and done["actions"] == []
