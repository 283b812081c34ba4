"""Transfer fees (issue 12, point 7): the operator's bank fees per transfer, by band and amount, reported
with each round as the operator's cost and never deducted from what a store is paid (7(1)イ)."""

from __future__ import annotations

import json

import pytest

from chalicelib.settlement import documents, release, service, transfer_fees, views
from chalicelib.settlement.transfer_fees import DEFAULT_TABLE, Band, FeeTableInvalid, parse_table, transfer_fee
from tests.fakes import with_setting
from tests.unit.test_settlement_fee_base import (
    add_store,
    day_after,
    draft_and_approve,
    import_usage,
    make_deps,
)

# The requester (the operator's account) is 0125 (七十七銀行) branch 100 in the default settings.
SAME_BRANCH = {"bank_code": "0125", "branch_code": "100"}
SAME_BANK = {"bank_code": "0125", "branch_code": "200"}
OTHER_BANK = {"bank_code": "0001", "branch_code": "001"}
TABLE = {"threshold": 30_000, "same_branch": {"below": 0, "at_or_above": 110},
         "same_bank": {"below": 110, "at_or_above": 220}, "other_bank": {"below": 330, "at_or_above": 440}}


def test_the_default_table_is_the_documented_example() -> None:
    assert parse_table("") == parse_table(None) == DEFAULT_TABLE
    assert DEFAULT_TABLE.threshold == 30_000
    assert (DEFAULT_TABLE.same_branch, DEFAULT_TABLE.same_bank, DEFAULT_TABLE.other_bank) == (
        Band(220, 440), Band(220, 440), Band(605, 770))


@pytest.mark.parametrize(("to", "amount", "fee"), [
    (SAME_BRANCH, 29_999, 0), (SAME_BRANCH, 30_000, 110),
    (SAME_BANK, 1, 110), (SAME_BANK, 30_000, 220),
    (OTHER_BANK, 29_999, 330), (OTHER_BANK, 30_000, 440), (OTHER_BANK, 9_999_999, 440),
    (OTHER_BANK, 0, 0),  # nothing transferred, nothing charged
])
def test_each_transfer_is_charged_by_band_and_amount(to, amount, fee) -> None:
    table = parse_table(json.dumps(TABLE))
    assert transfer_fee(table, "0125", "100", to["bank_code"], to["branch_code"], amount) == fee


@pytest.mark.parametrize("text", [
    "not json", "[]", json.dumps({**TABLE, "same_bank": {"below": 1}}),
    json.dumps({**TABLE, "other_bank": {"below": -1, "at_or_above": 1}}),
    json.dumps({**TABLE, "other_bank": {"below": 1.5, "at_or_above": 1}}),
    json.dumps({**TABLE, "threshold": 0}), json.dumps({**TABLE, "extra": 1}),
    json.dumps({k: v for k, v in TABLE.items() if k != "same_branch"}),
])
def test_a_broken_table_is_refused_with_what_is_wrong(text) -> None:
    with pytest.raises(FeeTableInvalid):
        parse_table(text)


def test_money_must_be_int() -> None:
    with pytest.raises(TypeError):
        transfer_fee(DEFAULT_TABLE, "0125", "100", "0001", "001", 1.5)  # type: ignore[arg-type]


def three_stores(deps) -> None:
    for store_id, bank in (("MP000001", SAME_BRANCH), ("MP000002", SAME_BANK), ("MP000003", OTHER_BANK),
                           ("MP000004", OTHER_BANK)):
        add_store(deps, store_id)
        deps.store_repository.rows[store_id]["bank"].update(bank)
    add_store(deps, "MP000005", bank_verified=False)  # held: not transferred, no fee


