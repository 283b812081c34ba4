"""A carried-over store's re-confirmation (issue 11 point 1): the signed link its mail carries, the mail,
and the page where the store confirms this year's pledges and may correct its contact data (validated as an
application), which makes it active."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.applications.validation import DECLARATION_TEXT, validate_application
from chalicelib.audit.log import Actor, entry
from chalicelib.errors import InvalidInput
from chalicelib.kernel import signed_links
from chalicelib.kernel.fingerprints import bank_account_key, fingerprint, normalise_email, normalise_phone
from chalicelib.kernel.masking import mask_account_number
from chalicelib.mail.templates import store_mail_footer
from chalicelib.observability import logger
from chalicelib.stores.carried_over_file import PLACEHOLDER_ENTITY, PLACEHOLDER_TEXT
from chalicelib.stores.carried_over_repository import AWAITING, carried_over_repository

if TYPE_CHECKING:
    from chalicelib.deps import Deps

LINK_DAYS = 30
_PURPOSE = "carried-over-confirm"
_BAD_LINK = {"token": "メールに記載されたリンクをそのまま開いてください"}
#: What the store may correct on its re-confirmation page.
CORRECTABLE = ("representative", "postal_code", "address", "phone", "email")


def make_token(secret: str, store_id: str, now: datetime, days: int = LINK_DAYS) -> str:
    import jwt

    claims = {"sub": store_id, "pur": _PURPOSE, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(days=days)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: object, now: datetime) -> str:
    claims = signed_links.read_link(secret, token, _PURPOSE, now,
                                    "確認用リンクの有効期限が切れています。コールセンターまでお問い合わせください。",
                                    bad_fields=_BAD_LINK)
    return str(claims["sub"])


def reconfirm_mail(store: dict[str, Any], link: str, expires: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】今年度の参加継続のご確認のお願い（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        "昨年度に続き、今年度もみやぎポイントの参加店舗として、県から提供された情報をもとに登録しました。\n"
        f"今年度の店舗IDは {store['store_id']} です（昨年度の店舗番号 {store['previous_store_id']}）。\n\n"
        "ご利用を始めるには、下記のリンクから今年度の誓約事項をご確認のうえ同意してください。"
        "連絡先に変更があれば、同じページで修正できます。\n"
        f"{link}\n"
        f"（リンクの有効期限: {expires}）\n\n"
        "確認が済むまで、貴店は「継続確認待ち」のままで、利用の受付と精算は始まりません。"
        + store_mail_footer()
    )
    return subject, body


def store_fingerprints(secret: str, fields: dict[str, Any]) -> list[str]:
    bank = fields["bank"]
    return [fingerprint(secret, "phone", normalise_phone(fields["phone"])),
            fingerprint(secret, "email", normalise_email(fields["email"])),
            fingerprint(secret, "bank", bank_account_key(bank["bank_code"], bank["branch_code"],
                                                         bank["account_type"], bank["account_number"]))]


def _declarations() -> list[dict[str, str]]:
    return [{"key": k, "label": v} for k, v in DECLARATION_TEXT.items()]


def _shown_store(store: dict[str, Any]) -> dict[str, Any]:
    bank = store.get("bank") or {}
    return {"store_id": store["store_id"], "store_name": store["store_name"],
            "previous_store_id": store.get("previous_store_id"),
            "contact": {k: store.get(k, "") for k in CORRECTABLE},
            "bank_name": bank.get("bank_name"), "branch_name": bank.get("branch_name"),
            "account_number_masked": mask_account_number(str(bank.get("account_number", ""))),
            "declarations": _declarations()}


def reconfirmation_by_link(deps: Deps, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The store's page: without `answer`, what it is asked to confirm; with `answer: "confirm"`, its
    pledges (every one true) and any corrections of `contact`: the store becomes active."""
    allowed = {"token", "answer", "declarations", "contact"}
    errors = {k: "この項目は受け付けていません" for k in set(body) - allowed}
    answer = body.get("answer")
    if answer is not None and answer != "confirm":
        errors["answer"] = "confirm を指定してください"
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store_id = read_token(deps.settings.app_secret, body.get("token"), now)
    store = deps.store_repository.get(store_id)
    if not store or not store.get("previous_store_id"):
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    state = "pending" if store["status"] == AWAITING else ("confirmed" if store.get("reconfirmed_at") else "closed")
    if answer is None or state != "pending":
        return {**_shown_store(store), "state": state}
    declarations = body.get("declarations")
    contact = body.get("contact") or {}
    errors = {}
    if not isinstance(declarations, dict) or set(declarations) - set(DECLARATION_TEXT):
        declarations = {}
    for key, text in DECLARATION_TEXT.items():
        if declarations.get(key) is not True:
            errors[f"declarations.{key}"] = f"「{text}」への同意が必要です"
    if not isinstance(contact, dict):
        contact = {}
        errors["contact"] = "連絡先の形式が正しくありません"
    errors.update({f"contact.{k}": "この項目は変更できません" for k in set(contact) - set(CORRECTABLE)})
    errors.update({f"contact.{k}": "文字列で入力してください" for k, v in contact.items() if not isinstance(v, str)})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    corrected = {k: v.strip() for k, v in contact.items() if k in CORRECTABLE and v.strip() != str(store.get(k, ""))}
    changes: dict[str, Any] = {"declarations": {k: True for k in DECLARATION_TEXT}}
    if corrected:
        changes.update(_validated_contact(store, corrected))
    repo = carried_over_repository(deps)
    tx = repo.new_tx()
    repo.reconfirm_store(tx, store_id, int(store["version"]), changes, now.isoformat())
    for fp in store_fingerprints(deps.settings.app_secret, {**store, **changes}) if corrected else []:
        deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
    deps.audit.add_to(tx, entry(Actor("store", "store"), "store.reconfirm", f"store#{store_id}", now,
                                before={"status": store["status"]}, after={"status": "active"},
                                detail={"declarations": sorted(DECLARATION_TEXT),
                                        "corrected": sorted(k for k in changes if k != "declarations")}))
    tx.commit("この確認は既に済んでいます")
    logger.info("carried-over store reconfirmed", extra={"store_id": store_id, "corrected": len(corrected)})
    updated = deps.store_repository.get(store_id) or {**store, **changes, "status": "active"}
    return {**_shown_store(updated), "state": "confirmed"}


def _validated_contact(store: dict[str, Any], corrected: dict[str, str]) -> dict[str, Any]:
    """The corrected contact data, validated as an application (the rest of the store as it is)."""
    bank = store["bank"]
    data = {"store_name": store["store_name"], "store_name_kana": store["store_name_kana"],
            "entity_type": store.get("entity_type") or PLACEHOLDER_ENTITY,
            "representative": store["representative"], "postal_code": store["postal_code"],
            "municipality_code": store["municipality_code"], "address": store["address"], "phone": store["phone"],
            "email": store["email"], "business_category": store.get("business_category") or PLACEHOLDER_TEXT,
            "goods": store.get("goods") or PLACEHOLDER_TEXT, "declarations": {k: True for k in DECLARATION_TEXT},
            "bank": {k: bank[k] for k in ("bank_code", "branch_code", "account_type", "account_number")}
            | {"holder_kana": bank["holder_kana"]},
            **corrected}
    try:
        fields = validate_application(data).fields
    except InvalidInput as exc:
        raise InvalidInput("入力内容に誤りがあります",
                           {f"contact.{k}" if k in CORRECTABLE else k: v for k, v in exc.fields.items()}) from None
    return {k: fields[k] for k in corrected}
