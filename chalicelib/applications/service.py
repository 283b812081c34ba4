"""Store applications: receive, screen, decide, resubmit. Services take ports and `now`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from chalicelib.applications import mails as referral_mails
from chalicelib.applications import views
from chalicelib.applications.repository import DecisionRecord, Resubmission, Transaction
from chalicelib.applications.screening import CHECKLIST, JUDGEMENT_LABELS, Decision, parse_decision, parse_judgement
from chalicelib.applications.status import Action, Status, next_status
from chalicelib.applications.validation import ApplicationData, validate_application
from chalicelib.audit.log import APPLICANT, Actor, entry
from chalicelib.auth.roles import SEE_CONTACT, Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.kernel.fingerprints import (
    bank_account_key,
    fingerprint,
    normalise_email,
    normalise_phone,
)
from chalicelib.kernel.signed_links import make_resubmit_token, read_resubmit_token
from chalicelib.mail import templates
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.staff.service import require_training

DUPLICATE_KINDS = {"phone": "電話番号", "email": "メールアドレス", "bank": "振込口座"}


def _fingerprints(secret: str, fields: dict[str, Any]) -> dict[str, str]:
    bank = fields["bank"]
    return {
        "phone": fingerprint(secret, "phone", normalise_phone(fields["phone"])),
        "email": fingerprint(secret, "email", normalise_email(fields["email"])),
        "bank": fingerprint(secret, "bank", bank_account_key(
            bank["bank_code"], bank["branch_code"], bank["account_type"], bank["account_number"])),
    }


def _index_fingerprints(deps: Deps, tx: Transaction, fields: dict[str, Any], ref: str, now: datetime) -> None:
    """Staged with the change: `ref` (an application or store) now holds these phone/e-mail/bank fingerprints."""
    for fp in _fingerprints(deps.settings.app_secret, fields).values():
        deps.keys.put_in(tx, fp, ref, {"at": now.isoformat()})


def find_duplicates(deps: Deps, fields: dict[str, Any], own_refs: set[str]) -> list[dict[str, str]]:
    """Other applications and stores sharing a phone, e-mail or bank account (for the screener)."""
    found: list[dict[str, str]] = []
    for kind, fp in _fingerprints(deps.settings.app_secret, fields).items():
        for ref in deps.keys.refs(fp):
            if ref not in own_refs:
                found.append({"kind": kind, "ref": ref})
    return found


def _entity(deps: Deps, ref: str) -> str:
    """A store that came from an application counts as that application (one applicant, not two)."""
    kind, _, key = ref.partition("#")
    if kind == "store":
        store = deps.store_repository.get(key)
        if store and store.get("application_id"):
            return f"application#{store['application_id']}"
    return ref


def link_duplicates(deps: Deps, application_id: str, fields: dict[str, Any],
                    own_store: str | None = None) -> set[str]:
    """Record the duplicate group on every member, after the application's fingerprints are committed: this
    application's `duplicate_refs` gets every other application or store sharing a phone, e-mail or bank
    account with it, and each other application gets this one. Read after the commit, so of two
    applications submitted at once the later reader sees the earlier one and links both ways. Idempotent
    (sets); the detail view calls it again, which repairs a link a failed run left out."""
    ref = f"application#{application_id}"
    own = {ref} | ({f"store#{own_store}"} if own_store else set())
    others = {_entity(deps, d["ref"]) for d in find_duplicates(deps, fields, own)} - {ref}
    repo = deps.application_repository
    repo.add_duplicate_refs(application_id, others)
    for other in sorted(others):
        kind, _, key = other.partition("#")
        if kind == "application":
            repo.add_duplicate_refs(key, {ref})
    return others


def _link_after_commit(deps: Deps, application_id: str, fields: dict[str, Any]) -> None:
    """The group's links after a committed submit: a failure here does not fail the applicant's request
    (what they sent is stored); opening the application repairs the links (get_detail)."""
    try:
        link_duplicates(deps, application_id, fields)
    except Exception as exc:  # logged (its type only: no data), repaired on the next view
        logger.warning("duplicate links not recorded", extra={"application_id": application_id,
                                                              "error": type(exc).__name__})


def _digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _deliver(deps: Deps, mail_ids: list[str], now: datetime) -> None:
    # Sending after the commit; anything that fails stays pending for the mail sweep.
    deps.outbox.deliver(mail_ids, deps.sender, now)


def submit(deps: Deps, raw: dict[str, Any], now: datetime) -> tuple[str, bool]:
    """Validate and store an application. Returns (application id, created now?)."""
    data = validate_application(raw)
    digest = _digest(data.fields)
    if data.client_token:
        existing = _replayed(deps, data.client_token, digest)
        if existing:
            return existing, False
    application_id = f"AP{deps.keys.next_number('application'):06d}"
    ref = f"application#{application_id}"
    duplicates = find_duplicates(deps, data.fields, {ref})
    item = {
        "application_id": application_id,
        "status": Status.SUBMITTED.value,
        "submitted_at": now.isoformat(),
        "received_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "revision": 1,
        "return_round": 0,
        "data": data.fields,
        "warnings": list(data.warnings),
        "duplicates": duplicates,
        "decisions": [],
    }
    tx = deps.application_repository.new_tx()
    if data.client_token:
        deps.keys.claim_in(tx, f"client_token#{data.client_token}",
                           {"application_id": application_id, "digest": digest, "at": now.isoformat()})
    deps.application_repository.create(tx, item)
    _index_fingerprints(deps, tx, data.fields, ref, now)
    mails = _received_mails(deps, application_id, data, duplicates, revision=1)
    for mail in mails:
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(APPLICANT, "application.submit", ref, now,
                                after={"status": Status.SUBMITTED.value, "revision": 1}))
    try:
        tx.commit()
    except Conflict:
        # Two submits with the same client token raced: the other one won; answer its id.
        existing = _replayed(deps, data.client_token, digest) if data.client_token else None
        if existing:
            return existing, False
        raise
    logger.info("application submitted", extra={"application_id": application_id,
                                                 "duplicates": len(duplicates), "warnings": len(data.warnings)})
    _link_after_commit(deps, application_id, data.fields)
    _deliver(deps, [m.mail_id for m in mails], now)
    return application_id, True


def _replayed(deps: Deps, token: str, digest: str) -> str | None:
    existing = deps.keys.get(f"client_token#{token}")
    if not existing:
        return None
    if existing.get("digest") != digest:
        raise Conflict("この送信は既に別の内容で受け付けています。ページを再読み込みしてから送信してください",
                       {"client_token": "ページを再読み込みしてから送信してください"})
    return str(existing["application_id"])


def _received_mails(deps: Deps, application_id: str, data: ApplicationData,
                    duplicates: list[dict[str, str]], revision: int) -> list[Mail]:
    flags = [f"{DUPLICATE_KINDS[d['kind']]}が {d['ref'].split('#')[1]} と同じ" for d in duplicates]
    if "postal_code_outside_miyagi" in data.warnings:
        flags.append("郵便番号が宮城県外")
    if "postal_code_other_area" in data.warnings:
        flags.append("郵便番号と市区町村が不一致")
    if revision > 1:
        flags.append(f"再提出（第{revision}版）")
    subject, body = templates.application_received(application_id, data.fields)
    staff_subject, staff_body = templates.staff_new_application(application_id, data.fields, flags)
    return [
        Mail(f"application-received#{application_id}#r{revision}", data.fields["email"], subject, body,
             "application-received"),
        Mail(f"staff-new-application#{application_id}#r{revision}", deps.settings.mail.staff_mailbox,
             staff_subject, staff_body, "staff-new-application"),
    ]


def _load(deps: Deps, application_id: str) -> dict[str, Any]:
    item = deps.application_repository.get(application_id)
    if not item:
        raise NotFound("申込が見つかりません", {"application_id": "申込番号を確認してください"})
    return item


def list_queue(deps: Deps, principal: Principal, status: str, limit: int, cursor: str | None,
               municipality: str | None = None, flagged: bool = False) -> dict[str, Any]:
    def keep(row: dict[str, Any]) -> bool:
        if municipality and row["municipality_code"] != municipality:
            return False
        return not flagged or bool(row["duplicate_count"] or row["warnings"])

    # Filters apply after DynamoDB's page limit, so read pages until the page is full (bounded).
    rows: list[dict[str, Any]] = []
    next_cursor = cursor
    for _ in range(20):
        items, next_cursor = deps.application_repository.list_page(status, limit, next_cursor,
                                                                   secret=deps.settings.app_secret)
        rows.extend(r for r in (views.summary(i) for i in items) if keep(r))
        if len(rows) >= limit or not next_cursor:
            break
    # Never cut a page: rows past `limit` would be skipped by the cursor.
    return {"items": rows, "next_cursor": next_cursor, "status": status}


def get_detail(deps: Deps, principal: Principal, application_id: str, now: datetime) -> dict[str, Any]:
    item = _load(deps, application_id)
    ref = f"application#{application_id}"
    own = {ref} | ({f"store#{item['store_id']}"} if item.get("store_id") else set())
    duplicates = find_duplicates(deps, item["data"], own)
    shown = {_entity(deps, d["ref"]) for d in duplicates} - {ref}
    stored = set(item.get("duplicate_refs") or ())
    if not shown <= stored:  # a link a submission left out (it stopped, or raced): repaired now
        item["duplicate_refs"] = stored | link_duplicates(deps, application_id, item["data"], item.get("store_id"))
    deps.audit.append(entry(Actor.of(principal), "application.view", ref, now,
                            detail={"fields": views.personal_fields_shown(principal)}))
    return {**views.detail(item, principal, duplicates), "previous_store": _previous_store(deps, principal, item)}


def _previous_store(deps: Deps, principal: Principal, item: dict[str, Any]) -> dict[str, Any] | None:
    """Whether the previous store number the applicant gave matches a carried-over store; the field
    differences only for roles that see contact data (the prefecture sees which fields differ)."""
    from chalicelib.stores.carried_over import match_previous  # the stores area imports applications' rules

    found = match_previous(deps.store_repository, item["data"].get("previous_store_id"), keys=deps.keys,
                           fields=item["data"])
    if found and not principal.has_any(SEE_CONTACT):
        for store in found["stores"]:
            store["differences"] = [{"field": d["field"], "label": d["label"]} for d in store["differences"]]
    return found


def reveal_bank_account(deps: Deps, principal: Principal, application_id: str, now: datetime) -> dict[str, Any]:
    item = _load(deps, application_id)
    require_training(deps, principal, now)  # 別記2 第9: trained staff only (chalicelib/staff)
    deps.audit.append(entry(Actor.of(principal), "application.view_bank_account",
                            f"application#{application_id}", now))
    bank = item["data"]["bank"]
    return {"application_id": application_id, "account_number": bank["account_number"],
            "holder_kana": bank["holder_kana"]}


_STALE_DECISION = "この申込は他の担当者が先に処理しました。画面を再読み込みしてください"


def _console_url(deps: Deps, application_id: str) -> str:
    return f"{deps.settings.public_base_url}/console/applications/{application_id}"


def decide(deps: Deps, principal: Principal, application_id: str, raw: dict[str, Any],
           now: datetime) -> dict[str, Any]:
    decision = parse_decision(raw)
    item = _load(deps, application_id)
    current = item["status"]
    new_status = next_status(current, decision.action)
    if decision.action == Action.REFER:
        return _refer(deps, principal, item, decision, now)
    ref = f"application#{application_id}"
    record: dict[str, Any] = {"action": decision.action, "user": principal.user, "role": principal.role_label,
                              "at": now.isoformat(), "checks": decision.checks, "reason": decision.reason}
    judgement = views.latest_judgement(item)
    against = _against_judgement(judgement, decision)
    if against:
        record["against_prefecture"] = True
    store_id: str | None = None
    return_round: int | None = None
    tx = deps.application_repository.new_tx()
    answer: dict[str, Any] = {"application_id": application_id, "status": new_status.value}
    data = item["data"]
    if decision.action == Action.APPROVE:
        store_id = f"MP{deps.keys.next_number('store'):06d}"
        deps.store_repository.create(tx, _new_store(store_id, item, principal, now))
        _index_fingerprints(deps, tx, data, f"store#{store_id}", now)
        subject, body = templates.application_approved(application_id, store_id, data)
        mail = Mail(f"application-approved#{application_id}", data["email"], subject, body, "application-approved")
        answer["store_id"] = store_id
    elif decision.action == Action.RETURN:
        round_no = int(item.get("return_round", 0)) + 1
        return_round = round_no
        days = deps.settings.resubmit_link_days
        token = make_resubmit_token(deps.settings.app_secret, application_id, round_no, now, days)
        # In the fragment: browsers never send it, so the token is in no request line or access log.
        link = f"{deps.settings.public_base_url}/apply/correct#t={token}"
        expires = (now.date().fromordinal(now.date().toordinal() + days)).strftime("%Y年%m月%d日")
        subject, body = templates.application_returned(application_id, data, decision.reason, link, expires)
        # The version the applicant is asked to correct: the resubmission is shown against it (changes.py).
        record["returned_version"] = {"revision": item["revision"], "data": data}
        mail = Mail(f"application-returned#{application_id}#{round_no}", data["email"], subject, body,
                    "application-returned")
    else:
        subject, body = templates.application_rejected(application_id, data, decision.reason)
        mail = Mail(f"application-rejected#{application_id}", data["email"], subject, body, "application-rejected")
    deps.application_repository.record_decision(
        tx, application_id, current, item["revision"],
        DecisionRecord(new_status.value, record, decision.checks, now.isoformat(), store_id=store_id,
                       return_round=return_round))
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), f"application.{decision.action}", ref, now,
                                before={"status": current},
                                after={"status": new_status.value, "store_id": answer.get("store_id")},
                                detail={"checks": decision.checks, "reason": decision.reason,
                                        **({"prefecture_judgement": judgement["decision"],
                                            "against_prefecture": against} if judgement else {})}))
    tx.commit(_STALE_DECISION)
    logger.info("application decided", extra={"application_id": application_id, "decision": decision.action,
                                              "store_id": answer.get("store_id")})
    _deliver(deps, [mail.mail_id], now)
    return answer


def _against_judgement(judgement: dict[str, Any] | None, decision: Decision) -> bool:
    """Whether the screener completes against the prefecture's judgement; doing so needs a reason."""
    if not judgement:
        return False
    against = (judgement["decision"] == "approve") != (decision.action == Action.APPROVE)
    if against and not decision.reason:
        label = JUDGEMENT_LABELS.get(judgement["decision"], judgement["decision"])
        raise InvalidInput("判定の内容に誤りがあります", {
            "reason": f"県の判断（{label}）と異なる判定をするには理由を入力してください"})
    return against


