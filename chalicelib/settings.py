"""One settings model, loaded once from the environment, failing loudly with the missing name."""

from __future__ import annotations

import functools
import ipaddress
import os
from datetime import date, time
from decimal import Decimal
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

LOCAL_STAGE = "local"


class SettingsError(RuntimeError):
    pass


class Settings(BaseModel):
    stage: str
    applications_table: str
    stores_table: str
    keys_table: str
    audit_table: str
    outbox_table: str
    imports_table: str
    usage_table: str
    settlements_table: str
    inquiries_table: str
    uploads_bucket: str
    documents_bucket: str
    mail_from: str
    staff_mailbox: str
    prefecture_mailbox: str
    #: Base URL of the public pages, used in e-mailed links (no trailing slash).
    public_base_url: str
    #: Secret for signed links and for keyed fingerprints of personal data (never logged).
    app_secret: str
    #: Where the JWT verification keys come from: a JWKS URL (Cognito) or a local file path.
    jwks_source: str
    jwt_issuer: str
    jwt_audience: str | None = None
    # --- staff sign-in: Cognito's hosted login, authorization code + PKCE (chalicelib/auth/oauth.py) ---
    #: The hosted login's base URL (the Cognito domain); the local stack uses its own /dev stand-in.
    auth_hosted_ui_url: str | None = None
    #: The console's app client: only its tokens are accepted (`client_id` of access tokens, `aud` of ID tokens).
    auth_client_id: str | None = None
    #: Where the hosted login returns with the code, and where its logout returns (default: the login page).
    auth_redirect_uri: str | None = None
    auth_logout_uri: str | None = None
    #: Minutes without any activity in the console after which it signs out (every tab).
    auth_idle_minutes: int = 30
    #: Days a "return for correction" link stays valid.
    resubmit_link_days: int = 14
    #: Largest request body the public endpoints accept.
    max_body_bytes: int = 16_384
    # --- settlement (docs/SPEC.md §2, §4.4, §5.3): configuration, not code ------------------------
    #: System fee charged to the prefecture on the month's point funds.
    fee_rate: Decimal = Decimal("0.005")
    fee_rounding: str = "down"
    #: Day of the month stores are paid (or the preceding bank business day).
    payment_day: int = 20
    #: Bank business days before the payment date by which the round must be approved.
    approval_lead_days: int = 3
    #: The operator's own account (振込依頼人) and its bank's 振込指定区分.
    requester_code: str = "0000000001"
    requester_name: str = "ﾐﾔｷﾞﾎﾟｲﾝﾄｼﾞﾑｷﾖｸ"
    requester_bank_code: str = "0125"
    requester_branch_code: str = "100"
    requester_account_type: str = "1"
    requester_account_number: str = "1234567"
    transfer_kind: str = "7"
    #: Largest amount (yen, either sign) one adjustment may carry when it is entered.
    max_adjustment: int = 10_000_000
    #: A store's payment above this (yen) in one round is held until a second person confirms it.
    store_payment_ceiling: int = 5_000_000
    #: Rounds paying more stores than this leave their per-store notices to the mail sweep.
    inline_notice_limit: int = 300
    #: CRLF after each record (most banks) or none.
    transfer_line_ending: str = "crlf"
    #: Usage export column mapping as JSON (keys of chalicelib.usage.parser.ColumnMapping); empty = default.
    usage_columns_json: str = ""
    #: Seconds the usage import's lease lasts: no longer than the import function's timeout (120 s, infra/
    #: functions.py), so that Lambda's retry of a timed-out or crashed import takes the lease over.
    usage_import_lease_seconds: int = 120
    # --- call center (docs/SPEC.md §2, §4.5): configuration, not code ----------------------------
    #: The call center's service period (inclusive) and daily hours, JST (start inclusive, end exclusive).
    call_center_service_start: date = date(2025, 4, 1)
    call_center_service_end: date = date(2026, 3, 25)
    call_center_open: time = time(9, 0)
    call_center_close: time = time(17, 30)
    #: The prefecture's office hours on its office days (escalations outside them wait for the opening).
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(17, 0)
    #: Inquiry forecast the daily report compares the running totals with (docs/SPEC.md §1).
    inquiry_forecast_monthly: int = 1_000
    inquiry_forecast_total: int = 12_000
    #: The prefecture's inquiry categories as JSON [{"code", "label"}]; empty = chalicelib.inquiries.config.
    inquiry_categories: str | None = None

    #: AWS endpoint for the local stage (moto); unused in the cloud.
    aws_endpoint_url: str | None = None

    @property
    def is_local(self) -> bool:
        """The local stack: the local stage *and* AWS on this machine (moto). Local-only behaviour (the
        clock header, the mail reader, demo logins, a JWKS file) keys off this, never off the stage name
        alone, so a mislabelled stage pointing at real AWS does not get it."""
        return self.stage == LOCAL_STAGE and is_loopback_url(self.aws_endpoint_url)


