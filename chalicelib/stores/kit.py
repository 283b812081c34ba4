"""The store kit's rules, part 1 (issue 11 point 3): handing approved stores to the app provider in
batches, importing the provider's answer, and the register of what was done for each store.

- **Handoff**: every active store not yet handed off (and every store whose credentials are to be issued
  again) goes into the next batch (`HB` + 6 digits); each is marked with the batch, the date and who did
  it. The batch's CSV (chalicelib/stores/handoff.py) can be downloaded again at any time.
- **Provider's answer**: per row a store id, login id, initial password and QR payload. A row is taken
  when the store was handed off and waits for its answer; the password is stored encrypted (stores/
  credentials.py). The same file imported again changes nothing: a row whose keyed digest matches the
  stored answer is counted as `unchanged`, even after the password was erased.
- **Register**: per store the handoff, the credentials and the kit, for staff and (read only) the
  prefecture. Passwords never leave through it (nor through any JSON answer or log line).

Part 2 (printing the letters and the kit, shipping) is chalicelib/stores/kit_print.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.stores import credentials, handoff
from chalicelib.stores.kit_repository import StoreKitRepository, storekit_repository

if TYPE_CHECKING:
    from chalicelib.deps import Deps

STALE = "他の担当者が同時に操作しました。画面を再読み込みしてください"
#: Stores written per transaction (one item each, plus the audit entry; DynamoDB takes 100).
CHUNK = 90
#: Stores read per page of the store master while looking for stores to hand off.
PAGE = 200
BATCH_ID = "HB"
#: Stores one batch takes at most (the batch item lists them: DynamoDB items hold 400 KB); the rest wait
#: for the next batch.
MAX_BATCH = 2000


def kit_repo(deps: Deps) -> StoreKitRepository:
    return storekit_repository(deps)


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def bump(record: dict[str, Any] | None, store_id: str, now: datetime, **changes: Any) -> dict[str, Any]:
    """The record with `changes` (None removes an attribute), its version advanced."""
    new = dict(record or {"store_id": store_id, "version": 0})
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    new["version"] = int(new.get("version", 0)) + 1
    new["updated_at"] = now.isoformat()
    return new


def expected(record: dict[str, Any] | None) -> int | None:
    return None if record is None else int(record["version"])


def load_store(deps: Deps, store_id: str) -> dict[str, Any]:
    store = deps.store_repository.get(store_id)
    if not store:
        raise NotFound("店舗が見つかりません")
    return store


def active_stores(deps: Deps) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        page, cursor = deps.store_repository.list_page("active", PAGE, cursor, secret=deps.settings.app_secret)
        yield from page
        if not cursor or not page:
            return


def pending(deps: Deps, kit: StoreKitRepository) -> list[tuple[dict[str, Any], dict[str, Any] | None, str]]:
    """Stores due in the next handoff: (store, its kit record, `new` | `reissue`), by store id."""
    due: list[tuple[dict[str, Any], dict[str, Any] | None, str]] = []
    stores = list(active_stores(deps))
    records: dict[str, dict[str, Any]] = {}
    for part in chunks([s["store_id"] for s in stores], 100):
        records.update(kit.by_ids(part))
    for store in stores:
        record = records.get(store["store_id"])
        if record is None or not record.get("batch_id"):
            due.append((store, record, "new"))
        elif record.get("reissue_requested_at"):
            due.append((store, record, "reissue"))
    return due


def _batch_view(batch: dict[str, Any]) -> dict[str, Any]:
    return {"batch_id": batch["batch_id"], "created_at": batch["created_at"], "created_by": batch["created_by"],
            "stores": len(batch.get("stores", [])),
            "reissue": sum(1 for s in batch.get("stores", []) if s.get("request_type") == "reissue"),
            "status": batch.get("status", "complete")}


def batches_overview(deps: Deps, kit: StoreKitRepository | None = None) -> dict[str, Any]:
    kit = kit or kit_repo(deps)
    due = pending(deps, kit)
    return {"pending": len(due), "pending_new": sum(1 for d in due if d[2] == "new"),
            "pending_reissue": sum(1 for d in due if d[2] == "reissue"),
            "batches": [_batch_view(b) for b in kit.batches()]}


def _hand_off(deps: Deps, kit: StoreKitRepository, batch: dict[str, Any],
              due: list[tuple[dict[str, Any], dict[str, Any] | None, str]], principal: Principal,
              now: datetime) -> None:
    batch_id = batch["batch_id"]
    for part in chunks(due):
        tx = kit.new_tx()
        for store, record, request_type in part:
            handoffs = list((record or {}).get("handoffs", []))
            handoffs.append({"batch_id": batch_id, "request_type": request_type, "at": now.isoformat(),
                             "by": principal.user})
            changes: dict[str, Any] = {
                "batch_id": batch_id, "request_type": request_type, "handed_off_at": now.isoformat(),
                "handed_off_on": now.date().isoformat(), "handed_off_by": principal.user, "handoffs": handoffs,
                "awaiting_answer": True, "reissue_requested_at": None, "reissue_requested_by": None,
                "reissue_reason": None}
            if request_type == "reissue":
                changes["password_ciphertext"] = None  # the old password is void once a new one is asked for
            kit.save(tx, bump(record, store["store_id"], now, **changes), expected(record))
        deps.audit.add_to(tx, entry(Actor.of(principal), "storekit.hand_off", f"storekit-batch#{batch_id}", now,
                                    detail={"stores": [s["store_id"] for s, _, _ in part]}))
        tx.commit(STALE)


def create_batch(deps: Deps, principal: Principal, now: datetime,
                 kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """Hand every due store to the app provider as one new batch."""
    kit = kit or kit_repo(deps)
    due = pending(deps, kit)[:MAX_BATCH]
    if not due:
        raise Conflict("引き渡す店舗がありません（新たに承認された店舗・再発行の依頼はありません）")
    batch_id = f"{BATCH_ID}{deps.keys.next_number('storekit-batch'):06d}"
    batch = {"batch_id": batch_id, "created_at": now.isoformat(), "created_by": principal.user,
             "status": "building", "version": 1,
             "stores": [{"store_id": s["store_id"], "request_type": t} for s, _, t in due]}
    tx = kit.new_tx()
    kit.save_batch(tx, batch, None)
    tx.commit(STALE)
    _hand_off(deps, kit, batch, due, principal, now)
    done = kit.new_tx()
    kit.save_batch(done, {**batch, "status": "complete", "version": 2}, 1)
    done.commit(STALE)
    logger.info("storekit batch handed off", extra={"batch_id": batch_id, "stores": len(due)})
    return {**_batch_view({**batch, "status": "complete"}), "file": f"stores/kit-batches/{batch_id}/handoff.csv"}


def load_batch(kit: StoreKitRepository, batch_id: str) -> dict[str, Any]:
    batch = kit.get_batch(batch_id) if handoff_batch_id(batch_id) else None
    if not batch:
        raise NotFound("引渡バッチが見つかりません")
    return batch


def handoff_batch_id(value: str) -> bool:
    return len(value) == 8 and value.startswith(BATCH_ID) and value[2:].isdigit()


def batch_members(deps: Deps, kit: StoreKitRepository, batch: dict[str, Any]
                  ) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """(store, kit record, request type) of the stores this batch really handed off, in the batch's order."""
    ids = [s["store_id"] for s in batch.get("stores", [])]
    stores: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, Any]] = {}
    for part in chunks(ids, 100):
        stores.update(deps.store_repository.by_ids(part))
        records.update(kit.by_ids(part))
    found = []
    for member in batch.get("stores", []):
        sid = member["store_id"]
        record = records.get(sid)
        if sid in stores and record and any(h.get("batch_id") == batch["batch_id"] for h in record.get("handoffs", [])):
            found.append((stores[sid], record, str(member.get("request_type", "new"))))
    return found


