"""The system fee is charged on every point exactly once (issue 12, point 4), on the in-memory twins.

A round's fee base is its month's usage plus the late usage it counts first (usage of an earlier
month imported after that month's round was frozen). Returns, their re-payments and manual
adjustments move money but are not new usage: they never enter the base. The property test drives
whole sequences of months through the service — imports routed the way the usage import routes them,
drafts, four-eyes approvals with their files, returns and adjustments — and checks that the fee bases
of all rounds add up to all the usage ever imported.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.audit.log import Actor, InMemoryAuditLog
from chalicelib.auth.roles import Principal, Role
from chalicelib.kernel.money import apply_rate
from chalicelib.mail.outbox import InMemoryOutbox, Mail
from chalicelib.settlement import documents, release, service, views
from chalicelib.settlement.repository import InMemorySettlementStore
from chalicelib.settlement.rounds import StoreState, compute_round
from chalicelib.stores.repository import InMemoryStoreRepository
from chalicelib.usage.repository import InMemoryUsageStore
from tests.fakes import Counters, make_settings

JST = timezone(timedelta(hours=9))
SECRET = "unit-test-secret-of-thirty-two-bytes!"
ALICE = Principal("alice", frozenset({Role.ACCOUNTANT}))  # drafts
BOB = Principal("bob", frozenset({Role.ACCOUNTANT}))  # approves
CAROL = Principal("carol", frozenset({Role.ACCOUNTANT}))  # enters returns and adjustments
UPLOADER = "dave"
BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "1234567",
        "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"}
STORES = ["MP000001", "MP000002", "MP000003", "MP000004"]
MONTHS = ["2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]


class Files:
    """The documents bucket's twin."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)


class Sender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.ids = itertools.count(1)

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return f"msg-{next(self.ids)}"


def make_deps(**settings_env: str) -> Any:
    stores = InMemoryStoreRepository()
    return SimpleNamespace(
        settings=make_settings(APP_SECRET=SECRET, **settings_env), store_repository=stores,
        # One set of committed tables: a return's store mark and settlement's writes share a transaction.
        settlements=InMemorySettlementStore(tables=stores.tables), usage=InMemoryUsageStore(),
        audit=InMemoryAuditLog(), outbox=InMemoryOutbox(), sender=Sender(), keys=Counters(), documents=Files())


def add_store(deps: Any, store_id: str, **extra: Any) -> None:
    tx = deps.store_repository.new_tx()
    deps.store_repository.create(tx, {"store_id": store_id, "status": "active", "bank_verified": True,
                                      "store_name": f"店{store_id[-1]}", "bank": dict(BANK),
                                      "email": f"{store_id}@example.com", **extra})
    tx.commit()


def import_usage(deps: Any, import_id: str, rows: list[tuple[str, str, int]], now: datetime) -> None:
    """Net points per (month, store) committed the way chalicelib.usage.service routes them: a month whose
    round is frozen gets late usage (an adjustment for the next round), any other month usage totals."""
    net: dict[tuple[str, str], int] = {}
    for m, s, p in rows:  # the import nets its rows per month and store
        net[(m, s)] = net.get((m, s), 0) + p
    rows = [(m, s, p) for (m, s), p in sorted(net.items()) if p != 0]
    frozen = deps.settlements.frozen_months({m for m, _, _ in rows})
    deps.usage.register_import({"import_id": import_id, "kind": "usage", "status": "staged",
                                "uploaded_by": UPLOADER, "created_at": now.isoformat()})
    deps.usage.put_totals([{"month": m, "key": f"{s}#{import_id}", "store_id": s, "import_id": import_id,
                            "points": p, "rows": 1} for m, s, p in rows if m not in frozen])
    deps.settlements.add_late_usage(import_id, [(m, s, p) for m, s, p in rows if m in frozen], now)
    deps.usage.set_import_status(import_id, "committed", {"finished_at": now.isoformat()})


