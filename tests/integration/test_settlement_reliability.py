"""Failures midway, concurrent runs, and how many DynamoDB calls a round costs."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from chalicelib.adapters import aws
from chalicelib.adapters.files import FileStore
from chalicelib.auth.roles import Principal, Role
from chalicelib.clock import parse_aware
from chalicelib.settlement import service, views
from chalicelib.usage import service as usage
from tests.integration.test_settlement_api import JULY_2, csv_of, june_usage, make_stores, upload

ACCOUNTANT2 = Principal("accountant2", frozenset({Role.ACCOUNTANT}))
NOW = parse_aware("2025-07-02T10:00:00+09:00")


def test_an_approval_cut_off_by_an_s3_failure_is_completed_by_a_rerun(api, deps, monkeypatch):
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    real_put = FileStore.put
    calls = {"n": 0}

    def flaky_put(self, key, body, content_type):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("S3 unavailable")
        return real_put(self, key, body, content_type)

    monkeypatch.setattr(FileStore, "put", flaky_put)
    with pytest.raises(ConnectionError):
        service.approve(deps, "2025-06", ACCOUNTANT2, NOW)
    assert views.get_round(deps, "2025-06")["status"] == "approving"
    assert [m for m in api.mail() if "お支払いについて" in m["subject"]] == []
    # nothing can be drafted over a round that is being released
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 409
    result = service.approve(deps, "2025-06", ACCOUNTANT2, NOW)
    assert result["status"] == "approved" and result["total_amount"] == 6300
    assert len([m for m in api.mail() if "お支払いについて" in m["subject"]]) == 3


def test_concurrent_approvals_release_once(api, deps):
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            outcomes.append(service.approve(deps, "2025-06", ACCOUNTANT2, NOW)["status"])
        except Exception as exc:  # the loser may see the round mid-release
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "approved" in outcomes
    assert views.get_round(deps, "2025-06")["status"] == "approved"
    deps.outbox.deliver(deps.outbox.pending_ids(), deps.sender, NOW)
    notices = Counter(m["destinations"]["ToAddresses"][0] for m in api.mail() if "お支払いについて" in m["subject"])
    assert len(notices) == 3 and set(notices.values()) == {1}


def test_an_import_cut_off_midway_counts_nothing_until_rerun(api, deps, monkeypatch):
    stores = make_stores(api, 3)
    real = usage.batch_put

    def failing(table, items):
        raise ConnectionError("DynamoDB throttled")

    monkeypatch.setattr(usage, "batch_put", failing)
    code, answer = api.call("POST", "/usage-imports", as_="accountant", raw=csv_of(june_usage(stores)).encode(),
                            headers={"Content-Type": "text/csv"})
    assert code == 201 and answer["status"] == "staged"  # the upload is kept; the import is incomplete
    import_id = answer["import_id"]
    assert usage.get_import(deps, import_id)["status"] == "staged"
    assert usage.usage_for_month(deps, "2025-06") == ({}, [])
    monkeypatch.setattr(usage, "batch_put", real)
    code, report = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant", headers=JULY_2)
    assert code == 200 and report["status"] == "committed" and report["accepted"] == 6
    totals, imports = usage.usage_for_month(deps, "2025-06")
    assert sum(totals.values()) == 7000 and imports == [import_id]


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def total(self) -> int:
        return sum(self.calls.values())


def _round_calls(api, deps, stores: list[str], rows_per_store: int) -> tuple[int, Counter]:
    rows = []
    n = 0
    for store in stores:
        for _ in range(rows_per_store):
            n += 1
            rows.append((f"R{n:07d}", "2025-06-10 10:00:00", store, "店", 100, "利用"))
    upload(api, csv_of(rows))
    counter = CallCounter()
    aws.client("dynamodb").meta.events.register("before-call.dynamodb", counter)
    aws.dynamodb().meta.client.meta.events.register("before-call.dynamodb", counter)
    try:
        service.draft(deps, "2025-06", service.system_actor(), NOW)
        service.approve(deps, "2025-06", ACCOUNTANT2, NOW)
    finally:
        aws.client("dynamodb").meta.events.unregister("before-call.dynamodb", counter)
        aws.dynamodb().meta.client.meta.events.unregister("before-call.dynamodb", counter)
    assert "Scan" not in counter.calls
    return counter.total(), counter.calls


def _reset(api) -> None:
    import urllib.request

    from chalicelib.adapters.bootstrap import create_all

    urllib.request.urlopen(urllib.request.Request(f"{api.aws}/moto-api/reset", method="POST"), timeout=5).read()
    create_all("local")


def test_round_calls_grow_with_stores_not_with_usage_rows(api, deps):
    few_rows, calls = _round_calls(api, deps, make_stores(api, 3), 4)
    _reset(api)
    many_rows, _ = _round_calls(api, deps, make_stores(api, 3), 40)
    _reset(api)
    more_stores, _ = _round_calls(api, deps, make_stores(api, 6), 4)
    # 10x the usage rows: the same number of calls; 2x the stores: more calls, boundedly.
    assert many_rows == few_rows, calls
    assert few_rows < more_stores <= few_rows + 12 * 3
