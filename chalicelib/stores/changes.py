"""Store change requests (issue 11 point 2): a store (through a signed link mailed to it) or an agent on
the phone asks to change the store's name, kana, representative, postal code, municipality and address,
phone, e-mail or bank account, with a reason; a screener other than the person who entered it approves or
rejects it.

- Validation is the application's (`applications.validation.validate_application`): the changed fields
  are laid over a valid sample application and checked by the same function, so a change is held to
  exactly the rules of the form; the messages are that function's, keyed `changes.<field>`.
- Approval applies every change to the store in one transaction, on the condition that the store is
  still at the version read (`Conflict` → 409), and refuses a request whose fields changed since it was
  entered (its `before` no longer matches). A bank change goes the bank-change way
  (`StoreRepository.apply_changes_in` stages what `change_bank` does: pending until paid, so the next
  transfer file carries 新規コード 2); the approver is the second person the bank-change path asks
  for, so the new account is verified by the approval (the entering person cannot approve).
- History: the request keeps its own (`history`: entered, decided) and the values it replaced; the store
  gets a `change_log` entry; both are audited; the store is mailed, at the old and the new address when
  the e-mail changes.

Persistence: `stores/change_repository.py` (the change requests) and `deps.store_repository`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.applications.validation import LABELS, validate_application
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import SEE_CONTACT, Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.kernel import signed_links
from chalicelib.kernel.fingerprints import bank_account_key, fingerprint, normalise_email, normalise_phone
from chalicelib.kernel.masking import mask_account_number, mask_email, mask_name, mask_phone
from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, first_unsafe, line_feeds
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.stores import change_mails
from chalicelib.stores.change_mails import FIELD_ORDER
from chalicelib.stores.change_repository import OPEN, StoreChangeRepository, store_change_repository
from chalicelib.stores.repository import BankChange

STALE = "店舗情報が他の担当者により更新されました。画面を再読み込みしてください"
DECIDED = "この変更申請は既に処理されています。画面を再読み込みしてください"
STATUSES = {"open": "確認待ち", "approved": "承認済み", "rejected": "却下"}
_ADDRESS_WARNINGS = ("postal_code_outside_miyagi", "postal_code_other_area")
SOURCES = {"staff": "コールセンター・事務局", "store": "店舗（メールのリンク）"}
FIELDS = frozenset(FIELD_ORDER)
#: Labels of the changeable fields (the form's words); the municipality is chosen with the address.
FIELD_LABELS = {f: LABELS[f] for f in FIELD_ORDER}
CONTACT = ("representative", "phone", "email")
MAX_REASON = 500
_LINK_PURPOSE = "store-change"
_BAD_LINK = {"token": "メールに記載されたリンクをそのまま開いてください"}

#: A valid application the changed fields are laid over, so that `validate_application` checks exactly
#: the changed ones (nothing of the store itself is re-judged).
_SAMPLE: dict[str, Any] = {
    "store_name": "見本商店", "store_name_kana": "ミホンショウテン", "entity_type": "individual",
    "representative": "見本 太郎", "postal_code": "980-8570", "municipality_code": "041017",
    "address": "仙台市青葉区本町3-8-1", "phone": "0222111111", "email": "sample@example.jp",
    "business_category": "小売", "goods": "日用品",
    "declarations": {"no_antisocial": True, "not_adult_business": True, "no_excluded_goods": True,
                     "accepts_terms": True},
    "bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
             "holder_kana": "ミホン タロウ"},
}


# --- validation (pure) -----------------------------------------------------------------------------------


def validate_changes(raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The normalised new values of `raw` ({field: value}) and screener warnings, or InvalidInput with a
    Japanese message per field (`changes.<field>`, `changes.bank.<part>`)."""
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput("変更内容を入力してください", {"changes": "変更する項目を1つ以上入力してください"})
    errors = {f"changes.{k}": "この項目は変更できません（店舗名、フリガナ、代表者名、郵便番号、市区町村、住所、"
                              "電話番号、メールアドレス、振込口座のみ変更できます）"
              for k in raw if k not in FIELDS}
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    try:
        data = validate_application({**_SAMPLE, **raw})
    except InvalidInput as exc:
        mine = {f"changes.{k}": v for k, v in exc.fields.items() if k.split(".")[0] in raw}
        raise InvalidInput("入力内容に誤りがあります", mine or {"changes": exc.message}) from None
    fields = data.fields
    new: dict[str, Any] = {k: fields[k] for k in raw}
    if "municipality_code" in raw:
        new["municipality_name"] = fields["municipality_name"]
        new["region"] = fields["region"]
    # A warning about what the change leaves as it was is not the change's.
    warnings = tuple(w for w in data.warnings if w not in _ADDRESS_WARNINGS or "postal_code" in raw
                     or (w == "postal_code_other_area" and "municipality_code" in raw))
    return new, warnings


