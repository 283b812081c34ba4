"""The year-end pack's figures: the year's totals and every sheet's rows (with the columns whose totals the
XLSX checks), one `Section` per sheet, from the `YearData` of chalicelib/yearend/model.py.

Every figure is read from what the areas stored and already reported, never recomputed another way:
rounds as settlement froze them (their stored files hashed), inquiry counts through the call center's
own monthly summary (`inquiries.reports.summarize_month`, the function its monthly files use), sessions
and surveys through `sessions.reports.build_report`, the funds ledger through `overview.ledger.build`.
Where a delivery mark states what was reported (the monthly inquiry total, the month's attendees and
surveys, the round's summary file), the pack shows it beside the figure and whether they agree.

No personal data: store ids only (the prefecture's statements already show them), inquiry and session
ids, counts and codes; never names of people, bank accounts, phones, e-mails or free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.inquiries.config import CALLER_TYPES, CHANNELS, STATUSES, Category
from chalicelib.inquiries.reports import MonthlySummary
from chalicelib.kernel.sheets import Cell, Month, Percent, Rate
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS, STATUS_LABELS
from chalicelib.yearend.model import YearData, fiscal_label

Rows = list[list[Cell]]
WEEKDAYS = "月火水木金土日"
ROUND_STATUS = {"draft": "下書き", "approving": "承認処理中", "approved": "承認済み"}
FILE_KINDS = {"transfer_file": "振込データ（全銀協）", "statement_csv": "精算明細書（CSV）",
              "statement_xlsx": "精算明細書（Excel）", "summary": "精算概要（JSON）"}
HOLD_REASONS = {"unknown_store": "店舗が登録されていません", "store_inactive": "店舗が利用停止中です",
                "bank_unverified": "口座の確認待ち", "bank_invalid": "口座情報に不備", "ceiling": "上限額の確認待ち",
                "returned": "振込不能（組戻し）"}


def _int(item: dict[str, Any], key: str) -> int:
    value = item.get(key)
    return int(value) if value is not None else 0


def _n(cell: Cell) -> int:
    """A summed cell's value (None counts 0)."""
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else 0


