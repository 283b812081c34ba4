"""E-mails about a store's change requests, in Japanese. Pure: data in, (subject, body) out."""

from __future__ import annotations

from typing import Any

from chalicelib.kernel.masking import mask_account_number, mask_email
from chalicelib.mail.templates import store_mail_footer

#: The fields a change request may change, in the order screens and mails list them, with their labels
#: (the application form's words, chalicelib/applications/validation.py LABELS).
FIELD_ORDER = ("store_name", "store_name_kana", "representative", "postal_code", "municipality_code", "address",
               "phone", "email", "bank")


def _value(field: str, value: Any) -> str:
    if field == "bank" and isinstance(value, dict):
        return (f"{value.get('bank_name', '')}（{value.get('bank_code', '')}） {value.get('branch_name', '')}"
                f"（{value.get('branch_code', '')}） 口座番号 {mask_account_number(str(value.get('account_number', '')))}"
                f" 名義 {value.get('holder_kana', '')}")
    if field == "municipality_code" and isinstance(value, dict):
        return str(value.get("municipality_name", ""))
    return str(value)


def change_lines(changes: dict[str, Any], labels: dict[str, str]) -> str:
    return "".join(f"・{labels.get(f, f)}: {_value(f, changes[f])}\n" for f in FIELD_ORDER if f in changes)


def change_link(store: dict[str, Any], link: str, days: int) -> tuple[str, str]:
    subject = f"【みやぎポイント】登録内容の変更のお手続き（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        "ご依頼により、登録内容（店舗名、代表者、住所、電話番号、メールアドレス、振込口座）の変更を"
        "お申し出いただくためのページをお知らせします。\n"
        f"{link}\n\n"
        f"このリンクの有効期限は{days}日間です。お申し出の内容は事務局で確認し、結果をメールでお知らせします。\n"
        "お心当たりがない場合は、このメールを破棄してください。"
        + store_mail_footer()
    )
    return subject, body


def _link_line(link: str | None) -> str:
    return f"\n登録内容の変更は、次のページからもお申し出いただけます。\n{link}\n" if link else ""


def change_approved(store: dict[str, Any], request_id: str, changes: dict[str, Any], labels: dict[str, str],
                    bank_changed: bool, link: str | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】登録内容を変更しました（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        f"お申し出（受付番号 {request_id}）のとおり、登録内容を次のとおり変更しました。\n\n"
        + change_lines(changes, labels)
        + ("\n振込口座の変更は、次回の精算のお振り込みから適用されます。\n" if bank_changed else "")
        + "\nお心当たりがない場合は、至急コールセンターへご連絡ください。\n"
        + _link_line(link)
        + store_mail_footer()
    )
    return subject, body


def email_moved(store: dict[str, Any], request_id: str, new_email: str) -> tuple[str, str]:
    """To the address being replaced: the store hears of the move at the address it had."""
    subject = f"【みやぎポイント】ご登録のメールアドレスを変更しました（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        f"お申し出（受付番号 {request_id}）により、ご登録のメールアドレスを {mask_email(new_email)} に"
        "変更しました。今後のお知らせは新しいアドレスにお送りします。\n\n"
        "お心当たりがない場合は、至急コールセンターへご連絡ください。"
        + store_mail_footer()
    )
    return subject, body


def change_rejected(store: dict[str, Any], request_id: str, reason: str, link: str | None = None) -> tuple[str, str]:
    subject = f"【みやぎポイント】登録内容の変更のお申し出について（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        f"お申し出（受付番号 {request_id}）の変更は、次の理由により行いませんでした。\n\n"
        f"{reason}\n\n"
        "ご不明な点は、コールセンターへお問い合わせください。\n"
        + _link_line(link)
        + store_mail_footer()
    )
    return subject, body
