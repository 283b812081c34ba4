"""The e-mails of a referral to the prefecture (spec 7(1)ニ①②), in Japanese. Pure: data in, (subject, body) out.

The mail to the prefecture carries ids, the municipality, the business category and the screener's
question, never the applicant's name, phone, e-mail or account: the prefecture reads those masked in
the console (views.contact_fields / bank_fields). The staff notice carries ids only, like the other
staff notices (mail/templates.py `staff_new_application`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.applications.screening import JUDGEMENT_LABELS
from chalicelib.kernel.calendars import to_jst

SIGNATURE = "\n\n――――――――――――――――――――\nみやぎポイント事務局（審査担当）\n"
_WEEKDAYS = "月火水木金土日"


def jp_time(iso: str) -> str:
    t = to_jst(datetime.fromisoformat(iso))
    return f"{t.year}年{t.month}月{t.day}日（{_WEEKDAYS[t.weekday()]}） {t.hour:02d}:{t.minute:02d}"


def referred(application_id: str, data: dict[str, Any], revision: int, question: str, asked_at: str,
             console_url: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】参加店舗の審査について県のご判断をお願いします（{application_id}）"
    lines = [
        "宮城県 みやぎポイント担当 御中",
        "",
        "参加店舗の申込の審査で、県にご判断いただきたい事項があります（仕様書 7(1)ニ①②）。",
        "事務局コンソールで申込の内容をご確認のうえ、ご判断（承認して差し支えない／不承認とすべき）を記録してください。",
        "",
        f"申込番号: {application_id}（第{revision}版）",
        f"市区町村: {data.get('municipality_name', '')}",
        f"業種: {data.get('business_category', '')}",
        f"照会日時: {jp_time(asked_at)}",
        "",
        "■ 照会事項",
        question,
        "",
        console_url,
        "",
        "※ 申請者の氏名・連絡先・口座はこのメールに記載していません。コンソールでご確認ください。",
    ]
    return subject, "\n".join(lines) + SIGNATURE


def judged(application_id: str, decision: str, judged_at: str, console_url: str) -> tuple[str, str]:
    label = JUDGEMENT_LABELS.get(decision, decision)
    subject = f"[miyapo-ops] 県の判断が記録されました {application_id}（{label}）"
    body = (
        f"申込番号 {application_id} について、照会に対する県の判断が記録されました。\n\n"
        f"県の判断: {label}\n"
        f"記録日時: {jp_time(judged_at)}\n\n"
        "判断の理由を確認し、審査画面で判定を完了してください。"
        "県の判断と異なる判定をする場合は理由の記入が必要です。\n\n"
        f"{console_url}\n"
    )
    return subject, body
