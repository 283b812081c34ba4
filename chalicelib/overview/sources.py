"""The other areas, as the overview reads them: only through their repositories' public methods.

- rounds: the settlement area's `SettlementStore` (`latest_round_before`, `get_round`);
- stores: the stores area's `StoreRepository.list_page` by status;
- inquiries: the call center's `InquiryRepository` (`month_items`, `count_between`, `open_items`);
- sessions: `SessionRepository.list_all`;
- delivered files: `DeliveredFiles` below, the documents bucket under `prefecture/` (S3 through
  chalicelib/adapters/files.py, or its in-memory twin; tests/contract/test_delivered_files.py).

A deps namespace may carry twins (`settlements`, `inquiry_repository`, `delivered_files`) for unit tests.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters.files import FileStore

if TYPE_CHECKING:
    from chalicelib.deps import Deps
    from chalicelib.inquiries.repository import InquiryRepository

#: The prefecture's prefix in the documents bucket (docs/SPEC.md §4.7).
PREFECTURE_PREFIX = "prefecture/"
#: More rounds than this in one table is not a program year: stop walking.
MAX_ROUNDS = 120


def all_rounds(deps: Deps) -> list[dict[str, Any]]:
    """Every settlement round item, oldest first (a GetItem per round, found through the month index)."""
    from chalicelib.settlement.repository import settlement_store

    store = settlement_store(deps)
    found: list[dict[str, Any]] = []
    month = store.latest_round_before("9999-99")
    while month and len(found) < MAX_ROUNDS:
        item = store.get_round(month)
        if item:
            found.append(item)
        month = store.latest_round_before(month)
    return list(reversed(found))


def store_statuses() -> list[tuple[str, str]]:
    from chalicelib.stores.views import STATUSES

    return list(STATUSES.items())


def stores_by_status(deps: Deps, page_size: int = 500) -> dict[str, list[dict[str, Any]]]:
    """Every store of each status: only the fields the overview counts by (id, status, area)."""
    repo = deps.store_repository
    found: dict[str, list[dict[str, Any]]] = {}
    for status, _ in store_statuses():
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page, cursor = repo.list_page(status, page_size, cursor, secret=deps.settings.app_secret)
            rows += [{"store_id": s["store_id"], "status": s.get("status"),
                      "municipality_code": s.get("municipality_code")} for s in page]
            if not cursor or not page:
                break
        found[status] = rows
    return found


def inquiries(deps: Deps) -> InquiryRepository:
    twin = getattr(deps, "inquiry_repository", None)
    if twin is not None:
        return twin
    from chalicelib.inquiries.repository import ports

    return ports(deps).inquiries


class DeliveredFiles(Protocol):
    """Files delivered to the prefecture: listed with their size and time, read back one at a time."""

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        """`{"key", "size", "last_modified"}` of every object under `prefix`, in key order."""
        ...

    def get(self, key: str) -> bytes | None: ...


class InMemoryDeliveredFiles:
    """The twin of the documents bucket as DeliveredFiles sees it."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, at: datetime) -> None:
        self.objects[key] = (bytes(body), at.astimezone(UTC).isoformat())

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        return [{"key": k, "size": len(body), "last_modified": at}
                for k, (body, at) in sorted(self.objects.items()) if k.startswith(prefix)]

    def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return copy.copy(found[0]) if found else None


def delivered_files(deps: Deps) -> DeliveredFiles:
    twin = getattr(deps, "delivered_files", None)
    if twin is not None:
        return twin
    return FileStore(deps.settings.buckets.documents_bucket)
