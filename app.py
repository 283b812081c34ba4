"""miyapo-ops: wires routes, middleware and scheduled jobs to chalicelib. Nothing else lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Chalice, Cron, Rate
from chalice.app import CloudWatchEvent

from chalicelib.clock import now_jst
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.observability import lambda_context
from chalicelib.routes import (
    carried_over,
    console,
    inquiries,
    local_oauth,
    ops,
    overview,
    privacy,
    privacy_reports,
    public,
    screening,
    session_reports,
    sessions,
    settlement,
    settlement_views,
    staff,
    store_changes,
    store_kit,
    stores,
)
from chalicelib.web.authorizer import auth_bp
from chalicelib.web.middleware import http_middleware

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.jobs import registry
    from chalicelib.usage import events as usage_events
else:
    registry = lazy_module("chalicelib.jobs.registry")  # the scheduled functions' jobs, never a request's
    usage_events = lazy_module("chalicelib.usage.events")

app = Chalice(app_name="miyapo-ops", configure_logs=False)
# Uploads (CP932 CSV, the sessions' manual PDF) and downloads (transfer file, XLSX, flyers) pass through API Gateway as bytes.
app.api.binary_types.extend([
    "text/csv", "application/octet-stream", "application/vnd.ms-excel", "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf",
])
# Powertools' inject_lambda_context around every invocation (built on the first: chalicelib/observability.py).
app.register_middleware(lambda_context)
# Correlation id, log keys and the security headers of every answer (chalicelib/web/middleware.py).
app.register_middleware(http_middleware, "http")

for blueprint in (auth_bp, public.bp, screening.bp, ops.bp, console.bp, local_oauth.bp, settlement.bp, inquiries.bp,
                  stores.bp, sessions.bp, session_reports.bp, store_kit.bp,
                  store_changes.bp, carried_over.bp, overview.bp, privacy.bp, settlement_views.bp,
                  privacy_reports.bp, staff.bp):
    app.register_blueprint(blueprint)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="mail_sweep")
def mail_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("mail-sweep", now_jst())


# Every 15 minutes on the quarter hour (UTC and JST agree on minutes): queued escalations go out at
# 09:00 JST, the prefecture's opening, and failed notices are retried.
@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="escalation_sweep")
def escalation_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("escalation-sweep", now_jst())


# 08:30 JST (23:30 UTC) every day: the daily inquiry report(s) due; at 08:40 a finished month's summary.
@app.schedule(Cron(30, 23, "*", "*", "?", "*"), name="daily_inquiry_report")
def daily_inquiry_report(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("daily-report", now_jst())


@app.schedule(Cron(40, 23, "*", "*", "?", "*"), name="monthly_inquiry_report")
def monthly_inquiry_report(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("monthly-inquiry-report", now_jst())


# 07:00 JST (22:00 UTC) every day: draft last month's round once its usage is in, warn staff.
@app.schedule(Cron(0, 22, "*", "*", "?", "*"), name="settlement_sweep")
def settlement_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("settlement-sweep", now_jst())


@app.on_cw_event({"source": ["aws.s3"], "detail-type": ["Object Created"],
                  "detail": {"object": {"key": [{"prefix": "usage/"}]}}}, name="usage_import")
def usage_import(event: CloudWatchEvent) -> dict[str, Any] | None:
    return usage_events.on_object_created(get_deps(), event.detail, now_jst())


# Consultation sessions, every day: at 08:50 JST (23:50 UTC) a finished month's session report (from the
# prefecture's first office day after it; a missed day is caught up), at 08:55 the coverage warnings to
# staff (at most one mail a day), at 09:05 each newly announced session to the stores of its area.
@app.schedule(Cron(50, 23, "*", "*", "?", "*"), name="session_report")
def session_report(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("session-report", now_jst())


@app.schedule(Cron(55, 23, "*", "*", "?", "*"), name="session_coverage_warnings")
def session_coverage_warnings(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("session-coverage-warnings", now_jst())


@app.schedule(Cron(5, 0, "*", "*", "?", "*"), name="session_announcements")
def session_announcements(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("session-announcements", now_jst())


# 06:30 JST (21:30 UTC) every day: stores whose bank or branch left the bank master get one mail each, with
# the successor the configured table proposes (chalicelib/stores/bank_master.py).
@app.schedule(Cron(30, 21, "*", "*", "?", "*"), name="bank_master_check")
def bank_master_check(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("bank-master-check", now_jst())


# 07:30 JST (22:30 UTC) every day: staff and the prefecture are told once when the points used reach 80%, 90%
# and 100% of the planned points (chalicelib/overview/jobs.py).
@app.schedule(Cron(30, 22, "*", "*", "?", "*"), name="funds_alerts")
def funds_alerts(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("funds-alerts", now_jst())


# 03:00 JST (18:00 UTC) every day: what the retention table says is due (chalicelib/privacy/jobs.py): sent mails
# 30 days after sending, rejected applications a year after the decision; counts only.
@app.schedule(Cron(0, 18, "*", "*", "?", "*"), name="retention_sweep")
def retention_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("retention-sweep", now_jst())


# 08:40 JST (23:40 UTC) every day: a finished month's per-user access report on personal data to the prefecture
# (S3 and mail) from its first office day after the month, once (chalicelib/privacy/access_report.py).
@app.schedule(Cron(40, 23, "*", "*", "?", "*"), name="access_report")
def access_report(event: CloudWatchEvent) -> dict[str, Any]:
    return registry.run("access-report", now_jst())
