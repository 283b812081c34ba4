"""The prefecture's view: the funds ledger and claim sheet, the report library, the overview's numbers
and its charts, and the funds alerts. Takes `deps` and `now`; reads other areas through
chalicelib/overview/sources.py only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.kernel import calendars
from chalicelib.kernel.areas import all_areas
from chalicelib.mail.outbox import Mail
from chalicelib.overview import ledger, library, mails, sources, svg
from chalicelib.overview.svg import Reference, Tile

# --- funds ---------------------------------------------------------------------------------------------


def funds_ledger(deps: Deps) -> dict[str, Any]:
    """`{planned_points, used_points, months: [{month, usage, fee, fee_base, paid, held, …}], …}`."""
    return ledger.build(sources.all_rounds(deps), deps.settings.settlement.planned_points)


def _month(month: str | None) -> str:
    try:
        if not month:
            raise ValueError
        calendars.parse_month(month)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("月の指定が正しくありません", {"month": "YYYY-MM の形式で指定してください（例: 2025-06）"}) from None
    return month


def claim_sheet(deps: Deps, month: str | None, fmt: str | None, principal: Principal,
                now: datetime) -> tuple[str, bytes, str]:
    """The month's claim sheet (原資 + 手数料) as CSV or XLSX: (file name, bytes, content type). Audited."""
    from chalicelib.kernel import sheets

    month = _month(month)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("形式の指定が正しくありません", {"format": "csv または xlsx を指定してください"})
    row = next((m for m in funds_ledger(deps)["months"] if m["month"] == month), None)
    if row is None:
        raise NotFound(f"{month} の精算はまだ作成されていません", {"month": "精算が作成された月を指定してください"})
    rows = ledger.claim_rows(row, str(deps.settings.settlement.fee_rate), deps.settings.settlement.fee_rounding)
    name = f"claim-{month}.{fmt}"
    if fmt == "csv":
        data, kind = sheets.to_csv(rows), "text/csv"
    else:
        heading = f"みやぎポイント 原資・手数料の請求（{month[:4]}年{int(month[5:])}月分）"
        data = sheets.to_xlsx([sheets.Sheet(f"請求 {month}", rows, heading=heading)], now)
        kind = library.CONTENT_TYPES["xlsx"]
    deps.audit.append(entry(Actor.of(principal), "funds.claim_download", f"funds#{month}", now,
                            detail={"format": fmt, "claim": row["claim"], "status": row["status"]}))
    return name, data, kind


def funds_alerts(deps: Deps, now: datetime) -> dict[str, Any]:
    """Mail staff and the prefecture once for each threshold (80%, 90%, 100% of the planned points) the
    cumulative usage has reached. Mail ids are deterministic: a second run queues nothing."""
    book = funds_ledger(deps)
    reached = book["reached"]
    if not reached:
        return {"used_points": book["used_points"], "share_of_plan": book["share_of_plan"], "queued": []}
    year = _program_year(book["months"][-1]["month"])
    queued: list[str] = []
    for threshold in reached:
        subject, body = mails.funds_alert(threshold, book)
        for who, address in (("staff", deps.settings.mail.staff_mailbox),
                             ("prefecture", deps.settings.mail.prefecture_mailbox)):
            mail = Mail(f"funds-alert#{year}#{threshold}#{who}", address, subject, body, "funds-alert")
            if deps.outbox.add(mail, now):
                queued.append(mail.mail_id)
    if queued:
        deps.audit.append(entry(Actor("system", "system"), "funds.alert", f"funds#{year}", now,
                                detail={"thresholds": reached, "used_points": book["used_points"],
                                        "share_of_plan": book["share_of_plan"], "mails": len(queued)}))
        deps.outbox.deliver(queued, deps.sender, now)
    return {"used_points": book["used_points"], "share_of_plan": book["share_of_plan"], "reached": reached,
            "queued": queued}


def _program_year(month: str) -> int:
    """The fiscal year (April to March) of a usage month."""
    y, m = calendars.parse_month(month)
    return y if m >= 4 else y - 1


# --- report library --------------------------------------------------------------------------------------


def report_files(deps: Deps, month: str | None) -> list[dict[str, Any]]:
    """Every file delivered under the prefecture's prefix (of `month` when given), newest first."""
    if month:
        _month(month)
    files = [library.describe(o["key"], int(o["size"]), str(o["last_modified"]))
             for o in sources.delivered_files(deps).listing(library.PREFIX)]
    if month:
        files = [f for f in files if f["month"] == month]
    return sorted(files, key=lambda f: (f["month"] or "", f["day"] or "", f["key"]), reverse=True)


