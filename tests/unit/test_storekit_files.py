"""The store kit's pure parts: the CSV layouts, the provider's answer parser, the password's encryption,
the specification's rules word for word, and the PDFs (the QR code on page 1 decodes to the payload)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.stores import credentials, handoff, kit_pdf, letter_pdf

SECRET = "unit-test-secret-of-thirty-two-bytes!"
SPEC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "prefecture-specification-ja.txt"
STORE = {"store_id": "MP000001", "store_name": "テスト商店", "store_name_kana": "テストショウテン",
         "postal_code": "980-8570", "municipality_name": "仙台市青葉区", "address": "本町3-8-1",
         "phone": "022-391-5501", "business_category": "小売", "approved_at": "2025-06-01T09:00:00+09:00"}


def test_the_handoff_csv_has_bom_crlf_and_the_documented_columns():
    data = handoff.handoff_csv([handoff.handoff_row(STORE, "HB000001", "new", "2025-06-02")])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    header, row = text.splitlines()
    assert header == ",".join(handoff.HANDOFF_COLUMNS)
    assert row == ("MP000001,new,テスト商店,テストショウテン,980-8570,宮城県仙台市青葉区本町3-8-1,022-391-5501,小売,"
                   "2025-06-01,HB000001,2025-06-02")
    # Every column is documented in the module's docstring and in docs/store-kit.md.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "store-kit.md").read_text(encoding="utf-8")
    for column in handoff.HANDOFF_COLUMNS:
        assert f"| {column}" in (handoff.__doc__ or "") and f"`{column}`" in doc


def test_the_shipping_list_has_the_label_softwares_columns():
    text = handoff.shipping_csv([STORE]).decode("utf-8-sig")
    header, row = text.splitlines()
    assert header.split(",")[:6] == ["郵便番号", "住所", "宛名", "電話番号", "品名", "個数"]
    assert row == f"980-8570,宮城県仙台市青葉区本町3-8-1,テスト商店,022-391-5501,{handoff.KIT_GOODS},1,MP000001"


def test_addresses_are_printed_with_the_prefecture_once():
    assert handoff.full_address({"address": "宮城県仙台市青葉区本町3-8-1"}) == "宮城県仙台市青葉区本町3-8-1"
    assert handoff.full_address({"address": "仙台市青葉区本町3-8-1", "municipality_name": "仙台市青葉区"}) \
        == "宮城県仙台市青葉区本町3-8-1"


def answer(*rows: str, header: str = "store_id,login_id,initial_password,qr_payload") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def test_the_answer_parser_reports_each_bad_row_by_line():
    parsed = handoff.parse_answer(answer(
        "MP000001,login1,Passw0rd!,https://pay.example/1",
        "",
        "mp000002,login2,Passw0rd!,https://pay.example/2",
        "MP000001,login1,Passw0rd!,https://pay.example/1",
        "MP000003,login 3,Passw0rd!,https://pay.example/3",
        "MP000004,login4,short,https://pay.example/4",
        "MP000005,login5,Passw0rd!,",
        "MP000006,login6",
        'MP000007,login7,Passw0rd!,"https://pay.example/7,with-comma"',
    ))
    assert parsed.rows == 8
    assert [(r.line, r.store_id) for r in parsed.valid] == [(2, "MP000001"), (4, "MP000002"), (10, "MP000007")]
    assert parsed.valid[2].qr_payload == "https://pay.example/7,with-comma"
    reasons = {r["line"]: r["reason"] for r in parsed.rejected}
    assert set(reasons) == {5, 6, 7, 8, 9}
    assert "2行目" in reasons[5] and "ログインID" in reasons[6] and "初期パスワード" in reasons[7]
    assert "二次元コード" in reasons[8] and "列の数" in reasons[9]


def test_the_answer_parser_takes_any_column_order_cp932_and_a_bom():
    body = answer("Passw0rd!,MP000001,https://pay.example/1,login1",
                  header="initial_password,store_id,qr_payload,login_id")
    parsed = handoff.parse_answer(b"\xef\xbb\xbf" + body)
    assert parsed.valid[0].login_id == "login1" and parsed.valid[0].password == "Passw0rd!"
    cp932 = answer("MP000001,login1,Passw0rd!,https://pay.example/1", header="store_id,login_id,initial_password,"
                   "qr_payload,備考")
    assert handoff.parse_answer(cp932.decode("utf-8").encode("cp932")).valid[0].store_id == "MP000001"


@pytest.mark.parametrize("body", [b"", b"   \r\n", b"a,b\r\n1,2\r\n", b"store_id,login_id\r\nMP000001,x\r\n",
                                  b"\x80\xff\xfe\x81\x00"])
def test_a_file_that_is_not_an_answer_is_refused_whole(body: bytes):
    with pytest.raises(InvalidInput):
        handoff.parse_answer(body)


def test_the_password_round_trips_and_is_bound_to_its_store_and_key():
    token = credentials.encrypt_password(SECRET, "MP000001", "Passw0rd!")
    assert token.startswith("v1:") and "Passw0rd" not in token
    assert credentials.decrypt_password(SECRET, "MP000001", token) == "Passw0rd!"
    assert credentials.encrypt_password(SECRET, "MP000001", "Passw0rd!") != token  # a fresh nonce each time
    with pytest.raises(credentials.CredentialError):
        credentials.decrypt_password(SECRET, "MP000002", token)
    with pytest.raises(credentials.CredentialError):
        credentials.decrypt_password("another-secret-of-thirty-two-bytes!!", "MP000001", token)
    with pytest.raises(credentials.CredentialError):
        credentials.decrypt_password(SECRET, "MP000001", token[:-4] + "AAAA")


def test_the_answer_digest_is_keyed_and_covers_every_field():
    base = credentials.answer_digest(SECRET, "MP000001", "login", "Passw0rd!", "payload")
    assert base == credentials.answer_digest(SECRET, "MP000001", "login", "Passw0rd!", "payload")
    assert "Passw0rd" not in base
    assert base != credentials.answer_digest(SECRET, "MP000001", "login", "Passw0rd?", "payload")
    assert base != credentials.answer_digest("x" * 32, "MP000001", "login", "Passw0rd!", "payload")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_printed_rules_are_the_specifications_words():
    spec = _flat(SPEC.read_text(encoding="utf-8"))
    assert _flat(kit_pdf.SPEC_EXCLUDED_GOODS) in spec
    assert _flat(kit_pdf.SPEC_TOBACCO) in spec


def test_page_one_of_the_kit_carries_a_qr_code_that_decodes_to_the_payload():
    """Decoded with zxing-cpp from the image embedded in page 1 (requirements-dev.txt); without it, the
    QR matrix is checked against the encoder's own data and page 1 must still hold the image."""
    pypdf = pytest.importorskip("pypdf")
    payload = "00020101021126580014jp.miyapo.pay0108MP00000102081234abcd5204599953033925802JP6304ABCD"
    pdf = kit_pdf.render_kit(kit_pdf.KitStore("MP000001", "テスト商店"), payload, phone="0120-390-390")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4
    images = reader.pages[0].images
    assert len(images) == 1
    image = images[0].image
    assert image.size[0] >= 300
    text = reader.pages[0].extract_text()
    assert "MP000001" in text and "テスト商店" in text and "たばこ" in text
    assert "ポスター" not in text and "つかえます" in reader.pages[1].extract_text()
    try:
        import zxingcpp
    except ImportError:
        matrix = kit_pdf.qr_matrix(payload)
        assert len(matrix) >= 21
        return
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [payload]
    assert "M" in str(results[0].ec_level)


def test_the_letter_carries_the_credentials_and_how_to_change_them():
    pypdf = pytest.importorskip("pypdf")
    pdf = letter_pdf.render_letter(kit_pdf.KitStore("MP000001", "テスト商店"), login_id="mp000001", password="Xy7#kP2q",
                                console_url="https://console.example/", phone="0120-390-390", issued_on="2025年6月2日")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("MP000001", "テスト商店", "mp000001", "Xy7#kP2q", "https://console.example/", "0120-390-390",
                     "変更方法"):
        assert expected in text
