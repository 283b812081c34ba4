"""What each role sees of an inquiry. Lists carry no personal data; the detail shows the caller's name
and phone number only to roles that call people back (agents, admin), masked to everyone else."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.roles import SEE_CONTACT, Principal
from chalicelib.inquiries.config import CALLER_TYPES, CHANNELS, STATUSES
from chalicelib.kernel.masking import mask_name, mask_phone

CALLER_FIELDS = ("caller_name", "caller_phone")


def sees_caller(principal: Principal) -> bool:
    return principal.has_any(SEE_CONTACT)


def caller_fields_shown(principal: Principal, item: dict[str, Any]) -> list[str]:
    """For the audit log: which personal fields this view showed, and how."""
    caller = item.get("caller") or {}
    shown = [f for f, key in zip(CALLER_FIELDS, ("name", "phone"), strict=True) if caller.get(key)]
    return shown if sees_caller(principal) else [f"{f}_masked" for f in shown]


def row(item: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    escalation = item.get("escalation") or {}
    answer = item.get("prefecture_answer") or {}
    return {
        "inquiry_id": item["inquiry_id"],
        "version": item["version"],
        "received_at": item["received_at"],
        "channel": item["channel"], "channel_label": CHANNELS.get(item["channel"], item["channel"]),
        "caller_type": item["caller_type"],
        "caller_type_label": CALLER_TYPES.get(item["caller_type"], item["caller_type"]),
        "category": item["category"], "category_label": labels.get(item["category"], item["category"]),
        "store_id": item.get("store_id"),
        "summary": item["summary"],
        "answer": item.get("answer", ""),
        "status": item["status"], "status_label": STATUSES.get(item["status"], item["status"]),
        "handling_minutes": item.get("handling_minutes"),
        "outside_hours": bool(item.get("outside_hours")),
        "has_caller": bool(item.get("caller")),
        "escalated_at": escalation.get("at"),
        "notice_due": escalation.get("notice_due") if escalation else None,
        "notice_waiting": item.get("notice_state") == "queued",
        "prefecture_answered_at": answer.get("at"),
    }


def detail(item: dict[str, Any], principal: Principal, labels: dict[str, str]) -> dict[str, Any]:
    caller = item.get("caller") or {}
    name, phone = caller.get("name"), caller.get("phone")
    if not sees_caller(principal):
        name = mask_name(name) if name else None
        phone = mask_phone(phone) if phone else None
    escalation = item.get("escalation")
    return {
        **row(item, labels),
        "caller_name": name,
        "caller_phone": phone,
        "caller_masked": not sees_caller(principal),
        "created_at": item["created_at"], "created_by": item["created_by"],
        "updated_at": item["updated_at"], "updated_by": item["updated_by"],
        "closed_at": item.get("closed_at"), "closed_by": item.get("closed_by"),
        "escalation": None if not escalation else {
            "reason": escalation["reason"], "at": escalation["at"], "by": escalation["by"],
            "notice_due": escalation["notice_due"], "immediate": escalation["immediate"],
            "notice_queued_at": escalation.get("notice_queued_at"),
            "notice_skipped": escalation.get("notice_skipped"),
        },
        "prefecture_answer": item.get("prefecture_answer"),
    }
