"""Every mail to a store ends with the same footer (mail/templates.py `store_mail_footer`): the operator,
the call center's phone and hours from settings.call_center, and that the mail cannot be answered."""

from __future__ import annotations

from datetime import date, time

import pytest

from chalicelib.mail import templates
from chalicelib.settings import CallCenterSettings
from chalicelib.settlement import mails as settlement_mails
from chalicelib.stores import mails as store_mails

CENTER = CallCenterSettings(call_center_phone="022-211-9999", call_center_open=time(8, 30),
                            call_center_close=time(18, 0))
DATA = {"store_name": "青葉珈琲店", "municipality_name": "仙台市青葉区", "address": "本町3-8-1"}
STORE = {"store_id": "MP000001", "store_name": "青葉珈琲店", "bank": {"account_number": "1234567"}}


def test_the_footer_says_the_configured_phone_and_hours() -> None:
    footer = templates.store_mail_footer(CENTER)
    assert "みやぎポイント コールセンター 022-211-9999（毎日 8:30〜18:00、祝日・年末年始を除く）" in footer
    assert "送信専用" in footer and templates.OPERATOR in footer


def test_the_hours_are_written_as_the_pages_show_them() -> None:
    assert templates.call_center_hours(CENTER) == "毎日 8:30〜18:00（祝日・年末年始を除く）"
    assert templates.call_center_hours(CallCenterSettings()) == "毎日 9:00〜17:30（祝日・年末年始を除く）"


def test_without_configuration_the_footer_uses_the_default_call_center() -> None:
    # Unit tests have no settings; a function in the cloud always has them.
    assert CallCenterSettings().call_center_phone in templates.store_mail_footer()


@pytest.mark.parametrize("build", [
    lambda c: templates.application_received("AP000001", DATA, call_center=c),
    lambda c: templates.application_returned("AP000001", DATA, "理由", "https://x/apply/correct#t=a", "2025年7月1日",
                                             call_center=c),
    lambda c: templates.application_approved("AP000001", "MP000001", DATA, call_center=c),
    lambda c: templates.application_rejected("AP000001", DATA, "理由", call_center=c),
])
def test_every_application_mail_to_the_store_ends_with_the_footer(build) -> None:
    _, body = build(CENTER)
    assert body.endswith(templates.store_mail_footer(CENTER))


@pytest.mark.parametrize("build", [
    lambda: store_mails.bank_change_notice(STORE, {"bank_name": "七十七", "bank_code": "0125", "branch_name": "本店営業部",
                                                   "branch_code": "100", "account_number": "7654321"}, "https://x"),
    lambda: settlement_mails.payment_notice(STORE, {"usage": 1200, "adjustments": 0, "carried_in": 0, "paid": 1200},
                                            "2025-06", date(2025, 7, 18)),
    lambda: settlement_mails.transfer_returned(STORE, "2025-06", 1200, "口座なし"),
])
def test_the_store_mails_of_other_areas_end_with_the_footer_too(build) -> None:
    _, body = build()
    assert body.endswith(templates.store_mail_footer())


def test_staff_mails_keep_the_plain_signature() -> None:
    _, body = templates.staff_new_application("AP000001", {"municipality_name": "仙台市青葉区", "business_category": "小売"}, [])
    assert "コールセンター" not in body
