"""The store master's rules: what staff may read, bank-account change (re-validated like an
application, then confirmed by a second person or by the store itself) and status changes.

Persistence is `deps.store_repository` (stores/repository.py); what each role sees is stores/views.py."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.applications.validation import HINTS, LABELS, BankInput, check_bank, check_converted
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.kernel.fingerprints import bank_account_key, fingerprint, normalise_phone
from chalicelib.kernel.input_errors import field_errors
from chalicelib.kernel.kana import KanaError, to_katakana_reading, to_zengin_name
from chalicelib.kernel.masking import mask_account_number
from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, first_unsafe, line_feeds
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.staff.service import require_training
from chalicelib.stores import bank_links, mails, views
from chalicelib.stores.repository import BankChange

STATUSES = views.STATUSES
STALE = "店舗情報が他の担当者により更新されました。画面を再読み込みしてください"


def _store(deps: Deps, store_id: str) -> dict[str, Any]:
    store = deps.store_repository.get(store_id)
    if not store:
        raise NotFound("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    return store


def require_store(deps: Deps, store_id: str) -> dict[str, Any]:
    """The store, or NotFound (for the other store modules: change requests, the call center's help)."""
    return _store(deps, store_id)


SEARCH_STATUSES = tuple(STATUSES)
_STORE_ID = re.compile(r"^MP\d{6}$")


def search(deps: Deps, query: str, status: str | None, limit: int) -> dict[str, Any]:
    """Stores for a staff search box: by store id (MP000001), by phone (matched through the keyed phone
    fingerprints of the keys table; no phone is kept in an index in clear) or by a part of the name or
    its kana. Rows carry no personal data, so nothing is audited; the query itself is never logged."""
    q = unicodedata.normalize("NFKC", query).strip()
    if not q or len(q) > 100:
        raise InvalidInput("入力内容に誤りがあります", {"q": "店舗名・フリガナ・電話番号・店舗IDを100文字以内で入力してください"})
    repo = deps.store_repository
    if _STORE_ID.match(q.upper()):
        store = repo.get(q.upper())
        found = [store] if store and (status is None or store.get("status") == status) else []
        return {"items": [views.list_row(s) for s in found], "next_cursor": None, "matched_by": "store_id"}
    digits = normalise_phone(q)
    if len(digits) >= 10 and len(digits) == len(q.replace("-", "").replace(" ", "").replace("(", "").replace(")", "")):
        refs = deps.keys.refs(fingerprint(deps.settings.app_secret, "phone", digits))
        ids = [r.removeprefix("store#") for r in refs if r.startswith("store#")]
        # A fingerprint outlives a changed phone: keep the stores whose phone is still this one.
        found = [s for s in repo.by_ids(ids).values() if normalise_phone(str(s.get("phone", ""))) == digits
                 and (status is None or s.get("status") == status)]
        return {"items": [views.list_row(s) for s in sorted(found, key=lambda s: s["store_id"])][:limit],
                "next_cursor": None, "matched_by": "phone"}
    try:
        kana = to_katakana_reading(q)
    except KanaError:
        kana = ""
    rows: list[dict[str, Any]] = []
    for each in (status,) if status else SEARCH_STATUSES:
        rows += repo.search_names(each, q, kana, limit - len(rows))
        if len(rows) >= limit:
            break
    return {"items": [views.list_row(s) for s in rows], "next_cursor": None, "matched_by": "name"}


def list_page(deps: Deps, status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the store list (no personal data in a row, so nothing to audit)."""
    items, next_cursor = deps.store_repository.list_page(status, limit, cursor, secret=deps.settings.app_secret)
    return {"items": [views.list_row(s) for s in items], "next_cursor": next_cursor}


def get_view(deps: Deps, principal: Principal, store_id: str, now: datetime) -> dict[str, Any]:
    """A store as `principal`'s role may see it; the personal fields shown are audited."""
    store = _store(deps, store_id)
    deps.audit.append(entry(Actor.of(principal), "store.view", f"store#{store_id}", now,
                            detail={"fields": views.personal_fields_shown(principal)}))
    return views.store_view(store, principal)


def reveal_bank_account(deps: Deps, principal: Principal, store_id: str, now: datetime) -> dict[str, Any]:
    """The full account number and holder (for roles in SEE_BANK_ACCOUNT), audited."""
    store = _store(deps, store_id)
    require_training(deps, principal, now)  # 別記2 第9: trained staff only (chalicelib/staff)
    deps.audit.append(entry(Actor.of(principal), "store.view_bank_account", f"store#{store_id}", now))
    return {"store_id": store_id, "account_number": store["bank"]["account_number"],
            "holder_kana": store["bank"]["holder_kana"]}


def change_bank_account(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal,
                        now: datetime) -> dict[str, Any]:
    try:
        bank = BankInput.model_validate(body)
    except ValidationError as exc:
        labels = {k.removeprefix("bank."): v for k, v in LABELS.items() if k.startswith("bank.")}
        hints = {k.removeprefix("bank."): v for k, v in HINTS.items() if k.startswith("bank.")}
        raise InvalidInput("口座情報に誤りがあります", field_errors(exc, labels, hints)) from None
    errors: dict[str, str] = {}
    bank_info, branch_info = check_bank(errors, bank)
    holder = check_converted(errors, "bank.holder_kana", to_zengin_name, bank.holder_kana)
    if errors:
        raise InvalidInput("口座情報に誤りがあります", {k.removeprefix("bank."): v for k, v in errors.items()})
    store = _store(deps, store_id)
    new_bank = {"bank_code": bank.bank_code, "bank_name": bank_info.name, "branch_code": bank.branch_code,
                "branch_name": branch_info.name, "account_type": bank.account_type,
                "account_number": bank.account_number, "holder_kana": holder}
    change_id = f"BC{deps.keys.next_number('bank-change'):06d}"
    repo = deps.store_repository
    tx = repo.new_tx()
    # A change by staff is unverified (the store is held) until a second person or the store itself
    # confirms it. Fixing the bank data clears a returned transfer; the confirmation releases the hold.
    repo.change_bank(tx, store_id, store["version"], BankChange(change_id, new_bank, principal.user, now.isoformat()))
    fp = fingerprint(deps.settings.app_secret, "bank", bank_account_key(
        bank.bank_code, bank.branch_code, bank.account_type, bank.account_number))
    deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
    old = store["bank"]
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.change_bank_account", f"store#{store_id}", now,
                                before={"bank_code": old["bank_code"], "branch_code": old["branch_code"],
                                        "account": mask_account_number(old["account_number"]),
                                        "transfer_returned": store.get("transfer_returned")},
                                after={"bank_code": bank.bank_code, "branch_code": bank.branch_code,
                                       "account": mask_account_number(bank.account_number),
                                       "change_id": change_id, "verified": False}))
    token = bank_links.make_token(deps.settings.app_secret, store_id, change_id, now,
                                  deps.settings.resubmit_link_days)
    subject, text = mails.bank_change_notice(store, new_bank, f"{deps.settings.public_base_url}/bank-confirm#t={token}")
    mail = Mail(f"bank-change#{store_id}#{change_id}", store["email"], subject, text, "bank-change")
    deps.outbox.add_to(tx, mail, now)
    tx.commit(STALE)
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    logger.info("store bank account changed", extra={"store_id": store_id, "change_id": change_id})
    return {"store_id": store_id, "bank_verified": False, "change_id": change_id,
            "account_number_masked": mask_account_number(bank.account_number),
            "released_hold": bool(store.get("transfer_returned")),
            "next": "別の担当者の確認、または店舗からのメールでの確認が済むまで、この店舗への支払いは保留されます"}


