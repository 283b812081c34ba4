"""Concurrent requests against the real local stack give what real DynamoDB would: every answered
write is durable, a decision is taken once, and concurrent uploads are all imported (SPEC §6.2).

The local AWS is moto in the stack's process and the app serves each request on its own thread;
these tests fire requests at the same instant (a barrier) so that the interleavings really happen.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e

ROUNDS = 15
DECIDERS = 3  # concurrent approvals of one application per round
SUBMITTERS = 3  # concurrent new public submissions per round


def _all_active_stores(stack: Stack) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        path = "/stores?status=active&limit=200" + (f"&cursor={cursor}" if cursor else "")
        status, page = stack.request("GET", path, token="screener")
        assert status == 200, page
        ids.update(s["store_id"] for s in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


class NewLogLines:
    """The stack's output written since this was made (moto prints each request it failed)."""

    def __init__(self, stack: Stack) -> None:
        self.path = stack.log_path
        self.start = self.path.stat().st_size

    def errors(self) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(self.start)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if "Error on request" in line or line.startswith("RuntimeError")]


def _at_once(calls: list[Any]) -> list[tuple[int, Any]]:
    """Run the calls on their own threads, released together; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_decisions_and_submissions_are_durable_and_unique(stack: Stack) -> None:
    started = time.monotonic()
    log = NewLogLines(stack)
    stores_before = _all_active_stores(stack)
    pending = []
    for _ in range(ROUNDS):
        status, answer = stack.request("POST", "/applications", application_body(client_token=uuid.uuid4().hex))
        assert status == 201, answer
        pending.append(answer["application_id"])

    store_ids_by_app: dict[str, set[str]] = defaultdict(set)
    submitted: list[str] = []
    answers: list[tuple[int, Any]] = []
    for app_id in pending:
        decide = [lambda a=app_id: stack.request("POST", f"/applications/{a}/decision", approve_body(),
                                                 token="screener") for _ in range(DECIDERS)]
        submit = [lambda b=application_body(client_token=uuid.uuid4().hex): stack.request("POST", "/applications", b)
                  for _ in range(SUBMITTERS)]
        results = _at_once(decide + submit)
        answers += results
        decisions, submissions = results[:DECIDERS], results[DECIDERS:]
        for status, body in decisions:
            # one approval wins; the others are told it is already decided (or get the same answer)
            assert status in (200, 409), (status, body)
            if status == 200:
                store_ids_by_app[app_id].add(body["store_id"])
        assert any(status == 200 for status, _ in decisions), decisions
        for status, body in submissions:
            assert status == 201, (status, body)
            submitted.append(body["application_id"])

    assert not [a for a in answers if a[0] >= 500]
    # Each approved application has exactly one store, the one every 200 named.
    assert {a: len(ids) for a, ids in store_ids_by_app.items() if len(ids) != 1} == {}
    for app_id, (store_id,) in store_ids_by_app.items():
        status, detail = stack.request("GET", f"/applications/{app_id}", token="screener")
        assert status == 200 and detail["status"] == "approved", (app_id, detail.get("status"))
        assert detail["store_id"] == store_id
        status, store = stack.request("GET", f"/stores/{store_id}", token="screener")
        assert status == 200 and store["application_id"] == app_id, (store_id, status)
    # No store appeared that nobody was told about (a second store for one application).
    new_stores = _all_active_stores(stack) - stores_before
    assert new_stores == {next(iter(ids)) for ids in store_ids_by_app.values()}
    # Every submission that was answered exists, and is waiting for screening.
    assert len(set(submitted)) == ROUNDS * SUBMITTERS
    for app_id in submitted:
        status, detail = stack.request("GET", f"/applications/{app_id}", token="screener")
        assert status == 200 and detail["status"] == "submitted", (app_id, status)
    # The local AWS failed no request (the SDK's retries would hide a 500 from the app).
    assert log.errors() == []
    assert time.monotonic() - started < 60


def _usage_file(rows: int) -> bytes:
    tag = uuid.uuid4().hex[:8].upper()
    lines = ["取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分"]
    # A month no other test imports, for stores nobody registered: the file touches no round.
    lines += [f"C{tag}{i:05d},2026-01-{1 + i % 28:02d} 12:00:00,MP99{i % 7:04d},未登録店,{100 + i},利用"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _wait_until_imported(stack: Stack, import_id: str, deadline: float) -> dict[str, Any]:
    """Follow an import the caller was told to retry: re-run it until it is done."""
    while True:
        status, report = stack.request("GET", f"/usage-imports/{import_id}", token="accountant")
        assert status == 200, report
        if report["status"] in ("committed", "rejected") or time.monotonic() > deadline:
            return report
        status, report = stack.request("POST", f"/usage-imports/{import_id}/process", {}, token="accountant")
        if status == 200 and report["status"] == "committed":
            return report
        assert status in (409, 503), (status, report)
        time.sleep(0.2)


def test_concurrent_uploads_of_the_same_file_are_all_imported_once(stack: Stack) -> None:
    started = time.monotonic()
    log = NewLogLines(stack)
    rows = 40
    data = _usage_file(rows)
    upload = [lambda: stack.request_bytes("POST", "/usage-imports", data, token="accountant",
                                          headers={"Content-Type": "text/csv"}) for _ in range(4)]
    answers = [(status, json.loads(body)) for status, body in _at_once(upload)]
    import_ids = []
    for status, body in answers:
        if status == 201:
            # "Uploaded" and answered: imported too (what the import found is in its report).
            assert body["status"] == "committed", body
            import_ids.append(body["import_id"])
            continue
        # Told to retry: a clear answer in Japanese that names the upload to follow.
        assert status in (409, 503), (status, body)
        assert body["error"]["message"] and not body["error"]["message"].isascii()
        import_ids.append(body["error"]["fields"]["import_id"])
    assert len(set(import_ids)) == 4
    reports = [_wait_until_imported(stack, i, started + 45) for i in import_ids]
    assert [r["status"] for r in reports] == ["committed"] * 4, [(r["import_id"], r["status"]) for r in reports]
    # The rows count once across the four imports; the others saw them as duplicates.
    assert sorted(r["accepted"] for r in reports) == [0, 0, 0, rows]
    assert sorted(r["duplicates"] for r in reports) == [0, rows, rows, rows]
    _, listed = stack.request("GET", "/usage-imports", token="accountant")
    assert not [i for i in listed["items"] if i["status"] == "uploaded"]
    assert log.errors() == []
    assert time.monotonic() - started < 60
