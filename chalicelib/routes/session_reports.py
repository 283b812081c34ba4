"""Consultation session reports (相談会, issue 10 point 5): the month's report as JSON and as files, and
the coordinator's proposals (改善提案) for the month.

Roles: the coordinator, admin and the prefecture read; the coordinator and admin write the proposals.
`/sessions/report` is a literal segment beside routes/sessions.py's `/sessions/{session_id}`: API
Gateway and Chalice's local server both prefer the literal one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import parse_month
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.sessions import reporting
else:
    reporting = lazy_module("chalicelib.sessions.reporting")

bp = Blueprint(__name__)

READ = {Role.COORDINATOR, Role.ADMIN, Role.PREFECTURE}
WRITE = {Role.COORDINATOR, Role.ADMIN}
FORMATS = ("csv", "xlsx")


def _month(month: str | None) -> str:
    try:
        parse_month(month or "")
    except (TypeError, ValueError):
        raise InvalidInput("月の指定が正しくありません", {
            "month": "2000-01〜2100-12 の月を YYYY-MM（例: 2025-06）で指定してください"}) from None
    assert month is not None
    return month


def attachment(ascii_name: str, japanese_name: str) -> str:
    """Content-Disposition for a download: an ASCII filename for old clients, the Japanese one (RFC 6266/
    5987, UTF-8 percent-encoded) for the others."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(japanese_name)}"


@staff_route(bp, "/sessions/report", roles=READ)
def session_report(ctx: Ctx) -> Any:
    return json_response(reporting.report_json(get_deps(), _month(ctx.query("month"))))


@staff_route(bp, "/sessions/report/file", roles=READ)
def session_report_file(ctx: Ctx) -> Any:
    month = _month(ctx.query("month"))
    fmt = ctx.query("format", "xlsx") or "xlsx"
    if fmt not in FORMATS:
        raise InvalidInput("形式の指定が正しくありません", {"format": "csv または xlsx を指定してください"})
    body = reporting.report_file(get_deps(), ctx.staff, month, fmt, ctx.now)
    year, mon = parse_month(month)
    # Served as bytes (a binary type of the API): Excel's file and the CSV's BOM arrive intact.
    return Response(body=body, status_code=200, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": attachment(f"session-report-{month}.{fmt}", f"相談会月次報告_{year}年{mon}月.{fmt}"),
        "Cache-Control": "no-store",
    })


@staff_route(bp, "/sessions/report/{month}/proposals", roles=WRITE, methods=("PUT",),
             content_types=["application/json"])
def save_proposals(ctx: Ctx, month: str) -> Any:
    return json_response(reporting.save_proposals(get_deps(), ctx.staff, _month(month), ctx.json_body(),
                                                  ctx.now))
