"""One usage import at a time (a lease): a handler waits its turn; one that cannot tells its caller,
and the upload is never left looking imported when it is not (SPEC §4.3, §6.2)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from chalicelib.adapters import aws
from chalicelib.usage import import_lease
from chalicelib.usage import service as usage
from tests.fakes import with_setting

CSV = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n" + "".join(
    f"L{i:06d},2026-02-0{1 + i % 9} 12:00:00,MP990001,未登録店,{100 + i},利用\n" for i in range(12))
LOCK_KEY = {"pk": "lock", "sk": "usage-import"}


def _hold_lease(deps, owner: str = "someone-else", minutes: int = 15) -> None:
    until = datetime.now(UTC) + timedelta(minutes=minutes)
    aws.table(deps.settings.tables.keys_table).put_item(Item={**LOCK_KEY, "owner": owner, "until": until.isoformat()})


def _lease(deps):
    return aws.table(deps.settings.tables.keys_table).get_item(Key=LOCK_KEY, ConsistentRead=True).get("Item")


def _upload(api):
    return api.call("POST", "/usage-imports", as_="accountant", raw=CSV.encode(), headers={"Content-Type": "text/csv"})


def test_an_upload_that_cannot_get_its_turn_is_told_to_retry_and_can_be_rerun(api, deps, monkeypatch):
    monkeypatch.setattr(usage, "LOCK_WAIT_SECONDS", 0.3)
    _hold_lease(deps)
    code, answer = _upload(api)
    assert code == 503, answer
    assert answer["error"]["code"] == "import_busy" and "再実行" in answer["error"]["message"]
    import_id = answer["error"]["fields"]["import_id"]
    assert usage.get_import(deps, import_id)["status"] == "uploaded"  # kept, and the caller knows
    assert _lease(deps)["owner"] == "someone-else"  # a waiter never releases another's lease
    code, busy = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 409 and busy["error"]["fields"]["import_id"] == import_id
    aws.table(deps.settings.tables.keys_table).delete_item(Key=LOCK_KEY)
    code, report = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 200 and report["status"] == "committed" and report["accepted"] == 12
    assert _lease(deps) is None


def test_an_upload_waits_for_the_running_import_then_imports(api, deps):
    _hold_lease(deps)
    threading.Timer(0.5, lambda: aws.table(deps.settings.tables.keys_table).delete_item(Key=LOCK_KEY)).start()
    code, answer = _upload(api)
    assert code == 201 and answer["status"] == "committed", answer


def test_a_lease_left_by_a_crashed_import_is_taken_over(api, deps):
    _hold_lease(deps, owner="crashed", minutes=-1)
    code, answer = _upload(api)
    assert code == 201 and answer["status"] == "committed", answer
    assert _lease(deps) is None


def test_a_pinned_business_clock_does_not_steal_a_running_lease(api, deps, monkeypatch):
    # The lease runs on the machine's clock: a request pinned years ahead must still wait.
    monkeypatch.setattr(usage, "LOCK_WAIT_SECONDS", 0.2)
    _hold_lease(deps)
    code, answer = api.call("POST", "/usage-imports", as_="accountant", raw=CSV.encode(),
                            headers={"Content-Type": "text/csv", "X-Miyapo-Now": "2099-01-05T10:00:00+09:00"})
    assert code == 503, answer


def test_an_import_finished_by_another_worker_is_not_imported_again(api, deps):
    code, answer = _upload(api)
    assert code == 201 and answer["status"] == "committed"
    import_id = answer["import_id"]
    # The event delivered twice (or a re-run racing it): the second sees it done, counts nothing.
    report = usage.process_import(deps, import_id, datetime.now(UTC))
    assert report["status"] == "committed" and report["accepted"] == 12


# --- the lease's length (issue 8): no longer than the import function's timeout --------------------


def test_the_lease_lasts_the_configured_seconds_not_fifteen_minutes(api, deps):
    assert deps.settings.usage.usage_import_lease_seconds == 120
    before = datetime.now(UTC)
    assert import_lease.try_lock(deps, "me")
    until = datetime.fromisoformat(_lease(deps)["until"])
    assert timedelta(seconds=119) <= until - before <= timedelta(seconds=121)
    import_lease.unlock(deps, "me")


def test_a_retry_after_a_timed_out_import_takes_the_lease_over(api, deps, monkeypatch):
    # A run that took the lease and was killed (Lambda's timeout) never releases it; the retry comes
    # later than the lease lasts and imports. (Seconds shortened for the test.)
    monkeypatch.setattr(deps, "settings", with_setting(deps.settings, "usage.usage_import_lease_seconds", 1))
    monkeypatch.setattr(usage, "LOCK_WAIT_SECONDS", 0.1)
    assert import_lease.try_lock(deps, "killed-by-timeout")
    code, answer = _upload(api)
    assert code == 503, answer  # still running as far as anyone can tell
    import_id = answer["error"]["fields"]["import_id"]
    time.sleep(1.1)
    code, report = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 200 and report["status"] == "committed" and report["accepted"] == 12
    assert _lease(deps) is None


def test_an_import_that_lost_its_lease_while_parsing_writes_nothing(api, deps, monkeypatch):
    # Only possible where nothing stops a run at the lease's end (the local stack): another import
    # took the lease over meanwhile. Committing now could count a transaction twice: it stops.
    original = usage.committed_imports

    def taken_over(d):
        aws.table(deps.settings.tables.keys_table).put_item(Item={**LOCK_KEY, "owner": "another-import",
                                                            "until": datetime.now(UTC).isoformat()})
        return original(d)

    monkeypatch.setattr(usage, "committed_imports", taken_over)
    code, answer = _upload(api)
    assert code == 503 and answer["error"]["code"] == "import_busy", answer
    import_id = answer["error"]["fields"]["import_id"]
    assert usage.get_import(deps, import_id)["status"] == "uploaded"
    assert _lease(deps)["owner"] == "another-import"  # not released by the loser
    store = usage._uploads(deps)
    assert store.get(f"ledger/txids/{import_id}.txt.gz") is None
    assert store.get(f"reports/usage/{import_id}.json") is None
    monkeypatch.setattr(usage, "committed_imports", original)
    aws.table(deps.settings.tables.keys_table).delete_item(Key=LOCK_KEY)
    code, report = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 200 and report["status"] == "committed" and report["accepted"] == 12
