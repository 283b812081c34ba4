"""The year-end pack's figures and files (pure: the year's data in, named bytes out).

Every figure is read from what the areas stored and already reported, never recomputed another way:
rounds as settlement froze them (their stored files hashed), inquiry counts through the call center's
own monthly summary (`inquiries.reports.summarize_month`, the function its monthly files use), sessions
and surveys through `sessions.reports.build_report`, the funds ledger through `overview.ledger.build`.
Where a delivery mark states what was reported (the monthly inquiry total, the month's attendees and
surveys, the round's summary file), the pack shows it beside the figure and whether they agree.

No personal data: store ids only (the prefecture's statements already show them), inquiry and session
ids, counts and codes; never names of people, bank accounts, phones, e-mails or free text.

The bytes depend only on the data, the day and the version (XLSX zip entries dated that day, the PDF
in reportlab's invariant mode), so two runs on the same day write the same files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.inquiries.config import CALLER_TYPES, CHANNELS, STATUSES, Category
from chalicelib.inquiries.reports import MonthlySummary
from chalicelib.kernel.sheets import Cell, Month, Percent, Rate, Sheet, to_csv, to_xlsx
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS, STATUS_LABELS
from chalicelib.sessions.reports import SessionReport

Rows = list[list[Cell]]
WEEKDAYS = "月火水木金土日"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
JSON = "application/json"
ROUND_STATUS = {"draft": "下書き", "approving": "承認処理中", "approved": "承認済み"}
FILE_KINDS = {"transfer_file": "振込データ（全銀協）", "statement_csv": "精算明細書（CSV）",
              "statement_xlsx": "精算明細書（Excel）", "summary": "精算概要（JSON）"}
HOLD_REASONS = {"unknown_store": "店舗が登録されていません", "store_inactive": "店舗が利用停止中です",
                "bank_unverified": "口座の確認待ち", "bank_invalid": "口座情報に不備", "ceiling": "上限額の確認待ち",
                "returned": "振込不能（組戻し）"}


def fiscal_label(year: int) -> str:
    """2025 → 令和7年度."""
    return f"令和{year - 2018}年度"


def fiscal_year_of(day: date) -> int:
    """The program (fiscal) year, April to March, that `day` falls in."""
    return day.year if day.month >= 4 else day.year - 1


def pack_year(today: date) -> int:
    """The year a pack built on `today` is for: the one containing `today` minus one month (a pack run in
    April is for the year that just ended)."""
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return y if m >= 4 else y - 1


def year_months(year: int) -> list[str]:
    return [f"{year + (m < 4)}-{m:02d}" for m in (*range(4, 13), 1, 2, 3)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- input -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """A file settlement stored with a round, as found now (None: missing)."""

    kind: str
    key: str
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class RoundData:
    item: dict[str, Any]
    files: tuple[StoredFile, ...] = ()
    held: tuple[dict[str, Any], ...] = ()
    #: the stored summary file states the same figures as the round (None: no summary file)
    summary_agrees: bool | None = None


@dataclass(frozen=True)
class YearData:
    fiscal_year: int
    as_of: datetime
    rounds: tuple[RoundData, ...]
    ledger: dict[str, Any]
    inquiry_months: tuple[MonthlySummary, ...]
    categories: tuple[Category, ...]
    #: month → the total the delivered monthly inquiry report stated (None: not delivered)
    inquiry_reported: dict[str, int | None] = field(default_factory=dict)
    escalations: tuple[dict[str, Any], ...] = ()
    session_reports: tuple[SessionReport, ...] = ()
    #: month → the figures the delivered session report stated (None: not delivered)
    session_reported: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    forecast_monthly: int = 0
    forecast_total: int = 0

    @property
    def day(self) -> date:
        return self.as_of.date()

    @property
    def final(self) -> bool:
        """Built after the year ended (an earlier pack is an interim one)."""
        return self.day > last_day(self.fiscal_year)


@dataclass(frozen=True)
class PackFile:
    name: str
    title: str
    body: bytes
    content_type: str

    @property
    def format(self) -> str:
        return self.name.rsplit(".", 1)[-1].upper()


# --- figures -------------------------------------------------------------------------------------------------


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


# --- files ---------------------------------------------------------------------------------------------------


def stable_zip(data: bytes, day: date) -> bytes:
    """The same zip (an XLSX) with every entry dated `day` at midnight and the workbook's "modified" stamp
    (openpyxl sets it to the clock when saving) equal to its "created" one: the bytes no longer depend on the
    second it was written."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                created = _CREATED.search(body)
                if created:
                    body = _MODIFIED.sub(b"\\g<1>" + created.group(1) + b"\\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()


_CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


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


def prefix_of(year: int, version: int) -> str:
    base = f"prefecture/year-end/{year}/"
    return base if version <= 1 else f"{base}v{version}/"


def build_files(data: YearData, version: int = 1) -> list[PackFile]:
    """The CSVs, the summary XLSX and the PDF report (the index is made from these by `index_files`)."""
    from chalicelib.yearend.pdf import report_pdf

    stem = f"fy{data.fiscal_year}"
    parts = sections(data)
    files = [PackFile(f"{stem}-{s.key}.csv", s.title, to_csv(s.rows), CSV) for s in parts if s.key != "overview"]
    label = fiscal_label(data.fiscal_year)
    stamp = datetime(data.day.year, data.day.month, data.day.day, tzinfo=data.as_of.tzinfo)
    workbook = to_xlsx([Sheet(s.sheet, s.rows, heading=f"みやぎポイント {label} 完了報告データ — {s.title}",
                              sum_columns=s.sums) for s in parts], stamp)
    files.append(PackFile(f"{stem}-summary.xlsx", "集計表（全項目）", stable_zip(workbook, data.day), XLSX))
    files.append(PackFile(f"{stem}-report.pdf", "完了報告書（図表入り）", report_pdf(data, version), PDF))
    return files


def index_of(data: YearData, files: Iterable[PackFile], version: int) -> dict[str, Any]:
    prefix = prefix_of(data.fiscal_year, version)
    return {
        "fiscal_year": data.fiscal_year, "label": fiscal_label(data.fiscal_year), "version": version,
        "prefix": prefix, "period": {"first": f"{data.fiscal_year}-04-01", "last": f"{data.fiscal_year + 1}-03-31"},
        "as_of": data.day.isoformat(), "final": data.final, "totals": totals(data),
        "files": [{"name": f.name, "key": prefix + f.name, "title": f.title, "format": f.format,
                   "size": len(f.body), "sha256": sha256(f.body)} for f in files],
    }


def index_files(index: dict[str, Any]) -> list[PackFile]:
    """index.json and index.csv (the SHA-256 and size of every other file of the pack)."""
    rows: Rows = [["ファイル名", "内容", "形式", "サイズ（バイト）", "SHA-256"]]
    rows += [[f["name"], f["title"], f["format"], f["size"], f["sha256"]] for f in index["files"]]
    body = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return [PackFile("index.json", "索引（JSON）", body, JSON), PackFile("index.csv", "索引（CSV）", to_csv(rows), CSV)]


def last_day(year: int) -> date:
    return date(year + 1, 4, 1) - timedelta(days=1)
