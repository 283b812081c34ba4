"""Usage import rules on the in-memory twins (no AWS): an import counts once and only when committed,
usage of a month settlement has frozen becomes an adjustment (through settlement's port), and an
import that cannot get the lease does nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.stores.repository import InMemoryStoreRepository
from chalicelib.usage import import_lease
from chalicelib.usage import service as usage
from chalicelib.usage.repository import InMemoryUsageStore, UsageTotals
from tests.fakes import Audit, Counters, make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 7, 2, 10, 0, tzinfo=JST)
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))
HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"




class Files:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def download(self, key: str, path: Path) -> bool:
        if key not in self.objects:
            return False
        path.write_bytes(self.objects[key])
        return True

    def size(self, key: str) -> int | None:
        return len(self.objects[key]) if key in self.objects else None


@pytest.fixture
def deps(monkeypatch: pytest.MonkeyPatch) -> Any:
    files = Files()
    monkeypatch.setattr(usage, "_uploads", lambda deps: files)
    settings = make_settings()
    d = SimpleNamespace(settings=settings, usage=InMemoryUsageStore(), settlements=InMemorySettlementStore(),
                        store_repository=InMemoryStoreRepository(), keys=Counters(), audit=Audit(), files=files)
    tx = d.store_repository.new_tx()
    for sid in ("MP000001", "MP000002"):
        d.store_repository.create(tx, {"store_id": sid, "status": "active"})
    tx.commit()
    return d


def export(*rows: tuple[str, str, str, int]) -> bytes:
    return (HEADER + "".join(f"{txid},{when},{sid},店,{points},利用\n" for txid, when, sid, points in rows)).encode()


def test_an_import_counts_once_and_only_once_committed(deps):
    data = export(("T1", "2025-06-10 10:00:00", "MP000001", 100), ("T2", "2025-06-11 10:00:00", "MP000002", 250))
    first = usage.create_import(deps, data, ALICE, NOW)
    assert UsageTotals(deps.usage).usage_for_month("2025-06") == ({}, [])  # uploaded, not committed
    report = usage.process_import(deps, first, NOW)
    assert (report["status"], report["accepted"]) == ("committed", 2)
    again = usage.create_import(deps, data + export(("T3", "2025-06-12 10:00:00", "MP000001", 5))[len(HEADER):],
                                ALICE, NOW)
    report = usage.process_import(deps, again, NOW)
    assert (report["accepted"], report["duplicates"]) == (1, 2)
    assert usage.usage_for_month(deps, "2025-06") == ({"MP000001": 105, "MP000002": 250}, [first, again])


def test_usage_of_a_frozen_month_becomes_an_adjustment_in_settlement(deps):
    tx = deps.settlements.transaction()
    deps.settlements.save_draft_in(tx, {"month": "2025-05", "status": "approved", "version": 1}, None)
    tx.commit()
    import_id = usage.create_import(deps, export(("T1", "2025-05-31 23:00:00", "MP000001", 300),
                                                 ("T2", "2025-06-01 09:00:00", "MP000001", 40)), ALICE, NOW)
    report = usage.process_import(deps, import_id, NOW)
    assert report["late_months"] == ["2025-05"]
    assert usage.usage_for_month(deps, "2025-05") == ({}, [])
    assert usage.usage_for_month(deps, "2025-06") == ({"MP000001": 40}, [import_id])
    late = deps.settlements.open_adjustments()
    assert [(a["store_id"], a["amount"], a["sk"]) for a in late] == [
        ("MP000001", 300, f"late#{import_id}#2025-05#MP000001")]


def test_an_import_that_cannot_get_the_lease_does_nothing(deps):
    import_id = usage.create_import(deps, export(("T1", "2025-06-10 10:00:00", "MP000001", 100)), ALICE, NOW)
    assert import_lease.try_lock(deps, "another-import")
    with pytest.raises(import_lease.ImportBusy):
        usage.process_import(deps, import_id, NOW, wait_seconds=0)
    assert usage.get_import(deps, import_id)["status"] == "uploaded"
    import_lease.unlock(deps, "another-import")
    assert usage.process_import(deps, import_id, NOW)["status"] == "committed"


def test_the_report_times_follow_the_clock_of_the_import(deps):
    """processing_started_at is on the same clock and zone as created_at and finished_at (the demo clock
    pinned by X-Miyapo-Now locally), not the wall clock in UTC."""
    import_id = usage.create_import(deps, export(("T1", "2025-06-10 10:00:00", "MP000001", 100)), ALICE, NOW)
    later = NOW + timedelta(minutes=3)
    report = usage.process_import(deps, import_id, later)
    assert (report["created_at"], report["processing_started_at"], report["finished_at"]) == (
        NOW.isoformat(), later.isoformat(), later.isoformat())