def _refer(deps: Deps, principal: Principal, item: dict[str, Any], decision: Decision,
           now: datetime) -> dict[str, Any]:
    """Ask the prefecture to judge (spec 7(1)ニ①②); the application waits in "referred" for its answer."""
    application_id = item["application_id"]
    current = item["status"]
    new_status = next_status(current, Action.REFER)
    round_no = sum(1 for d in item.get("decisions", []) if d.get("action") == "refer") + 1
    record = {"action": "refer", "user": principal.user, "role": principal.role_label, "at": now.isoformat(),
              "checks": decision.checks, "reason": "", "question": decision.question}
    subject, body = referral_mails.referred(application_id, item["data"], int(item["revision"]), decision.question,
                                            now.isoformat(), _console_url(deps, application_id))
    mail = Mail(f"application-referred#{application_id}#{round_no}", deps.settings.mail.prefecture_mailbox,
                subject, body, "application-referred")
    tx = deps.application_repository.new_tx()
    deps.application_repository.record_decision(
        tx, application_id, current, item["revision"],
        DecisionRecord(new_status.value, record, decision.checks, now.isoformat()))
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "application.refer", f"application#{application_id}", now,
                                before={"status": current}, after={"status": new_status.value},
                                detail={"checks": decision.checks, "question": decision.question,
                                        "round": round_no}))
    tx.commit(_STALE_DECISION)
    logger.info("application referred to the prefecture", extra={"application_id": application_id,
                                                                  "round": round_no})
    _deliver(deps, [mail.mail_id], now)
    return {"application_id": application_id, "status": new_status.value}


