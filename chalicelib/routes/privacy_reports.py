"""Personal data protection, the reading side (issue 13 points 4 and 5): the incident query and its report
files, the monthly access report, and the audit log restricted to personal-data actions. Admin and the
prefecture read; nothing here changes data (each export and the audit view are themselves audited).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import parse_month
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.privacy import access_report, incident
else:
    access_report = lazy_module("chalicelib.privacy.access_report")
    incident = lazy_module("chalicelib.privacy.incident")

bp = Blueprint(__name__)

READ = {Role.ADMIN, Role.PREFECTURE}
QUERY_PARAMS = ("from", "to", "actor", "store_id", "action", "file")


def _file(body: bytes, ascii_name: str, japanese_name: str) -> Response:
    return Response(body=body, status_code=200, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(japanese_name)}",
        "Cache-Control": "no-store",
    })


def _month(month: str | None) -> str:
    try:
        parse_month(month or "")
    except (TypeError, ValueError):
        raise InvalidInput("月の指定が正しくありません", {"month": "YYYY-MM（例: 2026-10）で指定してください"}) from None
    assert month is not None
    return month


def _day(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("日付の指定が正しくありません", {name: "YYYY-MM-DD で指定してください"}) from None


@staff_route(bp, "/privacy/incident", roles=READ)
def incident_query(ctx: Ctx) -> Any:
    q = incident.parse_query({k: ctx.query(k) for k in QUERY_PARAMS})
    return json_response(incident.query(get_deps(), q))


@staff_route(bp, "/privacy/incident/report", roles=READ)
def incident_report(ctx: Ctx) -> Any:
    q = incident.parse_query({k: ctx.query(k) for k in QUERY_PARAMS})
    fmt = ctx.query("format", "pdf") or "pdf"
    body = incident.report_file(get_deps(), ctx.staff, q, fmt, ctx.now)
    stamp = ctx.now.strftime("%Y%m%d-%H%M")
    return _file(body, f"incident-{stamp}.{fmt}", f"漏えい等調査_{stamp}.{fmt}")


@staff_route(bp, "/privacy/access-report", roles=READ)
def access_report_json(ctx: Ctx) -> Any:
    return json_response(access_report.report_json(get_deps(), _month(ctx.query("month"))))


@staff_route(bp, "/privacy/access-report/file", roles=READ)
def access_report_file(ctx: Ctx) -> Any:
    month = _month(ctx.query("month"))
    fmt = ctx.query("format", "xlsx") or "xlsx"
    body = access_report.report_file(get_deps(), ctx.staff, month, fmt, ctx.now)
    return _file(body, f"access-report-{month}.{fmt}", f"個人情報アクセス月報_{month}.{fmt}")


@staff_route(bp, "/privacy/audit", roles=READ)
def privacy_audit(ctx: Ctx) -> Any:
    start = _day(ctx.query("from"), "from")
    end = _day(ctx.query("to") or ctx.query("from"), "to")
    kind = ctx.query("kind") or None
    return json_response(access_report.audit_entries(get_deps(), ctx.staff, start, end, kind, ctx.now))


@staff_route(bp, "/privacy/audit/export", roles=READ)
def privacy_audit_export(ctx: Ctx) -> Any:
    """The audit log's personal-data actions as CSV (chalicelib/audit/export.py), `from`/`to` (31 days at
    most) and `actor`; the export is itself audited."""
    from chalicelib.audit import export

    params = {k: ctx.query(k) for k in ("date", "from", "to", "actor", "kind")}
    f = export.parse_filter(params, ctx.now.date(), personal_only=True)
    body = export.export(get_deps(), ctx.staff, f, ctx.now, scope="privacy")
    span = f"{f.start}_{f.end}"
    return _file(body, f"audit-personal-{span}.csv", f"個人情報の操作記録_{span}.csv")
