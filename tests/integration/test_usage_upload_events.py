"""The local event pump (scripts/local_events.py): S3's "Object Created" → EventBridge → Lambda as the
local stack emulates it, against the local AWS (moto, one request at a time)."""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.adapters import aws
from scripts.local_events import LocalEventPump


class Recorder:
    """A handler that records the events it gets and fails the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.failures = failures
        self.called = threading.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.called.set()
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("handler failed")

    def keys(self) -> list[str]:
        return [e["detail"]["object"]["key"] for e in self.events]


def put(deps: Any, key: str, body: bytes = b"x") -> None:
    aws.client("s3").put_object(Bucket=deps.settings.buckets.uploads_bucket, Key=key, Body=body)


def test_each_new_object_under_the_prefix_is_delivered_once_as_s3_would_send_it(deps):
    handler = Recorder()
    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler)
    put(deps, "usage/IMP000001.csv", b"abc")
    put(deps, "ledger/txids/IMP000001.txt.gz")  # the import's own files: not under usage/
    put(deps, "reports/usage/IMP000001.json")
    assert pump.poll_once() == ["usage/IMP000001.csv"]
    assert pump.poll_once() == []
    (event,) = handler.events
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created" and event["version"] == "0"
    assert event["detail"]["bucket"]["name"] == deps.settings.buckets.uploads_bucket
    assert event["detail"]["object"]["key"] == "usage/IMP000001.csv" and event["detail"]["object"]["size"] == 3
    # The same rule app.py registers for the cloud matches it.
    from app import app

    pattern = next(e for e in app.event_sources if e.name == "usage_import").event_pattern
    assert event["source"] in pattern["source"] and event["detail-type"] in pattern["detail-type"]
    assert event["detail"]["object"]["key"].startswith(pattern["detail"]["object"]["key"][0]["prefix"])


def test_a_new_version_of_an_object_is_a_new_event(deps):
    handler = Recorder()
    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler)
    put(deps, "usage/IMP000002.csv", b"one")
    pump.poll_once()
    time.sleep(1.05)  # S3 times have seconds; a new ETag alone tells it too
    put(deps, "usage/IMP000002.csv", b"two")
    assert pump.poll_once() == ["usage/IMP000002.csv"]
    assert handler.keys() == ["usage/IMP000002.csv"] * 2


def test_a_failing_delivery_is_retried_like_lambda_then_dropped(deps):
    handler = Recorder(failures=5)
    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler, retry_delays=(60.0, 120.0))
    put(deps, "usage/IMP000003.csv")
    assert pump.poll_once(now=0.0) == []  # first attempt fails
    assert pump.poll_once(now=30.0) == [] and len(handler.events) == 1  # not due yet
    assert pump.poll_once(now=60.0) == [] and len(handler.events) == 2  # retry 1
    assert pump.poll_once(now=179.0) == [] and len(handler.events) == 2
    assert pump.poll_once(now=180.0) == [] and len(handler.events) == 3  # retry 2, then dropped
    assert pump.poll_once(now=10_000.0) == [] and len(handler.events) == 3


def test_a_delivery_that_succeeds_on_retry_is_done(deps):
    handler = Recorder(failures=1)
    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler, retry_delays=(1.0, 2.0))
    put(deps, "usage/IMP000004.csv")
    assert pump.poll_once(now=0.0) == []
    assert pump.poll_once(now=1.0) == ["usage/IMP000004.csv"]
    assert pump.poll_once(now=100.0) == [] and len(handler.events) == 2


def test_a_missing_bucket_is_waited_for(deps):
    handler = Recorder()
    pump = LocalEventPump("miyapo-local-no-such-bucket", handler)
    assert pump.poll_once() == [] and handler.events == []


def test_the_pump_runs_on_its_own_thread_until_stopped(deps):
    handler = Recorder()
    stop = threading.Event()
    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler, every_seconds=0.1, _stop=stop).start()
    try:
        put(deps, "usage/IMP000005.csv")
        assert handler.called.wait(5), "no event within 5 s"
        assert handler.keys() == ["usage/IMP000005.csv"]
    finally:
        stop.set()
        pump.stop()
    put(deps, "usage/IMP000006.csv")
    time.sleep(0.3)
    assert handler.keys() == ["usage/IMP000005.csv"]


def test_the_local_stacks_pump_imports_an_upload_without_a_manual_step(api, deps):
    # What scripts/local_stack.py starts: the uploads bucket's usage/ → the app's import handler.
    data = ("取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
            "P000001,2026-01-01 10:00:00,MP990003,未登録店,100,利用\n").encode()
    code, g = api.call("POST", "/usage-imports/uploads", {"size": len(data)}, as_="accountant")
    assert code == 201
    stop = threading.Event()
    pump = LocalEventPump.for_usage_imports(every_seconds=0.1, stop=stop)
    assert pump.bucket == deps.settings.buckets.uploads_bucket and pump.prefix == "usage/"
    pump.start()
    try:
        from tests.s3_form import post_form

        assert post_form(g, data)[0] == 204
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            report = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")[1]
            if report["status"] == "committed":
                break
            time.sleep(0.1)
        assert report["status"] == "committed" and report["accepted"] == 1, report
    finally:
        stop.set()
        pump.stop()
