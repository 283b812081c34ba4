"""The inquiry log and escalations. Services take the shared deps and a timezone-aware `now`.

Every change is one DynamoDB transaction: the inquiry (conditional on the version the agent saw),
its audit entry and, for an escalation inside the prefecture's office hours, the notice in the
outbox under a deterministic id — so it is sent exactly once. Outside office hours the notice is
queued on the inquiry (the sparse `by_notice` index) and the escalation sweep moves it to the
outbox at the next opening.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal, Role
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.inquiries import mails, rules, views
from chalicelib.inquiries.config import (
    CALLER_TYPES,
    CHANNELS,
    STATUSES,
    call_center_hours,
    categories,
    category_labels,
    office_hours,
)
from chalicelib.inquiries.repository import InquiryPorts, commit_or_yield, ports, stamp
from chalicelib.inquiries.rules import Action
from chalicelib.inquiries.validation import (
    validate_answer,
    validate_changes,
    validate_close,
    validate_escalation,
    validate_new,
)
from chalicelib.kernel.calendars import to_jst
from chalicelib.mail.delivery import send_with_earlier
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger

ESCALATION_MAIL = "inquiry-escalation#"
ANSWER_MAIL = "inquiry-prefecture-answer#"
_STALE = "他の担当者が先に更新しました。画面を再読み込みしてから操作してください"


def _subject(inquiry_id: str) -> str:
    return f"inquiry#{inquiry_id}"


def _console_url(deps: Deps, inquiry_id: str) -> str:
    return f"{deps.settings.public_base_url}/console/inquiries?id={inquiry_id}"


def _load(p: InquiryPorts, inquiry_id: str) -> dict[str, Any]:
    item = p.inquiries.get(inquiry_id)
    if not item:
        raise NotFound("問い合わせが見つかりません", {"inquiry_id": "問合せ番号を確認してください"})
    return item


def _check_store(deps: Deps, store_id: str | None) -> None:
    if store_id and not deps.store_repository.get(store_id):
        raise InvalidInput("入力内容を確認してください", {"store_id": "この店舗IDは登録されていません"})


def _stamp_by(principal: Principal, now: datetime) -> dict[str, Any]:
    return {"updated_at": stamp(now), "updated_by": principal.user}


# --- reference data ------------------------------------------------------------------------------------


def category_list(deps: Deps) -> list[dict[str, str]]:
    return [{"code": c.code, "label": c.label} for c in categories(deps.settings)]


def options(deps: Deps) -> dict[str, Any]:
    """Everything the agent screen needs to draw its form."""
    hours = call_center_hours(deps.settings)
    office = office_hours(deps.settings)

    def pairs(d: dict[str, str]) -> list[dict[str, str]]:
        return [{"code": k, "label": v} for k, v in d.items()]

    return {
        "categories": category_list(deps), "channels": pairs(CHANNELS), "caller_types": pairs(CALLER_TYPES),
        "statuses": pairs(STATUSES),
        "call_center": {"open": hours.open.strftime("%H:%M"), "close": hours.close.strftime("%H:%M"),
                        "service_start": str(hours.service_start), "service_end": str(hours.service_end)},
        "office_hours": {"start": office.start.strftime("%H:%M"), "end": office.end.strftime("%H:%M")},
    }


# --- logging an inquiry --------------------------------------------------------------------------------


def _digest(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _replayed(deps: Deps, token: str, digest: str) -> str | None:
    existing = deps.keys.get(f"client_token#inquiry#{token}")
    if not existing:
        return None
    if existing.get("digest") != digest:
        raise Conflict("この登録は既に別の内容で受け付けています。画面を再読み込みしてください",
                       {"client_token": "画面を再読み込みしてから登録してください"})
    return str(existing["inquiry_id"])


def _caller(name: str | None, phone: str | None) -> dict[str, str] | None:
    caller = {k: v for k, v in (("name", name), ("phone", phone)) if v}
    return caller or None


def log_inquiry(deps: Deps, principal: Principal, raw: dict[str, Any], now: datetime) -> tuple[str, bool]:
    """Store a new inquiry. Returns (inquiry id, created now?) — a replayed client token answers the first id."""
    settings = deps.settings
    fields = validate_new(raw, now, set(category_labels(settings)))
    token = fields.pop("client_token")
    digest = _digest({k: v for k, v in raw.items() if k != "client_token"})
    if token:
        existing = _replayed(deps, token, digest)
        if existing:
            return existing, False
    _check_store(deps, fields["store_id"])
    p = ports(deps)
    received: datetime = fields["received_at"]
    outside = rules.outside_hours(received, call_center_hours(settings))
    inquiry_id = f"IQ{deps.keys.next_number('inquiry'):06d}"
    item = {
        "inquiry_id": inquiry_id, "version": 1,
        "received_at": stamp(received), "month": received.date().isoformat()[:7],
        "channel": fields["channel"], "caller_type": fields["caller_type"], "category": fields["category"],
        "summary": fields["summary"], "answer": fields["answer"], "status": fields["status"],
        "store_id": fields["store_id"], "caller": _caller(fields["caller_name"], fields["caller_phone"]),
        "handling_minutes": fields["handling_minutes"], "outside_hours": outside,
        "created_at": stamp(now), "created_by": principal.user, **_stamp_by(principal, now),
    }
    if fields["status"] == "resolved":
        item.update(closed_at=stamp(now), closed_by=principal.user)
    tx = p.inquiries.new_tx()
    if token:
        deps.keys.claim_in(tx, f"client_token#inquiry#{token}",
                           {"inquiry_id": inquiry_id, "digest": digest, "at": stamp(now)})
    p.inquiries.put_in(tx, item)
    # Before the commit: a failed commit at worst leaves a day reported with zero, never a day unreported.
    p.marks.note_reportable(received.date())
    deps.audit.add_to(tx, entry(Actor.of(principal), "inquiry.create", _subject(inquiry_id), now, after={
        "status": item["status"], "category": item["category"], "outside_hours": outside,
        "caller_recorded": bool(item["caller"])}))
    try:
        tx.commit()
    except Conflict:
        # Two saves with the same client token raced: the other one won; answer its id.
        existing = _replayed(deps, token, digest) if token else None
        if existing:
            return existing, False
        raise
    logger.info("inquiry logged", extra={"inquiry_id": inquiry_id, "category": item["category"],
                                         "status": item["status"], "outside_hours": outside})
    return inquiry_id, True


# --- reading -------------------------------------------------------------------------------------------


def list_inquiries(deps: Deps, *, day: date | None, category: str | None, status: str | None,
                   store_id: str | None, limit: int, cursor: str | None, today: date) -> dict[str, Any]:
    """A day's log (default today), or a store's history, or every inquiry in a status; newest first.

    The other filters narrow the chosen list. Lists carry no personal data, so they are not audited.
    """
    p = ports(deps)
    if day is None and store_id:
        items, next_cursor = p.inquiries.list_by_store(store_id, limit, cursor, category=category, status=status)
    elif day is None and status:
        items, next_cursor = p.inquiries.list_by_status(status, limit, cursor, category=category)
    else:
        day = day or today
        items, next_cursor = p.inquiries.list_day(day, limit, cursor, category=category, status=status,
                                                  store_id=store_id)
    labels = category_labels(deps.settings)
    return {"date": day.isoformat() if day else None, "items": [views.row(i, labels) for i in items],
            "next_cursor": next_cursor}


def get_inquiry(deps: Deps, principal: Principal, inquiry_id: str, now: datetime) -> dict[str, Any]:
    item = _load(ports(deps), inquiry_id)
    deps.audit.append(entry(Actor.of(principal), "inquiry.view", _subject(inquiry_id), now,
                            detail={"fields": views.caller_fields_shown(principal, item)}))
    return views.detail(item, principal, category_labels(deps.settings))


# --- corrections ---------------------------------------------------------------------------------------

_PLAIN = ("channel", "caller_type", "category", "summary", "answer", "store_id", "handling_minutes")


def _status_change(item: dict[str, Any], new_status: str, answer: str, principal: Principal,
                   now: datetime) -> dict[str, Any]:
    if new_status == item["status"]:
        return {}
    action = Action.CLOSE if new_status == "resolved" else Action.REOPEN
    rules.next_status(item, action)
    if new_status == "resolved":
        if not answer:
            raise InvalidInput("入力内容を確認してください", {"answer": "解決にするには回答を入力してください"})
        return {"status": "resolved", "closed_at": stamp(now), "closed_by": principal.user}
    return {"status": "pending", "closed_at": None, "closed_by": None}


def update_inquiry(deps: Deps, principal: Principal, inquiry_id: str, raw: dict[str, Any],
                   now: datetime) -> dict[str, Any]:
    changes = validate_changes(raw, now, set(category_labels(deps.settings)))
    p = ports(deps)
    item = _load(p, inquiry_id)
    if changes.pop("version") != item["version"]:
        raise Conflict(_STALE)
    if item["status"] == "escalated" and changes.get("status", "escalated") != "escalated":
        raise Conflict("エスカレーション中の問い合わせは、県の回答を記録してから解決にしてください")
    if "store_id" in changes and changes["store_id"] != item.get("store_id"):
        _check_store(deps, changes["store_id"])
    sets: dict[str, Any] = {k: changes[k] for k in _PLAIN if k in changes}
    if "received_at" in changes:
        received: datetime = changes["received_at"]
        sets.update(received_at=stamp(received), month=received.date().isoformat()[:7],
                    outside_hours=rules.outside_hours(received, call_center_hours(deps.settings)))
    if "caller_name" in changes or "caller_phone" in changes:
        caller = item.get("caller") or {}
        sets["caller"] = _caller(changes.get("caller_name", caller.get("name")),
                                 changes.get("caller_phone", caller.get("phone")))
    if "status" in changes:
        sets.update(_status_change(item, changes["status"], changes.get("answer", item.get("answer", "")),
                                   principal, now))
    if sets.get("status", item["status"]) == "resolved" and not sets.get("answer", item.get("answer")):
        raise InvalidInput("入力内容を確認してください", {"answer": "解決した問い合わせの回答は空にできません"})
    sets.update(version=item["version"] + 1, **_stamp_by(principal, now))
    changed = sorted(changes)
    tx = p.inquiries.new_tx()
    p.inquiries.update_in(tx, inquiry_id, set_values=sets, expect={"version": item["version"], "status": item["status"]})
    deps.audit.add_to(tx, entry(Actor.of(principal), "inquiry.update", _subject(inquiry_id), now,
                                before=_audit_view(item, changed), after=_audit_view({**item, **sets}, changed)))
    if "received_at" in changes:
        p.marks.note_reportable(changes["received_at"].date())
    if {"received_at", "category", "caller_type"} & set(changes):
        # The daily reports restate the days of the months this edit touches (inquiries/reporting.py).
        for month in sorted({item["month"], sets.get("month", item["month"])}):
            p.marks.put_reported_in(tx, f"{month}~edit", {"edit": f"{inquiry_id}#{sets['version']}"})
    tx.commit(_STALE)
    logger.info("inquiry updated", extra={"inquiry_id": inquiry_id, "fields": changed})
    return {"inquiry_id": inquiry_id, "version": sets["version"], "status": sets.get("status", item["status"])}


def _audit_view(item: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    # The audit log records that a caller's name or phone changed, never the datum itself.
    view: dict[str, Any] = {}
    for key in keys:
        if key in views.CALLER_FIELDS:
            view[key] = "(記録あり)" if (item.get("caller") or {}).get(key.removeprefix("caller_")) else "(なし)"
        elif key == "received_at":
            view[key] = item.get("received_at")
        else:
            view[key] = item.get(key)
    return view


# --- escalation ----------------------------------------------------------------------------------------


def _escalation_mail(deps: Deps, item: dict[str, Any]) -> Mail:
    label = category_labels(deps.settings).get(item["category"], item["category"])
    subject, body = mails.escalation(item, label, _console_url(deps, item["inquiry_id"]))
    return Mail(f"{ESCALATION_MAIL}{item['inquiry_id']}", deps.settings.mail.prefecture_mailbox, subject, body,
                "inquiry-escalation")


def escalate(deps: Deps, principal: Principal, inquiry_id: str, raw: dict[str, Any],
             now: datetime) -> dict[str, Any]:
    """Mark an inquiry "cannot resolve": the prefecture is told now, or at its next office opening."""
    reason = validate_escalation(raw)
    p = ports(deps)
    item = _load(p, inquiry_id)
    new_status = rules.next_status(item, Action.ESCALATE)
    immediate, due = rules.notice_time(now, office_hours(deps.settings))
    escalation = {"reason": reason, "at": stamp(now), "by": principal.user, "notice_due": stamp(due),
                  "immediate": immediate}
    sets: dict[str, Any] = {"status": new_status, "escalation": escalation, "version": item["version"] + 1,
                            **_stamp_by(principal, now)}
    tx = p.inquiries.new_tx()
    mail = None
    if immediate:
        escalation["notice_queued_at"] = stamp(now)
        mail = _escalation_mail(deps, {**item, "escalation": escalation})
        deps.outbox.add_to(tx, mail, now)
    else:
        sets.update(notice_state="queued", notice_due=stamp(due))
    p.inquiries.update_in(tx, inquiry_id, set_values=sets, expect={"version": item["version"], "status": item["status"]})
    deps.audit.add_to(tx, entry(Actor.of(principal), "inquiry.escalate", _subject(inquiry_id), now,
                                before={"status": item["status"]}, after={"status": new_status},
                                detail={"immediate": immediate, "notice_due": stamp(due)}))
    tx.commit(_STALE)
    logger.info("inquiry escalated", extra={"inquiry_id": inquiry_id, "immediate": immediate,
                                            "notice_due": stamp(due)})
    sent = None
    if mail:
        # Sending after the commit; a failed send stays pending for the sweeps.
        sent = deps.outbox.deliver([mail.mail_id], deps.sender, now)["sent"] == 1
    return {"inquiry_id": inquiry_id, "status": new_status, "version": sets["version"],
            "notice": {"immediate": immediate, "due": stamp(due), "sent": sent}}


def send_due_escalations(deps: Deps, now: datetime) -> dict[str, Any]:
    """The escalation sweep: queued notices whose time has come go to the outbox (once) and are sent;
    escalation notices whose send failed earlier are retried."""
    p = ports(deps)
    due = p.inquiries.due_notices(now)
    queued: list[str] = []
    for item in due:
        escalation = {**item["escalation"], "notice_queued_at": stamp(now)}
        mail = _escalation_mail(deps, {**item, "escalation": escalation})
        tx = p.inquiries.new_tx()
        p.inquiries.update_in(tx, item["inquiry_id"], set_values={"escalation": escalation},
                              remove=("notice_state", "notice_due"), expect={"notice_state": "queued"})
        deps.outbox.add_to(tx, mail, now)
        deps.audit.add_to(tx, entry(SYSTEM, "inquiry.escalation_notice", _subject(item["inquiry_id"]), now,
                                    detail={"mail_id": mail.mail_id, "due": item["notice_due"]}))
        if not commit_or_yield(tx):
            continue  # another run (or a prefecture answer) took it first
        queued.append(mail.mail_id)
    return {"due": len(due), "queued": len(queued), **send_with_earlier(deps, ESCALATION_MAIL, queued, now)}


# --- the prefecture's answer and the closing -----------------------------------------------------------


def record_prefecture_answer(deps: Deps, principal: Principal, inquiry_id: str, raw: dict[str, Any],
                             now: datetime) -> dict[str, Any]:
    """The prefecture's answer to an escalation: entered by its staff, or by an agent who took it by phone."""
    answer = validate_answer(raw)
    p = ports(deps)
    item = _load(p, inquiry_id)
    if item["status"] != "escalated":
        raise Conflict("県へエスカレーションしていない問い合わせには県の回答を記録できません")
    if item.get("prefecture_answer"):
        raise Conflict("県の回答は既に記録されています")
    record = {"answer": answer, "at": stamp(now), "by": principal.user, "role": principal.role_label}
    sets: dict[str, Any] = {"prefecture_answer": record, "version": item["version"] + 1, **_stamp_by(principal, now)}
    remove: tuple[str, ...] = ()
    if item.get("notice_state") == "queued":
        # Answered before the queued notice went out: the prefecture knows, so no notice is sent.
        sets["escalation"] = {**item["escalation"], "notice_skipped": "answered_before_notice"}
        remove = ("notice_state", "notice_due")
    tx = p.inquiries.new_tx()
    p.inquiries.update_in(tx, inquiry_id, set_values=sets, remove=remove,
                          expect={"version": item["version"], "status": "escalated", "prefecture_answer": None})
    mail = None
    if Role.PREFECTURE in principal.roles:
        subject, body = mails.prefecture_answered(item, _console_url(deps, inquiry_id))
        mail = Mail(f"{ANSWER_MAIL}{inquiry_id}", deps.settings.mail.staff_mailbox, subject, body,
                    "inquiry-prefecture-answer")
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "inquiry.prefecture_answer", _subject(inquiry_id), now,
                                detail={"notice_skipped": bool(remove)}))
    tx.commit(_STALE)
    logger.info("prefecture answer recorded", extra={"inquiry_id": inquiry_id})
    if mail:
        deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return {"inquiry_id": inquiry_id, "status": item["status"], "version": sets["version"]}


