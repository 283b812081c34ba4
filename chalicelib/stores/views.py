"""What each role sees of a store: personal data masked unless the role needs it (as for applications).

A carried-over store (chalicelib/stores/carried_over.py) may lack what only an application asks (事業者の区分,
業種, 取扱商品): those are read with `.get`. `bank_problem` says why the store cannot be paid when its bank or
branch left the bank master, and `bank_successor` the successor the configured table proposes
(chalicelib/stores/successors.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.applications.views import bank_fields, contact_fields, personal_fields_shown
from chalicelib.auth.roles import Principal
from chalicelib.stores import successors

#: Every store status and its label (the console's labels module is generated from this).
STATUSES = {"active": "利用中", "suspended": "利用停止", "withdrawn": "退会",
            "awaiting_reconfirmation": "継続確認待ち"}
#: What staff may set by hand; a carried-over store leaves awaiting_reconfirmation by confirming its pledges.
SETTABLE_STATUSES = ("active", "suspended", "withdrawn")

__all__ = ["list_row", "personal_fields_shown", "store_view"]


def list_row(store: dict[str, Any]) -> dict[str, Any]:
    return {"store_id": store["store_id"], "store_name": store["store_name"],
            "municipality_name": store["municipality_name"], "business_category": store.get("business_category"),
            "status": store["status"]}


def status_label(status: str) -> str:
    return STATUSES.get(status, status)


def bank_master_fields(store: dict[str, Any]) -> dict[str, Any]:
    """`bank_problem` (None when the bank and branch are in the master) and `bank_successor` (the proposal)."""
    bank = store.get("bank") or {}
    problem = successors.bank_problem(bank)
    proposal = successors.propose_successor(str(bank.get("bank_code", "")), str(bank.get("branch_code", ""))) \
        if problem else None
    return {"bank_problem": problem, "bank_successor": proposal.as_dict() if proposal else None}


def store_view(store: dict[str, Any], principal: Principal) -> dict[str, Any]:
    return {
        "store_id": store["store_id"],
        "status": store["status"],
        "status_label": status_label(store["status"]),
        "store_name": store["store_name"],
        "store_name_kana": store["store_name_kana"],
        "entity_type": store.get("entity_type"),
        "postal_code": store["postal_code"],
        "municipality_code": store["municipality_code"],
        "municipality_name": store["municipality_name"],
        "region": store.get("region"),
        "address": store["address"],
        "business_category": store.get("business_category"),
        "goods": store.get("goods"),
        "application_id": store.get("application_id"),
        "approved_at": store.get("approved_at"),
        "bank_verified": store.get("bank_verified", False),
        # A pending bank change: who made it (staff ids, not personal data) and whether the store disputed it.
        "bank_change": {"change_id": store.get("bank_change_id"), "changed_by": store.get("bank_changed_by"),
                        "changed_at": store.get("bank_changed_at"), "confirmed_by": store.get("bank_confirmed_by"),
                        "disputed_at": store.get("bank_change_disputed")} if store.get("bank_change_id") else None,
        "status_reason": store.get("status_reason"),
        "previous_store_id": store.get("previous_store_id"),
        "carried_over_import": store.get("carried_over_import"),
        "reconfirmed_at": store.get("reconfirmed_at"),
        **bank_master_fields(store),
        "transfer_returned": store.get("transfer_returned"),
        **contact_fields(store, principal),
        "bank": bank_fields(store["bank"], principal),
    }
