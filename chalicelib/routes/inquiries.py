"""Call-center routes: the inquiry log, escalations, the prefecture's answers, the monthly summary,
and the agent screen's HTML shell.

Roles: agents log, correct, escalate and close; the coordinator, admin and the prefecture read
(caller names and phones masked unless the role calls people back); the prefecture — and an agent
who took it by phone — records the prefecture's answer to an escalation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import parse_day, parse_month
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.inquiries import config, reporting, service
    from chalicelib.web import pages
else:
    reporting = lazy_module("chalicelib.inquiries.reporting")
    service = lazy_module("chalicelib.inquiries.service")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it
    config = lazy_module("chalicelib.inquiries.config")

bp = Blueprint(__name__)

READ = {Role.AGENT, Role.COORDINATOR, Role.ADMIN, Role.PREFECTURE}
LOG = {Role.AGENT}
ANSWER = {Role.AGENT, Role.PREFECTURE}
JSON_BODY = {"content_types": ["application/json"]}

_STORE = re.compile(r"MP\d{6}", re.ASCII)


def _date(ctx: Ctx) -> date | None:
    raw = ctx.query("date")
    if not raw:
        return None
    try:
        return parse_day(raw)
    except (TypeError, ValueError):
        raise InvalidInput("日付の指定が正しくありません", {
            "date": "2000-01-01〜2100-12-31 の日付を YYYY-MM-DD（例: 2025-06-07）で指定してください"}) from None


def _choice(ctx: Ctx, name: str, allowed: set[str], label: str) -> str | None:
    value = ctx.query(name)
    if value and value not in allowed:
        raise InvalidInput(f"{label}の指定が正しくありません", {name: f"{label}を一覧から選んでください"})
    return value or None


def _store_id(ctx: Ctx) -> str | None:
    value = (ctx.query("store_id") or "").strip().upper()
    if value and not _STORE.fullmatch(value):
        raise InvalidInput("店舗IDの形式が正しくありません", {"store_id": "店舗IDは MP で始まる8文字です（例: MP000123）"})
    return value or None


def _limit(ctx: Ctx) -> int:
    raw = ctx.query("limit", "100") or "100"
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidInput("件数の指定が正しくありません", {"limit": "1〜200 の数字で指定してください"})
    return int(raw)


def _month(month: str) -> str:
    try:
        parse_month(month)
    except (TypeError, ValueError):
        raise InvalidInput("月の指定が正しくありません", {
            "month": "2000-01〜2100-12 の月を YYYY-MM（例: 2025-06）で指定してください"}) from None
    return month


@staff_route(bp, "/inquiries/categories", roles=READ)
def list_categories(ctx: Ctx) -> Any:
    return json_response(service.category_list(get_deps()))


@staff_route(bp, "/inquiries/options", roles=READ)
def get_options(ctx: Ctx) -> Any:
    return json_response(service.options(get_deps()))


@staff_route(bp, "/inquiries", roles=READ)
def list_inquiries(ctx: Ctx) -> Any:
    deps = get_deps()
    return json_response(service.list_inquiries(
        deps, day=_date(ctx), category=_choice(ctx, "category", set(config.category_labels(deps.settings)), "分類"),
        status=_choice(ctx, "status", set(config.STATUSES), "状態"), store_id=_store_id(ctx), limit=_limit(ctx),
        cursor=ctx.query("cursor"), today=service.today_of(ctx.now),
    ))


@staff_route(bp, "/inquiries", roles=LOG, methods=("POST",), **JSON_BODY)
def log_inquiry(ctx: Ctx) -> Any:
    inquiry_id, created = service.log_inquiry(get_deps(), ctx.staff, ctx.json_body(), ctx.now)
    return json_response({"inquiry_id": inquiry_id}, 201 if created else 200)


@staff_route(bp, "/inquiries/{inquiry_id}", roles=READ)
def get_inquiry(ctx: Ctx, inquiry_id: str) -> Any:
    return json_response(service.get_inquiry(get_deps(), ctx.staff, inquiry_id, ctx.now))


@staff_route(bp, "/inquiries/{inquiry_id}", roles=LOG, methods=("PATCH",), **JSON_BODY)
def update_inquiry(ctx: Ctx, inquiry_id: str) -> Any:
    return json_response(service.update_inquiry(get_deps(), ctx.staff, inquiry_id, ctx.json_body(), ctx.now))


@staff_route(bp, "/inquiries/{inquiry_id}/escalate", roles=LOG, methods=("POST",), **JSON_BODY)
def escalate(ctx: Ctx, inquiry_id: str) -> Any:
    return json_response(service.escalate(get_deps(), ctx.staff, inquiry_id, ctx.json_body(), ctx.now))


@staff_route(bp, "/inquiries/{inquiry_id}/prefecture-answer", roles=ANSWER, methods=("POST",), **JSON_BODY)
def record_prefecture_answer(ctx: Ctx, inquiry_id: str) -> Any:
    return json_response(service.record_prefecture_answer(get_deps(), ctx.staff, inquiry_id, ctx.json_body(),
                                                          ctx.now))


@staff_route(bp, "/inquiries/{inquiry_id}/close", roles=LOG, methods=("POST",), **JSON_BODY)
def close(ctx: Ctx, inquiry_id: str) -> Any:
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(service.close(get_deps(), ctx.staff, inquiry_id, body, ctx.now))


@staff_route(bp, "/inquiries/monthly/{month}", roles=READ)
def monthly_summary(ctx: Ctx, month: str) -> Any:
    return json_response(reporting.monthly_summary(get_deps(), _month(month)).as_dict())


@staff_route(bp, "/inquiries/monthly/{month}/file", roles=READ)
def monthly_file(ctx: Ctx, month: str) -> Any:
    fmt = ctx.query("format", "xlsx") or "xlsx"
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("形式の指定が正しくありません", {"format": "csv または xlsx を指定してください"})
    body = reporting.monthly_file(get_deps(), ctx.staff, _month(month), fmt, ctx.now)
    # Served as bytes (a binary type of the API): Excel's file and the CSV's BOM arrive intact.
    return Response(body=body, status_code=200, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="inquiries-{month}.{fmt}"',
        "Cache-Control": "no-store",
    })


@public_route(bp, "/console/inquiries")
def console_inquiries(ctx: Ctx) -> Any:
    """The agent screen: an HTML shell with no data; it calls the APIs above with the staff token."""
    response = html_response(pages.render("console_inquiries.html"))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response