def day_after(month: str, day: int = 2) -> datetime:
    y, m = map(int, month.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return datetime(y, m, day, 10, 0, tzinfo=JST)


def draft_and_approve(deps: Any, month: str, now: datetime) -> dict[str, Any]:
    service.draft(deps, month, Actor.of(ALICE), now)
    return service.approve(deps, month, BOB, now)


# --- the rule, on examples -------------------------------------------------------------------------


def test_the_fee_is_charged_on_usage_plus_late_usage_and_never_on_other_adjustments() -> None:
    states = {s: StoreState(s) for s in STORES}
    figures = compute_round("2025-07", date(2025, 8, 20), {"MP000001": 10_000}, {"MP000001": 999, "MP000002": 5_000},
                            {}, states, Decimal("0.005"), late_usage={"MP000001": 999})
    assert (figures.usage_total, figures.late_usage_total, figures.fee_base) == (10_000, 999, 10_999)
    assert figures.adjustments_total == 5_999  # the store is paid all of it …
    assert figures.fee == apply_rate(10_999, Decimal("0.005"), "down") == 54  # … the fee is on usage only


def test_late_usage_is_charged_in_the_round_that_first_counts_it_and_shown_with_its_base() -> None:
    deps = make_deps()
    for s in STORES[:2]:
        add_store(deps, s)
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 10_000)], day_after("2025-06", 1))
    june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
    assert (june["fee_base"], june["fee"], june["late_usage_total"]) == (10_000, 50, 0)
    # June's usage imported after June was approved, and a manual correction: both paid in July
    import_usage(deps, "IMP000002", [("2025-06", "MP000001", 4_000), ("2025-07", "MP000002", 2_000)],
                 day_after("2025-07", 1))
    service.add_adjustment(deps, {"store_id": "MP000002", "amount": 7_000, "reason": "訂正"}, CAROL,
                           day_after("2025-07", 1))
    july = service.draft(deps, "2025-07", Actor.of(ALICE), day_after("2025-07"))
    assert (july["usage_total"], july["late_usage_total"], july["adjustments_total"]) == (2_000, 4_000, 11_000)
    assert (july["fee_base"], july["fee"], july["fee_rounding"]) == (6_000, 30, "down")
    assert july["total_amount"] == 2_000 + 4_000 + 7_000
    # the uploader of the late usage shaped July: they cannot approve it
    assert "dave" in july["shaped_by"]
    july = service.approve(deps, "2025-07", BOB, day_after("2025-07"))
    assert july["status"] == "approved" and july["fee_base"] == 6_000
    summary = deps.documents.get(july["files"]["summary"]).decode("utf-8")
    assert '"fee_base": 6000' in summary and '"late_usage_total": 4000' in summary
    assert "対象額 6,000円（2025-07 利用分 2,000円 ＋ 確定後に取り込まれた過去月の利用分 4,000円） × 0.5%、円未満切り捨て ＝ 30円" in summary
    lines = {x["store_id"]: x for x in views.lines_view(deps, "2025-07")}
    assert (lines["MP000001"]["late_usage"], lines["MP000002"]["late_usage"]) == (4_000, 0)


def test_a_round_approved_before_the_fee_base_existed_keeps_its_stored_figures() -> None:
    deps = make_deps()
    add_store(deps, "MP000001")
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 10_000)], day_after("2025-06", 1))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    stored = deps.settlements.items[("round#2025-06", "round")]
    for name in ("fee_base", "late_usage_total"):  # as an item written by the previous version
        stored.pop(name)
    stored["fee"] = 50
    shown = views.get_view(deps, "2025-06")
    assert (shown["fee_base"], shown["late_usage_total"], shown["fee"]) == (10_000, 0, 50)
    figures = release.figures_from(stored, deps.settlements.round_lines("2025-06", 1))
    assert (figures.fee_base, figures.fee) == (10_000, 50)
    assert "対象額 10,000円（2025-06 利用分）" in documents.fee_statement(figures)


def test_late_usage_of_an_import_not_yet_committed_is_not_counted() -> None:
    deps = make_deps()
    add_store(deps, "MP000001")
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 10_000)], day_after("2025-06", 1))
    draft_and_approve(deps, "2025-06", day_after("2025-06"))
    # an import cut off after its late usage was written, before it was committed
    deps.settlements.add_late_usage("IMP000009", [("2025-06", "MP000001", 500)], day_after("2025-07", 1))
    deps.usage.register_import({"import_id": "IMP000009", "kind": "usage", "status": "staged",
                                "uploaded_by": UPLOADER, "created_at": day_after("2025-07", 1).isoformat()})
    july = service.draft(deps, "2025-07", Actor.of(ALICE), day_after("2025-07"))
    assert (july["fee_base"], july["total_amount"]) == (0, 0)