def _same(field: str, old: Any, new: Any) -> bool:
    if field == "bank":
        return isinstance(old, dict) and all(old.get(k) == new.get(k) for k in (
            "bank_code", "branch_code", "account_type", "account_number", "holder_kana"))
    return bool(old == new)


def _check_reason(errors: dict[str, str], value: Any, name: str = "reason", required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REASON:
        errors[name] = f"理由を{MAX_REASON}文字以内で入力してください"
        return ""
    value = line_feeds(value.strip())
    if first_unsafe(value, multi_line=True) is not None:  # it goes into the store's mail
        errors[name] = MULTI_LINE_MESSAGE
        return ""
    return value


def _store(deps: Deps, store_id: str) -> dict[str, Any]:
    store = deps.store_repository.get(store_id)
    if not store:
        raise NotFound("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    return store


def _repo(deps: Deps) -> StoreChangeRepository:
    return store_change_repository(deps)


def _before(store: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    before = {k: store.get(k) for k in changes if k not in ("municipality_name", "region")}
    if "municipality_code" in changes:
        before["municipality_name"] = store.get("municipality_name")
    return before


# --- entering a request ----------------------------------------------------------------------------------


def _enter(deps: Deps, store_id: str, body: Any, actor: Actor, source: str, now: datetime) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("入力内容に誤りがあります", {"_body": "JSON オブジェクトで送ってください"})
    errors: dict[str, str] = {k: "この項目は受け付けていません"
                              for k in set(body) - {"changes", "reason", "token"}}
    reason = _check_reason(errors, body.get("reason"))
    changes: dict[str, Any] = {}
    warnings: tuple[str, ...] = ()
    try:
        changes, warnings = validate_changes(body.get("changes"))
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store = _store(deps, store_id)
    before = _before(store, changes)
    if all(_same(k, before.get(k), changes[k]) for k in changes if k in FIELDS):
        raise InvalidInput("現在の登録内容と同じです", {"changes": "現在の登録内容と異なる値を入力してください"})
    request_id = f"CR{deps.keys.next_number('store-change'):06d}"
    at = now.isoformat()
    item = {
        "request_id": request_id, "store_id": store_id, "store_name": store["store_name"],
        "changes": changes, "before": before, "reason": reason, "source": source,
        "entered_by": actor.user, "entered_role": actor.role, "created_at": at, "store_version": store["version"],
        "warnings": list(warnings),
        "history": [{"at": at, "action": "entered", "by": actor.user, "reason": reason}],
    }
    repo = _repo(deps)
    tx = deps.store_repository.new_tx()
    repo.create_in(tx, item)
    deps.audit.add_to(tx, entry(actor, "store.change_request", f"store#{store_id}", now,
                                detail={"request_id": request_id, "fields": sorted(k for k in changes if k in FIELDS),
                                        "source": source}))
    tx.commit("変更申請の番号が重複しました。もう一度送信してください")
    logger.info("store change requested", extra={"store_id": store_id, "request_id": request_id, "source": source})
    return {"request_id": request_id, "status": OPEN, "warnings": list(warnings)}


def submit(deps: Deps, store_id: str, body: Any, principal: Principal, now: datetime) -> dict[str, Any]:
    """Staff (an agent on the phone, a screener) enter a change request for a store."""
    if isinstance(body, dict) and "token" in body:
        raise InvalidInput("入力内容に誤りがあります", {"token": "この項目は受け付けていません"})
    return _enter(deps, store_id, body, Actor.of(principal), "staff", now)


# --- the store's own link ---------------------------------------------------------------------------------


def make_link_token(secret: str, store_id: str, now: datetime, days: int) -> str:
    import jwt  # lazily: most requests never sign a link

    claims = {"sub": store_id, "pur": _LINK_PURPOSE,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(days=days)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_link_token(secret: str, token: object, now: datetime) -> str:
    """The store id of a valid change link."""
    claims = signed_links.read_link(secret, token, _LINK_PURPOSE, now,
                                    "変更用リンクの有効期限が切れています。コールセンターへお問い合わせください。",
                                    bad_fields=_BAD_LINK)
    return str(claims["sub"])


def change_link(deps: Deps, store_id: str, now: datetime) -> str:
    """The public change page for a store (for its mails)."""
    token = make_link_token(deps.settings.app_secret, store_id, now, deps.settings.resubmit_link_days)
    # In the fragment: browsers never send it, so the token is in no request line or access log.
    return f"{deps.settings.public_base_url}/store-change#t={token}"


def send_change_link(deps: Deps, store_id: str, principal: Principal, now: datetime) -> dict[str, Any]:
    """Mail the store a signed link to the public change page (at its registered address)."""
    store = _store(deps, store_id)
    if not store.get("email"):
        raise Conflict("この店舗にはメールアドレスが登録されていません", {"email": "電話で変更内容をお聞きください"})
    number = deps.keys.next_number("store-change-link")
    subject, body = change_mails.change_link(store, change_link(deps, store_id, now),
                                             deps.settings.resubmit_link_days)
    mail = Mail(f"store-change-link#{store_id}#{number}", store["email"], subject, body, "store-change-link")
    tx = deps.store_repository.new_tx()
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.send_change_link", f"store#{store_id}", now,
                                detail={"mail_id": mail.mail_id}))
    tx.commit()
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return {"store_id": store_id, "sent_to": mask_email(store["email"]), "mail_id": mail.mail_id}


def link_info(deps: Deps, body: Any, now: datetime) -> dict[str, Any]:
    """What the public change page shows for its link: which store, and which fields can change."""
    if not isinstance(body, dict):
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    store_id = read_link_token(deps.settings.app_secret, body.get("token"), now)
    store = deps.store_repository.get(store_id)
    if not store:
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    return {"store_id": store_id, "store_name": store["store_name"],
            "fields": [{"field": f, "label": FIELD_LABELS[f]} for f in FIELD_ORDER]}


def submit_by_link(deps: Deps, body: Any, now: datetime) -> dict[str, Any]:
    """The store asks for a change through its link; a screener decides as for any request."""
    if not isinstance(body, dict):
        raise InvalidInput("入力内容に誤りがあります", {"_body": "JSON オブジェクトで送ってください"})
    store_id = read_link_token(deps.settings.app_secret, body.get("token"), now)
    if deps.store_repository.get(store_id) is None:
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    return _enter(deps, store_id, body, Actor("store", "store"), "store", now)


# --- deciding ---------------------------------------------------------------------------------------------


def _load(deps: Deps, request_id: str) -> dict[str, Any]:
    item = _repo(deps).get(request_id) if isinstance(request_id, str) and len(request_id) <= 20 else None
    if not item:
        raise NotFound("変更申請が見つかりません", {"request_id": "受付番号（CR…）を確認してください"})
    return item


def check_four_eyes(item: dict[str, Any], principal: Principal) -> None:
    """The screener who decides is not the person who entered the request."""
    if principal.user == item.get("entered_by"):
        raise Forbidden("変更申請を入力した担当者とは別の担当者が判断してください",
                        {"decided_by": "二人目の担当者でログインしてください"})


def _fields_moved(store: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """Fields of the request the store no longer holds as they were when it was entered."""
    before = item.get("before") or {}
    return [k for k in item["changes"] if k in FIELDS and not _same(k, store.get(k), before.get(k))]


def decide(deps: Deps, request_id: str, body: Any, principal: Principal, now: datetime) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("入力内容に誤りがあります", {"_body": "JSON オブジェクトで送ってください"})
    errors: dict[str, str] = {k: "この項目は受け付けていません" for k in set(body) - {"decision", "reason"}}
    decision = body.get("decision")
    if decision not in ("approve", "reject"):
        errors["decision"] = "approve（承認）または reject（却下）を指定してください"
    reason = _check_reason(errors, body.get("reason"), required=decision == "reject")
    if decision == "reject" and "reason" in errors:
        errors["reason"] = "却下の理由を500文字以内で入力してください（店舗にお知らせします）"
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    item = _load(deps, request_id)
    if item["status"] != OPEN:
        raise Conflict(DECIDED)
    check_four_eyes(item, principal)
    store = _store(deps, item["store_id"])
    if decision == "reject":
        return _reject(deps, item, store, reason, principal, now)
    return _approve(deps, item, store, reason, principal, now)


def _decision(principal: Principal, at: str, reason: str) -> dict[str, Any]:
    return {"decided_by": principal.user, "decided_at": at, "decision_reason": reason}


def _reject(deps: Deps, item: dict[str, Any], store: dict[str, Any], reason: str, principal: Principal,
            now: datetime) -> dict[str, Any]:
    at = now.isoformat()
    request_id, store_id = item["request_id"], item["store_id"]
    tx = deps.store_repository.new_tx()
    _repo(deps).decide_in(tx, request_id, "rejected", _decision(principal, at, reason),
                          {"at": at, "action": "rejected", "by": principal.user, "reason": reason})
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.change_request_reject", f"store#{store_id}", now,
                                detail={"request_id": request_id, "reason": reason}))
    mail_ids = []
    if store.get("email"):
        subject, text = change_mails.change_rejected(store, request_id, reason,
                                                     change_link(deps, store_id, now))
        mail = Mail(f"store-change-rejected#{request_id}", store["email"], subject, text, "store-change-rejected")
        deps.outbox.add_to(tx, mail, now)
        mail_ids.append(mail.mail_id)
    tx.commit(DECIDED)
    deps.outbox.deliver(mail_ids, deps.sender, now)
    return {"request_id": request_id, "status": "rejected", "store_id": store_id}


def _approve(deps: Deps, item: dict[str, Any], store: dict[str, Any], reason: str, principal: Principal,
             now: datetime) -> dict[str, Any]:
    request_id, store_id = item["request_id"], item["store_id"]
    moved = _fields_moved(store, item)
    if moved:
        labels = "、".join(FIELD_LABELS[k] for k in FIELD_ORDER if k in moved)
        raise Conflict(f"この申請の後に、同じ項目（{labels}）が別の変更で更新されています。内容を確認し、"
                       "必要なら申請を却下して改めて入力してください", {"changes": labels})
    at = now.isoformat()
    changes = dict(item["changes"])
    new_bank = changes.pop("bank", None)
    bank_change: BankChange | None = None
    change_id = None
    secret = deps.settings.app_secret
    tx = deps.store_repository.new_tx()
    if new_bank is not None:
        change_id = f"BC{deps.keys.next_number('bank-change'):06d}"
        bank_change = BankChange(change_id, new_bank, str(item["entered_by"]), at)
        deps.keys.put_in(tx, fingerprint(secret, "bank", bank_account_key(
            new_bank["bank_code"], new_bank["branch_code"], new_bank["account_type"], new_bank["account_number"])),
            f"store#{store_id}", {"at": at})
    # The new phone and e-mail join the store's fingerprints (duplicate checks, the staff's phone search).
    if "phone" in changes:
        deps.keys.put_in(tx, fingerprint(secret, "phone", normalise_phone(changes["phone"])), f"store#{store_id}",
                         {"at": at})
    if "email" in changes:
        deps.keys.put_in(tx, fingerprint(secret, "email", normalise_email(changes["email"])), f"store#{store_id}",
                         {"at": at})
    fields = sorted(k for k in item["changes"] if k in FIELDS)
    log_entry = {"request_id": request_id, "at": at, "fields": fields, "entered_by": item["entered_by"],
                 "approved_by": principal.user, **({"bank_change_id": change_id} if change_id else {})}
    deps.store_repository.apply_changes_in(tx, store_id, int(store["version"]), changes, log_entry, bank_change,
                                           confirmed_by=principal.user if bank_change else None)
    _repo(deps).decide_in(tx, request_id, "approved", {**_decision(principal, at, reason), "applied_at": at,
                                                       **({"bank_change_id": change_id} if change_id else {})},
                          {"at": at, "action": "approved", "by": principal.user, "reason": reason})
    deps.audit.add_to(tx, entry(
        Actor.of(principal), "store.change_request_approve", f"store#{store_id}", now,
        before={"version": store["version"], **({"account": mask_account_number(store["bank"]["account_number"])}
                                                 if new_bank and store.get("bank") else {})},
        after={"version": int(store["version"]) + 1,
               **({"account": mask_account_number(new_bank["account_number"]), "change_id": change_id,
                   "verified": True} if new_bank else {})},
        detail={"request_id": request_id, "fields": fields, "entered_by": item["entered_by"]}))
    mails = _approval_mails(store, item, change_link(deps, store_id, now))
    for mail in mails:
        deps.outbox.add_to(tx, mail, now)
    tx.commit(STALE)
    deps.outbox.deliver([m.mail_id for m in mails], deps.sender, now)
    logger.info("store change approved", extra={"store_id": store_id, "request_id": request_id,
                                                "fields": fields})
    return {"request_id": request_id, "status": "approved", "store_id": store_id, "fields": fields,
            **({"bank_change_id": change_id} if change_id else {})}


def _approval_mails(store: dict[str, Any], item: dict[str, Any], link: str) -> list[Mail]:
    request_id = item["request_id"]
    changes = dict(item["changes"])
    if "municipality_code" in changes:
        changes["municipality_code"] = {"municipality_name": changes.get("municipality_name")}
    shown = {**store, **{k: v for k, v in item["changes"].items() if k == "store_name"}}
    subject, text = change_mails.change_approved(shown, request_id, changes, FIELD_LABELS, "bank" in changes, link)
    new_email = changes.get("email")
    old_email = store.get("email")
    mails = []
    to = new_email or old_email
    if to:
        mails.append(Mail(f"store-change-approved#{request_id}", to, subject, text, "store-change-approved"))
    if new_email and old_email and normalise_email(old_email) != normalise_email(new_email):
        subject, text = change_mails.email_moved(shown, request_id, new_email)
        mails.append(Mail(f"store-change-email-moved#{request_id}", old_email, subject, text, "store-change-approved"))
    return mails


# --- reading ----------------------------------------------------------------------------------------------


def _shown_value(field: str, value: Any, principal: Principal) -> Any:
    if value is None:
        return None
    if field == "bank" and isinstance(value, dict):
        sees = principal.has_any(SEE_CONTACT)
        return {"bank_code": value.get("bank_code"), "bank_name": value.get("bank_name", ""),
                "branch_code": value.get("branch_code"), "branch_name": value.get("branch_name", ""),
                "account_type": value.get("account_type"),
                "account_number_masked": mask_account_number(str(value.get("account_number", ""))),
                "holder_kana": value.get("holder_kana") if sees else mask_name(str(value.get("holder_kana", "")))}
    if field in CONTACT and not principal.has_any(SEE_CONTACT):
        masker = {"representative": mask_name, "phone": mask_phone, "email": mask_email}[field]
        return masker(str(value))
    return value


def request_view(item: dict[str, Any], principal: Principal) -> dict[str, Any]:
    changes, before = item.get("changes") or {}, item.get("before") or {}
    rows = []
    for f in FIELD_ORDER:
        if f not in changes:
            continue
        old, new = before.get(f), changes[f]
        if f == "municipality_code":
            old, new = before.get("municipality_name"), changes.get("municipality_name")
        rows.append({"field": f, "label": FIELD_LABELS[f], "before": _shown_value(f, old, principal),
                     "after": _shown_value(f, new, principal)})
    return {
        "request_id": item["request_id"], "store_id": item["store_id"], "store_name": item.get("store_name"),
        "status": item["status"], "status_label": STATUSES.get(item["status"], item["status"]),
        "source": item.get("source"), "source_label": SOURCES.get(str(item.get("source")), ""),
        "reason": item.get("reason"), "entered_by": item.get("entered_by"), "created_at": item.get("created_at"),
        "changes": rows, "warnings": item.get("warnings", []),
        "decided_by": item.get("decided_by"), "decided_at": item.get("decided_at"),
        "decision_reason": item.get("decision_reason"), "bank_change_id": item.get("bank_change_id"),
        "history": item.get("history", []),
        "can_decide": item["status"] == OPEN and item.get("entered_by") != principal.user,
    }


def _audit_views(deps: Deps, principal: Principal, items: list[dict[str, Any]], now: datetime) -> None:
    """Contact data shown unmasked is audited (which requests, which fields)."""
    if not principal.has_any(SEE_CONTACT):
        return
    for item in items:
        shown = [f for f in (*CONTACT, "bank") if f in (item.get("changes") or {})]
        if shown:
            deps.audit.append(entry(Actor.of(principal), "store.view_change_request", f"store#{item['store_id']}",
                                    now, detail={"request_id": item["request_id"], "fields": shown}))


def list_requests(deps: Deps, principal: Principal, status: str, now: datetime) -> dict[str, Any]:
    if status not in STATUSES:
        raise InvalidInput("入力内容に誤りがあります", {"status": "open / approved / rejected のいずれかを指定してください"})
    items = _repo(deps).list_by_status(status)
    _audit_views(deps, principal, items, now)
    return {"items": [request_view(i, principal) for i in items]}


def store_requests(deps: Deps, principal: Principal, store_id: str, now: datetime,
                   status: str | None = None) -> list[dict[str, Any]]:
    _store(deps, store_id)
    items = [i for i in _repo(deps).list_by_store(store_id) if status is None or i["status"] == status]
    _audit_views(deps, principal, items, now)
    return [request_view(i, principal) for i in items]


def get_request(deps: Deps, principal: Principal, request_id: str, now: datetime) -> dict[str, Any]:
    item = _load(deps, request_id)
    _audit_views(deps, principal, [item], now)
    return request_view(item, principal)