def test_a_round_reports_its_transfer_cost_and_pays_every_store_in_full() -> None:
    deps = make_deps(TRANSFER_FEE_TABLE_JSON=json.dumps(TABLE))
    three_stores(deps)
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 40_000), ("2025-06", "MP000002", 1_000),
                                     ("2025-06", "MP000003", 29_999), ("2025-06", "MP000004", 30_000),
                                     ("2025-06", "MP000005", 50_000)], day_after("2025-06", 1))
    june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
    assert june["transfer_cost"] == 110 + 110 + 330 + 440
    fees = {x["store_id"]: (x["paid"], x["transfer_fee"]) for x in views.lines_view(deps, "2025-06")}
    assert fees == {"MP000001": (40_000, 110), "MP000002": (1_000, 110), "MP000003": (29_999, 330),
                    "MP000004": (30_000, 440), "MP000005": (0, 0)}
    assert june["total_amount"] == 40_000 + 1_000 + 29_999 + 30_000  # the stores get everything they are due
    summary = json.loads(deps.documents.get(june["files"]["summary"]))
    assert (summary["transfer_cost"], summary["transfer_cost_borne_by"]) == (990, "operator")
    report = deps.outbox.get("prefecture-settlement-report#2025-06")
    assert "振込手数料（事務局負担。店舗への支払額からは差し引いていません）: 990円" in report["body"]
    assert "システム手数料: 754円（対象額 150,999円 × 0.5%、円未満切り捨て）" in report["body"]
    notice = deps.outbox.get("payment-notice#2025-06#MP000003")
    assert "お支払額: 29,999円" in notice["body"] and "振込手数料は事務局が負担します" in notice["body"]


def test_payments_and_the_bank_file_do_not_depend_on_the_fee_table() -> None:
    """The same month under two fee tables: only the reported cost differs, never a payment."""
    results = []
    for table in (TABLE, {**TABLE, "other_bank": {"below": 880, "at_or_above": 1_100}}):
        deps = make_deps(TRANSFER_FEE_TABLE_JSON=json.dumps(table))
        three_stores(deps)
        import_usage(deps, "IMP000001", [("2025-06", s, 10_000 * n) for n, s in enumerate(
            ["MP000001", "MP000002", "MP000003", "MP000004"], start=1)], day_after("2025-06", 1))
        june = draft_and_approve(deps, "2025-06", day_after("2025-06"))
        paid = [(x["store_id"], x["paid"]) for x in views.lines_view(deps, "2025-06")]
        results.append((june["transfer_cost"], june["total_amount"], paid,
                        deps.documents.get(june["files"]["transfer_file"])))
    (cost_a, total_a, paid_a, file_a), (cost_b, total_b, paid_b, file_b) = results
    assert (cost_a, cost_b) == (0 + 110 + 440 + 440, 0 + 110 + 1_100 + 1_100)
    assert (total_a, paid_a, file_a) == (total_b, paid_b, file_b)


def test_a_broken_table_in_the_settings_stops_the_draft_naming_the_variable() -> None:
    deps = make_deps()
    deps.settings = with_setting(deps.settings, "settlement.transfer_fee_table_json", "{oops")
    add_store(deps, "MP000001")
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 100)], day_after("2025-06", 1))
    with pytest.raises(RuntimeError, match="TRANSFER_FEE_TABLE_JSON"):
        service.draft(deps, "2025-06", service.system_actor(), day_after("2025-06"))


def test_a_round_from_before_transfer_costs_shows_none_and_its_summary_omits_the_row() -> None:
    deps = make_deps()
    add_store(deps, "MP000001")
    import_usage(deps, "IMP000001", [("2025-06", "MP000001", 100)], day_after("2025-06", 1))
    service.draft(deps, "2025-06", service.system_actor(), day_after("2025-06"))
    deps.settlements.items[("round#2025-06", "round")].pop("transfer_cost")
    assert views.get_view(deps, "2025-06")["transfer_cost"] is None
    item = deps.settlements.get_round("2025-06")
    figures = release.figures_from(item, deps.settlements.round_lines("2025-06", 1))
    assert documents.TRANSFER_COST_LABEL not in dict(documents.summary_rows(figures))
    assert transfer_fees.round_cost([]) == 0
