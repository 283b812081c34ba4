"""The call center's e-mails, in Japanese. Pure functions: data in, (subject, body) out.

Mails to the prefecture carry ids, codes and the agent's summary, never the caller's name or phone
number: the prefecture reads those masked (docs/SPEC.md §6.3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.inquiries.config import CALLER_TYPES, CHANNELS
from chalicelib.inquiries.reports import DailyReport, MonthlySummary, percent, weekday
from chalicelib.kernel.calendars import to_jst

SIGNATURE = "\n\n――――――――――――――――――――\nみやぎポイント事務局 コールセンター\n"


def _jp_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{weekday(d)}）"


def _jp_time(iso: str) -> str:
    t = to_jst(datetime.fromisoformat(iso))
    return f"{_jp_date(t.date())} {t.hour:02d}:{t.minute:02d}"


def _pct(value: Any) -> str:
    return f"{value}%" if value is not None else "—"


def escalation(item: dict[str, Any], category_label: str, console_url: str) -> tuple[str, str]:
    escalation_ = item["escalation"]
    subject = f"【みやぎポイント】コールセンターからの対応依頼（{item['inquiry_id']}）"
    lines = [
        "宮城県 みやぎポイント担当 御中",
        "",
        "コールセンターで解決できない問い合わせがありました。ご確認とご回答をお願いします。",
        "",
        f"問合せ番号: {item['inquiry_id']}",
        f"受付日時: {_jp_time(item['received_at'])}",
        f"受付方法: {CHANNELS.get(item['channel'], item['channel'])}",
        f"問合せ者: {CALLER_TYPES.get(item['caller_type'], item['caller_type'])}",
        f"分類: {category_label}",
    ]
    if item.get("store_id"):
        lines.append(f"店舗ID: {item['store_id']}")
    lines += [
        f"エスカレーション日時: {_jp_time(escalation_['at'])}",
        "",
        "■ 問い合わせの内容",
        item["summary"],
        "",
        "■ エスカレーションの理由",
        escalation_["reason"],
    ]
    if item.get("answer"):
        lines += ["", "■ コールセンターでの対応", item["answer"]]
    lines += [
        "",
        "ご回答は事務局コンソールの問い合わせ画面から記録できます（お電話・メールでも承ります）。",
        console_url,
        "",
        "※ 問い合わせ者の氏名・電話番号はこのメールに記載していません。必要な場合はコンソールでご確認ください。",
    ]
    return subject, "\n".join(lines) + SIGNATURE


def prefecture_answered(item: dict[str, Any], console_url: str) -> tuple[str, str]:
    subject = f"[miyapo-ops] 県から回答がありました（{item['inquiry_id']}）"
    body = (
        f"問合せ番号 {item['inquiry_id']} に県から回答がありました。\n"
        "問い合わせ者へ回答を伝え、問い合わせを解決にしてください。\n\n"
        f"{console_url}\n"
    )
    return subject, body


def daily_report(report: DailyReport, files: list[str]) -> tuple[str, str]:
    first, last = report.first_day, report.last_day
    period = _jp_date(first) if first == last else f"{_jp_date(first)}〜{_jp_date(last)}"
    subject = f"【みやぎポイント】コールセンター日次報告（{_jp_date(report.delivery_day)}）"
    lines = [
        "宮城県 みやぎポイント担当 御中",
        "",
        "コールセンターの問い合わせ件数をご報告します。",
        f"対象期間: {period}",
        "",
    ]
    for line in report.days:
        state = "" if line.open_day else "（休業日）"
        lines.append(f"{_jp_date(line.day)}{state}: 受付 {line.total}件（うち受付時間外 {line.outside_hours}件）、"
                     f"県へのエスカレーション {line.escalated}件、未完了 {line.open_items}件")
    if report.corrections:
        lines += ["", "■ 訂正（報告済みの日に後から記録・変更された問い合わせ。分類別・累計に含めています）"]
        for line in report.corrections:
            now = line.reported_total + line.total
            lines.append(f"  {_jp_date(line.day)}: 受付 {line.reported_total}件 → {now}件（{line.total:+d}件）")
    lines += ["", "■ 分類別（対象期間の合計と訂正）" if report.corrections else "■ 分類別（対象期間の合計）"]
    for category in report.columns():
        n = sum(line.by_category.get(category.code, 0) for line in report.lines)
        lines.append(f"  {category.label}: {n}件")
    lines += ["", "■ 問合せ者別（対象期間の合計と訂正）" if report.corrections else "■ 問合せ者別（対象期間の合計）"]
    for code, label in CALLER_TYPES.items():
        n = sum(line.by_caller.get(code, 0) for line in report.lines)
        lines.append(f"  {label}: {n}件")
    end = report.lines[-1]
    escalated_open = sum(1 for i in report.open_items if i.get("escalated_at"))
    waiting = sum(1 for i in report.open_items if i.get("escalated_at") and not i["prefecture_answered"])
    lines += [
        "",
        f"■ 累計（{_jp_date(last)}まで）",
        f"  月累計: {end.month_to_date:,}件 / 月間見込み {report.forecast_month:,}件"
        f"（{_pct(percent(end.month_to_date, report.forecast_month))}）",
        f"  年度累計: {end.year_to_date:,}件 / 年間見込み {report.forecast_total:,}件"
        f"（{_pct(percent(end.year_to_date, report.forecast_total))}）",
        "",
        f"■ 未完了の問い合わせ（報告作成時点、全期間）: {len(report.open_items)}件"
        f"（うち県へエスカレーション中 {escalated_open}件、県の回答待ち {waiting}件）",
        "",
        "日別・分類別・問合せ者別の件数は、次のファイル（CSV・Excel）に格納しています。",
        *[f"  {f}" for f in files],
    ]
    return subject, "\n".join(lines) + SIGNATURE


def monthly_summary(summary: MonthlySummary, files: list[str]) -> tuple[str, str]:
    year, month = summary.month.split("-")
    subject = f"【みやぎポイント】コールセンター月次集計（{int(year)}年{int(month)}月）"
    average = f"{summary.average_minutes}分" if summary.average_minutes is not None else "記録なし"
    lines = [
        "宮城県 みやぎポイント担当 御中",
        "",
        f"{int(year)}年{int(month)}月のコールセンター問い合わせの集計をお送りします。",
        "",
        f"受付件数: {summary.total:,}件（月間見込み {summary.forecast:,}件、"
        f"{_pct(percent(summary.total, summary.forecast))}）",
        f"県へのエスカレーション: {summary.escalated}件（{_pct(summary.escalation_rate)}）",
        f"平均対応時間: {average}",
        "",
        "■ 分類別",
        *[f"  {label}: {n}件" for _, label, n in summary.by_category],
        "",
        "■ 受付方法別",
        *[f"  {label}: {n}件" for _, label, n in summary.by_channel],
        "",
        "■ 問合せ者別",
        *[f"  {label}: {n}件" for _, label, n in summary.by_caller],
        "",
        "集計表（CSV・Excel）:",
        *[f"  {f}" for f in files],
    ]
    return subject, "\n".join(lines) + SIGNATURE
