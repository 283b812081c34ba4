"""Help when a store calls (issue 11 point 5): its payments per settlement round (paid with the transfer
date and whether the payment notice went out, held with the reason, returned), and the overview an agent
opens: the store (masked as the role sees it, audited by `service.get_view`), payments, returns, open
change requests and the latest inquiries.

Settlement is read through its port (`SettlementStore.store_rounds`), the notices through the outbox,
the inquiries through the inquiries service: no other area's keys are read here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.settlement.repository import settlement_store
from chalicelib.settlement.rounds import HOLD_REASONS
from chalicelib.stores import changes, service

PAYMENT_STATUSES = {"paid": "支払済み", "held": "保留", "returned": "返却（組戻し・振込不能）",
                    "scheduled": "支払予定（未確定）"}
#: The inquiries an overview shows.
RECENT_INQUIRIES = 5


def _payment(deps: Deps, store_id: str, month_round: dict[str, Any]) -> dict[str, Any] | None:
    item, line, returned = month_round["round"], month_round["line"], month_round["returned"]
    month = item["month"]
    if returned:
        return {"month": month, "amount": int(returned.get("amount", 0)), "status": "returned",
                "status_label": PAYMENT_STATUSES["returned"], "reason": returned.get("reason") or "振込が返却されました",
                "transfer_date": item.get("transfer_date"), "returned_at": returned.get("recorded_at")}
    if line is None:
        return None
    if line.get("status") == "hold":
        reason = line.get("reason") or ""
        return {"month": month, "amount": int(line.get("carried_out", 0)), "status": "held",
                "status_label": PAYMENT_STATUSES["held"], "reason": HOLD_REASONS.get(reason, reason),
                "payment_date": item.get("payment_date")}
    if item.get("status") == "approved":
        notice = deps.outbox.get(f"payment-notice#{month}#{store_id}")
        return {"month": month, "amount": int(line.get("paid", 0)), "status": "paid",
                "status_label": PAYMENT_STATUSES["paid"], "transfer_date": item.get("transfer_date"),
                "notice_sent": bool(notice and notice.get("state") == "sent")}
    return {"month": month, "amount": int(line.get("paid", 0)), "status": "scheduled",
            "status_label": PAYMENT_STATUSES["scheduled"], "payment_date": item.get("payment_date")}


def payments(deps: Deps, store_id: str) -> list[dict[str, Any]]:
    """`[{month, amount, status, status_label, reason?, transfer_date?, notice_sent?}]`, newest first (no
    personal data: amounts, dates and reasons)."""
    service.require_store(deps, store_id)
    found = (_payment(deps, store_id, r) for r in settlement_store(deps).store_rounds(store_id))
    return [p for p in found if p is not None]


def overview(deps: Deps, principal: Principal, store_id: str, now: datetime) -> dict[str, Any]:
    """Everything an agent needs on the phone with a store (bank data masked; the view is audited)."""
    store = service.get_view(deps, principal, store_id, now)
    paid = payments(deps, store_id)
    from chalicelib.inquiries import service as inquiries  # lazily: only the overview needs the call center

    recent = inquiries.list_inquiries(deps, day=None, category=None, status=None, store_id=store_id,
                                      limit=RECENT_INQUIRIES, cursor=None, today=now.date())
    return {
        "store": store,
        "payments": paid,
        "returns": [p for p in paid if p["status"] == "returned"],
        "change_requests": changes.store_requests(deps, principal, store_id, now, status="open"),
        "inquiries": recent["items"],
    }
