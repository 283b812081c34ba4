"""A store's payments for the call center, on the twins (no AWS): per round paid (transfer date, notice
sent), held with the reason in Japanese, returned, or not yet approved; a round that does not pay the
store is left out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.errors import NotFound
from chalicelib.mail.outbox import InMemoryOutbox, Mail
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.stores import help as store_help
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import make_settings

NOW = datetime(2025, 9, 1, 10, 0, tzinfo=timezone(timedelta(hours=9)))


def round_(settlements: InMemorySettlementStore, month: str, status: str, lines: list[dict[str, Any]]) -> None:
    tx = settlements.transaction()
    settlements.save_draft_in(tx, {"month": month, "status": status, "version": 1, "payment_date": f"{month}-20",
                                   "transfer_date": f"{month}-19" if status == "approved" else None}, None)
    tx.commit()
    settlements.put_lines(month, 1, lines)


@pytest.fixture
def deps() -> Any:
    stores = InMemoryStoreRepository()
    tx = stores.new_tx()
    stores.create(tx, {"store_id": "MP000001", "status": "active", "store_name": "店", "version": 1})
    tx.commit()
    settlements = InMemorySettlementStore(tables=stores.tables)
    round_(settlements, "2025-05", "approved", [{"store_id": "MP000001", "paid": 1200, "carried_out": 0,
                                                 "status": "pay", "reason": None}])
    round_(settlements, "2025-06", "approved", [{"store_id": "MP000001", "paid": 0, "carried_out": 800,
                                                 "status": "hold", "reason": "bank_unverified"}])
    round_(settlements, "2025-07", "approved", [{"store_id": "MP000001", "paid": 2000, "carried_out": 0,
                                                 "status": "pay", "reason": None}])
    round_(settlements, "2025-08", "draft", [{"store_id": "MP000001", "paid": 300, "carried_out": 0,
                                              "status": "pay", "reason": None}])
    round_(settlements, "2025-04", "approved", [{"store_id": "MP000002", "paid": 5, "status": "pay"}])
    tx = settlements.transaction()
    settlements.add_return_in(tx, "2025-07", "MP000001", {"store_id": "MP000001", "amount": 2000,
                                                          "reason": "口座解約済み", "recorded_at": "2025-07-25"})
    tx.commit()
    outbox = InMemoryOutbox()
    outbox.add(Mail("payment-notice#2025-05#MP000001", "shop@example.com", "s", "b", "payment-notice"), NOW)
    outbox._mark_sent("payment-notice#2025-05#MP000001", NOW, "m1")
    return SimpleNamespace(settings=make_settings(), store_repository=stores, settlements=settlements, outbox=outbox)


def test_payments_per_round_newest_first(deps: Any) -> None:
    assert store_help.payments(deps, "MP000001") == [
        {"month": "2025-08", "amount": 300, "status": "scheduled", "status_label": "支払予定（未確定）",
         "payment_date": "2025-08-20"},
        {"month": "2025-07", "amount": 2000, "status": "returned", "status_label": "返却（組戻し・振込不能）",
         "reason": "口座解約済み", "transfer_date": "2025-07-19", "returned_at": "2025-07-25"},
        {"month": "2025-06", "amount": 800, "status": "held", "status_label": "保留",
         "reason": "振込口座が確認できていません", "payment_date": "2025-06-20"},
        {"month": "2025-05", "amount": 1200, "status": "paid", "status_label": "支払済み",
         "transfer_date": "2025-05-19", "notice_sent": True},
    ]


def test_an_unknown_store_has_no_payments_to_show(deps: Any) -> None:
    with pytest.raises(NotFound):
        store_help.payments(deps, "MP999999")
