"""The data stores, defined once: the CDK stack (infra/) and the local stack both build from these.

Tables are named after the questions they answer; every read on a request path is a GetItem or
a Query on a key or index (never a Scan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str | None = None


@dataclass(frozen=True)
class TableSpec:
    #: logical name, also the suffix of the physical name (`miyapo-<stage>-<name>`)
    name: str
    #: environment variable the functions read the physical name from
    env: str
    pk: str
    sk: str | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    #: holds personal data (encrypted with the customer-managed KMS key, disposed at contract end)
    personal_data: bool = False
    #: attribute used for TTL, if any
    ttl: str | None = None

    def key_attributes(self) -> list[str]:
        names = [self.pk] + ([self.sk] if self.sk else [])
        for index in self.indexes:
            names += [index.pk] + ([index.sk] if index.sk else [])
        return list(dict.fromkeys(names))


TABLES: tuple[TableSpec, ...] = (
    # Data protection (chalicelib/privacy/): pk `disposal#DR000001` is an end-of-contract disposal run: its
    # dry-run counts, who ran and who executed it, its certificate (counts and staff ids, no personal data).
    TableSpec("privacy", "PRIVACY_TABLE", pk="pk"),
    # Store applications; the screening queue reads the status index, newest last.
    TableSpec(
        "applications", "APPLICATIONS_TABLE", pk="application_id",
        indexes=(Index("by_status", "status", "submitted_at"),), personal_data=True,
    ),
    # The store master; search by status (and then by id order).
    TableSpec(
        "stores", "STORES_TABLE", pk="store_id",
        indexes=(Index("by_status", "status", "store_id"),), personal_data=True,
    ),
    # Small keyed facts: counters, idempotency keys (client tokens), keyed fingerprints of
    # phones / e-mails / bank accounts for duplicate detection (HMAC, never the datum itself).
    TableSpec("keys", "KEYS_TABLE", pk="pk", sk="sk"),
    # Append-only audit log, partitioned by JST day; also queryable by subject (application/store).
    TableSpec(
        "audit", "AUDIT_TABLE", pk="day", sk="entry_id",
        indexes=(Index("by_subject", "subject", "entry_id"),),
    ),
    # Every e-mail the system sends, keyed by a deterministic id so it is sent exactly once;
    # pending ones are retried by the mail sweep.
    TableSpec(
        "outbox", "OUTBOX_TABLE", pk="mail_id",
        indexes=(Index("by_state", "state", "created_at"),), personal_data=True,
        # A sent mail's address and body expire 30 days after sending (chalicelib/privacy/retention.py).
        ttl="expires_at",
    ),
    # Usage imports: one item per uploaded export, with its report; listed newest first.
    TableSpec(
        "imports", "IMPORTS_TABLE", pk="import_id",
        indexes=(Index("by_kind", "kind", "created_at"),),
    ),
    # Net usage per month and store, one item per (store, import): a round reads one month's
    # partition (calls grow with stores, not with usage rows). Only committed imports count.
    TableSpec("usage", "USAGE_TABLE", pk="month", sk="key"),
    # Settlement rounds: pk `round#YYYY-MM` holds the round item and its lines (versioned while a
    # draft), and a copy of each held line under `held#v{n}#{store}` (the summary reads those, not
    # every line); pk `adjustments` holds correction entries; pk `returns#YYYY-MM` returned transfers.
    TableSpec("settlements", "SETTLEMENTS_TABLE", pk="pk", sk="sk"),
    # Call-center inquiries (caller name/phone are personal data). A day's log is a month-partition
    # query on the received_at prefix; open items by status; a store's history by store; queued
    # escalation notices (sparse: only while waiting for the prefecture's office to open) by due time.
    TableSpec(
        "inquiries", "INQUIRIES_TABLE", pk="inquiry_id",
        indexes=(Index("by_month", "month", "received_at"), Index("by_status", "status", "received_at"),
                 Index("by_store", "store_id", "received_at"), Index("by_notice", "notice_state", "notice_due")),
        personal_data=True,
    ),
    # Consultation sessions (相談会, chalicelib/sessions/repository.py): pk `session#SS000001` holds the
    # session (sk `session`) and its survey answers (sk `survey#…`, no personal data); pk `months` the
    # months that hold sessions; pk `proposals` / `manuals` the month's proposals and manual versions.
    # A month's sessions are a query on `by_month` (month of starts_at, JST); its answers too
    # (partition `survey#YYYY-MM`).
    TableSpec(
        "sessions", "SESSIONS_TABLE", pk="pk", sk="sk",
        indexes=(Index("by_month", "month", "starts_at"),),
    ),
    # The store kit (chalicelib/stores/kit_repository.py): pk `MP000001` is a store's handoff to the app
    # provider, its credentials (the initial password encrypted only until its letter is printed) and
    # its kit shipments; pk `batch#HB000001` a handoff batch (listed newest first through `by_kind`).
    TableSpec(
        "storekit", "STOREKIT_TABLE", pk="pk",
        indexes=(Index("by_kind", "kind", "created_at"),), personal_data=True,
    ),
    # Carried-over stores (chalicelib/stores/carried_over_repository.py): pk `import#SI000001` is an
    # upload of the prefecture's list of last year's stores, its rows and their preview; pk
    # `digest#<sha256>` points the same file uploaded again at its import.
    TableSpec("storeimports", "STOREIMPORTS_TABLE", pk="pk", personal_data=True),
    # Store change requests (chalicelib/stores/change_repository.py): one item per request, its changes,
    # the values they replace and its history; a store's requests newest first, the open ones by status.
    TableSpec(
        "storechanges", "STORECHANGES_TABLE", pk="request_id",
        indexes=(Index("by_store", "store_id", "created_at"), Index("by_status", "status", "created_at")),
        personal_data=True,
    ),
    # Staff users and their personal-data training (chalicelib/staff/repository.py): pk `user` holds one item
    # per staff user (e-mail, role, status); pk `training#<fiscal year>` the year's training records by user.
    TableSpec("staff", "STAFF_TABLE", pk="pk", sk="sk", personal_data=True),
)


@dataclass(frozen=True)
class BucketSpec:
    name: str
    env: str
    #: emits EventBridge "Object Created" events (uploads are imported by a handler)
    event_bridge: bool = False
    #: the console's browser posts files straight into it (presigned POST): CORS for the console's origin
    browser_uploads: bool = False


BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec("uploads", "UPLOADS_BUCKET", event_bridge=True, browser_uploads=True),
    BucketSpec("documents", "DOCUMENTS_BUCKET"),
)

#: Domain the system sends mail from (a verified SES identity).
MAIL_DOMAIN = "example.jp"


#: CORS of a bucket the console's browser uploads into: the presigned POST (a form post, no custom
#: headers) from the console's origin only; ETag is readable so the page can tell an upload landed.
UPLOAD_CORS_METHODS = ("POST",)
UPLOAD_CORS_MAX_AGE_SECONDS = 3000


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (a page's origin, as a browser sends it in `Origin`)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def upload_cors_rules(origins: tuple[str, ...]) -> list[dict[str, object]]:
    """The CORS rules (S3's PutBucketCors shape) of a browser-upload bucket for these page origins."""
    return [{"AllowedOrigins": list(origins), "AllowedMethods": list(UPLOAD_CORS_METHODS),
             "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": UPLOAD_CORS_MAX_AGE_SECONDS}]


def physical_name(stage: str, logical: str) -> str:
    return f"miyapo-{stage}-{logical}"


def environment_for(stage: str) -> dict[str, str]:
    """The table/bucket environment variables of a stage (used by the local stack and tests)."""
    env = {t.env: physical_name(stage, t.name) for t in TABLES}
    env.update({b.env: physical_name(stage, b.name) for b in BUCKETS})
    return env
