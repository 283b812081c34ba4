"""What each role sees of an application: personal data masked unless the role needs it."""

from __future__ import annotations

from typing import Any

from chalicelib.applications.changes import changes
from chalicelib.applications.screening import CHECKLIST, JUDGEMENT_LABELS
from chalicelib.applications.status import STATUS_LABELS, Status
from chalicelib.auth.roles import SEE_BANK_ACCOUNT, SEE_CONTACT, Principal
from chalicelib.kernel.masking import mask_account_number, mask_email, mask_name, mask_phone

WARNING_LABELS = {"postal_code_outside_miyagi": "郵便番号が宮城県の範囲（980〜989）外です",
                  "postal_code_other_area": "郵便番号が選ばれた市区町村のものではありません（日本郵便のデータ）"}
DUPLICATE_LABELS = {"phone": "電話番号", "email": "メールアドレス", "bank": "振込口座"}


def personal_fields_shown(principal: Principal) -> list[str]:
    shown = ["bank_account_masked"]
    if principal.has_any(SEE_CONTACT):
        shown += ["representative", "phone", "email", "holder_kana"]
    return shown


def contact_fields(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    if principal.has_any(SEE_CONTACT):
        return {"representative": data["representative"], "phone": data["phone"], "email": data["email"]}
    return {"representative": mask_name(data["representative"]), "phone": mask_phone(data["phone"]),
            "email": mask_email(data["email"])}


def bank_fields(bank: dict[str, Any], principal: Principal) -> dict[str, Any]:
    return {
        "bank_code": bank["bank_code"], "bank_name": bank.get("bank_name", ""),
        "branch_code": bank["branch_code"], "branch_name": bank.get("branch_name", ""),
        "account_type": bank["account_type"],
        "account_number_masked": mask_account_number(bank["account_number"]),
        "holder_kana": bank["holder_kana"] if principal.has_any(SEE_CONTACT) else mask_name(bank["holder_kana"]),
        "can_reveal": principal.has_any(SEE_BANK_ACCOUNT),
    }


def duplicate_count(item: dict[str, Any]) -> int:
    """How many other applications and stores share a phone, e-mail or bank account with this one (its
    duplicate group, kept on every member: service.link_duplicates). An application stored before the
    group was kept counts the distinct ones it found when it was submitted."""
    refs = item.get("duplicate_refs")
    if refs:
        return len(set(refs))
    return len({d["ref"] for d in item.get("duplicates", [])})


def summary(item: dict[str, Any]) -> dict[str, Any]:
    data = item["data"]
    return {
        "application_id": item["application_id"],
        "status": item["status"],
        "status_label": STATUS_LABELS[Status(item["status"])],
        "store_name": data["store_name"],
        "municipality_code": data["municipality_code"],
        "municipality_name": data["municipality_name"],
        "business_category": data["business_category"],
        "submitted_at": item["submitted_at"],
        "revision": item["revision"],
        "duplicate_count": duplicate_count(item),
        "warnings": item.get("warnings", []),
        "store_id": item.get("store_id"),
        # Marks a row of the queue: the prefecture's judgement waiting for the screener, or when it was asked.
        "prefecture_judgement": (latest_judgement(item) or {}).get("decision"),
        "prefecture_judgement_label": JUDGEMENT_LABELS.get((latest_judgement(item) or {}).get("decision", "")),
        "referred_at": _last(item, "refer").get("at") if item["status"] == Status.REFERRED else None,
    }


def detail(item: dict[str, Any], principal: Principal, duplicates: list[dict[str, str]]) -> dict[str, Any]:
    data = item["data"]
    return {
        **summary(item),
        "store_name_kana": data["store_name_kana"],
        "entity_type": data["entity_type"],
        "postal_code": data["postal_code"],
        "address": data["address"],
        "region": data["region"],
        "goods": data["goods"],
        "declarations": data["declarations"],
        "previous_store_id": data.get("previous_store_id"),
        **contact_fields(data, principal),
        "bank": bank_fields(data["bank"], principal),
        "warning_labels": [WARNING_LABELS.get(w, w) for w in item.get("warnings", [])],
        "duplicates": [
            {"kind": d["kind"], "label": DUPLICATE_LABELS[d["kind"]], "ref": d["ref"].split("#", 1)[1],
             "ref_type": d["ref"].split("#", 1)[0]}
            for d in duplicates
        ],
        "checklist": [{"key": k, "label": v, "value": (item.get("checks") or {}).get(k)} for k, v in CHECKLIST.items()],
        "decisions": [_shown_decision(d) for d in item.get("decisions", [])],
        "return_round": item.get("return_round", 0),
        "referrals": referrals(item.get("decisions", [])),
        "prefecture_judgement_detail": _judgement_view(latest_judgement(item)),
        # The choices of the prefecture's judgement form, labelled here once (screening.JUDGEMENT_LABELS).
        "judgement_choices": [{"value": k, "label": v} for k, v in JUDGEMENT_LABELS.items()],
        **version_changes(item, principal),
    }


#: What a decision record shows; anything else it keeps (the returned version's data) stays server-side.
DECISION_KEYS = ("action", "user", "role", "at", "checks", "reason", "question", "decision", "against_prefecture")


def _shown_decision(record: dict[str, Any]) -> dict[str, Any]:
    shown = {k: record[k] for k in DECISION_KEYS if k in record}
    if "decision" in record:
        shown["decision_label"] = JUDGEMENT_LABELS.get(record["decision"], record["decision"])
    return shown


def _last(item: dict[str, Any], action: str) -> dict[str, Any]:
    return next((d for d in reversed(item.get("decisions", [])) if d.get("action") == action), {})


def latest_judgement(item: dict[str, Any]) -> dict[str, Any] | None:
    """The prefecture's judgement the screener has to complete against (only while the status is judged)."""
    if item.get("status") != Status.JUDGED:
        return None
    return _last(item, "prefecture_judgement") or None


def _judgement_view(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if not record:
        return None
    return {"decision": record["decision"], "label": JUDGEMENT_LABELS.get(record["decision"], record["decision"]),
            "reason": record.get("reason", ""), "user": record["user"], "at": record["at"]}


def referrals(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The exchanges with the prefecture, oldest first: each question with who asked when, and its answer."""
    out: list[dict[str, Any]] = []
    for record in decisions:
        if record.get("action") == "refer":
            out.append({"question": record.get("question", ""), "asked_by": record["user"],
                        "asked_at": record["at"], "judgement": None})
        elif record.get("action") == "prefecture_judgement" and out and out[-1]["judgement"] is None:
            out[-1]["judgement"] = _judgement_view(record)
    return out


def version_changes(item: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A resubmitted application's changes against the version it corrects (`changes` is None when that
    version was not kept: returned before versions were recorded)."""
    revision = int(item.get("revision", 1))
    if revision < 2:
        return {"changes": None, "changes_from_revision": None}
    previous = next((d["returned_version"] for d in reversed(item.get("decisions", []))
                     if d.get("action") == "return" and (d.get("returned_version") or {}).get("revision")
                     == revision - 1), None)
    if previous is None:
        return {"changes": None, "changes_from_revision": revision - 1}
    return {"changes": changes(previous["data"], item["data"], principal), "changes_from_revision": revision - 1}


def resubmission_form(item: dict[str, Any]) -> dict[str, Any]:
    """What the applicant's correction link shows: their data, but never the full account number."""
    data = dict(item["data"])
    bank = dict(data["bank"])
    bank["account_number"] = ""
    bank["account_number_masked"] = mask_account_number(item["data"]["bank"]["account_number"])
    data["bank"] = bank
    reason = next((d["reason"] for d in reversed(item.get("decisions", [])) if d["action"] == "return"), "")
    return {"application_id": item["application_id"], "data": data, "reason": reason}