def _opt_int(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return int(value) if value is not None else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def fee_base(item: dict[str, Any]) -> int:
    """The round's fee base; a round drafted before the base existed charged its month's usage."""
    return int(item["fee_base"]) if item.get("fee_base") is not None else _int(item, "usage_total")


def _agrees(flag: bool | None) -> str:
    return "—" if flag is None else ("一致" if flag else "不一致")


def totals(data: YearData) -> dict[str, Any]:
    rounds = [r.item for r in data.rounds]
    daily = [n for m in data.inquiry_months for _, n in m.per_day]
    return {
        "rounds": len(rounds),
        "rounds_approved": sum(1 for r in rounds if r.get("status") == "approved"),
        "stores_paid": sum(_int(r, "stores_paid") for r in rounds),
        "paid_total": sum(_int(r, "paid_total") for r in rounds),
        "usage_total": sum(_int(r, "usage_total") for r in rounds),
        "fee_base": sum(fee_base(r) for r in rounds),
        "fee": sum(_int(r, "fee") for r in rounds),
        "held_total": sum(_int(r, "held_total") for r in rounds),
        "claim": sum(fee_base(r) + _int(r, "fee") for r in rounds),
        "inquiries": sum(m.total for m in data.inquiry_months),
        "inquiries_daily_sum": sum(daily),
        "escalations": len(data.escalations),
        "sessions": sum(len(s.lines) for s in data.session_reports),
        "sessions_held": sum(s.sessions_held for s in data.session_reports),
        "attendees": sum(s.attendees for s in data.session_reports),
        "surveys": sum(s.surveys for s in data.session_reports),
        "planned_points": int(data.ledger.get("planned_points", 0)),
        "used_points": int(data.ledger.get("used_points", 0)),
        "share_of_plan": str(data.ledger.get("share_of_plan", "0.00")),
    }


def overview_rows(data: YearData) -> Rows:
    t = totals(data)
    year = data.fiscal_year
    return [
        ["項目", "値"],
        ["年度", fiscal_label(year)],
        ["対象期間（開始）", date(year, 4, 1)],
        ["対象期間（終了）", date(year + 1, 3, 31)],
        ["集計日", data.day],
        ["区分", "確定（年度終了後の集計）" if data.final else "中間集計（年度途中）"],
        ["精算の回数", t["rounds"]],
        ["うち承認済み", t["rounds_approved"]],
        ["支払店舗数（延べ）", t["stores_paid"]],
        ["店舗への支払額合計（円）", t["paid_total"]],
        ["ポイント原資（手数料の基礎）合計（円）", t["fee_base"]],
        ["システム手数料合計（円）", t["fee"]],
        ["請求額合計（原資＋手数料、円）", t["claim"]],
        ["保留額合計（各回の保留、円）", t["held_total"]],
        ["計画ポイント", t["planned_points"]],
        ["計画ポイントに対する累計利用の割合（%）", Percent(t["share_of_plan"])],
        ["問い合わせ件数", t["inquiries"]],
        ["県へのエスカレーション件数", t["escalations"]],
        ["相談会の数（中止を含む）", t["sessions"]],
        ["相談会の開催数", t["sessions_held"]],
        ["相談会の参加者数", t["attendees"]],
        ["アンケート回答数", t["surveys"]],
    ]


def round_rows(data: YearData) -> Rows:
    header: list[Cell] = ["対象月（利用月）", "状態", "支払予定日", "振込日", "支払店舗数", "支払額合計（円）",
                          "当月取込の利用ポイント", "手数料の基礎（原資、円）", "手数料（円）", "手数料率", "保留店舗数",
                          "保留額（円）", "調整額（円）", "繰越受入額（円）", "振込手数料（事業者負担、円）", "承認日時",
                          "精算概要ファイルとの照合"]
    rows: Rows = [header]
    for r in data.rounds:
        i = r.item
        rate = i.get("fee_rate")
        rows.append([
            Month.of(str(i["month"])), ROUND_STATUS.get(str(i.get("status")), str(i.get("status"))),
            _day(i.get("payment_date")), _day(i.get("transfer_date")), _int(i, "stores_paid"), _int(i, "paid_total"),
            _int(i, "usage_total"), fee_base(i), _int(i, "fee"), Rate(str(rate)) if rate is not None else None,
            _int(i, "stores_held"), _int(i, "held_total"), _int(i, "adjustments_total"), _int(i, "carried_in_total"),
            _opt_int(i, "transfer_cost"), _when(i.get("released_at") or i.get("approved_at")), _agrees(r.summary_agrees),
        ])
    lines = rows[1:]

    def col(n: int) -> int:
        return sum(_n(row[n]) for row in lines)

    rows.append(["合計", "", None, None, *(col(n) for n in range(4, 9)), None, *(col(n) for n in range(10, 15)),
                 None, ""])
    return rows


ROUND_SUMS = (4, 5, 6, 7, 8, 10, 11, 12, 13, 14)


def round_file_rows(data: YearData) -> Rows:
    rows: Rows = [["対象月（利用月）", "ファイル", "保存場所（文書バケット内）", "サイズ（バイト）", "SHA-256"]]
    for r in data.rounds:
        for f in r.files:
            rows.append([Month.of(str(r.item["month"])), FILE_KINDS.get(f.kind, f.kind), f.key, f.size,
                         f.sha256 or "（ファイルが見つかりません）"])
    return rows


def held_rows(data: YearData) -> Rows:
    rows: Rows = [["対象月（利用月）", "店舗ID", "保留額（円）", "理由"]]
    for r in data.rounds:
        for h in r.held:
            reason = str(h.get("reason") or "")
            rows.append([Month.of(str(r.item["month"])), str(h["store_id"]), int(h["amount"]),
                         HOLD_REASONS.get(reason, reason)])
    rows.append(["合計", "", sum(_n(row[2]) for row in rows[1:]), ""])
    return rows


def daily_rows(data: YearData) -> Rows:
    rows: Rows = [["日付", "曜日", "受付件数", "月累計", "年度累計"]]
    year_total = 0
    for m in data.inquiry_months:
        month_total = 0
        for d, n in m.per_day:
            month_total += n
            year_total += n
            rows.append([d, WEEKDAYS[d.weekday()], n, month_total, year_total])
    rows.append(["合計", "", year_total, None, None])
    return rows


def _labelled(m: MonthlySummary) -> dict[str, int]:
    return {code: n for code, _, n in m.by_category}


def category_columns(data: YearData) -> list[Category]:
    known = [c.code for c in data.categories]
    extra = sorted({code for m in data.inquiry_months for code, _, _ in m.by_category} - set(known))
    return list(data.categories) + [Category(code, code) for code in extra]


def monthly_inquiry_rows(data: YearData) -> Rows:
    columns = category_columns(data)
    header: list[Cell] = ["対象月", "受付件数", "月報で報告した件数", "照合", "県へのエスカレーション", "受付時間外",
                          "未完了（集計日時点）", "月間見込み"]
    header += [f"分類:{c.label}" for c in columns]
    header += [f"受付方法:{label}" for label in CHANNELS.values()]
    header += [f"問合せ者:{label}" for label in CALLER_TYPES.values()]
    rows: Rows = [header]
    for m in data.inquiry_months:
        reported = data.inquiry_reported.get(m.month)
        check = "未報告" if reported is None else ("一致" if reported == m.total else "不一致")
        by_cat = _labelled(m)
        rows.append([Month.of(m.month), m.total, reported, check, m.escalated, m.outside_hours, m.open_items,
                     m.forecast, *(by_cat.get(c.code, 0) for c in columns), *(n for _, _, n in m.by_channel),
                     *(n for _, _, n in m.by_caller)])
    sums = [sum(_n(row[n]) for row in rows[1:]) for n in range(len(header))]
    rows.append(["合計", sums[1], sums[2], "", *sums[4:]])
    return rows


def monthly_inquiry_sums(rows: Rows) -> tuple[int, ...]:
    return (1, 2, *range(4, len(rows[0])))


def escalation_rows(data: YearData) -> Rows:
    labels = {c.code: c.label for c in category_columns(data)}
    rows: Rows = [["問合せ番号", "受付日時", "分類", "問合せ者", "エスカレーション日時", "県への通知日時", "現在の状態",
                   "県の回答"]]
    for e in data.escalations:
        rows.append([str(e["inquiry_id"]), _when(e.get("received_at")),
                     labels.get(str(e.get("category")), str(e.get("category"))),
                     CALLER_TYPES.get(str(e.get("caller_type")), str(e.get("caller_type") or "")),
                     _when(e.get("escalated_at")), _when(e.get("notified_at")),
                     STATUSES.get(str(e.get("status")), str(e.get("status"))),
                     "回答あり" if e.get("answered") else "回答なし"])
    return rows


def session_rows(data: YearData) -> Rows:
    rows: Rows = [["相談会番号", "開催日", "地域", "市区町村", "会場", "状態", "定員", "参加者数", "マニュアル配布数",
                   "アンケート回答数", "満足度（平均）"]]
    for report in data.session_reports:
        for line in report.lines:
            s = line.session
            rows.append([s.session_id, line.day, line.area.region, line.area.name, s.venue,
                         STATUS_LABELS.get(s.status, s.status), s.capacity, line.attendees, line.manuals,
                         line.figures.surveys, line.figures.satisfaction_average])
    t = totals(data)
    rows.append(["合計", None, "", "", "", f"開催 {t['sessions_held']}件", None, t["attendees"],
                 sum(r.manuals for r in data.session_reports), t["surveys"], None])
    return rows


def session_month_rows(data: YearData) -> Rows:
    rows: Rows = [["対象月", "相談会の数", "開催済み", "中止", "参加者数", "マニュアル配布数", "アンケート回答数",
                   "月報で報告した参加者数", "月報で報告した回答数", "照合"]]
    for r in data.session_reports:
        mark = data.session_reported.get(r.month)
        if mark is None:
            check, att, srv = "未報告", None, None
        else:
            att, srv = _opt_int(mark, "attendees"), _opt_int(mark, "surveys")
            check = "一致" if (att, srv) == (r.attendees, r.surveys) else "不一致"
        rows.append([Month.of(r.month), len(r.lines), r.sessions_held, r.sessions_cancelled, r.attendees, r.manuals,
                     r.surveys, att, srv, check])
    sums = [sum(_n(row[n]) for row in rows[1:]) for n in range(1, 9)]
    rows.append(["合計", *sums, ""])
    return rows


SESSION_MONTH_SUMS = tuple(range(1, 9))


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for code, n in counts.items():
        into[code] = into.get(code, 0) + n


def survey_figures(data: YearData) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {"age": {}, "satisfaction": {}, "purposes": {}, "could_do": {}}
    for r in data.session_reports:
        _add(found["age"], r.figures.by_age_band)
        _add(found["satisfaction"], r.figures.satisfaction)
        _add(found["purposes"], r.figures.purposes)
        _add(found["could_do"], r.figures.could_do)
    return found


def satisfaction_average(counts: dict[str, int]) -> Decimal | None:
    n = sum(counts.values())
    if not n:
        return None
    total = sum(int(level) * c for level, c in counts.items() if level.isdigit())
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _share(part: int, whole: int) -> Percent | None:
    if whole <= 0:
        return None
    return Percent((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def survey_rows(data: YearData) -> Rows:
    figures = survey_figures(data)
    surveys = totals(data)["surveys"]
    sat_labels = {str(n): str(n) for n in SATISFACTION_LEVELS} | {"1": "1（不満）", "5": "5（満足）"}
    rows: Rows = [["区分", "項目", "件数", "回答数に対する割合（%）"]]
    for section, key, labels in (("年代", "age", AGE_BANDS), ("満足度", "satisfaction", sat_labels),
                                 ("来場目的（複数回答）", "purposes", PURPOSES),
                                 ("できたこと（複数回答）", "could_do", COULD_DO)):
        rows += [[section, labels.get(code, code), n, _share(n, surveys)] for code, n in figures[key].items()]
    rows.append(["合計", "アンケート回答数", surveys, None])
    rows.append(["満足度", "平均（5段階）", satisfaction_average(figures["satisfaction"]), None])
    return rows


def ledger_rows(data: YearData) -> Rows:
    rows: Rows = [["対象月（利用月）", "状態", "当月取込の利用ポイント", "原資（手数料の基礎、円）", "手数料（円）",
                   "請求額（原資＋手数料、円）", "支払額（円）", "保留（円）", "繰越受入（円）", "調整（円）",
                   "振込手数料（事業者負担、円）", "累計原資（円）", "計画比（%）"]]
    for m in data.ledger.get("months", []):
        rows.append([Month.of(m["month"]), m.get("status_label", m["status"]), m["usage"], m["fee_base"], m["fee"],
                     m["claim"], m["paid"], m["held"], m["carried"], m["adjustments"], m.get("transfer_cost"),
                     m["cumulative"], Percent(m["share_of_plan"])])
    t = data.ledger.get("totals", {})
    rows.append(["合計", "", t.get("usage", 0), t.get("fee_base", 0), t.get("fee", 0), t.get("claim", 0),
                 t.get("paid", 0), t.get("held", 0), t.get("carried", 0), t.get("adjustments", 0),
                 t.get("transfer_cost"), None, None])
    return rows


LEDGER_SUMS = tuple(range(2, 11))


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    sheet: str
    rows: Rows
    sums: Sequence[int] = ()


def sections(data: YearData) -> list[Section]:
    inquiries = monthly_inquiry_rows(data)
    return [
        Section("overview", "概要", "概要", overview_rows(data)),
        Section("rounds", "精算の各回", "精算", round_rows(data), ROUND_SUMS),
        Section("round-files", "精算ファイルのSHA-256", "精算ファイル", round_file_rows(data)),
        Section("held", "保留の明細", "保留", held_rows(data), (2,)),
        Section("funds-ledger", "原資の台帳", "原資台帳", ledger_rows(data), LEDGER_SUMS),
        Section("inquiries-monthly", "問い合わせ（月別）", "問い合わせ月別", inquiries, monthly_inquiry_sums(inquiries)),
        Section("inquiries-daily", "問い合わせ（日別）", "問い合わせ日別", daily_rows(data), (2,)),
        Section("escalations", "県へのエスカレーション", "エスカレーション", escalation_rows(data)),
        Section("sessions", "相談会（会場別）", "相談会", session_rows(data)),
        Section("sessions-monthly", "相談会（月別）", "相談会月別", session_month_rows(data), SESSION_MONTH_SUMS),
        Section("surveys", "アンケート集計", "アンケート", survey_rows(data)),
    ]
