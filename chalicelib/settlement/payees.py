"""What the transfer file needs of a store, and whether it can carry it: checked at draft time so a
store the bank file cannot pay is held with a reason, never a round that freezes at release."""

from __future__ import annotations

from typing import Any

from chalicelib.kernel import banks
from chalicelib.kernel.fingerprints import fingerprint
from chalicelib.settlement import documents
from chalicelib.settlement.zengin_writer import Transfer, ZenginFieldError, check_transfer

FIELD_LABELS = {
    "bank_code": "金融機関コード", "bank_name": "金融機関名（カナ）", "branch_code": "支店コード",
    "branch_name": "支店名（カナ）", "account_type": "預金種目", "account_number": "口座番号",
    "holder_name": "口座名義（カナ）", "new_code": "新規コード", "customer_code1": "顧客コード",
}


class BankDataInvalid(ValueError):
    """The store's bank data cannot be written to the transfer file (message in Japanese)."""


def payee(store: dict[str, Any], month: str) -> documents.Payee:
    bank = store.get("bank") or {}
    try:
        bank_info = banks.find_bank(str(bank["bank_code"]))
        branch_info = banks.find_branch(str(bank["bank_code"]), str(bank["branch_code"]))
    except (KeyError, TypeError):
        raise BankDataInvalid("振込口座が登録されていません") from None
    if bank_info is None:
        raise BankDataInvalid(f"金融機関コード {bank['bank_code']} が金融機関マスタにありません")
    if branch_info is None:
        raise BankDataInvalid(f"支店コード {bank['branch_code']} が金融機関マスタにありません")
    first = store.get("first_paid_month") in (None, month)
    changed = bool(store.get("bank_changed_pending")) or store.get("bank_change_paid_month") == month
    return documents.Payee(
        store_id=store["store_id"], store_name=store.get("store_name", ""),
        municipality_name=store.get("municipality_name", ""), bank_code=bank["bank_code"], bank_kana=bank_info.kana,
        branch_code=bank["branch_code"], branch_kana=branch_info.kana, account_type=bank.get("account_type", ""),
        account_number=bank.get("account_number", ""), holder_kana=bank.get("holder_kana", ""),
        new_code="1" if first else ("2" if changed else "0"), email=store.get("email", ""),
    )


def bank_problem(store: dict[str, Any], month: str, transfer_kind: str) -> str | None:
    """None if a data record for this store can be written; otherwise why not, in Japanese."""
    try:
        p = payee(store, month)
        check_transfer(Transfer(
            bank_code=p.bank_code, bank_name=p.bank_kana, branch_code=p.branch_code, branch_name=p.branch_kana,
            account_type=p.account_type, account_number=p.account_number, holder_name=p.holder_kana, amount=1,
            new_code=p.new_code, customer_code1=documents.customer_code(p.store_id), transfer_kind=transfer_kind))
    except BankDataInvalid as exc:
        return str(exc)
    except ZenginFieldError as exc:
        return f"{FIELD_LABELS.get(exc.field, exc.field)}が振込データの形式に合いません"
    except (TypeError, ValueError, KeyError):
        return "振込口座の情報が不完全です"
    return None


def payment_signature(secret: str, store: dict[str, Any]) -> str:
    """A keyed digest of everything that decides whether and where a store is paid. A draft records
    it per line; approval refuses a round whose stores changed since (it must be drafted again)."""
    bank = store.get("bank") or {}
    parts = [str(bank.get(k, "")) for k in ("bank_code", "branch_code", "account_type", "account_number",
                                             "holder_kana")]
    parts += [str(store.get("status", "")), str(bool(store.get("bank_verified"))),
              str(store.get("transfer_returned") or "")]
    return fingerprint(secret, "payee", "|".join(parts))
