"""The local stand-in for S3 → EventBridge → Lambda: new objects under `usage/` run the import handler.

In the cloud the uploads bucket sends EventBridge an "Object Created" event for every new object and
the rule of app.py's `usage_import` (prefix `usage/`) invokes the import function asynchronously, with
two retries. moto keeps objects but delivers no such event, so the local stack runs this pump: a
background thread lists the bucket's `usage/` prefix every `every_seconds` (1 s), and for every object
it has not delivered yet (a new key, or a new version of one: its ETag and time) calls the handler
with the event S3 would have sent — in the local stack `chalicelib.usage.events.on_object_created`,
the function app.py's `usage_import` calls. Like Lambda's asynchronous invocation, a failing delivery
is retried (after 1 minute, then 2 minutes, as Lambda does; `retry_delays`) and then dropped with a log line: the import stays
as it is, and staff re-run it from the usage screen, as after a message in the cloud's failure queue.

The handler is idempotent (an import already done is not imported again), so a delivery that
overlaps the local `POST /usage-imports` route (which runs the handler itself) or a repeat is harmless.

    LocalEventPump.for_usage_imports(stop=stopping).start()   # scripts/local_stack.py; stopping.set() ends it
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any]], Any]


def _logger() -> Any:
    # Imported when first used: the local stack sets the stage's environment before the app's modules load.
    from chalicelib.observability import logger

    return logger


@dataclass
class _Pending:
    event: dict[str, Any]
    attempts: int = 0
    due: float = 0.0


@dataclass
class LocalEventPump:
    """Polls `bucket` under `prefix` and hands each new object's event to `handler`."""

    bucket: str
    handler: Handler
    prefix: str = "usage/"
    every_seconds: float = 1.0
    retry_delays: tuple[float, ...] = (60.0, 120.0)
    _seen: set[tuple[str, str, str]] = field(default_factory=set)
    _pending: dict[tuple[str, str, str], _Pending] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _listing_failed: bool = False

    @classmethod
    def for_usage_imports(cls, every_seconds: float = 1.0, stop: threading.Event | None = None) -> LocalEventPump:
        """The pump of the local stack: the uploads bucket's `usage/` objects → the usage import handler.
        `stop`: an event that stops the pump when set (the local stack's own)."""
        from chalicelib.clock import stage_now
        from chalicelib.deps import get_deps
        from chalicelib.usage import events, service

        deps = get_deps()

        def usage_import(event: dict[str, Any]) -> Any:
            # What app.py's `usage_import` does with the event (minus Chalice's event object), at the local
            # stack's clock: the demo clock when one runs (chalicelib/clock.py), like the upload's request.
            return events.on_object_created(get_deps(), event["detail"], stage_now(deps.settings.is_local))

        pump = cls(deps.settings.buckets.uploads_bucket, usage_import, prefix=service.UPLOAD_PREFIX,
                   every_seconds=every_seconds)
        if stop is not None:
            pump._stop = stop
        return pump

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> LocalEventPump:
        self._thread = threading.Thread(target=self._run, name="local-s3-events", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # never let the pump die; the next poll tries again
                _logger().warning("local event pump failed", extra={"error": type(exc).__name__})
            self._stop.wait(self.every_seconds)

    # --- one round (tests call this directly) ----------------------------------------------------

    def poll_once(self, now: float | None = None) -> list[str]:
        """Find new objects, deliver every event that is due; returns the keys delivered successfully."""
        self._discover()
        clock = time.monotonic() if now is None else now
        delivered = []
        for ident, pending in sorted(self._pending.items()):
            if pending.due > clock or (self._stop.is_set() and now is None):
                continue
            if self._deliver(pending):
                delivered.append(ident[0])
                del self._pending[ident]
            elif pending.attempts > len(self.retry_delays):
                _logger().error("local event dropped after retries",
                             extra={"key": ident[0], "attempts": pending.attempts})
                del self._pending[ident]
            else:
                pending.due = clock + self.retry_delays[pending.attempts - 1]
        return delivered

    def _discover(self) -> None:
        from botocore.exceptions import ClientError

        from chalicelib.adapters import aws
        from chalicelib.usage.events import object_created_event

        paginator = aws.client("s3").get_paginator("list_objects_v2")
        try:
            pages = list(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix))
        except ClientError as exc:
            # Before the bucket exists (or after moto was reset): nothing to deliver yet.
            if not self._listing_failed:
                _logger().info("local event pump: bucket not listable yet",
                            extra={"code": exc.response["Error"]["Code"]})
            self._listing_failed = True
            return
        self._listing_failed = False
        for page in pages:
            for obj in page.get("Contents", []):
                ident = (obj["Key"], str(obj.get("ETag", "")), obj["LastModified"].isoformat())
                if ident in self._seen:
                    continue
                self._seen.add(ident)
                event = object_created_event(self.bucket, obj["Key"], int(obj.get("Size", 0)), obj.get("ETag"))
                self._pending[ident] = _Pending(event)

    def _deliver(self, pending: _Pending) -> bool:
        pending.attempts += 1
        key = pending.event["detail"]["object"]["key"]
        try:
            self.handler(pending.event)
        except Exception as exc:
            _logger().warning("local event handler failed", extra={"key": key, "attempt": pending.attempts,
                                                                 "error": type(exc).__name__})
            return False
        return True
