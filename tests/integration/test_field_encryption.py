"""Personal data at rest (issue 13, 別記2): after an application, its approval, a store change request and
a call-center inquiry with distinctive personal values, no table item and no S3 object holds any of them
in plaintext — read raw (boto3 clients, not the repositories) — while the API still answers them."""

from __future__ import annotations

import json
from typing import Any

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
                found[f"s3:{bucket}/{version['Key']}@{version['VersionId']}"] = body.decode("utf-8", "replace")
    return found


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


#: The bank's transfer file (全銀 format) must be byte-exact for the bank and carries the account number
#: and holder in plaintext by definition. It is kept in the documents bucket under SSE-KMS (the bucket's
#: customer-managed key), not sealed per field: the settlement area writes and serves it. Excluded here,
#: by name, and reported (issue 13's closing note); every other object and item must hold no plaintext.
TRANSFER_FILE_KEY = "/zengin-sogo-furikomi-"


def test_after_a_settlement_round_only_the_banks_transfer_file_carries_the_account_in_plaintext(api):
    from tests.integration.test_settlement_api import JULY_2, csv_of, download, upload

    holder, account = PAID_HOLDER, PAID_ACCOUNT
    store_id = make_store(api, phone=PHONE, email=EMAIL, representative=OWNER,
                          bank={"account_number": account, "holder_kana": holder})
    upload(api, csv_of([("T9001", "2025-06-01 10:00:00", store_id, "店", 1200, "利用")]))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, approved
    assert account.encode() in download(api, "/settlements/2025-06/transfer-file", "accountant").body

    leaks = {where: found for where, found in _leaks(_raw_dump(api.aws)).items()}
    excluded = {where for where in leaks if where.startswith("s3:") and TRANSFER_FILE_KEY in where}
    assert excluded, f"no transfer file among the objects (the exclusion names the wrong key): {sorted(leaks)}"
    assert {where: leaks[where] for where in leaks if where not in excluded} == {}
