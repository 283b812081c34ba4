"""Usage imports: an export lands in S3, the import handler counts it exactly once.

Steps, each safe to repeat: (1) the upload is stored and an import item created; (2) the handler
(EventBridge "Object Created" in the cloud, called directly in the local stage) parses the file,
classifies duplicates against every committed import, and stages its result in S3; (3) it writes
the per-store monthly totals (idempotent keyed items) and only then marks the import committed.
A settlement round counts only committed imports, so a failure midway never counts anything
partially; re-running the handler completes the import. One import runs at a time (a lease):
a handler that finds another import running waits its turn (bounded), then imports; only if the
other is still running after that does it give up with ImportBusy, leaving the upload to re-run.
"""

from __future__ import annotations

import gzip
import json
import random
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import batch_get, batch_put, plain, query_all
from chalicelib.adapters.files import FileStore
from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.usage.parser import ColumnMapping, NotAnExport, parse_usage_export

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
LOCK_LEASE = timedelta(minutes=15)
#: How long a handler waits for another import's lease before giving up (ImportBusy).
LOCK_WAIT_SECONDS = 15.0
UPLOAD_PREFIX = "usage/"
DONE = ("committed", "rejected")
BUSY_MESSAGE = "別の取り込みを処理中のため、このファイルはまだ取り込んでいません。しばらくしてから「再実行」してください"


class ImportBusy(Conflict):
    """Another import held the lease for longer than this handler could wait; nothing was done."""

    code = "import_busy"


def _uploads(deps: Deps) -> FileStore:
    return FileStore(deps.settings.uploads_bucket)


def _mapping(deps: Deps) -> ColumnMapping:
    raw = deps.settings.usage_columns_json
    return ColumnMapping(**json.loads(raw)) if raw else ColumnMapping()


def create_import(deps: Deps, body: bytes, principal: Principal, now: datetime) -> str:
    """Store an uploaded export and register the import; the handler imports it."""
    if not body:
        raise InvalidInput("ファイルが空です", {"file": "利用実績のCSVファイルを選んでください"})
    if len(body) > MAX_UPLOAD_BYTES:
        raise InvalidInput("ファイルが大きすぎます", {"file": "200MB 以下にしてください"})
    import_id = f"IMP{deps.keys.next_number('usage-import'):06d}"
    key = f"{UPLOAD_PREFIX}{import_id}.csv"
    aws.table(deps.settings.imports_table).put_item(Item={
        "import_id": import_id, "kind": "usage", "status": "uploaded", "created_at": now.isoformat(),
        "uploaded_by": principal.user, "s3_key": key, "size": len(body),
    }, ConditionExpression="attribute_not_exists(import_id)")
    _uploads(deps).put(key, body, "text/csv")
    deps.audit.append(entry(Actor.of(principal), "usage_import.upload", f"import#{import_id}", now,
                            detail={"size": len(body)}))
    logger.info("usage export uploaded", extra={"import_id": import_id, "size": len(body)})
    return import_id


def import_id_from_key(key: str) -> str | None:
    if key.startswith(UPLOAD_PREFIX) and key.endswith(".csv"):
        return key[len(UPLOAD_PREFIX):-4]
    return None


def get_import(deps: Deps, import_id: str) -> dict[str, Any]:
    item = aws.table(deps.settings.imports_table).get_item(Key={"import_id": import_id}, ConsistentRead=True).get("Item")
    if not item:
        raise NotFound("取り込みが見つかりません", {"import_id": "取り込み番号を確認してください"})
    return plain(item)


def report(item: dict[str, Any]) -> dict[str, Any]:
    rep = item.get("report") or {}
    return {
        "import_id": item["import_id"], "status": item["status"], "created_at": item["created_at"],
        "uploaded_by": item.get("uploaded_by"), "error": item.get("error"),
        "rows": rep.get("rows", 0), "accepted": rep.get("accepted", 0), "duplicates": rep.get("duplicates", 0),
        "rejected": rep.get("rejected", []), "rejected_count": rep.get("rejected_count", 0),
        "unknown_stores": rep.get("unknown_stores", []), "inactive_stores": rep.get("inactive_stores", []),
        "months": rep.get("months", []),
        "points_by_month": rep.get("points_by_month", {}), "late_months": rep.get("late_months", []),
    }


def list_imports(deps: Deps, limit: int = 50) -> list[dict[str, Any]]:
    page = aws.table(deps.settings.imports_table).query(
        IndexName="by_kind", KeyConditionExpression=Key("kind").eq("usage"), ScanIndexForward=False, Limit=limit)
    return [report(plain(i)) for i in page.get("Items", [])]