def download_file(deps: Deps, key: str | None, principal: Principal, now: datetime) -> tuple[str, bytes, str]:
    """One delivered file (only under `prefecture/`), audited: (file name, bytes, content type)."""
    key = library.check_key(key)
    data = sources.delivered_files(deps).get(key)
    if data is None:
        raise NotFound("ファイルが見つかりません", {"key": "報告ファイル一覧を再読み込みしてください"})
    deps.audit.append(entry(Actor.of(principal), "report.download", f"report#{key}", now,
                            detail={"key": key, "bytes": len(data)}))
    return key.rsplit("/", 1)[-1], data, library.content_type(key)


# --- overview ---------------------------------------------------------------------------------------------


def stores_section(deps: Deps) -> dict[str, Any]:
    by_status = sources.stores_by_status(deps)
    labels = dict(sources.store_statuses())
    per_area: dict[str, int] = {}
    for s in by_status.get("active", []):
        code = str(s.get("municipality_code") or "")
        per_area[code] = per_area.get(code, 0) + 1
    areas = [{"code": a.code, "name": a.name, "region": a.region, "count": per_area.pop(a.code, 0)}
             for a in all_areas()]
    return {
        "total": sum(len(v) for v in by_status.values()),
        "by_status": [{"status": k, "label": labels[k], "count": len(v)} for k, v in by_status.items()],
        "by_area": areas, "outside_areas": sum(per_area.values()),
    }


def _today(now: datetime) -> date:
    return calendars.to_jst(now).date()


def inquiries_section(deps: Deps, now: datetime, month: str | None = None) -> dict[str, Any]:
    from chalicelib.inquiries.config import category_labels

    cc = deps.settings.call_center
    today = _today(now)
    last_month = min(calendars.month_of(today), calendars.month_of(cc.call_center_service_end))
    month = _month(month) if month else last_month
    repo = sources.inquiries(deps)
    first, last = calendars.month_range(month)
    items = repo.month_items(month)
    per_day: dict[str, int] = {}
    per_category: dict[str, int] = {}
    for i in items:
        day = str(i.get("received_at", ""))[:10]
        per_day[day] = per_day.get(day, 0) + 1
        code = str(i.get("category", ""))
        per_category[code] = per_category.get(code, 0) + 1
    labels = category_labels(deps.settings)
    days_in_month = (last - first).days + 1
    months = [m for m in _months(cc.call_center_service_start, cc.call_center_service_end) if m <= last_month]
    monthly = []
    for m in months:
        m_first, m_last = calendars.month_range(m)
        count = len(items) if m == month else repo.count_between(m, m_first, m_last)
        monthly.append({"month": m, "count": count, "forecast": cc.inquiry_forecast_monthly})
    return {
        "month": month, "months": months, "month_total": len(items),
        "forecast_monthly": cc.inquiry_forecast_monthly, "forecast_total": cc.inquiry_forecast_total,
        "forecast_daily": cc.inquiry_forecast_monthly // days_in_month,
        "year_total": sum(m["count"] for m in monthly), "monthly": monthly,
        "days": [{"date": d.isoformat(), "count": per_day.get(d.isoformat(), 0)}
                 for d in (date.fromordinal(first.toordinal() + k) for k in range(days_in_month))],
        "by_category": [{"code": code, "label": label, "count": per_category.pop(code, 0)}
                        for code, label in labels.items()]
                       + [{"code": c, "label": c, "count": n} for c, n in sorted(per_category.items())],
    }


def _months(first: date, last: date) -> list[str]:
    from chalicelib.sessions.repository import months_between

    return months_between(first, last)


def escalations_section(deps: Deps, now: datetime) -> dict[str, Any]:
    from chalicelib.inquiries.config import category_labels

    labels = category_labels(deps.settings)
    today = _today(now)
    open_items = [i for i in sources.inquiries(deps).open_items() if i.get("status") == "escalated"]
    items = []
    for i in open_items:
        received = str(i.get("received_at", ""))
        try:
            age = (today - date.fromisoformat(received[:10])).days
        except ValueError:
            age = 0
        items.append({"inquiry_id": i.get("inquiry_id"), "received_at": received,
                      "category": i.get("category"), "category_label": labels.get(str(i.get("category")), i.get("category")),
                      "days_open": age, "answered": bool(i.get("prefecture_answer"))})
    per_category: dict[str, int] = {}
    for it in items:
        key = str(it["category_label"])
        per_category[key] = per_category.get(key, 0) + 1
    return {"open": len(items), "items": items,
            "by_category": [{"label": k, "count": v} for k, v in sorted(per_category.items(), key=lambda kv: -kv[1])]}


def sessions_section(deps: Deps, now: datetime) -> dict[str, Any]:
    from chalicelib.sessions.coverage import coverage

    board = coverage(deps.session_repository.list_all(), _today(now), deps.settings.sessions)
    areas = [{"code": a.code, "name": a.name, "region": a.region, "held": a.held, "scheduled": a.scheduled}
             for a in board.areas]
    return {"by_area": areas, "held_total": sum(a["held"] for a in areas),
            "scheduled_total": sum(a["scheduled"] for a in areas),
            "areas_held": sum(1 for a in areas if a["held"]), "areas_total": len(areas)}


