"""How long each kind of data is kept, where it lives and why: the one retention table (issue 13, point 2).

Every table and bucket of `chalicelib/adapters/resources.py` has at least one row here
(tests/unit/test_privacy_retention.py fails for a new one without a row). The rows drive:
- the infrastructure: DynamoDB TTL attributes (`TableSpec.ttl`) and S3 lifecycle rules per prefix
  (`lifecycle_rules()`, read by infra/stack.py), and the protection of the settlement documents;
- the daily `retention-sweep` (chalicelib/privacy/jobs.py), which removes what is due where the cloud's
  TTL and lifecycle do not run (the local stack) and, everywhere, what no TTL can express;
- the end-of-contract disposal (chalicelib/privacy/disposal.py): `at_disposal` says whether a kind is
  deleted, anonymized or kept there.

Rules cited: the prefecture's specification 7(1)チ (精算業務に関する帳票等を法令等に基づき適切に管理),
its 別記2 個人情報取扱特記事項 (第6 保有の制限, 第10 資料の返還等 (廃棄), 第14・第15 調査と報告, 第17 事故報告),
and docs/SPEC.md §6.3 (settlement records 7 years after the fiscal year by default).
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Where = Literal["table", "bucket", "logs"]
AtDisposal = Literal["delete", "anonymize", "keep"]

#: Settlement records and documents: 7 years after the fiscal year (SPEC §6.3). A record made in April is
#: due 7 years after the next March: 8 years from creation covers every month of a fiscal year.
SETTLEMENT_YEARS = 7
SETTLEMENT_DAYS = 8 * 365 + 2
#: A sent mail's address and body (chalicelib/mail/outbox.py KEEP_AFTER_SENDING).
OUTBOX_DAYS = 30
#: Usage exports and their import reports: the fiscal year they pay plus a month for corrections; the
#: figures stay in the usage table for the settlement period.
USAGE_FILE_DAYS = 400
#: Rejected applications: a year after the decision, for the applicant's questions and a new application.
REJECTED_APPLICATION_DAYS = 365

R_7_1_CHI = "仕様書 7(1)チ（精算業務に関する帳票等を法令等に基づき適切に管理）、SPEC §6.3（会計年度終了後7年）"
R_6 = "別記2 第6（保有の制限: 利用目的の達成に必要な範囲を超えて保有しない）"
R_10 = "別記2 第10（業務完了後、個人情報が記録された資料を確実に廃棄）"
R_14_17 = "別記2 第14・第15（県の実地調査・報告）、第17（事故発生時の報告）"


@dataclass(frozen=True)
class Retention:
    #: stable id of the kind of data (the keys of the disposal's counts)
    kind: str
    #: what it is, in Japanese (the certificate and docs/retention.md use it)
    label: str
    where: Where
    #: logical table or bucket name in resources.py ("logs" for log groups)
    location: str
    #: the items or objects of the kind inside the location: an S3 key prefix, or a description of the items
    selector: str
    personal_data: bool
    #: how long, in Japanese
    period: str
    #: days after `starts` when a time-based rule removes it; None: until contract end (disposal) or kept
    days: int | None
    #: the moment `days` count from
    starts: str
    #: why, citing the rule
    basis: str
    #: what enforces it
    mechanism: str
    #: what the end-of-contract disposal does with it
    at_disposal: AtDisposal
    #: an S3 prefix protected against early deletion (settlement documents)
    protected: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


RETENTION: tuple[Retention, ...] = (
    Retention("applications", "参加申込（承認済み・審査中）", "table", "applications", "status ≠ rejected", True,
              "契約終了まで", None, "申込時", R_6 + "、" + R_10, "契約終了時の廃棄（/privacy/disposal）", "delete"),
    Retention("applications_rejected", "参加申込（不承認）", "table", "applications", "status = rejected", True,
              f"不承認の決定から{REJECTED_APPLICATION_DAYS}日", REJECTED_APPLICATION_DAYS, "不承認の決定",
              R_6 + "（申請者からの問合せ・再申請への対応に必要な期間）",
              "retention-sweep（毎日）", "delete"),
    Retention("stores", "店舗マスタ（店舗名・代表者・連絡先）", "table", "stores", "店舗の項目", True,
              "契約終了まで", None, "承認時", R_6 + "、" + R_10,
              "契約終了時の廃棄（店舗IDは精算の数値とともに残す）", "delete"),
    Retention("bank_accounts", "振込口座（口座番号・名義）", "table", "stores", "店舗の口座項目", True,
              "契約終了まで", None, "登録時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("store_changes", "店舗の変更申請（変更前後の値）", "table", "storechanges", "全項目", True,
              "契約終了まで", None, "申請時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("carried_over_imports", "前年度参加店舗の取込（県の一覧）", "table", "storeimports", "全項目", True,
              "契約終了まで", None, "取込時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("store_kit", "店舗キット（アプリ事業者への引渡し・発送）", "table", "storekit", "全項目", True,
              "契約終了まで（初期パスワードは通知書の印刷時に消去）", None, "作成時",
              R_6 + "（初期パスワードは通知書の印刷までしか必要としない）、" + R_10,
              "印刷時の消去（stores/kit_print.py）、契約終了時の廃棄", "delete"),
    Retention("keys", "採番・冪等キー・重複検知用の鍵付きハッシュ", "table", "keys", "全項目", True,
              "契約終了まで", None, "作成時", R_6 + "（重複申込の検知に必要な間だけ）、" + R_10,
              "契約終了時の廃棄", "delete"),
    Retention("counters", "採番カウンタ（申込番号などの最後の番号）", "table", "keys", "pk = counter", False,
              "契約終了後も保存", None, "作成時", "番号の再利用を防ぐ（個人情報を含まない）",
              "契約終了後も保存", "keep"),
    Retention("usage_imports", "利用実績の取込記録", "table", "imports", "全項目", False,
              f"会計年度終了後{SETTLEMENT_YEARS}年", SETTLEMENT_DAYS, "取込時", R_7_1_CHI,
              "契約終了後も保存（個人情報を含まない）", "keep"),
    Retention("usage_rows", "利用実績（店舗・月ごとの集計）", "table", "usage", "全項目", False,
              f"会計年度終了後{SETTLEMENT_YEARS}年", SETTLEMENT_DAYS, "取込時", R_7_1_CHI,
              "契約終了後も保存（店舗IDと数値のみ）", "keep"),
    Retention("settlement_rounds", "精算（月次の精算回・明細・調整・組戻し）", "table", "settlements", "全項目", True,
              f"会計年度終了後{SETTLEMENT_YEARS}年", SETTLEMENT_DAYS, "精算月の翌会計年度末", R_7_1_CHI,
              "契約終了時に匿名化（店舗ID・金額・日付を残し、店舗名・口座を消去）", "anonymize"),
    Retention("outbox", "送信メール（宛先・本文）", "table", "outbox", "全項目", True,
              f"送信後{OUTBOX_DAYS}日", OUTBOX_DAYS, "送信時",
              R_6 + "（再送・問合せ対応に必要な期間）",
              "DynamoDB TTL（expires_at）と retention-sweep（毎日）", "delete"),
    Retention("audit_log", "監査ログ（誰がいつ何をしたか。個人情報の値は含まない）", "table", "audit", "全項目", False,
              f"契約終了後{SETTLEMENT_YEARS}年", None, "記録時", R_14_17 + "、SPEC §6.3（追記専用）",
              "追記専用（削除の権限なし）、契約終了後も保存", "keep"),
    Retention("inquiries", "問合せ（相談者の氏名・電話番号）", "table", "inquiries", "全項目", True,
              "契約終了まで", None, "受付時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("sessions", "相談会・アンケート回答（個人情報を含まない）", "table", "sessions", "全項目", False,
              "契約終了まで（県への成果物として引渡し）", None, "作成時", "仕様書 7（成果物）、" + R_6,
              "契約終了後も保存（個人情報を含まない）", "keep"),
    Retention("staff", "事務局スタッフ（利用者・研修記録）", "table", "staff", "全項目", True,
              "廃棄の完了まで（その後、利用者プールとともに閉鎖）", None, "登録時",
              "別記2 第3（個人情報管理責任者・業務従事者の報告）、第9（研修の記録）: 廃棄を実行し証明する者の記録として必要",
              "廃棄の後、スタック撤去時に Cognito 利用者プールとともに削除", "keep"),
    Retention("disposal_runs", "廃棄の記録と証明書", "table", "privacy", "全項目", False,
              f"契約終了後{SETTLEMENT_YEARS}年", None, "廃棄時", R_10 + "（廃棄の証明）",
              "契約終了後も保存（件数とスタッフIDのみ）", "keep"),
    Retention("usage_exports", "利用実績ファイル（アップロードされた CSV）", "bucket", "uploads", "usage/", True,
              f"アップロードから{USAGE_FILE_DAYS}日", USAGE_FILE_DAYS, "アップロード時",
              R_6 + "（集計値は利用実績テーブルに残る）", "S3 ライフサイクル（旧バージョンを含む）", "delete"),
    Retention("usage_reports", "取込レポート（不備行の一覧）", "bucket", "uploads", "reports/usage/", True,
              f"作成から{USAGE_FILE_DAYS}日", USAGE_FILE_DAYS, "作成時", R_6, "S3 ライフサイクル（旧バージョンを含む）",
              "delete"),
    Retention("usage_ledger", "取込済み取引IDの台帳（二重取込の防止）", "bucket", "uploads", "ledger/", False,
              f"作成から{USAGE_FILE_DAYS}日", USAGE_FILE_DAYS, "作成時", R_6, "S3 ライフサイクル（旧バージョンを含む）",
              "delete"),
    Retention("transfer_files", "全銀振込ファイル・支払通知（口座・店舗名を含む）", "bucket", "documents", "settlements/",
              True, f"会計年度終了後{SETTLEMENT_YEARS}年", SETTLEMENT_DAYS, "作成時", R_7_1_CHI,
              "S3 ライフサイクル、早期削除の禁止（バケットポリシー、バージョニング）、契約終了時に廃棄（数値は精算テーブルに匿名化して保存）",
              "delete", protected=True),
    Retention("statements", "精算明細書・集計（CSV/XLSX/JSON）", "bucket", "documents", "prefecture/settlements/", True,
              f"会計年度終了後{SETTLEMENT_YEARS}年", SETTLEMENT_DAYS, "作成時", R_7_1_CHI,
              "S3 ライフサイクル、早期削除の禁止（バケットポリシー、バージョニング）、契約終了時に廃棄（数値は精算テーブルに匿名化して保存）",
              "delete", protected=True),
    Retention("inquiry_reports", "コールセンター日報・月報", "bucket", "documents", "prefecture/daily-inquiries/", True,
              "契約終了まで", None, "作成時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("inquiry_monthly_reports", "コールセンター月次集計", "bucket", "documents", "prefecture/monthly-inquiries/",
              True, "契約終了まで", None, "作成時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("session_reports", "相談会の月次報告", "bucket", "documents", "prefecture/monthly-sessions/", False,
              "契約終了まで（県への成果物）", None, "作成時", "仕様書 7（成果物）", "契約終了後も保存", "keep"),
    Retention("prefecture_reports", "県へのその他の報告", "bucket", "documents", "prefecture/", False,
              "契約終了まで（県への成果物）", None, "作成時", "仕様書 7（成果物）", "契約終了後も保存", "keep"),
    Retention("session_documents", "相談会のチラシ・設置マニュアル", "bucket", "documents", "sessions/", False,
              "契約終了まで", None, "作成時", "公開資料（個人情報を含まない）", "契約終了後も保存", "keep"),
    Retention("store_kit_files", "店舗キットの引渡しファイル（店舗の連絡先）", "bucket", "documents", "stores/", True,
              "契約終了まで", None, "作成時", R_6 + "、" + R_10, "契約終了時の廃棄", "delete"),
    Retention("disposal_certificates", "廃棄証明書（PDF）", "bucket", "documents", "privacy/", False,
              f"契約終了後{SETTLEMENT_YEARS}年", None, "廃棄時", R_10 + "（廃棄の証明）", "契約終了後も保存", "keep"),
    Retention("logs", "アプリケーションログ・アクセスログ（ID のみ、個人情報を含まない）", "logs", "logs",
              "CloudWatch Logs、S3 アクセスログ、ローカルの .local/", False,
              "ログ保存期間（既定1年、コンテキスト log_retention）", 365, "記録時",
              R_14_17 + "（個人情報はログに書かない: tests/zz_last）", "CloudWatch Logs の保存期間、S3 ライフサイクル",
              "keep"),
)

BY_KIND = {r.kind: r for r in RETENTION}


def table_json() -> dict[str, Any]:
    """`GET /privacy/retention`: the table as JSON."""
    return {"items": [r.as_json() for r in RETENTION]}


def bucket_rows(bucket: str) -> list[Retention]:
    """The rows of a bucket, the longest prefix first (an object belongs to the first row whose prefix it has)."""
    return sorted((r for r in RETENTION if r.where == "bucket" and r.location == bucket),
                  key=lambda r: -len(r.selector))


def kind_of_object(bucket: str, key: str) -> Retention | None:
    return next((r for r in bucket_rows(bucket) if key.startswith(r.selector)), None)


def lifecycle_rules(bucket: str) -> list[dict[str, Any]]:
    """The S3 lifecycle rules of a bucket (infra/stack.py): per prefix with a time limit, the current version
    expires after `days` and a replaced or deleted version `days` after it stopped being current (the whole
    period: an overwritten settlement document keeps its old versions as long as the current one)."""
    rules = []
    for row in bucket_rows(bucket):
        if row.days is None:
            continue
        rules.append({"id": f"retention-{row.kind}", "prefix": row.selector, "expiration_days": row.days,
                      "noncurrent_days": row.days})
    return rules


def protected_prefixes(bucket: str) -> list[str]:
    return [r.selector for r in bucket_rows(bucket) if r.protected]
