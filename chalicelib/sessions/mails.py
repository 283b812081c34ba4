"""The consultation sessions' e-mails, in Japanese. Pure functions: data in, (subject, body) out.

Report mails carry counts and the coordinator's proposals; the free-text needs stay in the files
(masked at storage). Store mails carry the session's public details and links only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.kernel.areas import Area
from chalicelib.kernel.calendars import to_jst
from chalicelib.mail.templates import call_center_line, store_mail_footer
from chalicelib.sessions.model import AGE_BANDS, Session
from chalicelib.sessions.reports import SessionReport, jp_date, jp_month, jp_when, percent
from chalicelib.settings import CallCenterSettings

SIGNATURE = "\n\n――――――――――――――――――――\nみやぎポイント事務局 相談会担当\n"


def monthly_report(report: SessionReport, files: Sequence[str]) -> tuple[str, str]:
    f = report.figures
    subject = f"【みやぎポイント】相談会 月次報告（{jp_month(report.month)}）"
    rate = percent(f.surveys, report.attendees)
    lines = [
        "宮城県 みやぎポイント担当 御中",
        "",
        f"{jp_month(report.month)}のアプリ相談会の実施状況をご報告します。",
        "",
        f"相談会: {len(report.lines)}件（開催 {report.sessions_held}件、中止 {report.sessions_cancelled}件）",
        f"参加者数: {report.attendees:,}人",
        f"マニュアル配布数: {report.manuals:,}部",
        f"アンケート回答数: {f.surveys:,}件" + (f"（回答率 {rate}%）" if rate is not None else ""),
        f"満足度（5段階の平均）: {f.satisfaction_average if f.satisfaction_average is not None else '回答なし'}",
    ]
    if report.sessions_scheduled:
        lines.append(f"※ 出席が未記録の相談会が {report.sessions_scheduled}件あります（記録後の数値は次回以降の"
                     "報告ファイルに反映します）。")
    lines += ["", "■ 地域別（開催 / 参加者数 / アンケート）"]
    lines += [f"  {r.region}: {r.sessions_held}件 / {r.attendees:,}人 / {r.figures.surveys:,}件"
              for r in report.regions if r.sessions]
    lines += ["", "■ 年代別（アンケート）"]
    lines += [f"  {AGE_BANDS.get(code, code)}: {n}件" for code, n in f.by_age_band.items()]
    lines += ["", "■ 満足度（アンケート）"]
    lines += [f"  {level}: {n}件" for level, n in f.satisfaction.items()]
    lines += ["", "■ 改善提案", report.proposals.strip() or "（未記入）", ""]
    lines += [f"ご要望（自由記述）{len(report.needs)}件と、会場別・地域別・年代・満足度・来場目的の集計"
              "（グラフ付き）は、次のファイル（CSV・Excel）に格納しています。", *[f"  {name}" for name in files]]
    return subject, "\n".join(lines) + SIGNATURE


def coverage_warnings(today: date, period_end: date, missing: Sequence[Area],
                      crowded: Sequence[str], console_url: str) -> tuple[str, str]:
    """Staff: the areas with nothing scheduled as the period runs out, and where sessions cluster."""
    days_left = (period_end - today).days
    parts = []
    if missing:
        parts.append(f"予定のない地域 {len(missing)}件")
    if crowded:
        parts.append(f"偏り {len(crowded)}件")
    subject = f"[miyapo-ops] 相談会の計画に確認が必要です（{'、'.join(parts)}）"
    lines = [f"{jp_date(today)} 時点の相談会の計画について、確認が必要な点があります。", ""]
    if missing:
        lines += [f"■ 相談会の予定がない地域（{len(missing)}地域）",
                  f"実施期間の終了（{jp_date(period_end)}）まであと {days_left}日です。"
                  "各地域で1回以上の開催が必要です（仕様書 7(3)）。"]
        lines += [f"  {a.region} {a.name}（{a.code}）" for a in missing]
        lines.append("")
    if crowded:
        lines += ["■ 時期・地域の偏り（実施時期や地域に偏りが出ないよう計画してください）"]
        lines += [f"  {text}" for text in crowded]
        lines.append("")
    lines += ["相談会の計画画面:", console_url]
    return subject, "\n".join(lines) + "\n"


def store_announcement(store: dict[str, Any], session: Session, area: Area, *, flyer_url: str,
                       page_url: str, call_center: CallCenterSettings) -> tuple[str, str]:
    """A participating store in the session's area: one mail per session, with the flyer to print."""
    subject = f"【みやぎポイント】{area.name}でアプリ相談会を開催します（{jp_date(to_jst(session.starts_at).date())}）"
    lines = [
        f"{store.get('store_name', '')} ご担当者様",
        "",
        "いつもみやぎポイントにご参加いただき、ありがとうございます。",
        f"{area.name}で、スマートフォンのアプリの使い方をお手伝いする相談会を開催します。",
        "お客様、とくにご年配の方へのご案内にご協力ください。店頭に掲示できるチラシ（A4・PDF）をご用意しました。",
        "",
        f"日時: {jp_when(session)}",
        f"会場: {session.venue}",
        f"住所: {session.address}",
        f"定員: {session.capacity}名（先着順・参加無料・予約不要）",
    ]
    if session.partner.strip():
        lines.append(f"共催・協力: {session.partner.strip()}")
    lines += [
        "",
        "チラシ（印刷用 PDF）:",
        flyer_url,
        "",
        "相談会の日程（県内の全会場）:",
        page_url,
        "",
        "相談会についてのお問い合わせ（お客様からのものも）は、次のコールセンターで承ります。",
        call_center_line(call_center),
    ]
    return subject, "\n".join(lines) + store_mail_footer(call_center)