def close(deps: Deps, principal: Principal, inquiry_id: str, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    data = validate_close(raw)
    p = ports(deps)
    item = _load(p, inquiry_id)
    new_status = rules.next_status(item, Action.CLOSE)
    answer = data.get("answer") or item.get("answer") or (item.get("prefecture_answer") or {}).get("answer", "")
    if not answer:
        raise InvalidInput("入力内容を確認してください", {"answer": "解決にするには回答を入力してください"})
    sets: dict[str, Any] = {"status": new_status, "answer": answer, "closed_at": stamp(now),
                            "closed_by": principal.user, "version": item["version"] + 1, **_stamp_by(principal, now)}
    if "handling_minutes" in data:
        sets["handling_minutes"] = data["handling_minutes"]
    tx = p.inquiries.new_tx()
    p.inquiries.update_in(tx, inquiry_id, set_values=sets, expect={"version": item["version"], "status": item["status"]})
    deps.audit.add_to(tx, entry(Actor.of(principal), "inquiry.close", _subject(inquiry_id), now,
                                before={"status": item["status"]}, after={"status": new_status}))
    tx.commit(_STALE)
    logger.info("inquiry closed", extra={"inquiry_id": inquiry_id})
    return {"inquiry_id": inquiry_id, "status": new_status, "version": sets["version"]}


def today_of(now: datetime) -> date:
    return to_jst(now).date()
