"""Consultation session routes (相談会, issue 10): planning, the coverage board, attendance, surveys,
the installation manual, and the public page, flyer and survey for residents.

Roles: the coordinator and admin plan and run sessions; the prefecture reads (list, detail, coverage);
everyone else is refused. Anonymous callers get only the public page (`GET /sessions`, its JSON), a
flyer, the latest manual and the survey page and its post. The report routes are routes/session_reports.py.

Literal paths (`/sessions/list`, `/sessions/coverage`, `/sessions/manuals`, `/sessions/manual.pdf`,
`/sessions/public.json`) sit next to `/sessions/{session_id}`: API Gateway and Chalice's local server
both prefer the literal segment (tests/integration/test_sessions_api.py checks both).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import parse_day
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.sessions import service
    from chalicelib.web import pages
else:
    service = lazy_module("chalicelib.sessions.service")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

WRITE = {Role.COORDINATOR, Role.ADMIN}
READ = {Role.COORDINATOR, Role.ADMIN, Role.PREFECTURE}
JSON_BODY = {"content_types": ["application/json"]}
PDF = "application/pdf"


def _day(ctx: Ctx, name: str, default: date) -> date:
    raw = ctx.query(name)
    if not raw:
        return default
    try:
        return parse_day(raw)
    except (TypeError, ValueError):
        raise InvalidInput("日付の指定が正しくありません", {
            name: "2000-01-01〜2100-12-31 の日付を YYYY-MM-DD（例: 2025-06-07）で指定してください"}) from None


def _pdf(data: bytes, name: str) -> Response:
    return Response(body=data, status_code=200, headers={
        "Content-Type": PDF, "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


# --- public: the page for residents, its data, flyers, the manual, the survey ------------------------

@public_route(bp, "/sessions")
def public_page(ctx: Ctx) -> Any:
    deps = get_deps()
    from chalicelib.sessions.public_page import render_public_page

    manual = deps.session_repository.latest_manual() is not None
    return html_response(render_public_page(
        service.public_sessions(deps, ctx.now), today=ctx.now.date(),
        phone=deps.settings.call_center.call_center_phone, base_url=deps.settings.public_base_url, manual=manual))


@public_route(bp, "/sessions/public.json")
def public_listing(ctx: Ctx) -> Any:
    return json_response(service.public_listing(get_deps(), ctx.now))


@public_route(bp, "/sessions/{session_id}/flyer.pdf")
def session_flyer(ctx: Ctx, session_id: str) -> Any:
    return _pdf(service.flyer(get_deps(), session_id, ctx.now), f"sessions-{session_id}.pdf")


@public_route(bp, "/sessions/manual.pdf")
def latest_manual(ctx: Ctx) -> Any:
    return _pdf(service.latest_manual(get_deps()), "miyapo-manual.pdf")


@public_route(bp, "/sessions/{session_id}/survey")
def survey_page(ctx: Ctx, session_id: str) -> Any:
    heading = service.survey_heading(get_deps(), session_id, ctx.now)
    return html_response(pages.render_survey_page(session_id, heading))


@public_route(bp, "/sessions/{session_id}/survey", methods=("POST",), **JSON_BODY)
def public_survey(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.add_public_survey(get_deps(), session_id, ctx.json_body(), ctx.now), 201)


# --- staff: planning and reading ------------------------------------------------------------------

@staff_route(bp, "/sessions", roles=WRITE, methods=("POST",), **JSON_BODY)
def plan_session(ctx: Ctx) -> Any:
    return json_response(service.plan(get_deps(), ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/sessions/list", roles=READ)
def list_sessions(ctx: Ctx) -> Any:
    rules = get_deps().settings.sessions
    # Without a range: the season; with only one end, the other is the season's (or that same day).
    first = _day(ctx, "from", rules.session_period_start)
    last = _day(ctx, "to", max(rules.session_period_end, first))
    first = min(first, last) if not ctx.query("from") else first
    return json_response(service.list_sessions(get_deps(), first, last))


@staff_route(bp, "/sessions/coverage", roles=READ)
def session_coverage(ctx: Ctx) -> Any:
    return json_response(service.coverage_board(get_deps(), ctx.now))


@staff_route(bp, "/sessions/manuals", roles=WRITE, methods=("POST",), content_types=[PDF])
def upload_manual(ctx: Ctx) -> Any:
    name = ctx.query("filename") or "manual.pdf"
    return json_response(service.upload_manual(get_deps(), ctx.request.raw_body, name, ctx.staff, ctx.now), 201)


@staff_route(bp, "/sessions/manuals", roles=READ)
def list_manuals(ctx: Ctx) -> Any:
    return json_response(service.list_manuals(get_deps()))


@staff_route(bp, "/sessions/{session_id}", roles=READ)
def session_detail(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.detail(get_deps(), session_id, ctx.now))


@staff_route(bp, "/sessions/{session_id}", roles=WRITE, methods=("PUT",), **JSON_BODY)
def edit_session(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.edit(get_deps(), session_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/sessions/{session_id}/cancel", roles=WRITE, methods=("POST",), **JSON_BODY)
def cancel_session(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.cancel(get_deps(), session_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/sessions/{session_id}/attendance", roles=WRITE, methods=("POST",), **JSON_BODY)
def record_attendance(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.record_attendance(get_deps(), session_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/sessions/{session_id}/surveys", roles=WRITE, methods=("POST",), **JSON_BODY)
def add_survey(ctx: Ctx, session_id: str) -> Any:
    return json_response(service.add_survey(get_deps(), session_id, ctx.json_body(), ctx.staff, ctx.now), 201)
