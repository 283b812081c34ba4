"""Personal data at rest (issue 13, 別記2): after an application, its approval, a store change request,
a call-center inquiry and a settlement round with distinctive personal values, no table item and no S3
object version holds any of them in plaintext — read raw (boto3 clients, not the repositories), inside
compressed containers too (PDF text and streams, XLSX/ZIP members, gzip), as UTF-8 and as Shift_JIS (the
bank's transfer file) — while the API still answers them, the transfer file byte for byte."""

from __future__ import annotations

import gzip
import io
import json
import re
import unicodedata
import zipfile
import zlib
from typing import Any

import pytest

from scripts import localenv
from tests.factories import GENERATED, application_body
from tests.integration.inquiry_support import at
from tests.integration.test_store_changes_api import decide, enter, make_store

HOLDER = "ｼﾗｶﾜ ﾐﾄﾞﾘｱﾝｺﾞｳ"
ACCOUNT = "8642097"
NEW_ACCOUNT = "9753108"
PHONE = "022-488-1375"
NEW_PHONE = "022-488-2486"
EMAIL = "midori.cipher-shop@example.com"
NEW_EMAIL = "midori.changed-cipher@example.com"
OWNER = "白川 翠暗号テスト"
CALLER = "青葉 暗号太郎テスト"
CALLER_PHONE = "080-7731-4682"
PAID_ACCOUNT = "2718281"
PAID_HOLDER = "ｱｵﾊﾞ ｾｲｻﾝｱﾝｺﾞｳ"
GENERATED.update({HOLDER, "シラカワ ミドリアンゴウ", ACCOUNT, NEW_ACCOUNT, PHONE, NEW_PHONE, EMAIL, NEW_EMAIL, OWNER,
                  CALLER, CALLER_PHONE, "0224881375", "0224882486", "08077314682", PAID_ACCOUNT, PAID_HOLDER,
                  "アオバ セイサンアンゴウ"})


@pytest.fixture(autouse=True)
def field_key_of_this_moto(fresh_aws: str) -> None:
    """The deps (and their KMS key source, whose data key lives 5 minutes) are cached per process, while
    each test resets moto: a data key cached from an earlier test is wrapped by a key moto no longer has.
    This module reads wrapped keys back through KMS, so it starts from the deps of this test's moto."""
    from chalicelib.deps import get_deps

    get_deps.cache_clear()


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


#: Each submitted value as a person typed it and as the app normalises it (digits only, full-width kana).
SECRETS = {PAID_ACCOUNT, PAID_HOLDER, "アオバ セイサンアンゴウ", ACCOUNT, NEW_ACCOUNT, HOLDER, "シラカワ ミドリアンゴウ", "シラカワミドリアンゴウ", PHONE, _digits(PHONE),
           NEW_PHONE, _digits(NEW_PHONE), EMAIL, NEW_EMAIL, OWNER, CALLER, CALLER_PHONE, _digits(CALLER_PHONE)}


def _raw_dump(endpoint: str) -> dict[str, str]:
    """Every item of every table (DynamoDB JSON) and every S3 object version, by where it lives."""
    import boto3

    kwargs: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "ap-northeast-1"}
    ddb, s3 = boto3.client("dynamodb", **kwargs), boto3.client("s3", **kwargs)
    found: dict[str, str] = {}
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for n, item in enumerate(page["Items"]):
                found[f"dynamodb:{table}#{len(found)}:{n}"] = json.dumps(item, ensure_ascii=False)
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
                found[f"s3:{bucket}/{version['Key']}@{version['VersionId']}"] = readable(body)
    return found


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def readable(body: bytes, depth: int = 0) -> str:
    """Every text a reader of `body` could get without a key: the bytes as UTF-8 and as Shift_JIS (both
    also NFKC-normalised: half-width kana read as full-width), a PDF's extracted text and its inflated
    streams, the members of a ZIP (XLSX) and the content of a gzip, recursively."""
    texts = [body.decode("utf-8", "replace"), body.decode("cp932", "replace")]
    if depth < 3:
        if body.startswith(b"%PDF"):
            import pypdf

            texts += [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(body)).pages]
            for raw in _STREAM.findall(body):
                try:
                    texts.append(readable(zlib.decompress(raw), depth + 1))
                except zlib.error:
                    continue
        elif body.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                texts += [readable(z.read(name), depth + 1) for name in z.namelist()]
        elif body.startswith(b"\x1f\x8b"):
            texts.append(readable(gzip.decompress(body), depth + 1))
    return "\n".join(texts + [unicodedata.normalize("NFKC", t) for t in texts])


def _leaks(dump: dict[str, str]) -> dict[str, list[str]]:
    return {where: sorted(s for s in SECRETS if s in text) for where, text in dump.items()
            if any(s in text for s in SECRETS)}