def committed_imports(deps: Deps) -> list[dict[str, Any]]:
    return query_all(aws.table(deps.settings.imports_table), IndexName="by_kind",
                     KeyConditionExpression=Key("kind").eq("usage"),
                     FilterExpression=Attr("status").eq("committed"))


def _try_lock(deps: Deps, owner: str) -> bool:
    # The lease runs on the machine's clock, not on the business `now` a local request may pin:
    # two requests pinned to different days must still exclude each other.
    wall = datetime.now(UTC)
    try:
        aws.table(deps.settings.keys_table).put_item(
            Item={"pk": "lock", "sk": "usage-import", "owner": owner, "until": (wall + LOCK_LEASE).isoformat()},
            ConditionExpression="attribute_not_exists(pk) OR #u < :now",
            ExpressionAttributeNames={"#u": "until"}, ExpressionAttributeValues={":now": wall.isoformat()},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _lock(deps: Deps, import_id: str, owner: str, wait_seconds: float) -> None:
    """Take the import lease, waiting (with jittered backoff) up to `wait_seconds` for its holder."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.05
    while not _try_lock(deps, owner):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ImportBusy(BUSY_MESSAGE, {"import_id": import_id})
        time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, 1.0)


def _unlock(deps: Deps, owner: str) -> None:
    """Release the lease if it is still ours (after an overrun lease another import may hold it)."""
    try:
        aws.table(deps.settings.keys_table).delete_item(
            Key={"pk": "lock", "sk": "usage-import"}, ConditionExpression="#o = :me",
            ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":me": owner})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        logger.warning("usage import lease was taken over before release")


def _known_ids(deps: Deps, months: list[str], exclude: str) -> set[str]:
    """Transaction ids of every committed import that touched these months."""
    known: set[str] = set()
    store = _uploads(deps)
    for item in committed_imports(deps):
        if item["import_id"] == exclude or not set(item.get("months", [])) & set(months):
            continue
        data = store.get(f"ledger/txids/{item['import_id']}.txt.gz")
        if data:
            known.update(gzip.decompress(data).decode("utf-8").split("\n"))
    known.discard("")
    return known


def process_import(deps: Deps, import_id: str, now: datetime, wait_seconds: float | None = None) -> dict[str, Any]:
    """Import one uploaded export (idempotent: a committed import is not imported again).

    Waits up to `wait_seconds` (default LOCK_WAIT_SECONDS) for an import already running; raises
    ImportBusy (the upload stays as it is, ready to re-run) if that one is still running then.
    """
    item = get_import(deps, import_id)
    if item["status"] in DONE:
        return report(item)
    owner = f"{import_id}#{uuid.uuid4().hex}"
    _lock(deps, import_id, owner, LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds)
    try:
        # Read again under the lease: whoever held it may have imported this very upload.
        item = get_import(deps, import_id)
        if item["status"] in DONE:
            return report(item)
        return _process_locked(deps, item, now)
    finally:
        _unlock(deps, owner)


def _set_status(deps: Deps, import_id: str, status: str, extra: dict[str, Any]) -> None:
    names = {"#s": "status", **{f"#{k}": k for k in extra}}
    values = {":s": status, **{f":{k}": v for k, v in extra.items()}}
    expression = "SET #s = :s" + "".join(f", #{k} = :{k}" for k in extra)
    aws.table(deps.settings.imports_table).update_item(
        Key={"import_id": import_id}, UpdateExpression=expression,
        ExpressionAttributeNames=names, ExpressionAttributeValues=values)


def _summarise(result: Any, stores: dict[str, Any], frozen: set[str]) -> dict[str, Any]:
    unknown: dict[str, dict[str, Any]] = {}
    inactive: dict[str, dict[str, Any]] = {}
    points_by_month: dict[str, int] = {}
    for (month, store_id), points in result.totals.items():
        points_by_month[month] = points_by_month.get(month, 0) + points
        store = stores.get(store_id)
        # Usage of a store we never approved, or one suspended/withdrawn: staff must look at it.
        target = unknown if store is None else inactive if store.get("status") != "active" else None
        if target is None:
            continue
        u = target.setdefault(store_id, {"store_id": store_id, "name": result.store_names.get(store_id, ""),
                                         "rows": 0, "points": 0,
                                         **({"status": store["status"]} if store is not None else {})})
        u["rows"] += result.counts.get((month, store_id), 0)
        u["points"] += points
    return {
        "rows": result.rows, "accepted": result.accepted, "duplicates": result.duplicates,
        # The report keeps the first 1,000 rejected lines; the count is exact.
        "rejected": [asdict(r) for r in result.rejected[:1000]], "rejected_count": len(result.rejected),
        "unknown_stores": sorted(unknown.values(), key=lambda u: u["store_id"]),
        "inactive_stores": sorted(inactive.values(), key=lambda u: u["store_id"]),
        "months": result.months, "points_by_month": points_by_month, "late_months": sorted(frozen),
    }


def _process_locked(deps: Deps, item: dict[str, Any], now: datetime) -> dict[str, Any]:
    import_id = item["import_id"]
    data = _uploads(deps).get(item["s3_key"])
    if data is None:
        raise NotFound("アップロードされたファイルが見つかりません")
    mapping = _mapping(deps)
    try:
        first = parse_usage_export(data, frozenset(), mapping)
    except NotAnExport as exc:
        _set_status(deps, import_id, "rejected", {"error": exc.message, "finished_at": now.isoformat()})
        logger.info("usage export rejected", extra={"import_id": import_id})
        return report(get_import(deps, import_id))
    known = _known_ids(deps, first.months, import_id)
    # Parse again only when this file really repeats transactions already counted: for a new
    # month's export (the usual case) the first pass stands.
    result = parse_usage_export(data, known, mapping) if not known.isdisjoint(first.new_txn_ids) else first
    frozen = _frozen_months(deps, result.months)
    stores = batch_get(deps.settings.stores_table, "store_id", sorted({s for _, s in result.totals}))
    rep = _summarise(result, stores, frozen)
    # Stage: the ids this import counts (later imports see them as duplicates once it is committed).
    _uploads(deps).put(f"ledger/txids/{import_id}.txt.gz",
                       gzip.compress("\n".join(result.new_txn_ids).encode("utf-8"), 6), "application/gzip")
    _set_status(deps, import_id, "staged", {"months": result.months, "report": rep})
    usage_items, late = [], []
    for (month, store_id), points in sorted(result.totals.items()):
        if month in frozen:
            late.append((month, store_id, points))
            continue
        usage_items.append({"month": month, "key": f"{store_id}#{import_id}", "store_id": store_id,
                            "import_id": import_id, "points": points,
                            "rows": result.counts.get((month, store_id), 0)})
    batch_put(deps.settings.usage_table, usage_items)
    _late_usage_adjustments(deps, import_id, late, now)
    _set_status(deps, import_id, "committed", {"finished_at": now.isoformat()})
    deps.audit.append(entry(SYSTEM, "usage_import.commit", f"import#{import_id}", now,
                            after={"accepted": result.accepted, "duplicates": result.duplicates,
                                   "rejected": len(result.rejected)}))
    logger.info("usage import committed", extra={"import_id": import_id, "rows": result.rows,
                                                 "accepted": result.accepted, "duplicates": result.duplicates})
    return report(get_import(deps, import_id))


def _frozen_months(deps: Deps, months: list[str]) -> set[str]:
    """Months whose settlement round is already approved: their late usage becomes adjustments."""
    frozen = set()
    for month in months:
        item = aws.table(deps.settings.settlements_table).get_item(
            Key={"pk": f"round#{month}", "sk": "round"}, ConsistentRead=True).get("Item")
        if item and item.get("status") in ("approving", "approved"):
            frozen.add(month)
    return frozen


def _late_usage_adjustments(deps: Deps, import_id: str, late: list[tuple[str, str, int]], now: datetime) -> None:
    """Usage of a month already settled is owed all the same: settle it in the next round."""
    items = [{
        "pk": "adjustments", "sk": f"late#{import_id}#{month}#{store_id}",
        "adjustment_id": f"late-{import_id}-{month}-{store_id}",
        "store_id": store_id, "amount": points, "reason": f"確定後に取り込まれた {month} 利用分",
        "created_by": "system", "created_at": now.isoformat(), "state": "open",
    } for month, store_id, points in late if points != 0]
    batch_put(deps.settings.settlements_table, items)


def usage_for_month(deps: Deps, month: str) -> tuple[dict[str, int], list[str]]:
    """Net points per store for a month, counting committed imports only; and which imports."""
    committed = {i["import_id"] for i in committed_imports(deps)}
    totals: dict[str, int] = {}
    used: set[str] = set()
    for row in query_all(aws.table(deps.settings.usage_table), KeyConditionExpression=Key("month").eq(month)):
        if row["import_id"] in committed:
            totals[row["store_id"]] = totals.get(row["store_id"], 0) + int(row["points"])
            used.add(row["import_id"])
    return totals, sorted(used)
