"""The files of an approved round, built by pure functions from data to bytes.

- the Zengin 総合振込 transfer file (zengin_writer), one record per paid store;
- the statement for the prefecture: CSV (UTF-8 with BOM, Excel opens it) and XLSX;
- a payment notice per paid store; a summary with the system fee.
Every total in every file equals the sum of its lines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.kernel.cells import safe_row
from chalicelib.kernel.money import yen
from chalicelib.kernel.sheets import Month, Rate, add_sheet, new_workbook, workbook_bytes
from chalicelib.settlement.rounds import HOLD_REASONS, Line, RoundFigures
from chalicelib.settlement.zengin_writer import Requester, Transfer, build_transfer_file

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}


@dataclass(frozen=True)
class Payee:
    """What the transfer file needs of a store (its bank data as verified at application/change)."""

    store_id: str
    store_name: str
    municipality_name: str
    bank_code: str
    bank_kana: str
    branch_code: str
    branch_kana: str
    account_type: str
    account_number: str
    holder_kana: str
    new_code: str = "0"
    email: str = ""


def customer_code(store_id: str) -> str:
    """顧客コード1 is N10: the digits of the store id (MP000123 → 0000000123)."""
    return store_id[2:].rjust(10, "0")


def transfers_for(figures: RoundFigures, payees: Mapping[str, Payee], transfer_kind: str) -> list[Transfer]:
    transfers = []
    for line in figures.paid_lines():
        p = payees[line.store_id]
        transfers.append(Transfer(
            bank_code=p.bank_code, bank_name=p.bank_kana, branch_code=p.branch_code, branch_name=p.branch_kana,
            account_type=p.account_type, account_number=p.account_number, holder_name=p.holder_kana,
            amount=line.paid, new_code=p.new_code, customer_code1=customer_code(line.store_id),
            transfer_kind=transfer_kind,
        ))
    return transfers


def expected_rows(figures: RoundFigures, payees: Mapping[str, Payee]) -> list[tuple[str, str, str, str, str, str, int]]:
    """What the transfer file must carry, for the independent reader's reconciliation."""
    rows = []
    for line in figures.paid_lines():
        p = payees[line.store_id]
        rows.append((customer_code(line.store_id), p.bank_code, p.branch_code, p.account_type, p.account_number,
                     p.holder_kana, line.paid))
    return rows


def transfer_file(figures: RoundFigures, payees: Mapping[str, Payee], requester: Requester, transfer_date: date,
                  transfer_kind: str, line_ending: bytes = b"\r\n") -> bytes:
    return build_transfer_file(requester, transfer_date, transfers_for(figures, payees, transfer_kind), line_ending)


STATEMENT_HEADER = ["店舗ID", "店舗名", "市区町村", "利用ポイント", "調整額", "前回からの繰越", "支払額", "保留・繰越額",
                    "状態", "保留理由"]


