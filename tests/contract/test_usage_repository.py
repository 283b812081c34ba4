"""UsageStore contract: DynamoUsageStore (moto) and InMemoryUsageStore, same tests; and the port
settlement reads usage through (UsageTotals) on both."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.usage.repository import UsageTotals


def register(repo: Any, n: int, status: str = "uploaded", by: str = "accountant") -> str:
    import_id = f"IMP{n:06d}"
    repo.register_import({"import_id": import_id, "kind": "usage", "status": status, "uploaded_by": by,
                          "created_at": f"2025-07-0{n}T10:00:00+09:00", "s3_key": f"usage/{import_id}.csv",
                          "filename": None})
    return import_id


def test_an_import_is_registered_once_and_reads_back(usage_store):
    assert usage_store.get_import("IMP000001") is None
    register(usage_store, 1)
    item = usage_store.get_import("IMP000001")
    assert item["status"] == "uploaded" and item["filename"] is None  # stored as NULL
    with pytest.raises(Conflict):
        register(usage_store, 1)


def test_status_changes_keep_the_rest_and_only_committed_imports_count(usage_store):
    for n in (1, 2, 3):
        register(usage_store, n)
    usage_store.set_import_status("IMP000001", "committed", {"finished_at": "t", "months": ["2025-06"]})
    usage_store.set_import_status("IMP000003", "committed", {"report": {"rows": 2, "months": []}})
    usage_store.set_import_status("IMP000002", "rejected", {"error": "not an export"})
    one = usage_store.get_import("IMP000001")
    assert (one["status"], one["finished_at"], one["months"], one["uploaded_by"]) == \
        ("committed", "t", ["2025-06"], "accountant")
    assert usage_store.get_import("IMP000003")["report"] == {"rows": 2, "months": []}
    assert sorted(i["import_id"] for i in usage_store.committed_imports()) == ["IMP000001", "IMP000003"]
    assert [i["import_id"] for i in usage_store.latest_imports(2)] == ["IMP000003", "IMP000002"]


def test_totals_are_keyed_per_store_and_import(usage_store):
    rows = [{"month": "2025-06", "key": "MP000001#IMP000001", "store_id": "MP000001", "import_id": "IMP000001",
             "points": 500, "rows": 2},
            {"month": "2025-06", "key": "MP000002#IMP000001", "store_id": "MP000002", "import_id": "IMP000001",
             "points": -100, "rows": 1},
            {"month": "2025-07", "key": "MP000001#IMP000001", "store_id": "MP000001", "import_id": "IMP000001",
             "points": 7, "rows": 1}]
    usage_store.put_totals(rows)
    usage_store.put_totals(rows[:1])  # a re-run writes the same keys again
    june = usage_store.month_totals("2025-06")
    assert sorted((r["store_id"], r["points"]) for r in june) == [("MP000001", 500), ("MP000002", -100)]
    assert usage_store.month_totals("2025-05") == []


def test_settlement_reads_committed_usage_only(usage_store):
    register(usage_store, 1, by="uploader1")
    register(usage_store, 2, by="uploader2")
    usage_store.set_import_status("IMP000001", "committed", {})
    usage_store.put_totals([
        {"month": "2025-06", "key": f"MP000001#{i}", "store_id": "MP000001", "import_id": i, "points": p, "rows": 1}
        for i, p in (("IMP000001", 300), ("IMP000002", 900))])
    totals = UsageTotals(usage_store)
    assert totals.usage_for_month("2025-06") == ({"MP000001": 300}, ["IMP000001"])
    assert totals.import_uploaders() == {"IMP000001": "uploader1"}


def test_the_lease_is_held_by_one_owner_until_it_runs_out(usage_store):
    assert usage_store.take_lease("a", "2025-07-01T00:01:00+00:00", "2025-07-01T00:00:00+00:00")
    assert not usage_store.take_lease("b", "2025-07-01T00:02:00+00:00", "2025-07-01T00:00:30+00:00")
    assert not usage_store.renew_lease("b", "2025-07-01T00:03:00+00:00")
    assert usage_store.renew_lease("a", "2025-07-01T00:03:00+00:00")
    assert not usage_store.take_lease("b", "2025-07-01T00:04:00+00:00", "2025-07-01T00:02:00+00:00")
    # run out: taken over; the old owner can neither renew nor release it
    assert usage_store.take_lease("b", "2025-07-01T00:05:00+00:00", "2025-07-01T00:04:00+00:00")
    assert not usage_store.renew_lease("a", "2025-07-01T00:06:00+00:00")
    assert not usage_store.release_lease("a")
    assert usage_store.release_lease("b")
    assert not usage_store.release_lease("b")
    assert usage_store.take_lease("c", "2025-07-01T00:07:00+00:00", "2025-07-01T00:04:00+00:00")