def record_prefecture_judgement(deps: Deps, principal: Principal, application_id: str, raw: dict[str, Any],
                                now: datetime) -> dict[str, Any]:
    """The prefecture's judgement on a referral: recorded, not final. The application goes back to the
    screeners' queue ("judged") marked with it, and the staff mailbox is told."""
    judgement = parse_judgement(raw)
    item = _load(deps, application_id)
    current = item["status"]
    new_status = next_status(current, Action.JUDGE)  # anything but "referred" is a 409
    round_no = sum(1 for d in item.get("decisions", []) if d.get("action") == "refer")
    checks = item.get("checks") or {k: None for k in CHECKLIST}
    record = {"action": "prefecture_judgement", "decision": judgement.decision, "reason": judgement.reason,
              "user": principal.user, "role": principal.role_label, "at": now.isoformat(), "checks": checks}
    subject, body = referral_mails.judged(application_id, judgement.decision, now.isoformat(),
                                          _console_url(deps, application_id))
    mail = Mail(f"application-judged#{application_id}#{round_no}", deps.settings.mail.staff_mailbox,
                subject, body, "application-judged")
    tx = deps.application_repository.new_tx()
    deps.application_repository.record_decision(
        tx, application_id, current, item["revision"], DecisionRecord(new_status.value, record, checks, now.isoformat()))
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "application.prefecture_judgement",
                                f"application#{application_id}", now,
                                before={"status": current}, after={"status": new_status.value},
                                detail={"decision": judgement.decision, "reason": judgement.reason,
                                        "round": round_no}))
    tx.commit("この照会には既に県の判断が記録されています。画面を再読み込みしてください")
    logger.info("prefecture judgement recorded", extra={"application_id": application_id,
                                                         "decision": judgement.decision})
    _deliver(deps, [mail.mail_id], now)
    return {"application_id": application_id, "status": new_status.value, "decision": judgement.decision}