def handoff_file(deps: Deps, batch_id: str, principal: Principal, now: datetime,
                 kit: StoreKitRepository | None = None) -> tuple[str, bytes]:
    """The batch's handoff CSV (the same rows every time it is downloaded); the download is audited."""
    kit = kit or kit_repo(deps)
    batch = load_batch(kit, batch_id)
    rows = []
    for store, record, request_type in batch_members(deps, kit, batch):
        entry_ = next(h for h in record["handoffs"] if h["batch_id"] == batch_id)
        rows.append(handoff.handoff_row(store, batch_id, request_type, str(entry_["at"])[:10]))
    deps.audit.append(entry(Actor.of(principal), "storekit.download_handoff", f"storekit-batch#{batch_id}", now,
                            detail={"rows": len(rows)}))
    return f"handoff-{batch_id}.csv", handoff.handoff_csv(rows)


def import_answer(deps: Deps, body: bytes, principal: Principal, now: datetime,
                  kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """The app provider's answer: `{rows, accepted, unchanged, rejected: [{line, reason}]}`."""
    kit = kit or kit_repo(deps)
    parsed = handoff.parse_answer(body)
    ids = [r.store_id for r in parsed.valid]
    stores: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, Any]] = {}
    for part in chunks(ids, 100):
        stores.update(deps.store_repository.by_ids(part))
        records.update(kit.by_ids(part))
    rejected = list(parsed.rejected)
    taken: list[tuple[handoff.AnswerRow, dict[str, Any], str]] = []
    unchanged = 0
    secret = deps.settings.app_secret
    for row in parsed.valid:
        record = records.get(row.store_id)
        digest = credentials.answer_digest(secret, row.store_id, row.login_id, row.password, row.qr_payload)
        if row.store_id not in stores:
            rejected.append({"line": row.line, "reason": "店舗IDが見つかりません"})
        elif record is None or not record.get("batch_id"):
            rejected.append({"line": row.line, "reason": "この店舗はまだアプリ事業者に引き渡していません"})
        elif record.get("answer_digest") == digest:
            # Imported before (even if its password was printed and erased since, or a re-issue was
            # asked for: an old file does not bring the old password back).
            unchanged += 1
        elif record.get("awaiting_answer"):
            taken.append((row, record, digest))
        else:
            rejected.append({"line": row.line, "reason": "この店舗の回答は別の内容で取り込み済みです（変更する場合は再発行を依頼してください）"})
    for part in chunks(taken):
        tx = kit.new_tx()
        for row, record, digest in part:
            kit.save(tx, bump(record, row.store_id, now, login_id=row.login_id, qr_payload=row.qr_payload,
                              password_ciphertext=credentials.encrypt_password(secret, row.store_id, row.password),
                              answer_digest=digest, answered_at=now.isoformat(), answered_by=principal.user,
                              awaiting_answer=False), expected(record))
            deps.audit.add_to(tx, entry(Actor.of(principal), "storekit.provider_answer", f"store#{row.store_id}",
                                        now, detail={"line": row.line, "batch_id": record.get("batch_id")}))
        tx.commit(STALE)
    rejected.sort(key=lambda r: int(r["line"]))
    report = {"rows": parsed.rows, "accepted": len(taken) + unchanged, "imported": len(taken), "unchanged": unchanged,
              "rejected": rejected}
    logger.info("storekit provider answer imported", extra={k: v for k, v in report.items() if k != "rejected"}
                | {"rejected": len(rejected)})
    return report


