"""The e-mails of store applications, in Japanese. Pure functions: data in, (subject, body) out.

Also the one place of what every mail *to a store* ends with (`store_mail_footer`): the operator, the
call center's number and hours (settings.call_center) and that the mail cannot be answered. The store
mails of other areas (stores/mails.py, settlement/mails.py, sessions/mails.py) end with it too; the
public pages show the same phone and hours (`call_center_hours`, routes/public.py).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from chalicelib.applications.terms import MAIL_EXCLUDED_GOODS
from chalicelib.settings import CallCenterSettings, SettingsError, get_settings

OPERATOR = "みやぎポイント事務局"
SIGNATURE_LINE = f"{OPERATOR}（宮城県 デジタル身分証アプリ運営支援業務 受託者）"
#: The closing days are the program's rule (docs/SPEC.md §2: national holidays and 29 Dec – 3 Jan).
CLOSED_DAYS = "祝日・年末年始を除く"
#: The signature of mails to the prefecture and staff (they do not call the stores' call center).
FOOTER = f"\n\n――――――――――――――――――――\n{SIGNATURE_LINE}\n"


def _clock(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def configured_call_center() -> CallCenterSettings:
    """The call center of this process's settings.

    A process without configuration (a unit test calling a pure mail builder) gets the defaults of
    `CallCenterSettings`; a function in the cloud always has its settings (it cannot start without them)."""
    try:
        return get_settings().call_center
    except SettingsError:
        return CallCenterSettings()


def call_center_hours(call_center: CallCenterSettings) -> str:
    """「毎日 9:00〜17:30（祝日・年末年始を除く）」"""
    return f"毎日 {_clock(call_center.call_center_open)}〜{_clock(call_center.call_center_close)}（{CLOSED_DAYS}）"


def call_center_line(call_center: CallCenterSettings) -> str:
    """「みやぎポイント コールセンター 0120-390-390（毎日 9:00〜17:30、祝日・年末年始を除く）」"""
    hours = call_center_hours(call_center).replace("（", "、").rstrip("）")
    return f"みやぎポイント コールセンター {call_center.call_center_phone}（{hours}）"


def store_mail_footer(call_center: CallCenterSettings | None = None) -> str:
    """What every mail to a store ends with: the operator and how to reach the call center."""
    center = call_center or configured_call_center()
    return (
        "\n\n――――――――――――――――――――\n"
        f"{SIGNATURE_LINE}\n"
        f"{call_center_line(center)}\n"
        "このメールは送信専用です。ご返信いただいてもお答えできません。お問い合わせはコールセンターまでお電話ください。\n"
    )


def application_received(application_id: str, data: dict[str, Any],
                         call_center: CallCenterSettings | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】参加申込を受け付けました（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "みやぎポイント参加店舗へのお申し込みありがとうございます。\n"
        "以下の内容で受け付けました。事務局で審査のうえ、結果をメールでお知らせします。\n\n"
        f"申込番号: {application_id}\n"
        f"店舗名: {data['store_name']}\n"
        f"所在地: {data['municipality_name']} {data['address']}\n\n"
        "お問い合わせの際は申込番号をお伝えください。" + store_mail_footer(call_center)
    )
    return subject, body


def staff_new_application(application_id: str, data: dict[str, Any], flags: list[str]) -> tuple[str, str]:
    # Staff notices carry ids, not personal data: staff open the console to see the rest.
    subject = f"[miyapo-ops] 新しい参加申込 {application_id}"
    lines = [
        f"申込番号: {application_id}",
        f"市区町村: {data['municipality_name']}",
        f"業種: {data['business_category']}",
    ]
    if flags:
        lines.append("確認事項: " + "、".join(flags))
    body = "新しい参加申込がありました。審査画面で確認してください。\n\n" + "\n".join(lines) + "\n"
    return subject, body


def application_returned(application_id: str, data: dict[str, Any], reason: str, link: str,
                         expires: str, call_center: CallCenterSettings | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】お申し込み内容の修正のお願い（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "みやぎポイント参加店舗へのお申し込みについて、内容の確認をお願いしたい点があります。\n\n"
        f"■ 修正をお願いしたい点\n{reason}\n\n"
        "お手数ですが、下記のリンクからお申し込み内容を修正し、再度送信してください。\n"
        f"{link}\n"
        "（リンクが途中で改行されて開けない場合は、末尾までコピーしてブラウザのアドレス欄に貼り付けてください）\n\n"
        f"リンクの有効期限: {expires}\n"
        f"申込番号: {application_id}" + store_mail_footer(call_center)
    )
    return subject, body


def application_approved(application_id: str, store_id: str, data: dict[str, Any],
                         call_center: CallCenterSettings | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】参加店舗として登録しました（店舗ID {store_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "審査の結果、みやぎポイントの参加店舗として登録しました。\n\n"
        f"店舗ID: {store_id}\n"
        f"申込番号: {application_id}\n\n"
        "■ これからの流れ\n"
        "1. 店舗決済用の二次元コード台紙とポスターを郵送します。届きましたらレジ付近に掲示してください。\n"
        "2. 管理コンソールのID・パスワードを別途お知らせします。\n"
        "3. ポイントのご利用分は、毎月末締めで翌月20日（金融機関の休業日の場合は前営業日）に"
        "ご登録の口座へお振り込みします。振込手数料はかかりません。\n\n"
        "■ ご注意\n"
        f"{MAIL_EXCLUDED_GOODS}\n"
        "口座や連絡先が変わった場合はコールセンターまでご連絡ください。" + store_mail_footer(call_center)
    )
    return subject, body


def application_rejected(application_id: str, data: dict[str, Any], reason: str,
                         call_center: CallCenterSettings | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】審査結果のお知らせ（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "このたびはみやぎポイント参加店舗へお申し込みいただき、誠にありがとうございました。\n"
        "慎重に審査いたしましたが、誠に残念ながら今回は参加店舗として登録することができませんでした。\n\n"
        f"■ 理由\n{reason}\n\n"
        "ご不明な点がございましたら、申込番号を添えてコールセンターまでお問い合わせください。\n"
        f"申込番号: {application_id}" + store_mail_footer(call_center)
    )
    return subject, body