def test_no_submitted_personal_value_is_stored_in_plaintext_and_the_api_still_answers_them(api):
    assert localenv.FIELD_KEY_ALIAS  # the local stage seals with moto's KMS key (bootstrap creates it)
    store_id = make_store(api, representative=OWNER, phone=PHONE, email=EMAIL,
                          bank={"account_number": ACCOUNT, "holder_kana": HOLDER})
    code, entered = enter(api, store_id, {"phone": NEW_PHONE, "email": NEW_EMAIL,
                                          "bank": {**application_body()["bank"], "account_number": NEW_ACCOUNT,
                                                   "holder_kana": HOLDER}})
    assert code == 201, entered
    code, inquiry = api.call("POST", "/inquiries", {
        "received_at": "2025-06-02T10:00:00+09:00", "channel": "phone", "caller_type": "store",
        "category": "points_use", "summary": "入金日の確認", "answer": "案内済み", "status": "resolved",
        "store_id": store_id, "caller_name": CALLER, "caller_phone": CALLER_PHONE,
    }, as_="agent", headers=at("2025-06-02T10:05:00+09:00"))
    assert code == 201, inquiry

    # The one who may see them still does (decrypted in the read path; the reveal is audited as before).
    code, store = api.call("GET", f"/stores/{store_id}", as_="screener")
    assert code == 200 and store["phone"] == _digits(PHONE), store
    code, inq = api.call("GET", f"/inquiries/{inquiry['inquiry_id']}", as_="agent")
    assert code == 200 and (inq["caller_name"], inq["caller_phone"]) == (CALLER, CALLER_PHONE), inq

    code, done = decide(api, entered["request_id"])
    assert code == 200 and done["status"] == "approved", done
    code, store = api.call("GET", f"/stores/{store_id}", as_="screener")
    assert store["phone"] == _digits(NEW_PHONE) and store["email"] == NEW_EMAIL, store

    dump = _raw_dump(api.aws)
    assert any(k.startswith("dynamodb:") and "storechanges" in k for k in dump), "the scan read no change request"
    assert any("enc:v1:" in text for text in dump.values())
    assert _leaks(dump) == {}
    _a_wrapped_key_unwraps_only_with_its_encryption_context(api.aws, dump)


