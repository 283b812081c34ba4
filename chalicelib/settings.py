"""One settings model, loaded once from the environment, failing loudly with the missing name."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, ValidationError

LOCAL_STAGE = "local"


class Settings(BaseModel):
    stage: str
    applications_table: str
    stores_table: str
    keys_table: str
    audit_table: str
    outbox_table: str
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
    #: Days a "return for correction" link stays valid.
    resubmit_link_days: int = 14
    #: Largest request body the public endpoints accept.
    max_body_bytes: int = 16_384
    #: AWS endpoint for the local stage (moto); unused in the cloud.
    aws_endpoint_url: str | None = None

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE


_ENV = {
    "stage": "STAGE",
    "applications_table": "APPLICATIONS_TABLE",
    "stores_table": "STORES_TABLE",
    "keys_table": "KEYS_TABLE",
    "audit_table": "AUDIT_TABLE",
    "outbox_table": "OUTBOX_TABLE",
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
    "resubmit_link_days": "RESUBMIT_LINK_DAYS",
    "max_body_bytes": "MAX_BODY_BYTES",
    "aws_endpoint_url": "AWS_ENDPOINT_URL",
}


class SettingsError(RuntimeError):
    pass


def load_settings(environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    values = {field: environ[var] for field, var in _ENV.items() if environ.get(var)}
    try:
        return Settings(**values)
    except ValidationError as exc:
        missing = [_ENV[str(e["loc"][0])] for e in exc.errors() if e["type"] == "missing"]
        raise SettingsError(f"missing or invalid settings: {missing or exc}") from exc


@functools.cache
def get_settings() -> Settings:
    return load_settings()