# ---- the register ----

def credentials_state(record: dict[str, Any] | None) -> str:
    if record is None or not record.get("batch_id"):
        return "not_handed_off"
    if record.get("reissue_requested_at"):
        return "reissue_requested"
    if record.get("awaiting_answer"):
        return "awaiting_answer"
    if record.get("password_ciphertext"):
        return "ready"
    return "issued" if record.get("credentials_issued_at") else "awaiting_answer"


def kit_state(record: dict[str, Any] | None) -> str:
    if record is None or not record.get("qr_payload"):
        return "not_ready"
    if record.get("kit_reissue_requested_at"):
        return "reissue"
    if record.get("kit_returned_on"):
        return "returned"
    if record.get("kit_shipped_on"):
        return "shipped"
    return "ready"


def register_row(store: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """What the register shows of one store: no password, no login id, no contact data."""
    r = record or {}
    return {
        "store_id": store["store_id"], "store_name": store.get("store_name", ""),
        "municipality_name": store.get("municipality_name", ""), "status": store.get("status"),
        "handoff": {"batch_id": r.get("batch_id"), "request_type": r.get("request_type"),
                    "handed_off_on": r.get("handed_off_on"), "handed_off_by": r.get("handed_off_by"),
                    "answered_at": r.get("answered_at")},
        "credentials": {"state": credentials_state(record), "how": r.get("credentials_issued_how"),
                        "issued_at": r.get("credentials_issued_at"), "issued_by": r.get("credentials_issued_by"),
                        "reissue_requested_at": r.get("reissue_requested_at")},
        "kit": {"state": kit_state(record), "shipped_on": r.get("kit_shipped_on"),
                "tracking_number": r.get("kit_tracking_number"), "returned_on": r.get("kit_returned_on"),
                "return_reason": r.get("kit_return_reason"), "reissue_requested_at": r.get("kit_reissue_requested_at")},
    }


def register(deps: Deps, batch_id: str | None, limit: int, cursor: str | None,
             kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """A page of the register: the active stores by id, or the stores of one batch."""
    kit = kit or kit_repo(deps)
    if batch_id:
        batch = load_batch(kit, batch_id)
        members = batch_members(deps, kit, batch)
        items = [register_row(store, record) for store, record, _ in members]
        return {"items": items, "next_cursor": None, "batch": _batch_view(batch)}
    page, next_cursor = deps.store_repository.list_page("active", limit, cursor, secret=deps.settings.app_secret)
    records = kit.by_ids([s["store_id"] for s in page])
    return {"items": [register_row(s, records.get(s["store_id"])) for s in page], "next_cursor": next_cursor}


def text_field(body: dict[str, Any], name: str, message: str, max_length: int = 200,
               required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise InvalidInput("入力内容を確認してください", {name: message})
    return value.strip()


def ids_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [str(r["store_id"]) for r in rows]
