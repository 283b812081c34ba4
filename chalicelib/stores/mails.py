"""E-mails about a store's bank account, in Japanese. Pure: data in, (subject, body) out."""

from __future__ import annotations

from typing import Any

from chalicelib.kernel.masking import mask_account_number
from chalicelib.mail.templates import store_mail_footer


def bank_change_notice(store: dict[str, Any], bank: dict[str, Any], link: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】精算金の振込口座の変更を受け付けました（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        "事務局で、貴店の精算金の振込口座を次のとおり変更する手続きを受け付けました。\n\n"
        f"金融機関: {bank['bank_name']}（{bank['bank_code']}）\n"
        f"支店: {bank['branch_name']}（{bank['branch_code']}）\n"
        f"口座番号: {mask_account_number(bank['account_number'])}\n\n"
        "ご本人による変更であれば、下記のリンクから内容をご確認ください。確認が済むまで、新しい口座への"
        "お振り込みは行いません。\n"
        f"{link}\n\n"
        "お心当たりがない場合は、同じページの「心当たりがない」を選ぶか、至急コールセンターへご連絡ください。"
        + store_mail_footer()
    )
    return subject, body


def bank_change_disputed(store_id: str) -> tuple[str, str]:
    subject = f"[miyapo-ops] 口座変更に店舗から「心当たりがない」と回答がありました（{store_id}）"
    body = (
        f"店舗 {store_id} から、振込口座の変更に心当たりがないとの回答がありました。\n"
        "変更後の口座には振り込まれません（確認待ちのまま保留されます）。\n"
        "店舗に連絡して事実を確認し、必要なら口座を元に戻してください。監査ログに記録されています。\n"
    )
    return subject, body
