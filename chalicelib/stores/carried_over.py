"""Carried-over stores (issue 11 point 1; the prefecture's specification 7(1)ハ): the prefecture's list of last
year's stores is uploaded, previewed, confirmed into stores awaiting re-confirmation, and each store confirms
this year's pledges (and may correct its contact data) through a signed link in its mail.

- **Upload** (`upload`): CSV in UTF-8 (with or without BOM) or CP932, detected; the columns are
  docs/carried-over.md's. Each row is validated with the application's own rules
  (chalicelib/applications/validation.py `validate_application`: kana, bank and branch in the bank master,
  a Miyagi municipality or Sendai ward, postal code, phone, e-mail), then matched against the stores and
  applications already known: by previous store id (the key a carried-over store leaves) and by the phone,
  e-mail and bank-account fingerprints the applications area indexes (`find_duplicates`). A row is `new`,
  `matched` (with the differences) or `rejected` (with its line number and reason). The same rows uploaded
  again, in any encoding, answer the same import (a digest of the rows), so a rerun changes nothing.
- **Confirm** (`confirm`): each `new` row becomes a store (`MP` + 6 digits, status `awaiting_reconfirmation`,
  継続確認待ち) with its fingerprints and a `previous_store#…` key, and ONE mail (`carried-over#<store id>`)
  with its link. A claim per previous store id means no previous store is ever created twice; confirming an
  import again answers its stores and creates nothing.
- **Re-confirmation** (`reconfirmation_by_link`): the store's page shows its data and the pledges
  (applications/terms.py); confirming them, with any contact corrections validated as an application, makes
  the store active (audited).

`match_previous` answers, for an application naming a previous store id, which store it matches (for the
screener's view of the application).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.applications.service import find_duplicates
from chalicelib.applications.validation import LABELS
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.kernel.masking import mask_account_number
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.stores.carried_over_file import decode, digest_of, parse_rows, validate_row
from chalicelib.stores.carried_over_repository import AWAITING, CarriedOverRepository, carried_over_repository
from chalicelib.stores.reconfirmation import (
    LINK_DAYS,
    make_token,
    reconfirm_mail,
    reconfirmation_by_link,
    store_fingerprints,
)

if TYPE_CHECKING:
    from chalicelib.adapters.keys import KeyStore
    from chalicelib.deps import Deps
    from chalicelib.stores.repository import StoreRepository

# Reading the list is carried_over_file.py's, the store's re-confirmation reconfirmation.py's; their entry
# points are named here too, where the routes and tests import them.
__all__ = ["confirm", "decode", "digest_of", "make_token", "match_previous", "parse_rows", "preview",
           "reconfirmation_by_link", "upload", "validate_row"]

AWAITING_LABEL = "継続確認待ち"
MAX_BYTES = 4 * 1024 * 1024
#: Stores created per transaction: store, 3 fingerprints, previous-id key, claim, mail, audit = 8 items.
STORES_PER_TX = 10
STALE = "他の担当者が同時に操作しました。画面を再読み込みしてください"

#: What the preview compares between a row and the store or application it matches.
COMPARED = ("store_name", "store_name_kana", "representative", "postal_code", "municipality_code", "address",
            "phone", "email", "bank.bank_code", "bank.branch_code", "bank.account_type", "bank.account_number",
            "bank.holder_kana")
MATCH_KINDS = {"previous": "昨年度店舗番号", "phone": "電話番号", "email": "メールアドレス", "bank": "振込口座"}


def _repo(deps: Deps) -> CarriedOverRepository:
    return carried_over_repository(deps)


# ---- matching -----------------------------------------------------------------------------------------


def previous_key(previous_store_id: str) -> str:
    return f"previous_store#{previous_store_id}"


def _value(data: dict[str, Any], path: str) -> Any:
    if path.startswith("bank."):
        return (data.get("bank") or {}).get(path[5:])
    return data.get(path)


def _shown(path: str, value: Any) -> Any:
    return mask_account_number(str(value)) if path == "bank.account_number" and value else value


def differences(current: dict[str, Any], incoming: dict[str, Any]) -> list[dict[str, Any]]:
    """The compared fields that differ (account numbers masked)."""
    found = []
    for path in COMPARED:
        old, new = _value(current, path), _value(incoming, path)
        if str(old or "") != str(new or ""):
            found.append({"field": path, "label": LABELS.get(path, path), "current": _shown(path, old),
                          "incoming": _shown(path, new)})
    return found


def _load_ref(deps: Deps, ref: str) -> dict[str, Any] | None:
    kind, _, ident = ref.partition("#")
    if kind == "store":
        return deps.store_repository.get(ident)
    if kind == "application":
        item = deps.application_repository.get(ident)
        if item is None:
            return None
        return {**item["data"], "status": item["status"], "store_id": item.get("store_id")}
    return None


def find_matches(deps: Deps, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Stores and applications a row matches: by previous store id, phone, e-mail or bank account."""
    by: dict[str, list[str]] = {}
    for ref in deps.keys.refs(previous_key(fields["previous_store_id"])):
        by.setdefault(ref, []).append("previous")
    for found in find_duplicates(deps, fields, set()):
        by.setdefault(found["ref"], []).append(found["kind"])
    matches: list[dict[str, Any]] = []
    stores = {ref for ref in by if ref.startswith("store#")}
    for ref, kinds in sorted(by.items()):
        current = _load_ref(deps, ref)
        if current is None:
            continue
        # An approved application is shown through its store.
        if ref.startswith("application#") and current.get("store_id") and f"store#{current['store_id']}" in stores:
            continue
        if current.get("previous_store_id") == fields["previous_store_id"] and "previous" not in kinds:
            kinds.append("previous")
        matches.append({"ref": ref, "by": kinds, "by_labels": [MATCH_KINDS[k] for k in kinds],
                        "status": current.get("status"), "store_name": current.get("store_name"),
                        "differences": differences(current, fields)})
    return matches


