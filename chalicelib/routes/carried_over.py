"""Carried-over stores (issue 11 point 1). docs/carried-over.md describes them.

Staff (screeners, admins): upload the prefecture's list of last year's stores, read its preview, confirm it.
Public (a signed link in the store's mail): the store's re-confirmation page and its answer. The literal `/stores/carried-over` sits beside
routes/stores.py's `/stores/{store_id}`: API Gateway and Chalice's local server prefer the literal one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.stores import carried_over
    from chalicelib.web import pages
else:
    carried_over = lazy_module("chalicelib.stores.carried_over")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

WORK = {Role.SCREENER, Role.ADMIN}
UPLOAD_TYPES = ["text/csv", "application/octet-stream", "application/vnd.ms-excel", "text/plain"]
JSON_BODY = {"content_types": ["application/json"]}


@staff_route(bp, "/stores/carried-over", roles=WORK, methods=("POST",), content_types=UPLOAD_TYPES)
def upload_carried_over(ctx: Ctx) -> Any:
    answer, _ = carried_over.upload(get_deps(), ctx.request.raw_body or b"", ctx.staff, ctx.now)
    # The same rows uploaded again answer the import that holds them (`created: false`): nothing changes.
    return json_response(answer, 201)


@staff_route(bp, "/stores/carried-over/{import_id}", roles=WORK)
def carried_over_preview(ctx: Ctx, import_id: str) -> Any:
    return json_response(carried_over.preview(get_deps(), import_id, ctx.staff, ctx.now))


@staff_route(bp, "/stores/carried-over/{import_id}/confirm", roles=WORK, methods=("POST",))
def confirm_carried_over(ctx: Ctx, import_id: str) -> Any:
    return json_response(carried_over.confirm(get_deps(), import_id, ctx.staff, ctx.now))


@public_route(bp, "/store-reconfirm")
def store_reconfirm_page(ctx: Ctx) -> Any:
    return html_response(pages.render("store_reconfirm.html"))


@public_route(bp, "/store-reconfirmations", methods=("POST",), **JSON_BODY)
def store_reconfirmation(ctx: Ctx) -> Any:
    return json_response(carried_over.reconfirmation_by_link(get_deps(), ctx.json_body(), ctx.now))
