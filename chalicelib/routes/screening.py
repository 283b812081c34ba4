"""Staff routes for screening applications and reading stores."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.applications.status import Status
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import SEE_BANK_ACCOUNT, Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

service = lazy_module("chalicelib.applications.service")
views = lazy_module("chalicelib.applications.views")

bp = Blueprint(__name__)

READ_APPLICATIONS = {Role.SCREENER, Role.ADMIN, Role.PREFECTURE}
READ_STORES = {Role.SCREENER, Role.ACCOUNTANT, Role.AGENT, Role.COORDINATOR, Role.ADMIN, Role.PREFECTURE}


def _limit(ctx: Ctx) -> int:
    raw = ctx.query("limit", "50") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidInput("件数の指定が正しくありません", {"limit": "1〜200 の数字で指定してください"})
    return int(raw)


def _status(ctx: Ctx, allowed: set[str], default: str) -> str:
    status = ctx.query("status", default) or default
    if status not in allowed:
        raise InvalidInput("状態の指定が正しくありません", {"status": "、".join(sorted(allowed)) + " のいずれかです"})
    return status


@staff_route(bp, "/applications", roles=READ_APPLICATIONS)
def list_applications(ctx: Ctx) -> Any:
    status = _status(ctx, {s.value for s in Status}, Status.SUBMITTED.value)
    return json_response(service.list_queue(
        get_deps(), ctx.principal, status, _limit(ctx), ctx.query("cursor"),
        municipality=ctx.query("municipality"), flagged=ctx.query("flagged") in ("1", "true"),
    ))


@staff_route(bp, "/applications/{application_id}", roles=READ_APPLICATIONS)
def get_application(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.get_detail(get_deps(), ctx.principal, application_id, ctx.now))


@staff_route(bp, "/applications/{application_id}/bank-account", roles=SEE_BANK_ACCOUNT)
def get_application_bank_account(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.reveal_bank_account(get_deps(), ctx.principal, application_id, ctx.now))


@staff_route(bp, "/applications/{application_id}/decision", roles={Role.SCREENER}, methods=("POST",),
             content_types=["application/json"])
def decide(ctx: Ctx, application_id: str) -> Any:
    return json_response(service.decide(get_deps(), ctx.principal, application_id, ctx.json_body(), ctx.now))


@staff_route(bp, "/screening/checklist", roles=READ_APPLICATIONS)
def get_checklist(ctx: Ctx) -> Any:
    return json_response(service.checklist())


@staff_route(bp, "/stores", roles=READ_STORES)
def list_stores(ctx: Ctx) -> Any:
    deps = get_deps()
    status = _status(ctx, {"active", "suspended", "withdrawn"}, "active")
    items, cursor = deps.stores.list_by_status(status, _limit(ctx), ctx.query("cursor"),
                                               secret=deps.settings.app_secret)
    rows = [{"store_id": s["store_id"], "store_name": s["store_name"], "municipality_name": s["municipality_name"],
             "business_category": s["business_category"], "status": s["status"]} for s in items]
    return json_response({"items": rows, "next_cursor": cursor})


def _store(store_id: str) -> dict[str, Any]:
    store = get_deps().stores.get(store_id)
    if not store:
        raise NotFound("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    return store


@staff_route(bp, "/stores/{store_id}", roles=READ_STORES)
def get_store(ctx: Ctx, store_id: str) -> Any:
    store = _store(store_id)
    get_deps().audit.append(entry(Actor.of(ctx.principal), "store.view", f"store#{store_id}", ctx.now,
                                  detail={"fields": views.personal_fields_shown(ctx.principal)}))
    return json_response(views.store_view(store, ctx.principal))


@staff_route(bp, "/stores/{store_id}/bank-account", roles=SEE_BANK_ACCOUNT)
def get_store_bank_account(ctx: Ctx, store_id: str) -> Any:
    store = _store(store_id)
    get_deps().audit.append(entry(Actor.of(ctx.principal), "store.view_bank_account", f"store#{store_id}", ctx.now))
    return json_response({"store_id": store_id, "account_number": store["bank"]["account_number"],
                          "holder_kana": store["bank"]["holder_kana"]})
