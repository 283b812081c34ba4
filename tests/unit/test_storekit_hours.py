"""The printed kit and letters carry the call center's hours from settings, not a constant."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.stores import kit, kit_pdf, kit_print
from chalicelib.stores.kit_repository import InMemoryStoreKitRepository
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import Audit, Counters, make_settings, with_setting

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=timezone(timedelta(hours=9)))
SCREENER = Principal("sato", frozenset({Role.SCREENER}))


def test_the_hours_label_follows_the_reference_calendar_and_the_given_times():
    assert kit_pdf.call_center_hours(time(9, 0), time(17, 30)) == "毎日 9:00〜17:30（祝日・年末年始を除く）"
    assert kit_pdf.call_center_hours(time(8, 45), time(20, 0)) == "毎日 8:45〜20:00（祝日・年末年始を除く）"
    assert kit_pdf.CALL_CENTER_HOURS == kit_pdf.call_center_hours(
        make_settings().call_center.call_center_open, make_settings().call_center.call_center_close)


def test_a_printed_kit_and_letter_show_the_configured_hours():
    pypdf = pytest.importorskip("pypdf")
    settings = with_setting(make_settings(APP_SECRET="unit-test-secret-of-thirty-two-bytes!"),
                            "call_center.call_center_close", time(19, 15))
    stores = InMemoryStoreRepository()
    tx = stores.new_tx()
    stores.create(tx, {"store_id": "MP000001", "status": "active", "store_name": "テスト商店", "version": 1,
                       "postal_code": "980-8570", "address": "仙台市青葉区本町3-8-1", "phone": "022-391-5501",
                       "approved_at": "2025-06-01T09:00:00+09:00"})
    tx.commit()
    deps = SimpleNamespace(settings=settings, store_repository=stores, keys=Counters(), audit=Audit(),
                           storekit_repository=InMemoryStoreKitRepository())
    kit.create_batch(deps, SCREENER, NOW)
    kit.import_answer(deps, b"store_id,login_id,initial_password,qr_payload\r\n"
                            b"MP000001,login1,Init#Pass-4401,https://pay.example/1\r\n", SCREENER, NOW)
    _, kit_bytes = kit_print.kit_file(deps, "MP000001", SCREENER, NOW)
    _, letter_bytes = kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    kit_pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(kit_bytes)).pages]
    letter = pypdf.PdfReader(io.BytesIO(letter_bytes)).pages[0].extract_text()
    for text in (kit_pages[0], kit_pages[2], letter):
        assert "9:00〜19:15" in text.replace(" ", "").replace("毎日", "")
        assert "17:30" not in text