def _statement_rows(figures: RoundFigures, names: Mapping[str, tuple[str, str]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for line in figures.lines:
        name, municipality = names.get(line.store_id, ("（未登録）", ""))
        rows.append([line.store_id, name, municipality, line.usage, line.adjustments, line.carried_in, line.paid,
                     line.carried_out, "支払" if line.status == "pay" else "保留",
                     HOLD_REASONS.get(line.reason or "", "")])
    rows.append(["合計", f"{figures.stores_paid}店舗に支払", "", figures.usage_total, figures.adjustments_total,
                 figures.carried_in_total, figures.paid_total, figures.held_total, "", ""])
    return rows


def statement_csv(figures: RoundFigures, names: Mapping[str, tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Store names come from the public form: every text cell is data, never a formula.
    writer.writerow(safe_row(STATEMENT_HEADER))
    writer.writerows(safe_row(row) for row in _statement_rows(figures, names))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


#: 利用ポイント … 保留・繰越額: the total row's figures, checked against the lines when the XLSX is written.
STATEMENT_SUM_COLUMNS = (3, 4, 5, 6, 7)


def statement_xlsx(figures: RoundFigures, names: Mapping[str, tuple[str, str]]) -> bytes:
    """The statement through the shared writer (kernel/sheets.py): Excel-ready, text never a formula."""
    pay = figures.payment_date
    workbook = new_workbook(datetime.now(UTC))  # stamped when written, as openpyxl's own save does
    heading = (f"みやぎポイント 精算明細（{figures.month} 利用分、"
               f"支払日 {pay.year}年{pay.month}月{pay.day}日）")
    add_sheet(workbook, f"精算明細 {figures.month}", [STATEMENT_HEADER, *_statement_rows(figures, names)],
              heading=heading, sum_columns=STATEMENT_SUM_COLUMNS)
    add_sheet(workbook, "概要", [["項目", "値"], *([key, value] for key, value in summary_rows(figures))])
    return workbook_bytes(workbook)


def summary_rows(figures: RoundFigures) -> list[tuple[str, Any]]:
    return [
        ("利用月", Month.of(figures.month)),  # a date (its first day) shown 2025年6月: sorts and filters as a month
        ("支払日", figures.payment_date),
        ("利用ポイント合計（ポイント原資）", figures.usage_total),
        ("調整額合計", figures.adjustments_total),
        ("前回からの繰越合計", figures.carried_in_total),
        ("支払額合計", figures.paid_total),
        ("支払店舗数", figures.stores_paid),
        ("保留・繰越額合計", figures.held_total),
        ("保留店舗数", len(figures.held_lines())),
        ("システム手数料率", Rate(figures.fee_rate)),  # 0.005, shown 0.5%
        ("システム手数料（円未満切り捨て）" if figures.fee_rounding == "down" else "システム手数料", figures.fee),
        ("システム手数料の対象額（この回で初めて計上する利用ポイント）", figures.fee_base),
        ("うち確定後に取り込まれた過去月の利用分", figures.late_usage_total),
        ("システム手数料の計算", fee_statement(figures)),
        # 7(1)イ: the operator's cost, never deducted from a store (a round from before it was computed has none).
        *([(TRANSFER_COST_LABEL, figures.transfer_cost)] if figures.transfer_cost is not None else []),
    ]


TRANSFER_COST_LABEL = "振込手数料（事務局負担。店舗への支払額からは差し引きません）"


ROUNDING_LABELS = {"down": "円未満切り捨て", "half_up": "円未満四捨五入", "up": "円未満切り上げ"}


def rate_label(rate: Decimal) -> str:
    """0.005 → 0.5% (exact: the Decimal is shifted, never turned into a float)."""
    return f"{(rate * 100).normalize():f}%"


def fee_statement(figures: RoundFigures) -> str:
    """The fee's base, rate and rounding in one line (the statement, the summary, the report)."""
    late = (f"（{figures.month} 利用分 {yen(figures.usage_total)} ＋ 確定後に取り込まれた過去月の利用分 "
            f"{yen(figures.late_usage_total)}）" if figures.late_usage_total else f"（{figures.month} 利用分）")
    return (f"対象額 {yen(figures.fee_base)}{late} × {rate_label(figures.fee_rate)}、"
            f"{ROUNDING_LABELS.get(figures.fee_rounding, figures.fee_rounding)} ＝ {yen(figures.fee)}。"
            "返却分の再払い・手動の調整は対象額に含みません")


def summary_json(figures: RoundFigures, extra: Mapping[str, Any]) -> bytes:
    body = {
        "month": figures.month, "payment_date": figures.payment_date.isoformat(),
        "usage_total": figures.usage_total, "adjustments_total": figures.adjustments_total,
        "carried_in_total": figures.carried_in_total, "paid_total": figures.paid_total,
        "held_total": figures.held_total, "stores_paid": figures.stores_paid,
        "stores_held": len(figures.held_lines()), "fee": figures.fee, "fee_rate": str(figures.fee_rate),
        "fee_rounding": figures.fee_rounding, "fee_base": figures.fee_base,
        "late_usage_total": figures.late_usage_total, "fee_statement": fee_statement(figures),
        "transfer_cost": figures.transfer_cost, "transfer_cost_borne_by": "operator", **extra,
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


def payment_notice(line: Line, payee: Payee, figures: RoundFigures, transfer_date: date) -> bytes:
    """The per-store payment notice (支払通知書) kept with the round. A transfer that a late approval moved
    past the payment date says so, with both dates."""
    planned = figures.payment_date
    moved = (f"（振込日は当初予定の{planned.month}月{planned.day}日から{transfer_date.month}月{transfer_date.day}日に"
             "変更になりました）\n" if transfer_date != planned else "")
    text = (
        f"みやぎポイント 精算金お支払い通知書\n\n"
        f"店舗ID: {line.store_id}\n店舗名: {payee.store_name}\n"
        f"対象: {figures.month} ご利用分\nお支払日: {transfer_date.strftime('%Y年%m月%d日')}\n{moved}\n"
        f"ご利用ポイント: {line.usage:,} ポイント\n"
        f"調整額: {yen(line.adjustments)}\n前回からの繰越: {yen(line.carried_in)}\n"
        f"お支払額: {yen(line.paid)}（振込手数料は事務局が負担します）\n\n"
        f"振込先: {payee.bank_kana} {payee.branch_kana} {ACCOUNT_TYPES.get(payee.account_type, '')} "
        f"****{payee.account_number[-3:]}\n"
    )
    return text.encode("utf-8")


def notices_total(lines: Sequence[Line]) -> int:
    return sum(line.paid for line in lines)