def overview_data(deps: Deps, now: datetime, month: str | None = None) -> dict[str, Any]:
    """Every number the overview shows (the charts draw these)."""
    return {
        "as_of": calendars.to_jst(now).isoformat(timespec="seconds"),
        "funds": funds_ledger(deps), "stores": stores_section(deps),
        "inquiries": inquiries_section(deps, now, month), "escalations": escalations_section(deps, now),
        "sessions": sessions_section(deps, now),
    }


# --- charts ------------------------------------------------------------------------------------------------


def _groups(areas: list[dict[str, Any]], value: str, note: Callable[[dict[str, Any]], str] = lambda a: "") \
        -> list[tuple[str, list[Tile]]]:
    regions: list[str] = []
    for a in areas:
        if a["region"] not in regions:
            regions.append(a["region"])
    return [(r, [Tile(a["code"], a["name"], int(a[value]), note(a)) for a in areas if a["region"] == r])
            for r in regions]


def _usage(deps: Deps, now: datetime, month: str | None) -> str:
    book = funds_ledger(deps)
    months = book["months"]
    return svg.bar_chart("usage", "月別のポイント利用（原資）", [m["month"] for m in months],
                         [m["fee_base"] for m in months], unit="pt")


def _cumulative(deps: Deps, now: datetime, month: str | None) -> str:
    book = funds_ledger(deps)
    months = book["months"]
    return svg.bar_chart("cumulative", f"累計のポイント利用と計画（{book['share_of_plan']}%）",
                         [m["month"] for m in months], [m["cumulative"] for m in months], unit="pt",
                         reference=Reference(book["planned_points"], "計画"))


def _stores_status(deps: Deps, now: datetime, month: str | None) -> str:
    data = stores_section(deps)
    return svg.hbar_chart("stores-status", f"状態別の店舗数（計 {data['total']:,} 店）",
                          [(s["label"], s["count"]) for s in data["by_status"]], unit="店")


def _stores_area(deps: Deps, now: datetime, month: str | None) -> str:
    data = stores_section(deps)
    return svg.tile_grid("stores-area", "地域別の利用中店舗（39地域）", _groups(data["by_area"], "count"), unit="店")


def _inquiries_daily(deps: Deps, now: datetime, month: str | None) -> str:
    data = inquiries_section(deps, now, month)
    return svg.bar_chart("inquiries-daily", f"日別の問い合わせ件数（{data['month']}、計 {data['month_total']:,} 件）",
                         [d["date"][8:] for d in data["days"]], [d["count"] for d in data["days"]], unit="件",
                         reference=Reference(data["forecast_daily"], "見込み（日平均）"))


def _inquiries_monthly(deps: Deps, now: datetime, month: str | None) -> str:
    data = inquiries_section(deps, now, month)
    rows = [(m["month"], m["count"]) for m in data["monthly"]]
    return svg.bar_chart("inquiries-monthly", "月別の問い合わせ件数と見込み", [r[0] for r in rows], [r[1] for r in rows],
                         unit="件", reference=Reference(data["forecast_monthly"], "見込み"))


def _inquiries_category(deps: Deps, now: datetime, month: str | None) -> str:
    data = inquiries_section(deps, now, month)
    return svg.hbar_chart("inquiries-category", f"分類別の問い合わせ件数（{data['month']}）",
                          [(c["label"], c["count"]) for c in data["by_category"]], unit="件")


def _escalations(deps: Deps, now: datetime, month: str | None) -> str:
    data = escalations_section(deps, now)
    return svg.hbar_chart("escalations", f"県へのエスカレーション（未完了 {data['open']} 件、分類別）",
                          [(c["label"], c["count"]) for c in data["by_category"]], unit="件")


def _sessions_area(deps: Deps, now: datetime, month: str | None) -> str:
    data = sessions_section(deps, now)
    return svg.tile_grid("sessions-area", f"地域別の相談会開催回数（{data['areas_held']}/{data['areas_total']} 地域で開催）",
                         _groups(data["by_area"], "held", lambda a: f"予定 {a['scheduled']} 回"), unit="回")


CHARTS: dict[str, Callable[[Deps, datetime, str | None], str]] = {
    "usage": _usage, "cumulative": _cumulative, "stores-status": _stores_status, "stores-area": _stores_area,
    "inquiries-daily": _inquiries_daily, "inquiries-monthly": _inquiries_monthly,
    "inquiries-category": _inquiries_category, "escalations": _escalations, "sessions-area": _sessions_area,
}


def chart(deps: Deps, name: str, now: datetime, month: str | None = None) -> str:
    """One chart as an SVG document; `name` may end in `.svg`."""
    name = name[:-4] if name.endswith(".svg") else name
    if name not in CHARTS:
        raise NotFound("そのグラフはありません", {"name": "、".join(CHARTS)})
    return CHARTS[name](deps, now, month)
