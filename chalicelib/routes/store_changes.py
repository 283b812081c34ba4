"""Store change routes (issue 11 point 2): staff enter change requests (an agent on the phone, a screener),
send the store a signed link to the public change page, and a second person (a screener) approves or
rejects them; the store's own requests come through that page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

if TYPE_CHECKING:
    from chalicelib.stores import changes
    from chalicelib.web import pages
else:
    changes = lazy_module("chalicelib.stores.changes")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

ENTER = {Role.AGENT, Role.SCREENER}
READ = {Role.SCREENER, Role.ADMIN, Role.AGENT}
JSON_BODY = {"content_types": ["application/json"]}


@staff_route(bp, "/stores/{store_id}/change-requests", roles=ENTER, methods=("POST",), **JSON_BODY)
def enter_change_request(ctx: Ctx, store_id: str) -> Any:
    return json_response(changes.submit(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/stores/{store_id}/change-requests", roles=READ)
def store_change_requests(ctx: Ctx, store_id: str) -> Any:
    return json_response({"items": changes.store_requests(get_deps(), ctx.staff, store_id, ctx.now)})


@staff_route(bp, "/stores/{store_id}/change-link", roles=ENTER, methods=("POST",))
def send_change_link(ctx: Ctx, store_id: str) -> Any:
    return json_response(changes.send_change_link(get_deps(), store_id, ctx.staff, ctx.now))


@staff_route(bp, "/change-requests", roles=READ)
def list_change_requests(ctx: Ctx) -> Any:
    return json_response(changes.list_requests(get_deps(), ctx.staff, ctx.query("status", "open") or "open",
                                               ctx.now))


@staff_route(bp, "/change-requests/{request_id}", roles=READ)
def get_change_request(ctx: Ctx, request_id: str) -> Any:
    return json_response(changes.get_request(get_deps(), ctx.staff, request_id, ctx.now))


@staff_route(bp, "/change-requests/{request_id}/decision", roles={Role.SCREENER}, methods=("POST",), **JSON_BODY)
def decide_change_request(ctx: Ctx, request_id: str) -> Any:
    return json_response(changes.decide(get_deps(), request_id, ctx.json_body(), ctx.staff, ctx.now))


@public_route(bp, "/store-change")
def store_change_page(ctx: Ctx) -> Any:
    return html_response(pages.render("store_change.html"))


@public_route(bp, "/store-change/link", methods=("POST",), **JSON_BODY)
def store_change_link_info(ctx: Ctx) -> Any:
    return json_response(changes.link_info(get_deps(), ctx.json_body(), ctx.now))


@public_route(bp, "/store-change/requests", methods=("POST",), **JSON_BODY)
def store_change_by_link(ctx: Ctx) -> Any:
    return json_response(changes.submit_by_link(get_deps(), ctx.json_body(), ctx.now), 201)
