"""What changed between two versions of an application (a 第2版 against the 第1版 it corrects). Pure.

The screener sees each changed field with its old and new value. Values are shown as the role may see
them (`views.contact_fields` / `views.bank_fields`): the account number is always masked, contact
fields are masked for roles that do not see contact data. Whether a field changed is decided on the
stored values, so a masked field whose hidden part changed is still listed (with `masked: True`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.auth.roles import SEE_CONTACT, Principal
from chalicelib.kernel.masking import mask_account_number, mask_email, mask_name, mask_phone

ENTITY_LABELS = {"corporation": "法人", "individual": "個人事業主"}
ACCOUNT_TYPE_LABELS = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}

Shown = Callable[[dict[str, Any], bool], str]


def _plain(key: str) -> Shown:
    return lambda data, _contact: str(data.get(key) or "")


def _contact(key: str, mask: Callable[[str], str]) -> Shown:
    def shown(data: dict[str, Any], contact: bool) -> str:
        value = str(data.get(key) or "")
        return value if contact or not value else mask(value)
    return shown


def _bank(key: str, name_key: str | None = None) -> Shown:
    def shown(data: dict[str, Any], _contact: bool) -> str:
        bank = data.get("bank") or {}
        code = str(bank.get(key) or "")
        name = str(bank.get(name_key) or "") if name_key else ""
        return f"{code} {name}".strip()
    return shown


def _bank_contact(key: str) -> Shown:
    def shown(data: dict[str, Any], contact: bool) -> str:
        value = str((data.get("bank") or {}).get(key) or "")
        return value if contact or not value else mask_name(value)
    return shown


def _raw_bank(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda data: (data.get("bank") or {}).get(key)


def _raw(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda data: data.get(key)


#: The compared fields in the order of the screen: (field, label, stored value, shown value, masked for whom).
#: `masked` is "always" (account number), "contact" (masked unless the role sees contact data) or "".
FIELDS: list[tuple[str, str, Callable[[dict[str, Any]], Any], Shown, str]] = [
    ("store_name", "店舗名", _raw("store_name"), _plain("store_name"), ""),
    ("store_name_kana", "フリガナ", _raw("store_name_kana"), _plain("store_name_kana"), ""),
    ("entity_type", "区分", _raw("entity_type"),
     lambda d, _c: ENTITY_LABELS.get(str(d.get("entity_type")), str(d.get("entity_type") or "")), ""),
    ("representative", "代表者名", _raw("representative"), _contact("representative", mask_name), "contact"),
    ("business_category", "業種", _raw("business_category"), _plain("business_category"), ""),
    ("goods", "取扱商品・サービス", _raw("goods"), _plain("goods"), ""),
    ("postal_code", "郵便番号", _raw("postal_code"), _plain("postal_code"), ""),
    ("municipality_code", "市区町村", _raw("municipality_code"), _plain("municipality_name"), ""),
    ("address", "住所", _raw("address"), _plain("address"), ""),
    ("phone", "電話番号", _raw("phone"), _contact("phone", mask_phone), "contact"),
    ("email", "メールアドレス", _raw("email"), _contact("email", mask_email), "contact"),
    ("bank.bank_code", "金融機関", _raw_bank("bank_code"), _bank("bank_code", "bank_name"), ""),
    ("bank.branch_code", "支店", _raw_bank("branch_code"), _bank("branch_code", "branch_name"), ""),
    ("bank.account_type", "預金種目", _raw_bank("account_type"),
     lambda d, _c: ACCOUNT_TYPE_LABELS.get(str((d.get("bank") or {}).get("account_type")), ""), ""),
    ("bank.account_number", "口座番号", _raw_bank("account_number"),
     lambda d, _c: mask_account_number(str((d.get("bank") or {}).get("account_number") or "")), "always"),
    ("bank.holder_kana", "口座名義（カナ）", _raw_bank("holder_kana"),
     _bank_contact("holder_kana"), "contact"),
    ("previous_store_id", "昨年度の店舗ID", _raw("previous_store_id"), _plain("previous_store_id"), ""),
]


def changes(before: dict[str, Any], after: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    """Each field whose stored value differs, as `{field, label, before, after, masked}` in screen order.

    `before` and `after` are an application's `data` (two versions); the values are shown as `principal`
    may see them, so the answer carries no more personal data than the rest of the application's view.
    """
    contact = principal.has_any(SEE_CONTACT)
    out: list[dict[str, Any]] = []
    for field, label, stored, shown, masking in FIELDS:
        if (stored(before) or None) == (stored(after) or None):
            continue
        masked = masking == "always" or (masking == "contact" and not contact)
        out.append({"field": field, "label": label, "before": shown(before, contact),
                    "after": shown(after, contact), "masked": masked})
    return out
