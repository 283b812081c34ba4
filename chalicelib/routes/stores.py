"""Store routes: reading the store master (masked by role, audited), bank-account change and its
confirmation (by a second member of staff, or by the store from its e-mail), and status changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.auth.roles import SEE_BANK_ACCOUNT, Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.routes.screening import page_limit, status_query
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.stores import help as store_help
    from chalicelib.stores import service as stores
    from chalicelib.web import pages
else:
    store_help = lazy_module("chalicelib.stores.help")
    stores = lazy_module("chalicelib.stores.service")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

READ_STORES = {Role.SCREENER, Role.ACCOUNTANT, Role.AGENT, Role.COORDINATOR, Role.ADMIN, Role.PREFECTURE}
# Kept literal (not stores.STATUSES) so that routing never loads the service module.
STORE_STATUSES = {"active", "suspended", "withdrawn", "awaiting_reconfirmation"}


#: Who may read a store's payments (the call center answers stores' questions about them).
READ_PAYMENTS = {Role.AGENT, Role.ACCOUNTANT, Role.SCREENER, Role.ADMIN, Role.PREFECTURE}


@staff_route(bp, "/stores", roles=READ_STORES)
def list_stores(ctx: Ctx) -> Any:
    """A page of one status, or with `?q=` a search by store id, phone, or part of the name or kana."""
    query = ctx.query("q")
    if query is not None:
        status = status_query(ctx, STORE_STATUSES, "active") if ctx.query("status") else None
        return json_response(stores.search(get_deps(), query, status, page_limit(ctx)))
    status = status_query(ctx, STORE_STATUSES, "active")
    return json_response(stores.list_page(get_deps(), status, page_limit(ctx), ctx.query("cursor")))


@staff_route(bp, "/stores/{store_id}/payments", roles=READ_PAYMENTS)
def store_payments(ctx: Ctx, store_id: str) -> Any:
    return json_response(store_help.payments(get_deps(), store_id))


@staff_route(bp, "/stores/{store_id}/overview", roles=READ_PAYMENTS)
def store_overview(ctx: Ctx, store_id: str) -> Any:
    return json_response(store_help.overview(get_deps(), ctx.staff, store_id, ctx.now))


@staff_route(bp, "/stores/{store_id}", roles=READ_STORES)
def get_store(ctx: Ctx, store_id: str) -> Any:
    return json_response(stores.get_view(get_deps(), ctx.staff, store_id, ctx.now))


@staff_route(bp, "/stores/{store_id}/bank-account", roles=SEE_BANK_ACCOUNT)
def get_store_bank_account(ctx: Ctx, store_id: str) -> Any:
    return json_response(stores.reveal_bank_account(get_deps(), ctx.staff, store_id, ctx.now))


@staff_route(bp, "/stores/{store_id}/bank-account", roles={Role.ACCOUNTANT, Role.SCREENER}, methods=("PUT",))
def change_bank_account(ctx: Ctx, store_id: str) -> Any:
    return json_response(stores.change_bank_account(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/status", roles={Role.SCREENER, Role.ADMIN}, methods=("POST",))
def change_store_status(ctx: Ctx, store_id: str) -> Any:
    return json_response(stores.change_status(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/bank-account/confirm", roles={Role.ACCOUNTANT, Role.SCREENER, Role.ADMIN},
             methods=("POST",))
def confirm_bank_account(ctx: Ctx, store_id: str) -> Any:
    assert ctx.staff
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(stores.confirm_bank_change(get_deps(), store_id, body, ctx.staff, ctx.now))


@public_route(bp, "/bank-confirm")
def bank_confirm_page(ctx: Ctx) -> Any:
    return html_response(pages.render("bank_confirm.html"))


@public_route(bp, "/bank-confirmations", methods=("POST",), content_types=["application/json"])
def bank_confirmation(ctx: Ctx) -> Any:
    return json_response(stores.bank_change_by_link(get_deps(), ctx.json_body(), ctx.now))
