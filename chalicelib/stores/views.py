"""What each role sees of a store: personal data masked unless the role needs it (as for applications)."""

from __future__ import annotations

from typing import Any

from chalicelib.applications.views import bank_fields, contact_fields, personal_fields_shown
from chalicelib.auth.roles import Principal

__all__ = ["list_row", "personal_fields_shown", "store_view"]


def list_row(store: dict[str, Any]) -> dict[str, Any]:
    return {"store_id": store["store_id"], "store_name": store["store_name"],
            "municipality_name": store["municipality_name"], "business_category": store["business_category"],
            "status": store["status"]}


def store_view(store: dict[str, Any], principal: Principal) -> dict[str, Any]:
    return {
        "store_id": store["store_id"],
        "status": store["status"],
        "store_name": store["store_name"],
        "store_name_kana": store["store_name_kana"],
        "entity_type": store["entity_type"],
        "postal_code": store["postal_code"],
        "municipality_code": store["municipality_code"],
        "municipality_name": store["municipality_name"],
        "region": store.get("region"),
        "address": store["address"],
        "business_category": store["business_category"],
        "goods": store["goods"],
        "application_id": store.get("application_id"),
        "approved_at": store.get("approved_at"),
        "bank_verified": store.get("bank_verified", False),
        # A pending bank change: who made it (staff ids, not personal data) and whether the store disputed it.
        "bank_change": {"change_id": store.get("bank_change_id"), "changed_by": store.get("bank_changed_by"),
                        "changed_at": store.get("bank_changed_at"), "confirmed_by": store.get("bank_confirmed_by"),
                        "disputed_at": store.get("bank_change_disputed")} if store.get("bank_change_id") else None,
        "status_reason": store.get("status_reason"),
        "transfer_returned": store.get("transfer_returned"),
        **contact_fields(store, principal),
        "bank": bank_fields(store["bank"], principal),
    }
