"""Every Lambda function of the Chalice app: its size (from measurements) and what it may touch.

No aws_cdk import: the main test suite reads this too (tests/unit/test_infra_definitions.py checks that
every handler in app.py has a profile here), and infra/stack.py builds one role, log group, alarm set
and (for asynchronously invoked functions) one on-failure queue per profile.

Sizing — measured on the development machine (2 cores, Python 3.13), then converted to Lambda, where
CPU is proportional to memory (1,769 MB = one vCPU; 1,024 MB ≈ 0.58 vCPU; 512 MB ≈ 0.29 vCPU):
- `python -m bench.settlement` (1,000,000 rows, 15,000 stores, 72 MB CSV): parse + aggregate + the
  Zengin file + the statement CSV 4.5 s of one core with the Python reader (issue 8 measured ~6 s), ~0.6 s
  (UTF-8; ~0.8 s CP932) with the DuckDB engine (chalicelib/usage/engine.py, two threads, memory_limit 160 MB,
  the export read from /tmp; issue 14), peak RSS ~210 MB; duckdb adds ~68 MB to the one package every function shares (imported
  only by the import);
- `python -m bench.cold_start`: `import app` 0.30 s, 46 MB RSS;
- the settlement statement XLSX (openpyxl, write-only) for 15,000 stores: 1.0 s CPU, 35 MB RSS.
DynamoDB and S3 time is estimated from the call counts (single-item calls ~5-10 ms, batch writes of 25
items ~20-30 ms, S3 in-region ~50-100 MB/s), since no local measurement reflects it.

Access — recorded by running the jobs' integration tests with a botocore hook that logs every
(service, operation, table/bucket) per job, then checked against the code paths. A job that starts
touching another table fails in the cloud with AccessDenied (its Errors alarm fires): give it the
access here, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalice.utils import to_cfn_resource_name

from chalicelib.adapters.resources import BUCKETS, TABLES

#: Tables other than the append-only audit log.
ALL_DATA_TABLES = tuple(spec.name for spec in TABLES if spec.name != "audit")
ALL_BUCKETS = tuple(spec.name for spec in BUCKETS)


@dataclass(frozen=True)
class Profile:
    #: logical id in the template `chalice package` writes (CamelCase of the Chalice name)
    logical_id: str
    #: short name used in alarm, queue and role descriptions
    label: str
    memory_mb: int
    timeout_s: int
    #: invoked asynchronously (schedule, EventBridge event): gets an on-failure queue
    asynchronous: bool
    #: its /tmp (Lambda's ephemeral storage, 512-10,240 MB; 512 is the default and costs nothing)
    tmp_mb: int = 512
    #: tables it reads (GetItem, BatchGetItem, Query, ConditionCheckItem)
    reads: tuple[str, ...] = ()
    #: tables it reads and writes (adds PutItem, UpdateItem, DeleteItem, BatchWriteItem)
    writes: tuple[str, ...] = ()
    #: appends to the audit log (PutItem / Query only; edits are explicitly denied)
    audit: bool = False
    #: buckets whose objects it reads (GetObject, ListBucket)
    bucket_reads: tuple[str, ...] = ()
    #: buckets it puts objects into (PutObject; never DeleteObject: records are kept by law)
    bucket_puts: tuple[str, ...] = ()
    #: sends e-mail through the SES identity
    sends_mail: bool = False
    #: runs the end-of-contract disposal (chalicelib/privacy/disposal.py, two admins): Scan of the data tables,
    #: listing and deleting object versions, also under the settlement prefixes the bucket policy protects
    disposes: bool = False
    #: manages the staff users and their groups in the Cognito user pool (the admin's staff screen)
    manages_staff: bool = False
    #: what invokes it and why it needs what it has
    why: str = ""


PROFILES: tuple[Profile, ...] = (
    Profile(
        "APIHandler", "api-handler",
        # 1,024 MB: memory need is small (46 MB after import, 35 MB for a 15,000-store statement XLSX) but
        # a synchronous caller waits on CPU: approval writes and reads back the Zengin file and the
        # statements (~1.5 s of a full core → ~2.6 s at 0.58 vCPU) and cold start is 0.3 s → ~0.5 s.
        memory_mb=1024,
        # 29 s: API Gateway (REST) answers 504 after 29 s whatever the function does; work that can take
        # longer runs asynchronously (issue 8 §3), and every money/mail step is idempotent, so a cut-off
        # request is completed by a retry or the sweeps.
        timeout_s=29,
        asynchronous=False,
        writes=ALL_DATA_TABLES, audit=True, bucket_reads=ALL_BUCKETS, bucket_puts=ALL_BUCKETS, sends_mail=True,
        disposes=True,
        manages_staff=True,
        why="every staff and public route and POST /jobs/{name}",
    ),
    Profile(
        "StaffAuth", "authorizer",
        # 256 MB: verifies one JWT against cached JWKS keys (PyJWT + cryptography, < 60 MB RSS); no data.
        memory_mb=256,
        # 10 s: a cold start fetches Cognito's JWKS once (~100 ms); API Gateway caches the policy 300 s.
        timeout_s=10,
        asynchronous=False,
        why="API Gateway authorizer for the staff routes: settings only",
    ),
    Profile(
        "UsageImport", "usage-import",
        # 1,536 MB (≈0.87 vCPU; the engine's DuckDB uses two threads where it gets them): 1M rows (72 MB) peak
        # at 197 MB RSS (read from /tmp); the largest upload (200 MB, 3.15M rows) parses in 1.5 s at 264 MiB, and
        # in 2.4 s at 547 MiB when it repeats 1.6M transactions already imported (their set alone ~170 MiB;
        # DuckDB gets room for the join) - was ~720 / ~910 MiB with the file held in memory and the Python
        # reader taking the repeat case → 1,536 MB keeps ample headroom (and more CPU).
        memory_mb=1536,
        # 2,048 MB of /tmp: the upload is downloaded there (up to 200 MB) and the engine writes its UTF-8 copy
        # beside it (a CP932 export grows ~1.2x: ~240 MB) plus what DuckDB spills past its memory limit
        # (at most its table: ~3x the export when a large set of known ids crowds it out): ~1.1 GB at worst.
        tmp_mb=2048,
        # 120 s: 1M rows = 4.5-6 s of a full core → 8-10 s at 0.58 vCPU, + S3 get 72 MB (~1-2 s), the
        # ledger put, and ~15,000 usage items in 600 BatchWriteItem calls (~15 s): ~30 s, within half
        # the timeout (issue 8). The import's lease lasts as long (USAGE_IMPORT_LEASE_SECONDS, 120 s): Lambda's
        # retry, a minute after a timeout, takes over the lease the killed run left. Exports reach S3 straight
        # from the browser (up to 200 MB); the report's long lists go to uploads/reports/usage/.
        timeout_s=120,
        asynchronous=True,
        reads=("stores",), writes=("imports", "usage", "keys", "settlements"), audit=True,
        bucket_reads=("uploads",), bucket_puts=("uploads",),
        why="S3 Object Created (uploads bucket, usage/) via EventBridge",
    ),
    Profile(
        "MailSweep", "mail-sweep",
        # 512 MB: after a release cut off mid-way it completes the round's follow-ups: up to 15,000 store
        # items and round lines in memory (~50 MB) and their boto3 deserialization (CPU-bound).
        memory_mb=512,
        # 600 s: those follow-ups (also the normal path for rounds above INLINE_NOTICE_LIMIT stores) are
        # 3 writes per paid store — the notice file, the notice mail, the paid mark (45,000 calls at
        # 5-10 ms ≈ 225-450 s for 15,000 stores); a normal run sends ≤ 200 mails (~150 ms each ≈ 30 s).
        # Runs every 5 minutes; overlapping runs are safe (deterministic mail ids, claimed sends).
        timeout_s=600,
        asynchronous=True,
        writes=("outbox", "settlements", "stores"), sends_mail=True, bucket_puts=("documents",),
        why="every 5 minutes: pending mails, and approval follow-ups a crash cut off",
    ),
    Profile(
        "EscalationSweep", "escalation-sweep",
        # 256 MB: a handful of queued escalation notices per run; 46 MB after import.
        memory_mb=256,
        # 60 s: a few queries and one transaction + one SES call per notice (< 5 s at 0.14 vCPU).
        timeout_s=60,
        asynchronous=True,
        writes=("inquiries", "outbox"), audit=True, sends_mail=True,
        why="every 15 minutes: queued escalations to the prefecture",
    ),
    Profile(
        "DailyInquiryReport", "daily-inquiry-report",
        # 512 MB: a day's inquiries to CSV + XLSX (openpyxl); 15,000 rows measured 1.0 s / 35 MB at one
        # core, a day is < 200 rows; 512 MB keeps the import of openpyxl (~0.3 s) quick.
        memory_mb=512,
        # 120 s: one month-partition query, two S3 puts, one mail: seconds.
        timeout_s=120,
        asynchronous=True,
        reads=("inquiries",), writes=("keys", "outbox"), audit=True, bucket_puts=("documents",),
        sends_mail=True,
        why="08:30 JST daily: the call center's daily report",
    ),
    Profile(
        "MonthlyInquiryReport", "monthly-inquiry-report",
        # 512 MB: a month's inquiries (forecast 1,000, at most a few thousand rows) to CSV + XLSX.
        memory_mb=512,
        # 120 s: as the daily report with a month of rows (~0.3 s of XLSX at 0.29 vCPU per 1,000 rows).
        timeout_s=120,
        asynchronous=True,
        reads=("inquiries",), writes=("keys", "outbox"), audit=True, bucket_puts=("documents",),
        sends_mail=True,
        why="08:40 JST daily: a finished month's inquiry summary",
    ),
    Profile(
        "SettlementSweep", "settlement-sweep",
        # 1,024 MB: drafting a round reads every store (15,000 items, BatchGetItem) and the month's usage
        # (15,000+ items) and writes the lines: ~100 MB of items, and boto3 deserialization is CPU-bound.
        memory_mb=1024,
        # 300 s: ~150 BatchGetItem + ~600 BatchWriteItem + usage query pages ≈ 20-40 s; 300 s leaves 7x.
        timeout_s=300,
        asynchronous=True,
        reads=("stores", "imports", "usage"), writes=("settlements", "outbox"), audit=True, sends_mail=True,
        why="07:00 JST daily: draft last month's round once its usage is in, warn staff",
    ),
    Profile(
        "SessionReport", "session-report",
        # 512 MB: a month's sessions (a few dozen) and survey answers (hundreds to a few thousand) to CSV +
        # XLSX with charts (openpyxl, ~0.3 s per 1,000 rows at 0.29 vCPU), as the monthly inquiry report.
        memory_mb=512,
        # 120 s: a GetItem per month of the period (≤ 10), two queries, two S3 puts, one transaction: seconds.
        timeout_s=120,
        asynchronous=True,
        reads=("sessions",), writes=("keys", "outbox"), audit=True, bucket_puts=("documents",), sends_mail=True,
        why="08:50 JST daily: a finished month's session report to the prefecture (S3 and mail), once",
    ),
    Profile(
        "SessionCoverageWarnings", "session-coverage-warnings",
        # 256 MB: the season's sessions (a query per month, < 200 items) through sessions/coverage.py.
        memory_mb=256,
        # 60 s: ≤ 10 queries, one transaction, one mail.
        timeout_s=60,
        asynchronous=True,
        reads=("sessions",), writes=("keys", "outbox"), audit=True, sends_mail=True,
        why="08:55 JST daily: areas with nothing planned as the period runs out, crowding; one mail a day at most",
    ),
    Profile(
        "SessionAnnouncements", "session-announcements",
        # 512 MB: pages every active store (15,000 items in 200-item pages, ~30 MB) to find those of the areas
        # of the sessions announced today.
        memory_mb=512,
        # 300 s: 75 store pages (~5 s) + one conditional put per store of the area (≤ ~2,000 in Sendai's
        # wards at 5-10 ms ≈ 20 s) + 50 mails sent inline (~8 s); the mail sweep sends the rest.
        timeout_s=300,
        asynchronous=True,
        reads=("sessions", "stores"), writes=("keys", "outbox"), audit=True, sends_mail=True,
        why="09:05 JST daily: each newly announced session to the participating stores of its area, once",
    ),
    Profile(
        "BankMasterCheck", "bank-master-check",
        # 512 MB: pages every active store (15,000 items in 200-item pages, ~30 MB) and looks each bank and
        # branch up in the zengin-code data (~8 MB parsed once).
        memory_mb=512,
        # 300 s: 75 store pages (~5 s) + a GetItem and a small transaction per store whose bank left the
        # master (a merger: hundreds at most, ~10 ms each) + the mails sent inline.
        timeout_s=300,
        asynchronous=True,
        reads=("stores",), writes=("outbox",), audit=True, sends_mail=True,
        why="06:30 JST daily: stores whose bank or branch left the bank master get one mail with the successor",
    ),
    Profile(
        "FundsAlerts", "funds-alerts",
        # 256 MB: the round items of the year (≤ 12 GetItems, small) summed into the ledger.
        memory_mb=256,
        # 60 s: ≤ 12 queries and GetItems, ≤ 6 conditional outbox puts and their mails.
        timeout_s=60,
        asynchronous=True,
        reads=("settlements",), writes=("outbox",), audit=True, sends_mail=True,
        why="07:30 JST daily: staff and the prefecture told once at 80%, 90% and 100% of the planned points",
    ),
    Profile(
        "AccessReport", "access-report",
        # 512 MB: a month's audit entries (≤ ~31 day queries, tens of thousands of small items) counted per user,
        # then a small CSV + XLSX (one row per staff user).
        memory_mb=512,
        # 120 s: ≤ 62 audit queries (two months caught up), two S3 puts per month, one transaction, two mails.
        timeout_s=120,
        asynchronous=True,
        writes=("keys", "outbox"), audit=True, bucket_puts=("documents",), sends_mail=True,
        why="08:40 JST daily: a finished month's per-user access report on personal data to the prefecture, once",
    ),
    Profile(
        "RetentionSweep", "retention-sweep",
        # 256 MB: a query of the sent mails created 30+ days ago (a day's mail: hundreds, up to ~15,000 on a
        # payment-notice day, ~1 KB each, read page by page) and of rejected applications; nothing is held.
        memory_mb=256,
        # 300 s: one DeleteItem per due mail (~15,000 on the day a month's notices expire at 5-10 ms ≈ 75-150 s).
        timeout_s=300,
        asynchronous=True,
        writes=("outbox", "applications"),
        why="03:00 JST daily: removes what the retention table says is due (chalicelib/privacy/retention.py); "
            "DynamoDB TTL and S3 lifecycle do the rest in the cloud",
    ),
)

BY_LOGICAL_ID = {p.logical_id: p for p in PROFILES}

#: Estimated wall time of the usage import for 1,000,000 rows at 1,536 MB (see the UsageImport
#: profile): the function's timeout must be at least twice this (issue 8).
USAGE_IMPORT_1M_ROWS_S = 30


def chalice_logical_id(name: str) -> str:
    """The logical id `chalice package` gives a function named `name` (mail_sweep → MailSweep)."""
    return str(to_cfn_resource_name(name))