# --- the property ----------------------------------------------------------------------------------

points = st.one_of(st.integers(-2_000, -1), st.integers(1, 60_000))  # net points of a store (取消 may outweigh)
month_plan = st.fixed_dictionaries({
    "usage": st.dictionaries(st.sampled_from(STORES), points, max_size=4),
    # usage of earlier months arriving after their round was frozen: (how many months back, store, points)
    "late": st.lists(st.tuples(st.integers(1, 3), st.sampled_from(STORES), points), max_size=3),
    "manual": st.lists(st.tuples(st.sampled_from(STORES), st.one_of(st.integers(-3_000, -1), st.integers(1, 3_000))),
                       max_size=2),
    "returns": st.sets(st.sampled_from(STORES), max_size=2),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(month_plan, min_size=1, max_size=len(MONTHS)), st.sampled_from(["down", "half_up", "up"]))
def test_sum_of_fee_bases_over_all_rounds_equals_all_usage(plans: list[dict[str, Any]], rounding: str) -> None:
    deps = make_deps(FEE_ROUNDING=rounding)
    for s in STORES:
        add_store(deps, s)
    imports = itertools.count(1)
    all_usage = 0
    manual_total = 0
    returned_total = 0
    rounds = []
    for i, plan in enumerate(plans):
        month = MONTHS[i]
        before_draft = day_after(month, 1)
        rows = [(month, s, p) for s, p in plan["usage"].items()]
        # late usage only for months whose rounds exist (and so are frozen): imported before this draft
        late_rows = [(MONTHS[i - back], s, p) for back, s, p in plan["late"] if i - back >= 0]
        expected_late = sum(p for _, _, p in late_rows)
        for chunk in (rows, late_rows):
            if chunk:
                import_usage(deps, f"IMP{next(imports):06d}", chunk, before_draft)
        all_usage += sum(p for _, _, p in rows) + expected_late
        other_adjustments = 0  # manual corrections and re-payments of returns this round settles
        for s, amount in plan["manual"]:
            service.add_adjustment(deps, {"store_id": s, "amount": amount, "reason": "訂正"}, CAROL, before_draft)
            manual_total += amount
            other_adjustments += amount
        if rounds:
            paid_last = {h["store_id"] for h in views.lines_view(deps, rounds[-1]["month"]) if h["status"] == "pay"}
            for s in sorted(plan["returns"] & paid_last):
                returned = service.record_return(deps, rounds[-1]["month"], {"store_id": s, "reason": "口座なし"},
                                                 CAROL, before_draft)["amount"]
                returned_total += returned
                other_adjustments += returned
        approved = draft_and_approve(deps, month, day_after(month))
        assert approved["status"] == "approved"
        # this round's base: its month's usage and the late usage first counted here, nothing else
        assert approved["fee_base"] == approved["usage_total"] + approved["late_usage_total"]
        assert approved["late_usage_total"] == expected_late
        assert approved["usage_total"] == sum(p for _, _, p in rows)
        # the corrections and re-payments are paid in this round, outside the base
        assert approved["adjustments_total"] == expected_late + other_adjustments
        assert approved["fee"] == apply_rate(approved["fee_base"], Decimal("0.005"), rounding)
        rounds.append(approved)

    assert sum(r["fee_base"] for r in rounds) == all_usage
    # and the money itself: every yen of usage, correction and re-payment is paid or still carried
    held_now = rounds[-1]["held_total"]
    assert sum(r["total_amount"] for r in rounds) - returned_total + held_now == all_usage + manual_total
    # the fee charged overall is the fee of each round's base (never of an adjustment)
    assert sum(r["fee"] for r in rounds) == sum(apply_rate(r["fee_base"], Decimal("0.005"), rounding) for r in rounds)