def _new_store(store_id: str, application: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    data = application["data"]
    return {
        "store_id": store_id,
        "status": "active",
        "application_id": application["application_id"],
        "approved_at": now.isoformat(),
        "approved_by": principal.user,
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
        # The bank and branch were checked against the bank master and the holder name converted
        # to the transfer-file set at application time.
        "bank_verified": True,
        "version": 1,
        **{k: v for k, v in data.items() if k != "declarations"},
        "declarations": data["declarations"],
    }


def open_resubmission(deps: Deps, token: str, now: datetime) -> dict[str, Any]:
    application_id, round_no = read_resubmit_token(deps.settings.app_secret, token, now)
    item = _load(deps, application_id)
    if item["status"] != Status.RETURNED.value or int(item.get("return_round", 0)) != round_no:
        raise Conflict("この修正用リンクは既に使用済みか、無効になっています")
    return views.resubmission_form(item)


def resubmit(deps: Deps, token: str, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    application_id, round_no = read_resubmit_token(deps.settings.app_secret, token, now)
    raw = {k: v for k, v in raw.items() if k != "client_token"}
    data = validate_application(raw)
    item = _load(deps, application_id)
    if item["status"] != Status.RETURNED.value or int(item.get("return_round", 0)) != round_no:
        raise Conflict("この修正用リンクは既に使用済みか、無効になっています")
    new_status = next_status(item["status"], Action.RESUBMIT)
    revision = int(item["revision"]) + 1
    ref = f"application#{application_id}"
    duplicates = find_duplicates(deps, data.fields, {ref})
    tx = deps.application_repository.new_tx()
    deps.application_repository.resubmit(
        tx, application_id, Status.RETURNED.value, item["revision"], round_no,
        Resubmission(new_status.value, revision, data.fields, list(data.warnings), duplicates, now.isoformat()))
    _index_fingerprints(deps, tx, data.fields, ref, now)
    mails = _received_mails(deps, application_id, data, duplicates, revision)
    for mail in mails:
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(APPLICANT, "application.resubmit", ref, now,
                                before={"status": item["status"], "revision": item["revision"]},
                                after={"status": new_status.value, "revision": revision}))
    tx.commit("この修正用リンクは既に使用済みです")
    logger.info("application resubmitted", extra={"application_id": application_id, "revision": revision})
    _link_after_commit(deps, application_id, data.fields)
    _deliver(deps, [m.mail_id for m in mails], now)
    return {"application_id": application_id, "status": new_status.value, "revision": revision}


def checklist() -> list[dict[str, str]]:
    return [{"key": k, "label": v} for k, v in CHECKLIST.items()]