def _a_wrapped_key_unwraps_only_with_its_encryption_context(endpoint: str, dump: dict[str, str]) -> None:
    import re

    import boto3
    from botocore.exceptions import ClientError

    from chalicelib.adapters.kms import ENCRYPTION_CONTEXT
    from chalicelib.kernel.field_crypto import _unb64

    token = next(m.group(0) for text in dump.values() for m in [re.search(r"enc:v1:[^\"]+", text)] if m)
    wrapped = _unb64(token.split(":")[3])
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="ap-northeast-1")
    assert len(kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"]) == 32
    try:
        kms.decrypt(CiphertextBlob=wrapped)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "InvalidCiphertextException"
    else:
        raise AssertionError("a data key unwrapped without its encryption context")


def test_the_scan_reads_inside_pdf_xlsx_gzip_and_shift_jis():
    """The scanner is not blind: each container below carries a secret the raw bytes do not show."""
    from datetime import UTC, datetime

    from chalicelib.kernel.pdf import GOTHIC, register_japanese_font
    from chalicelib.kernel.sheets import to_xlsx

    register_japanese_font()
    from reportlab.pdfgen import canvas

    pdf = io.BytesIO()
    page = canvas.Canvas(pdf)
    page.setFont(GOTHIC, 12)
    page.drawString(72, 720, f"{OWNER} {ACCOUNT}")
    page.save()
    containers = {
        "pdf": pdf.getvalue(),
        "xlsx": to_xlsx([("シート", [["口座番号", "名義"], [NEW_ACCOUNT, HOLDER]])], datetime(2025, 7, 1, tzinfo=UTC)),
        "gzip": gzip.compress(EMAIL.encode()),
        "sjis": f"2012500001{PAID_HOLDER} {PAID_ACCOUNT}".encode("cp932"),
    }
    for name, body in containers.items():
        if name != "sjis":  # the digits of an account are ASCII in Shift_JIS too; its kana are not UTF-8
            assert not any(s.encode() in body for s in SECRETS), name
    assert PAID_HOLDER.encode() not in containers["sjis"] and PAID_HOLDER.encode("cp932") in containers["sjis"]
    leaks = _leaks({name: readable(body) for name, body in containers.items()})
    assert {OWNER, ACCOUNT} <= set(leaks["pdf"]), leaks
    assert {NEW_ACCOUNT, HOLDER} <= set(leaks["xlsx"]), leaks
    assert EMAIL in leaks["gzip"] and {PAID_HOLDER, "アオバ セイサンアンゴウ", PAID_ACCOUNT} <= set(leaks["sjis"]), leaks


TRANSFER_FILE = "settlements/2025-06/zengin-sogo-furikomi-2025-06.txt"


def test_after_a_settlement_round_no_object_carries_the_account_and_the_transfer_file_is_served_exactly(api):
    """The bank's transfer file (全銀 format) and the payment notices are sealed in S3 (adapters/files.py
    `SEALED`); the route serves the very bytes that were put, which the bank's format check reads."""
    import boto3

    from chalicelib.adapters.files import PLAIN_SIZE_META, SEALED_META
    from chalicelib.deps import get_deps
    from chalicelib.kernel.field_crypto import MAGIC, purpose_of
    from chalicelib.settlement.zengin_reader import parse_transfer_file
    from tests.integration.test_settlement_api import JULY_2, csv_of, download, upload

    holder, account = PAID_HOLDER, PAID_ACCOUNT
    store_id = make_store(api, phone=PHONE, email=EMAIL, representative=OWNER,
                          bank={"account_number": account, "holder_kana": holder})
    upload(api, csv_of([("T9001", "2025-06-01 10:00:00", store_id, "店", 1200, "利用")]))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, approved
    served = download(api, "/settlements/2025-06/transfer-file", "accountant")
    assert served.status_code == 200
    rows = parse_transfer_file(served.body).records
    assert [(r.account_number, r.amount) for r in rows] == [(account, 1200)], rows

    dump = _raw_dump(api.aws)
    transfer = [where for where in dump if where.startswith("s3:") and f"/{TRANSFER_FILE}@" in where]
    notices = [where for where in dump if where.startswith("s3:") and f"/settlements/2025-06/notices/{store_id}.txt@"
               in where]
    assert transfer and notices, sorted(dump)
    assert _leaks(dump) == {}

    # The stored object is sealed; opened with the stage's key it is exactly what the route served.
    s3 = boto3.client("s3", endpoint_url=api.aws, region_name="ap-northeast-1")
    deps = get_deps()
    bucket = deps.settings.buckets.documents_bucket
    stored = s3.get_object(Bucket=bucket, Key=TRANSFER_FILE)
    raw = stored["Body"].read()
    assert raw.startswith(MAGIC) and purpose_of(raw) == "settlement-document"
    assert account.encode() not in raw
    assert stored["Metadata"] == {SEALED_META: "settlement-document", PLAIN_SIZE_META: str(len(served.body))}
    assert deps.cipher is not None and deps.cipher.open_bytes(raw, TRANSFER_FILE.encode()) == served.body


def test_the_file_store_seals_by_the_table_answers_plain_sizes_and_keeps_the_seal_on_a_touch(deps):
    import boto3

    from chalicelib.adapters.files import FileStore
    from chalicelib.kernel.field_crypto import SealError, is_sealed_bytes

    bucket = deps.settings.buckets.documents_bucket
    s3 = boto3.client("s3", endpoint_url=deps.settings.aws_endpoint_url, region_name="ap-northeast-1")
    files = FileStore(bucket, deps.cipher)
    notice, statement = "settlements/2025-06/notices/MP000001.txt", "prefecture/settlements/2025-06/s.csv"
    body = f"振込先: {PAID_HOLDER} {PAID_ACCOUNT}\n".encode()
    files.put(notice, body, "text/plain; charset=utf-8")
    files.put(statement, b"store,amount\r\n", "text/csv")

    assert is_sealed_bytes(s3.get_object(Bucket=bucket, Key=notice)["Body"].read())
    assert s3.get_object(Bucket=bucket, Key=statement)["Body"].read() == b"store,amount\r\n"
    assert files.get(notice) == body and files.size(notice) == len(body)
    assert [(o["key"], o["size"]) for o in files.listing("settlements/")] == [(notice, len(body))]
    files.touch(notice, "text/plain; charset=utf-8", {"requeued-at": "now"})
    assert files.get(notice) == body and files.size(notice) == len(body)
    # The default is the stage's cipher; a store without a key refuses rather than answering ciphertext.
    assert FileStore(bucket).get(notice) == body
    with pytest.raises(SealError):
        FileStore(bucket, None).get(notice)
    # Bound to its key: copied elsewhere under a sealed prefix, it does not open.
    s3.copy_object(Bucket=bucket, Key="settlements/2025-06/notices/MP000002.txt",
                   CopySource={"Bucket": bucket, "Key": notice})
    with pytest.raises(SealError):
        files.get("settlements/2025-06/notices/MP000002.txt")


def test_the_file_store_downloads_to_a_file_a_piece_at_a_time_and_opens_a_sealed_object(deps, tmp_path, monkeypatch):
    from chalicelib.adapters import files as files_module
    from chalicelib.adapters.files import FileStore

    monkeypatch.setattr(files_module, "_DOWNLOAD_CHUNK", 1000)  # many pieces
    files = FileStore(deps.settings.buckets.documents_bucket, deps.cipher)
    plain = "".join(f"TX{i:06d},2025-06-01 10:00:00,MP000001,仙台商店,{i},利用\r\n" for i in range(300)).encode()
    sealed = f"振込先: {PAID_HOLDER} {PAID_ACCOUNT}\n".encode() * 100
    files.put("usage/export.csv", plain, "text/csv")
    files.put("settlements/2025-06/notices/MP000003.txt", sealed, "text/plain; charset=utf-8")
    assert files.download("usage/export.csv", tmp_path / "a") and (tmp_path / "a").read_bytes() == plain
    assert files.download("settlements/2025-06/notices/MP000003.txt", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == sealed
    assert not files.download("usage/none.csv", tmp_path / "c")
