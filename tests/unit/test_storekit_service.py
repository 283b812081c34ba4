"""The store kit's rules on the twins (no AWS): handoff once, the answer stored encrypted and idempotent,
the letter erasing the password in the transaction that records who printed it, re-issue, shipping."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.stores import credentials, kit, kit_print
from chalicelib.stores.kit_repository import InMemoryStoreKitRepository
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import Audit, Counters, make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JST)
SECRET = "unit-test-secret-of-thirty-two-bytes!"
SCREENER = Principal("sato", frozenset({Role.SCREENER}))
PASSWORD = "Init#Pass-4401"


@pytest.fixture
def deps() -> Any:
    stores = InMemoryStoreRepository()
    tx = stores.new_tx()
    for n, status in ((1, "active"), (2, "active"), (3, "suspended")):
        stores.create(tx, {"store_id": f"MP00000{n}", "status": status, "store_name": f"テスト商店{n}", "version": 1,
                           "postal_code": "980-8570", "address": "仙台市青葉区本町3-8-1", "phone": "022-391-5501",
                           "approved_at": "2025-06-01T09:00:00+09:00"})
    tx.commit()
    return SimpleNamespace(settings=make_settings(APP_SECRET=SECRET), store_repository=stores, keys=Counters(),
                           audit=Audit(), storekit_repository=InMemoryStoreKitRepository())


def audit(deps: Any) -> list[str]:
    staged = [e["action"] for e in deps.storekit_repository.tables.get("audit", [])]
    return staged + [e["action"] for e in deps.audit.appended]


def answer(*rows: tuple[str, str, str, str]) -> bytes:
    lines = ["store_id,login_id,initial_password,qr_payload", *(",".join(r) for r in rows)]
    return "\r\n".join(lines).encode()


def test_only_active_stores_not_yet_handed_off_go_into_a_batch(deps: Any) -> None:
    assert kit.batches_overview(deps)["pending"] == 2
    made = kit.create_batch(deps, SCREENER, NOW)
    assert made["batch_id"] == "HB000001" and made["stores"] == 2 and made["status"] == "complete"
    record = deps.storekit_repository.get("MP000001")
    assert record["batch_id"] == "HB000001" and record["handed_off_on"] == "2025-06-02"
    assert record["handed_off_by"] == "sato" and record["awaiting_answer"] is True
    assert deps.storekit_repository.get("MP000003") is None  # suspended
    with pytest.raises(Conflict):
        kit.create_batch(deps, SCREENER, NOW)
    name, data = kit.handoff_file(deps, "HB000001", SCREENER, NOW)
    assert name == "handoff-HB000001.csv" and data.decode("utf-8-sig").count("\r\n") == 3
    assert "storekit.hand_off" in audit(deps) and "storekit.download_handoff" in audit(deps)
    with pytest.raises(NotFound):
        kit.handoff_file(deps, "HB000009", SCREENER, NOW)
    with pytest.raises(NotFound):
        kit.handoff_file(deps, "../x", SCREENER, NOW)


def test_the_answer_is_stored_encrypted_and_the_same_file_changes_nothing(deps: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    body = answer(("MP000001", "login1", PASSWORD, "https://pay.example/1"))
    report = kit.import_answer(deps, body, SCREENER, NOW)
    assert report == {"rows": 1, "accepted": 1, "imported": 1, "unchanged": 0, "rejected": []}
    record = deps.storekit_repository.get("MP000001")
    assert PASSWORD not in str(record)
    assert credentials.decrypt_password(SECRET, "MP000001", record["password_ciphertext"]) == PASSWORD
    again = kit.import_answer(deps, body, SCREENER, NOW)
    assert again["imported"] == 0 and again["unchanged"] == 1
    assert deps.storekit_repository.get("MP000001") == record
    other = kit.import_answer(deps, answer(("MP000001", "login1", "Other#Pass-1", "https://pay.example/1")),
                              SCREENER, NOW)
    assert other["accepted"] == 0 and "取り込み済み" in other["rejected"][0]["reason"]


def test_the_letter_erases_the_password_and_records_who_printed_it(deps: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    kit.import_answer(deps, answer(("MP000001", "login1", PASSWORD, "https://pay.example/1")), SCREENER, NOW)
    name, pdf = kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    assert name == "credentials-MP000001.pdf" and pdf.startswith(b"%PDF")
    record = deps.storekit_repository.get("MP000001")
    assert "password_ciphertext" not in record
    assert record["credentials_issued_by"] == "sato" and record["credentials_issued_at"] == NOW.isoformat()
    entry = next(e for e in deps.storekit_repository.tables["audit"] if e["action"] == "storekit.credentials_letter")
    assert PASSWORD not in str(entry) and entry["subject"] == "store#MP000001"
    with pytest.raises(Conflict) as refused:
        kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    assert "発行済み" in refused.value.message and "reissue" in refused.value.fields
    assert "storekit.credentials_letter_refused" in audit(deps)
    assert kit.register(deps, None, 50, None)["items"][0]["credentials"]["state"] == "issued"


def test_a_letter_is_printed_once_even_when_two_people_print_at_once(deps: Any, monkeypatch: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    kit.import_answer(deps, answer(("MP000001", "login1", PASSWORD, "https://pay.example/1")), SCREENER, NOW)
    repo = deps.storekit_repository
    stale = repo.get("MP000001")
    kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    monkeypatch.setattr(repo, "get", lambda store_id: dict(stale))  # the second reader saw the password
    with pytest.raises(Conflict):
        kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)


def test_a_reissue_goes_into_the_next_batch_and_takes_the_providers_new_password(deps: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    kit.import_answer(deps, answer(("MP000001", "login1", PASSWORD, "https://pay.example/1")), SCREENER, NOW)
    with pytest.raises(InvalidInput):
        kit_print.request_reissue(deps, "MP000001", {}, SCREENER, NOW)
    kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    row = kit_print.request_reissue(deps, "MP000001", {"reason": "紛失"}, SCREENER, NOW)
    assert row["credentials"]["state"] == "reissue_requested"
    with pytest.raises(Conflict):
        kit_print.request_reissue(deps, "MP000001", {"reason": "紛失"}, SCREENER, NOW)
    with pytest.raises(Conflict):
        kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)
    made = kit.create_batch(deps, SCREENER, NOW + timedelta(days=7))
    assert made["batch_id"] == "HB000002" and made["stores"] == 1 and made["reissue"] == 1
    # The first batch's file still lists the store as it was handed off then.
    first = kit.handoff_file(deps, "HB000001", SCREENER, NOW)[1].decode("utf-8-sig")
    assert "MP000001,new," in first
    new = kit.import_answer(deps, answer(("MP000001", "login1", "New#Pass-9912", "https://pay.example/1")),
                            SCREENER, NOW)
    assert new["imported"] == 1
    assert kit_print.credentials_letter(deps, "MP000001", SCREENER, NOW)[1].startswith(b"%PDF")


def test_the_kit_needs_the_answer_and_its_shipping_is_recorded(deps: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    with pytest.raises(Conflict):
        kit_print.kit_file(deps, "MP000001", SCREENER, NOW)
    kit.import_answer(deps, answer(("MP000001", "login1", PASSWORD, "https://pay.example/1")), SCREENER, NOW)
    assert kit_print.kit_file(deps, "MP000001", SCREENER, NOW)[1].startswith(b"%PDF")
    assert "storekit.print_kit" in audit(deps)
    rows = kit_print.shipping_file(deps, "HB000001", SCREENER, NOW)[1].decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].endswith("MP000001")
    with pytest.raises(InvalidInput):
        kit_print.record_shipment(deps, "MP000001", {"tracking_number": "123", "shipped_on": "2025-06-02"},
                                  SCREENER, NOW)
    with pytest.raises(InvalidInput):
        kit_print.record_shipment(deps, "MP000001", {"tracking_number": "12345678", "shipped_on": "2025-07-01"},
                                  SCREENER, NOW)
    row = kit_print.record_shipment(deps, "MP000001", {"tracking_number": "12345678"}, SCREENER, NOW)
    assert row["kit"]["state"] == "shipped" and row["kit"]["shipped_on"] == "2025-06-02"
    with pytest.raises(Conflict):
        kit_print.record_shipment(deps, "MP000001", {"tracking_number": "12345678"}, SCREENER, NOW)
    assert kit_print.record_return(deps, "MP000001", {}, SCREENER, NOW)["kit"]["return_reason"] == "宛先不明"
    assert kit_print.request_kit_reissue(deps, "MP000001", {"reason": "住所訂正"}, SCREENER, NOW)["kit"]["state"] \
        == "reissue"
    row = kit_print.record_shipment(deps, "MP000001", {"tracking_number": "87654321"}, SCREENER, NOW)
    assert row["kit"]["state"] == "shipped" and row["kit"]["returned_on"] is None
    record = deps.storekit_repository.get("MP000001")
    assert [e["action"] for e in record["kit_events"]] == ["kit_shipped", "kit_returned", "kit_reissue", "kit_shipped"]


def test_a_batchs_letters_print_in_one_pdf_and_erase_every_password(deps: Any) -> None:
    kit.create_batch(deps, SCREENER, NOW)
    with pytest.raises(Conflict):
        kit_print.batch_letters(deps, "HB000001", SCREENER, NOW)  # nothing answered yet
    kit.import_answer(deps, answer(("MP000001", "login1", PASSWORD, "https://pay.example/1"),
                                   ("MP000002", "login2", "Init#Pass-4402", "https://pay.example/2")), SCREENER, NOW)
    kit_print.credentials_letter(deps, "MP000002", SCREENER, NOW)  # one printed on its own first
    name, pdf, remaining = kit_print.batch_letters(deps, "HB000001", SCREENER, NOW)
    assert name == "credentials-HB000001.pdf" and pdf.startswith(b"%PDF") and remaining == 0
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1 and PASSWORD in pages[0].extract_text()
    assert all("password_ciphertext" not in (deps.storekit_repository.get(s) or {}) for s in ("MP000001", "MP000002"))
    with pytest.raises(Conflict):
        kit_print.batch_letters(deps, "HB000001", SCREENER, NOW)
    kits_name, kits = kit_print.batch_kits(deps, "HB000001", SCREENER, NOW)
    assert kits_name == "kits-HB000001.pdf" and len(pypdf.PdfReader(io.BytesIO(kits)).pages) == 6
    assert "storekit.print_kits" in audit(deps)


def test_a_batch_takes_at_most_max_batch_stores(deps: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(kit, "MAX_BATCH", 1)
    assert kit.create_batch(deps, SCREENER, NOW)["stores"] == 1
    assert kit.batches_overview(deps)["pending"] == 1
    assert kit.create_batch(deps, SCREENER, NOW)["batch_id"] == "HB000002"