def _pending_change(store: dict[str, Any], change_id: str | None = None) -> str:
    current = store.get("bank_change_id")
    if not current or store.get("bank_verified"):
        raise Conflict("確認待ちの口座変更はありません")
    if change_id is not None and change_id != current:
        raise Conflict("この口座変更は、その後の変更で置き換えられました。最新の変更を確認してください")
    return str(current)


def _mark_verified(deps: Deps, store: dict[str, Any], change_id: str, by: str, actor: Actor, now: datetime) -> None:
    repo = deps.store_repository
    tx = repo.new_tx()
    repo.confirm_bank(tx, store["store_id"], store["version"], change_id, by, now.isoformat())
    deps.audit.add_to(tx, entry(actor, "store.confirm_bank_account", f"store#{store['store_id']}", now,
                                detail={"change_id": change_id, "confirmed_by": by}))
    tx.commit(STALE)


def confirm_bank_change(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal,
                        now: datetime) -> dict[str, Any]:
    """A second member of staff confirms a bank-account change (after checking it with the store)."""
    change_id = body.get("change_id")
    errors = {k: "この項目は受け付けていません" for k in set(body) - {"change_id"}}
    if change_id is not None and not isinstance(change_id, str):
        errors["change_id"] = "変更番号（BC…）を文字列で指定してください"
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store = _store(deps, store_id)
    current = _pending_change(store, change_id)
    if principal.user == store.get("bank_changed_by"):
        raise Forbidden("口座を変更した担当者とは別の担当者が確認してください",
                        {"confirmed_by": "二人目の担当者でログインしてください"})
    _mark_verified(deps, store, current, principal.user, Actor.of(principal), now)
    return {"store_id": store_id, "change_id": current, "bank_verified": True, "confirmed_by": principal.user}


