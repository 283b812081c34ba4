"""The S3 "Object Created" EventBridge event → the usage import handler (cloud and local alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.deps import Deps
from chalicelib.observability import logger
from chalicelib.usage import service


def object_created_event(bucket: str, key: str, size: int | None = None, etag: str | None = None) -> dict[str, Any]:
    """The event S3 sends EventBridge (the fields the app's rule and handler read); the local stage
    builds it to run the same handler (the upload route, and the event pump scripts/local_events.py)."""
    obj: dict[str, Any] = {"key": key}
    if size is not None:
        obj["size"] = size
    if etag:
        obj["etag"] = etag.strip('"')
    return {"version": "0", "source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": bucket}, "object": obj, "reason": "PutObject"}}


def on_object_created(deps: Deps, detail: dict[str, Any], now: datetime,
                      wait_seconds: float | None = None) -> dict[str, Any] | None:
    """Import the export the event names. Another import running longer than `wait_seconds` raises
    service.ImportBusy: the cloud's event delivery retries it, the local upload tells its caller."""
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key", "")
    if bucket != deps.settings.buckets.uploads_bucket:
        return None
    import_id = service.import_id_from_key(key)
    if import_id is None:
        # Our own staged files (ledger/…) also land in this bucket: not exports.
        return None
    logger.info("usage export event", extra={"import_id": import_id})
    return service.process_import(deps, import_id, now, wait_seconds)