def match_previous(store_repo: StoreRepository, previous_store_id: str | None, *, keys: KeyStore,
                   fields: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """For a new application naming `previous_store_id`: the carried-over store(s) of that previous id, each
    with whether it is the same store (and, given the application's `fields`, the differences). None when
    the application names none. For the screener's view of the application (chalicelib/applications/
    views.py `detail`, through applications/service.py `get_detail`)."""
    if not previous_store_id:
        return None
    found = []
    for ref in keys.refs(previous_key(previous_store_id)):
        store = store_repo.get(ref.partition("#")[2]) if ref.startswith("store#") else None
        if store is None:
            continue
        found.append({"store_id": store["store_id"], "status": store["status"], "store_name": store["store_name"],
                      "differences": differences(store, fields) if fields else []})
    return {"previous_store_id": previous_store_id, "matched": bool(found), "stores": found,
            "message": ("昨年度の店舗として登録済みです: " + "、".join(s["store_id"] for s in found)) if found
            else "この昨年度店舗番号の継続店舗は登録されていません"}


# ---- upload and preview ---------------------------------------------------------------------------------


def _classify(deps: Deps, parsed: list[tuple[int, dict[str, str]]]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for line, row in parsed:
        fields, reason, warnings = validate_row(row)
        previous = row["previous_store_id"]
        if fields is not None and previous in seen:
            fields, reason = None, f"昨年度店舗番号 {previous} が {seen[previous]}行目と重複しています"
        if fields is None:
            out.append({"line": line, "kind": "rejected", "reason": reason,
                        "previous_store_id": previous, "store_name": row["store_name"]})
            continue
        seen[previous] = line
        matches = find_matches(deps, fields)
        out.append({"line": line, "kind": "matched" if matches else "new", "fields": fields,
                    "warnings": warnings, "matches": matches, "previous_store_id": previous,
                    "store_name": fields["store_name"]})
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"rows": len(rows), **{k: sum(1 for r in rows if r["kind"] == k) for k in ("new", "matched", "rejected")}}


def upload(deps: Deps, body: bytes, principal: Principal, now: datetime) -> tuple[dict[str, Any], bool]:
    """Read, validate and match the prefecture's list; ({import_id, created}, created now?)."""
    if not body:
        raise InvalidInput("ファイルが空です", {"file": "CSV ファイルを選んでください"})
    if len(body) > MAX_BYTES:
        raise InvalidInput("ファイルが大きすぎます", {"file": f"{MAX_BYTES // 1024 // 1024}MB 以下にしてください"})
    text, encoding = decode(body)
    parsed = parse_rows(text)
    digest = digest_of(parsed)
    repo = _repo(deps)
    existing = repo.by_digest(digest)
    if existing:
        return {"import_id": existing, "created": False}, False
    rows = _classify(deps, parsed)
    import_id = f"SI{deps.keys.next_number('store-import'):06d}"
    counts = _counts(rows)
    record = {"import_id": import_id, "digest": digest, "version": 1, "state": "previewed", "encoding": encoding,
              "created_at": now.isoformat(), "created_by": principal.user, "counts": counts}
    tx = repo.new_tx()
    repo.create(tx, record, rows)
    deps.audit.add_to(tx, entry(Actor.of(principal), "store_import.upload", f"store_import#{import_id}", now,
                                after={"state": "previewed", **counts}, detail={"encoding": encoding}))
    try:
        tx.commit(STALE)
    except Conflict:
        # The same rows were uploaded at the same moment: the other upload holds them.
        again = repo.by_digest(digest)
        if again:
            return {"import_id": again, "created": False}, False
        raise
    logger.info("carried-over list uploaded", extra={"import_id": import_id, **counts})
    return {"import_id": import_id, "created": True}, True


def _load(deps: Deps, import_id: str) -> dict[str, Any]:
    record = _repo(deps).get(import_id) if isinstance(import_id, str) and len(import_id) <= 20 else None
    if record is None:
        raise NotFound("取込が見つかりません", {"import_id": "取込番号（SI…）を確認してください"})
    return record


def _preview_row(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    from chalicelib.applications.views import bank_fields, contact_fields

    shown: dict[str, Any] = {"line": row["line"], "kind": row["kind"], "previous_store_id": row["previous_store_id"],
                             "store_name": row.get("store_name")}
    if row["kind"] == "rejected":
        return {**shown, "reason": row["reason"]}
    fields = row["fields"]
    return {**shown, "store_name_kana": fields["store_name_kana"], "municipality_name": fields["municipality_name"],
            "postal_code": fields["postal_code"], "address": fields["address"],
            **contact_fields(fields, principal), "bank": bank_fields(fields["bank"], principal),
            "warnings": row.get("warnings", []), "matches": row.get("matches", [])}


def preview(deps: Deps, import_id: str, principal: Principal, now: datetime) -> dict[str, Any]:
    record = _load(deps, import_id)
    rows = record["rows"]
    deps.audit.append(entry(Actor.of(principal), "store_import.view", f"store_import#{import_id}", now,
                            detail={"rows": len(rows)}))
    counts = _counts(rows)
    return {"import_id": import_id, "state": record["state"], "encoding": record.get("encoding"),
            "created_at": record["created_at"], "created_by": record["created_by"],
            "confirmed_at": record.get("confirmed_at"), "confirmed_by": record.get("confirmed_by"),
            "stores": record.get("stores", []), **counts,
            "rejected": [{"line": r["line"], "reason": r["reason"]} for r in rows if r["kind"] == "rejected"],
            "preview": [_preview_row(r, principal) for r in rows]}


# ---- confirmation -------------------------------------------------------------------------------------------


def _new_store(store_id: str, import_id: str, row: dict[str, Any], principal: Principal,
               now: datetime) -> dict[str, Any]:
    return {
        **row["fields"],
        "store_id": store_id,
        "status": AWAITING,
        "carried_over_import": import_id,
        "carried_over_line": row["line"],
        "created_at": now.isoformat(), "updated_at": now.isoformat(),
        "approved_at": now.isoformat(), "approved_by": principal.user,
        # Checked against the bank master and converted to the transfer-file set, as an application's.
        "bank_verified": True,
        "version": 1,
    }


def _claim_key(previous_store_id: str) -> str:
    return f"carried_over#{previous_store_id}"


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _to_create(deps: Deps, record: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """(rows to create, stores an earlier confirmation created, rows skipped with their reason)."""
    todo: list[dict[str, Any]] = []
    done: list[str] = []
    skipped: list[dict[str, Any]] = []
    for row in record["rows"]:
        if row["kind"] != "new":
            continue
        claimed = deps.keys.get(_claim_key(row["previous_store_id"]))
        if claimed:
            # An earlier (perhaps interrupted) confirmation created this store already.
            done.append(str(claimed["store_id"]))
        elif find_matches(deps, row["fields"]):
            skipped.append({"line": row["line"], "reason": "プレビューの後に一致する店舗または申込が登録されました"})
        else:
            todo.append(row)
    return todo, done, skipped


def _create_batch(deps: Deps, import_id: str, batch: list[dict[str, Any]], principal: Principal,
                  now: datetime) -> tuple[list[str], list[str]]:
    """Stage and commit one transaction of new stores; (store ids created, mail ids), or the stores the
    claims of a confirmation that won the race name (and no mails)."""
    secret = deps.settings.app_secret
    expires = (now + timedelta(days=LINK_DAYS)).strftime("%Y年%m月%d日")
    tx = _repo(deps).new_tx()
    ids: list[str] = []
    mails: list[str] = []
    for row in batch:
        store_id = f"MP{deps.keys.next_number('store'):06d}"
        store = _new_store(store_id, import_id, row, principal, now)
        deps.store_repository.create(tx, store)
        deps.keys.claim_in(tx, _claim_key(row["previous_store_id"]),
                           {"store_id": store_id, "import_id": import_id, "at": now.isoformat()})
        deps.keys.put_in(tx, previous_key(row["previous_store_id"]), f"store#{store_id}", {"at": now.isoformat()})
        for fp in store_fingerprints(secret, row["fields"]):
            deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
        token = make_token(secret, store_id, now)
        subject, text = reconfirm_mail(store, f"{deps.settings.public_base_url}/store-reconfirm#t={token}", expires)
        mail = Mail(f"carried-over#{store_id}", store["email"], subject, text, "carried-over-reconfirm")
        deps.outbox.add_to(tx, mail, now)
        deps.audit.add_to(tx, entry(Actor.of(principal), "store.create_carried_over", f"store#{store_id}", now,
                                    after={"status": AWAITING, "previous_store_id": row["previous_store_id"]},
                                    detail={"import_id": import_id, "line": row["line"]}))
        ids.append(store_id)
        mails.append(mail.mail_id)
    try:
        tx.commit(STALE)
    except Conflict:
        # Another confirmation of the same rows won the race: take the stores its claims name.
        found = [deps.keys.get(_claim_key(row["previous_store_id"])) for row in batch]
        return [str(c["store_id"]) for c in found if c], []
    return ids, mails


def confirm(deps: Deps, import_id: str, principal: Principal, now: datetime) -> dict[str, Any]:
    """The import's new rows become stores awaiting re-confirmation, each mailed once. Idempotent."""
    record = _load(deps, import_id)
    if record["state"] == "confirmed":
        return {"import_id": import_id, "stores": record.get("stores", []), "created": 0, "skipped": []}
    todo, stores, skipped = _to_create(deps, record)
    mails: list[str] = []
    created = 0
    for batch in _batches(todo, STORES_PER_TX):
        ids, queued = _create_batch(deps, import_id, batch, principal, now)
        stores += ids
        mails += queued
        created += len(queued)
    repo = _repo(deps)
    tx = repo.new_tx()
    repo.mark_confirmed(tx, import_id, int(record["version"]), stores, principal.user, now.isoformat())
    deps.audit.add_to(tx, entry(Actor.of(principal), "store_import.confirm", f"store_import#{import_id}", now,
                                before={"state": record["state"]}, after={"state": "confirmed"},
                                detail={"stores": stores, "created": created, "skipped": len(skipped)}))
    try:
        tx.commit(STALE)
    except Conflict:
        stores = _load(deps, import_id).get("stores", stores)
    deps.outbox.deliver(mails, deps.sender, now)
    logger.info("carried-over list confirmed", extra={"import_id": import_id, "stores_created": created})
    return {"import_id": import_id, "stores": stores, "created": created, "skipped": skipped}
