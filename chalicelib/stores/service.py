"""The store master: bank-account change (re-validated like an application) and status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.adapters.dynamo import Tx
from chalicelib.applications.validation import HINTS, LABELS, BankInput, _check, _check_bank
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.kernel.fingerprints import bank_account_key, fingerprint
from chalicelib.kernel.input_errors import field_errors
from chalicelib.kernel.kana import to_zengin_name
from chalicelib.kernel.masking import mask_account_number
from chalicelib.observability import logger

STATUSES = {"active": "利用中", "suspended": "利用停止", "withdrawn": "退会"}


def _store(deps: Deps, store_id: str) -> dict[str, Any]:
    store = deps.stores.get(store_id)
    if not store:
        raise NotFound("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    return store


def change_bank_account(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal,
                        now: datetime) -> dict[str, Any]:
    try:
        bank = BankInput.model_validate(body)
    except ValidationError as exc:
        labels = {k.removeprefix("bank."): v for k, v in LABELS.items() if k.startswith("bank.")}
        hints = {k.removeprefix("bank."): v for k, v in HINTS.items() if k.startswith("bank.")}
        raise InvalidInput("口座情報に誤りがあります", field_errors(exc, labels, hints)) from None
    errors: dict[str, str] = {}
    bank_info, branch_info = _check_bank(errors, bank)
    holder = _check(errors, "bank.holder_kana", to_zengin_name, bank.holder_kana)
    if errors:
        raise InvalidInput("口座情報に誤りがあります", {k.removeprefix("bank."): v for k, v in errors.items()})
    store = _store(deps, store_id)
    new_bank = {"bank_code": bank.bank_code, "bank_name": bank_info.name, "branch_code": bank.branch_code,
                "branch_name": branch_info.name, "account_type": bank.account_type,
                "account_number": bank.account_number, "holder_kana": holder}
    tx = Tx()
    # Fixing the bank data releases a hold from a returned transfer; the next round pays it.
    tx.update(deps.settings.stores_table, {"store_id": store_id},
              "SET bank = :b, bank_verified = :t, bank_changed_pending = :t, updated_at = :at, version = version + :one "
              "REMOVE transfer_returned",
              condition="version = :v",
              values={":b": new_bank, ":t": True, ":at": now.isoformat(), ":one": 1, ":v": store["version"]})
    fp = fingerprint(deps.settings.app_secret, "bank", bank_account_key(
        bank.bank_code, bank.branch_code, bank.account_type, bank.account_number))
    deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
    old = store["bank"]
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.change_bank_account", f"store#{store_id}", now,
                                before={"bank_code": old["bank_code"], "branch_code": old["branch_code"],
                                        "account": mask_account_number(old["account_number"]),
                                        "transfer_returned": store.get("transfer_returned")},
                                after={"bank_code": bank.bank_code, "branch_code": bank.branch_code,
                                       "account": mask_account_number(bank.account_number)}))
    tx.commit("店舗情報が他の担当者により更新されました。画面を再読み込みしてください")
    logger.info("store bank account changed", extra={"store_id": store_id})
    return {"store_id": store_id, "bank_verified": True, "account_number_masked": mask_account_number(bank.account_number),
            "released_hold": bool(store.get("transfer_returned"))}


def change_status(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal,
                  now: datetime) -> dict[str, Any]:
    status, reason = body.get("status"), body.get("reason")
    errors = {}
    if status not in STATUSES:
        errors["status"] = "active / suspended / withdrawn のいずれかを指定してください"
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        errors["reason"] = "理由を500文字以内で入力してください"
    errors.update({k: "この項目は受け付けていません" for k in set(body) - {"status", "reason"}})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store = _store(deps, store_id)
    tx = Tx()
    tx.update(deps.settings.stores_table, {"store_id": store_id},
              "SET #s = :s, status_reason = :r, updated_at = :at, version = version + :one",
              condition="version = :v", names={"#s": "status"},
              values={":s": status, ":r": reason.strip(), ":at": now.isoformat(), ":one": 1, ":v": store["version"]})
    deps.audit.add_to(tx, entry(Actor.of(principal), "store.change_status", f"store#{store_id}", now,
                                before={"status": store["status"]}, after={"status": status},
                                detail={"reason": reason.strip()}))
    tx.commit("店舗情報が他の担当者により更新されました。画面を再読み込みしてください")
    return {"store_id": store_id, "status": status, "status_label": STATUSES[status]}