def is_loopback_url(url: str | None) -> bool:
    """True for an http(s) URL whose host is this machine (127.0.0.0/8, ::1, localhost)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_stage_rules(settings: Settings) -> Settings:
    """Refuse, at cold start, what only the local stack may do.

    Outside the local stack the staff tokens must be verified against an https JWKS (Cognito's):
    a JWKS file or plain-http URL there would let whoever can write that file or answer that URL
    mint staff tokens.
    """
    if not settings.is_local and not settings.jwks_source.startswith("https://"):
        raise SettingsError(
            f"JWKS_SOURCE must be an https:// URL outside the local stack (stage {settings.stage!r}, "
            f"AWS_ENDPOINT_URL {'set' if settings.aws_endpoint_url else 'unset'}); a local key file is "
            "only accepted with STAGE=local and a loopback AWS_ENDPOINT_URL"
        )
    return settings


_ENV = {
    "stage": "STAGE",
    "applications_table": "APPLICATIONS_TABLE",
    "stores_table": "STORES_TABLE",
    "keys_table": "KEYS_TABLE",
    "audit_table": "AUDIT_TABLE",
    "outbox_table": "OUTBOX_TABLE",
    "imports_table": "IMPORTS_TABLE",
    "usage_table": "USAGE_TABLE",
    "settlements_table": "SETTLEMENTS_TABLE",
    "inquiries_table": "INQUIRIES_TABLE",
    "uploads_bucket": "UPLOADS_BUCKET",
    "documents_bucket": "DOCUMENTS_BUCKET",
    "mail_from": "MAIL_FROM",
    "staff_mailbox": "STAFF_MAILBOX",
    "prefecture_mailbox": "PREFECTURE_MAILBOX",
    "public_base_url": "PUBLIC_BASE_URL",
    "app_secret": "APP_SECRET",
    "jwks_source": "JWKS_SOURCE",
    "jwt_issuer": "JWT_ISSUER",
    "jwt_audience": "JWT_AUDIENCE",
    "auth_hosted_ui_url": "AUTH_HOSTED_UI_URL",
    "auth_client_id": "AUTH_CLIENT_ID",
    "auth_redirect_uri": "AUTH_REDIRECT_URI",
    "auth_logout_uri": "AUTH_LOGOUT_URI",
    "auth_idle_minutes": "AUTH_IDLE_MINUTES",
    "resubmit_link_days": "RESUBMIT_LINK_DAYS",
    "max_body_bytes": "MAX_BODY_BYTES",
    "aws_endpoint_url": "AWS_ENDPOINT_URL",
    "fee_rate": "FEE_RATE",
    "fee_rounding": "FEE_ROUNDING",
    "payment_day": "PAYMENT_DAY",
    "approval_lead_days": "APPROVAL_LEAD_DAYS",
    "requester_code": "REQUESTER_CODE",
    "requester_name": "REQUESTER_NAME",
    "requester_bank_code": "REQUESTER_BANK_CODE",
    "requester_branch_code": "REQUESTER_BRANCH_CODE",
    "requester_account_type": "REQUESTER_ACCOUNT_TYPE",
    "requester_account_number": "REQUESTER_ACCOUNT_NUMBER",
    "transfer_kind": "TRANSFER_KIND",
    "max_adjustment": "MAX_ADJUSTMENT",
    "store_payment_ceiling": "STORE_PAYMENT_CEILING",
    "inline_notice_limit": "INLINE_NOTICE_LIMIT",
    "transfer_line_ending": "TRANSFER_LINE_ENDING",
    "usage_columns_json": "USAGE_COLUMNS_JSON",
    "usage_import_lease_seconds": "USAGE_IMPORT_LEASE_SECONDS",
    "call_center_service_start": "CALL_CENTER_SERVICE_START",
    "call_center_service_end": "CALL_CENTER_SERVICE_END",
    "call_center_open": "CALL_CENTER_OPEN",
    "call_center_close": "CALL_CENTER_CLOSE",
    "office_hours_start": "OFFICE_HOURS_START",
    "office_hours_end": "OFFICE_HOURS_END",
    "inquiry_forecast_monthly": "INQUIRY_FORECAST_MONTHLY",
    "inquiry_forecast_total": "INQUIRY_FORECAST_TOTAL",
    "inquiry_categories": "INQUIRY_CATEGORIES",
}


def _secret_from_arn(arn: str) -> str:
    # In the cloud the secret lives in Secrets Manager (infra/ passes its ARN); fetched once per cold start.
    from chalicelib.adapters import aws

    return str(aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def load_settings(environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    values = {field: environ[var] for field, var in _ENV.items() if environ.get(var)}
    if "app_secret" not in values and environ.get("APP_SECRET_ARN"):
        values["app_secret"] = _secret_from_arn(environ["APP_SECRET_ARN"])
    try:
        return Settings(**values)
    except ValidationError as exc:
        missing = [_ENV[str(e["loc"][0])] for e in exc.errors() if e["type"] == "missing"]
        raise SettingsError(f"missing or invalid settings: {missing or exc}") from exc


@functools.cache
def get_settings() -> Settings:
    """The settings of this process, checked against the stage rules (`check_stage_rules`)."""
    return check_stage_rules(load_settings())
