"""The store kit through the API on moto (issue 11 points 3 and 4): handoff batches and their CSV, the
provider's answer (line-numbered reasons, idempotent), the credentials letter that erases the password,
the kit PDF whose page 1 QR code decodes to the payload, shipping, the register, and the roles."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.conftest import CAPTURED
from tests.factories import GENERATED, application_body, approve_body

NOW = "2025-06-02T10:00:00+09:00"
PASSWORDS = ("Init#Pass-7781", "Init#Pass-7782")
GENERATED.update(PASSWORDS)  # tests/zz_last checks every log line of the suite for them too


def at(now: str = NOW) -> dict[str, str]:
    return {"X-Miyapo-Now": now}


def make_store(api: Any) -> str:
    code, created = api.call("POST", "/applications", application_body())
    assert code == 201, created
    code, decided = api.call("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                             as_="screener")
    assert code == 200, decided
    return str(decided["store_id"])


def raw(api: Any, method: str, path: str, as_: str = "screener", body: bytes | None = None,
        content_type: str = "text/csv") -> Any:
    headers = {"Authorization": f"Bearer {api.tokens[as_]}", "Accept": "*/*", **at()}
    if body is not None:
        headers["Content-Type"] = content_type
        return getattr(api.client.http, method.lower())(path, headers=headers, body=body)
    return getattr(api.client.http, method.lower())(path, headers=headers)


def answer_csv(rows: list[tuple[str, str, str, str]], header: str = "store_id,login_id,initial_password,qr_payload"
               ) -> bytes:
    return ("\r\n".join([header, *(",".join(r) for r in rows)]) + "\r\n").encode("utf-8")


def payload(store_id: str) -> str:
    return f"https://pay.miyapo.example/s/{store_id}?k=Q7x2"


@pytest.fixture
def handed_off(api: Any) -> tuple[str, str, str]:
    """Two stores handed off in batch HB000001."""
    a, b = make_store(api), make_store(api)
    code, batch = api.call("POST", "/stores/kit-batches", as_="screener", headers=at())
    assert code == 201, batch
    assert batch["stores"] == 2
    return batch["batch_id"], a, b


def test_the_handoff_batch_takes_new_stores_once_and_its_csv_can_be_downloaded_again(api, handed_off):
    batch_id, a, b = handed_off
    resp = raw(api, "GET", f"/stores/kit-batches/{batch_id}/handoff.csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert resp.body.startswith(b"\xef\xbb\xbf") and b"\r\n" in resp.body
    lines = resp.body.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["store_id", "request_type", "store_name"]
    assert [line.split(",")[0] for line in lines[1:]] == [a, b]
    assert all(",new," in line and f",{batch_id},2025-06-02" in line for line in lines[1:])
    assert raw(api, "GET", f"/stores/kit-batches/{batch_id}/handoff.csv").body == resp.body
    # Nothing new: a second batch is refused (409, Japanese), and the overview says so.
    code, answer = api.call("POST", "/stores/kit-batches", as_="screener", headers=at())
    assert code == 409 and "引き渡す店舗がありません" in answer["error"]["message"]
    code, overview = api.call("GET", "/stores/kit-batches", as_="prefecture")
    assert code == 200 and overview["pending"] == 0 and overview["batches"][0]["batch_id"] == batch_id
    code, register = api.call("GET", "/stores/kit-register", as_="prefecture")
    row = next(r for r in register["items"] if r["store_id"] == a)
    assert row["handoff"]["batch_id"] == batch_id and row["handoff"]["handed_off_on"] == "2025-06-02"
    assert row["credentials"]["state"] == "awaiting_answer" and row["kit"]["state"] == "not_ready"


def test_bad_answer_rows_are_reported_by_line_and_a_rerun_changes_nothing(api, handed_off):
    _batch_id, a, b = handed_off
    c = make_store(api)  # approved, never handed off
    body = answer_csv([
        (a, "login-a", PASSWORDS[0], payload(a)),
        ("MP999999", "login-x", "Passw0rd!", "https://pay.example/x"),
        (c, "login-c", "Passw0rd!", "https://pay.example/c"),
        (a, "login-a", PASSWORDS[0], payload(a)),
        (b, "login-b", "short", payload(b)),
        ("XX1", "login", "Passw0rd!", "x"),
        (b, "login-b", PASSWORDS[1], "bad\tpayload"),
    ])
    resp = raw(api, "POST", "/stores/provider-answer", body=body)
    assert resp.status_code == 200, resp.body
    report = json.loads(resp.body)
    assert report["rows"] == 7 and report["accepted"] == 1
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert reasons[3] == "店舗IDが見つかりません"
    assert "引き渡していません" in reasons[4]
    assert "重複" in reasons[5] and "2行目" in reasons[5]
    assert "初期パスワード" in reasons[6]
    assert "店舗ID" in reasons[7]
    assert "二次元コード" in reasons[8]
    # The same file again: nothing changes, the row already taken is counted as unchanged.
    _, before = api.call("GET", "/stores/kit-register", as_="screener")
    again = json.loads(raw(api, "POST", "/stores/provider-answer", body=body).body)
    assert again["accepted"] == 1 and again["imported"] == 0 and again["unchanged"] == 1
    assert again["rejected"] == report["rejected"]
    _code, after = api.call("GET", "/stores/kit-register", as_="screener")
    assert before == after


def test_a_file_that_is_not_an_answer_is_refused_whole(api, handed_off):
    resp = raw(api, "POST", "/stores/provider-answer", body=b"a,b,c\r\n1,2,3\r\n")
    assert resp.status_code == 422
    assert "回答ファイルではありません" in json.loads(resp.body)["error"]["message"]
    assert raw(api, "POST", "/stores/provider-answer", body=b"").status_code == 422
    assert raw(api, "POST", "/stores/provider-answer", body=b"\xff\xfe\x00bad").status_code in (200, 422)


def test_the_kit_is_409_before_the_answer_and_its_first_page_qr_decodes_to_the_payload(api, handed_off):
    _, a, _ = handed_off
    resp = raw(api, "GET", f"/stores/{a}/kit.pdf")
    assert resp.status_code == 409 and "まだ取り込まれていない" in json.loads(resp.body)["error"]["message"]
    raw(api, "POST", "/stores/provider-answer", body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a))]))
    resp = raw(api, "GET", f"/stores/{a}/kit.pdf")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    pypdf = pytest.importorskip("pypdf")
    zxingcpp = pytest.importorskip("zxingcpp")
    reader = pypdf.PdfReader(io.BytesIO(resp.body))
    assert len(reader.pages) == 3
    (image,) = reader.pages[0].images
    assert [r.text for r in zxingcpp.read_barcodes(image.image)] == [payload(a)]
    assert a in reader.pages[0].extract_text()
    # Every print is audited.
    code, log = api.call("GET", f"/audit?subject=store%23{a}", as_="admin")
    assert code == 200 and any(e["action"] == "storekit.print_kit" for e in log["items"])


def test_the_letter_erases_the_password_and_a_second_print_offers_a_reissue(api, handed_off):
    _batch_id, a, _ = handed_off
    raw(api, "POST", "/stores/provider-answer", body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a))]))
    resp = raw(api, "POST", f"/stores/{a}/credentials-letter", body=b"", content_type="application/json")
    assert resp.status_code == 200 and resp.body.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    text = pypdf.PdfReader(io.BytesIO(resp.body)).pages[0].extract_text()
    assert PASSWORDS[0] in text and "login-a" in text and a in text and "0120-390-390" in text
    # The record keeps the fact, time and who, never the password.
    from chalicelib.deps import get_deps
    from chalicelib.stores.kit_repository import storekit_repository

    record = storekit_repository(get_deps()).get(a)
    assert record is not None and "password_ciphertext" not in record
    assert record["credentials_issued_by"] == "screener" and record["credentials_issued_how"] == "letter"
    second = raw(api, "POST", f"/stores/{a}/credentials-letter", body=b"", content_type="application/json")
    assert second.status_code == 409
    error = json.loads(second.body)["error"]
    assert "発行済み" in error["message"] and "再発行" in error["message"] and "reissue" in error["fields"]
    code, row = api.call("POST", f"/stores/{a}/credentials-reissue", {"reason": "通知書を紛失"}, as_="screener",
                         headers=at())
    assert code == 200 and row["credentials"]["state"] == "reissue_requested"
    code, batch = api.call("POST", "/stores/kit-batches", as_="screener", headers=at("2025-06-09T10:00:00+09:00"))
    assert code == 201 and batch["stores"] == 1 and batch["reissue"] == 1
    csv_text = raw(api, "GET", f"/stores/kit-batches/{batch['batch_id']}/handoff.csv").body.decode("utf-8-sig")
    assert f"{a},reissue," in csv_text
    # The old file brings nothing back; the provider's new password does.
    old = json.loads(raw(api, "POST", "/stores/provider-answer",
                         body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a))])).body)
    assert old["imported"] == 0 and old["unchanged"] == 1
    new = json.loads(raw(api, "POST", "/stores/provider-answer",
                         body=answer_csv([(a, "login-a", PASSWORDS[1], payload(a))])).body)
    assert new["imported"] == 1
    again = raw(api, "POST", f"/stores/{a}/credentials-letter", body=b"", content_type="application/json")
    assert again.status_code == 200


def test_shipping_list_and_shipment_return_reissue(api, handed_off):
    batch_id, a, b = handed_off
    raw(api, "POST", "/stores/provider-answer", body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a))]))
    resp = raw(api, "GET", f"/stores/kit-batches/{batch_id}/shipping-list.csv")
    assert resp.status_code == 200 and resp.body.startswith(b"\xef\xbb\xbf")
    lines = resp.body.decode("utf-8-sig").splitlines()
    assert lines[0] == "郵便番号,住所,宛名,電話番号,品名,個数,お客様管理番号"
    assert len(lines) == 2 and lines[1].endswith(f",1,{a}") and ",宮城県" in lines[1]
    code, err = api.call("POST", f"/stores/{a}/kit-shipment", {"tracking_number": "!"}, as_="screener", headers=at())
    assert code == 422 and "tracking_number" in err["error"]["fields"]
    code, row = api.call("POST", f"/stores/{a}/kit-shipment", {"tracking_number": "1234-5678-9012",
                                                              "shipped_on": "2025-06-02"}, as_="screener", headers=at())
    assert code == 200 and row["kit"]["state"] == "shipped" and row["kit"]["tracking_number"] == "1234-5678-9012"
    assert len(raw(api, "GET", f"/stores/kit-batches/{batch_id}/shipping-list.csv").body.decode("utf-8-sig")
               .splitlines()) == 1
    code, row = api.call("POST", f"/stores/{a}/kit-return", {}, as_="screener", headers=at())
    assert code == 200 and row["kit"]["state"] == "returned" and row["kit"]["return_reason"] == "宛先不明"
    code, row = api.call("POST", f"/stores/{a}/kit-reissue", {"reason": "住所を訂正"}, as_="screener", headers=at())
    assert code == 200 and row["kit"]["state"] == "reissue"
    assert len(raw(api, "GET", f"/stores/kit-batches/{batch_id}/shipping-list.csv").body.decode("utf-8-sig")
               .splitlines()) == 2
    code, _ = api.call("POST", f"/stores/{b}/kit-shipment", {"tracking_number": "12345678"}, as_="screener",
                       headers=at())
    assert code == 409


def test_roles_agent_is_refused_and_the_prefecture_reads_but_cannot_print(api, handed_off):
    batch_id, a, _ = handed_off
    raw(api, "POST", "/stores/provider-answer", body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a))]))
    for path in ("/stores/kit-register", "/stores/kit-batches", f"/stores/{a}/kit.pdf",
                 f"/stores/kit-batches/{batch_id}/handoff.csv"):
        assert raw(api, "GET", path, as_="agent").status_code == 403
    assert raw(api, "GET", "/stores/kit-register", as_="prefecture").status_code == 200
    assert raw(api, "GET", f"/stores/{a}/kit.pdf", as_="prefecture").status_code == 403
    assert raw(api, "POST", f"/stores/{a}/credentials-letter", as_="prefecture", body=b"",
               content_type="application/json").status_code == 403
    assert raw(api, "POST", "/stores/provider-answer", as_="prefecture", body=b"x").status_code == 403
    assert raw(api, "GET", f"/stores/{a}/kit.pdf", as_="admin").status_code == 200


def test_the_password_never_reaches_a_json_answer_or_a_log_line(api, handed_off):
    batch_id, a, b = handed_off
    start = len(CAPTURED)
    bodies = [raw(api, "POST", "/stores/provider-answer", body=answer_csv(
        [(a, "login-a", PASSWORDS[0], payload(a)), (b, "login-b", PASSWORDS[1], "bad\x01")])).body]
    for path in ("/stores/kit-register", "/stores/kit-batches", f"/stores/kit-register?batch={batch_id}"):
        bodies.append(raw(api, "GET", path).body)
    bodies.append(raw(api, "POST", f"/stores/{a}/credentials-reissue", body=b'{"reason": "x"}',
                      content_type="application/json").body)
    code, audit = api.call("GET", "/audit?date=2025-06-02", as_="admin")
    assert code == 200 and any(e["action"] == "storekit.provider_answer" for e in audit["items"])
    bodies.append(json.dumps(audit, ensure_ascii=False).encode())
    for body in bodies:
        for secret in PASSWORDS:
            assert secret.encode() not in body
    for line in CAPTURED[start:]:
        assert not any(secret in line for secret in PASSWORDS)


def test_a_batchs_letters_and_kits_print_in_one_go(api, handed_off):
    batch_id, a, b = handed_off
    raw(api, "POST", "/stores/provider-answer", body=answer_csv([(a, "login-a", PASSWORDS[0], payload(a)),
                                                                (b, "login-b", PASSWORDS[1], payload(b))]))
    resp = raw(api, "POST", f"/stores/kit-batches/{batch_id}/credentials-letters", body=b"",
               content_type="application/json")
    assert resp.status_code == 200 and resp.headers["X-Letters-Remaining"] == "0"
    pypdf = pytest.importorskip("pypdf")
    assert len(pypdf.PdfReader(io.BytesIO(resp.body)).pages) == 2
    again = raw(api, "POST", f"/stores/kit-batches/{batch_id}/credentials-letters", body=b"",
                content_type="application/json")
    assert again.status_code == 409
    kits = raw(api, "GET", f"/stores/kit-batches/{batch_id}/kits.pdf")
    assert kits.status_code == 200 and len(pypdf.PdfReader(io.BytesIO(kits.body)).pages) == 6
    assert raw(api, "GET", f"/stores/kit-batches/{batch_id}/kits.pdf", as_="prefecture").status_code == 403
    assert raw(api, "GET", "/stores/kit-batches/HB999999/kits.pdf").status_code == 404
