"""Staff routes for screening applications (the store routes are in routes/stores.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.applications.status import Status
from chalicelib.auth.roles import SEE_BANK_ACCOUNT, Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.applications import service
else:
    service = lazy_module("chalicelib.applications.service")

bp = Blueprint(__name__)

READ_APPLICATIONS = {Role.SCREENER, Role.ADMIN, Role.PREFECTURE}


def page_limit(ctx: Ctx) -> int:
    """`?limit=` of a paged list (1..200, 50 by default); also used by routes/stores.py."""
    raw = ctx.query("limit", "50") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidInput("件数の指定が正しくありません", {"limit": "1〜200 の数字で指定してください"})
    return int(raw)


def status_query(ctx: Ctx, allowed: set[str], default: str) -> str:
    """`?status=` of a list, one of `allowed`; also used by routes/stores.py."""
    status = ctx.query("status", default) or default
    if status not in allowed:
        raise InvalidInput("状態の指定が正しくありません", {"status": "、".join(sorted(allowed)) + " のいずれかです"})
    return status


@staff_route(bp, "/applications", roles=READ_APPLICATIONS)
def list_applications(ctx: Ctx) -> Any:
    status = status_query(ctx, {s.value for s in Status}, Status.SUBMITTED.value)
    return json_response(service.list_queue(
        get_deps(), ctx.staff, status, page_limit(ctx), ctx.query("cursor"),
        municipality=ctx.query("municipality"), flagged=ctx.query("flagged") in ("1", "true"),
    ))


@staff_route(bp, "/applications/{application_id}", roles=READ_APPLICATIONS)
def get_application(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.get_detail(get_deps(), ctx.staff, application_id, ctx.now))


@staff_route(bp, "/applications/{application_id}/bank-account", roles=SEE_BANK_ACCOUNT)
def get_application_bank_account(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.reveal_bank_account(get_deps(), ctx.staff, application_id, ctx.now))


@staff_route(bp, "/applications/{application_id}/decision", roles={Role.SCREENER}, methods=("POST",),
             content_types=["application/json"])
def decide(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.decide(get_deps(), ctx.staff, application_id, ctx.json_body(), ctx.now))


@staff_route(bp, "/applications/{application_id}/prefecture-judgement", roles={Role.PREFECTURE},
             methods=("POST",), content_types=["application/json"])
def record_prefecture_judgement(ctx: Ctx, application_id: str) -> Any:
    """The prefecture's judgement on an application a screener referred to it (spec 7(1)ニ①②)."""
    return json_response(service.record_prefecture_judgement(get_deps(), ctx.staff, application_id,
                                                             ctx.json_body(), ctx.now))


@staff_route(bp, "/screening/checklist", roles=READ_APPLICATIONS)
def get_checklist(ctx: Ctx) -> Any:
    return json_response(service.checklist())