def bank_change_by_link(deps: Deps, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The store answers the e-mailed link: `confirm` verifies the change, `dispute` flags it for
    staff (it stays unverified, so nothing is paid to it). Without `answer`: what is to be confirmed."""
    answer = body.get("answer")
    errors = {k: "この項目は受け付けていません" for k in set(body) - {"token", "answer"}}
    if answer is not None and answer not in ("confirm", "dispute"):
        errors["answer"] = "confirm または dispute を指定してください"
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store_id, change_id = bank_links.read_token(deps.settings.app_secret, body.get("token"), now)
    store = deps.store_repository.get(store_id)
    if not store:
        raise InvalidInput("リンクが正しくありません", {"token": "メールに記載されたリンクをそのまま開いてください"})
    bank = store["bank"]
    shown = {"store_id": store_id, "store_name": store["store_name"], "bank_name": bank["bank_name"],
             "branch_name": bank["branch_name"], "account_number_masked": mask_account_number(bank["account_number"])}
    if answer is None:
        state = "confirmed" if store.get("bank_change_id") == change_id and store.get("bank_verified") else "pending"
        return {**shown, "state": state if store.get("bank_change_id") == change_id else "superseded"}
    current = _pending_change(store, change_id)
    store_actor = Actor("store", "store")
    if answer == "confirm":
        _mark_verified(deps, store, current, "store", store_actor, now)
        return {**shown, "state": "confirmed"}
    repo = deps.store_repository
    tx = repo.new_tx()
    repo.mark_disputed(tx, store_id, current, now.isoformat())
    deps.audit.add_to(tx, entry(store_actor, "store.dispute_bank_account", f"store#{store_id}", now,
                                detail={"change_id": current}))
    subject, text = mails.bank_change_disputed(store_id)
    mail = Mail(f"bank-change-disputed#{store_id}#{current}", deps.settings.mail.staff_mailbox, subject, text,
                "bank-change-disputed")
    deps.outbox.add_to(tx, mail, now)
    tx.commit("この口座変更は既に処理されています")
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return {**shown, "state": "disputed"}


def change_status(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal,
                  now: datetime) -> dict[str, Any]:
    status, reason = body.get("status"), body.get("reason")
    errors = {}
    if not isinstance(status, str) or status not in views.SETTABLE_STATUSES:
        errors["status"] = "active / suspended / withdrawn のいずれかを指定してください"
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        errors["reason"] = "理由を500文字以内で入力してください"
    elif first_unsafe(line_feeds(reason), multi_line=True) is not None:  # it is shown and may be mailed
        errors["reason"] = MULTI_LINE_MESSAGE
    errors.update({k: "この項目は受け付けていません" for k in set(body) - {"status", "reason"}})
    if errors or not isinstance(status, str) or not isinstance(reason, str):
        raise InvalidInput("入力内容に誤りがあります", errors)
    store = _store(deps, store_id)
    repo = deps.store_repository
    tx = repo.new_tx()
    reason = line_feeds(reason.strip())
    repo.change_status(tx, store_id, store["version"], status, reason, now.isoformat())
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.change_status", f"store#{store_id}", now,
                                before={"status": store["status"]}, after={"status": status},
                                detail={"reason": reason.strip()}))
    tx.commit(STALE)
    return {"store_id": store_id, "status": status, "status_label": STATUSES[status]}
