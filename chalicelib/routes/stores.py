"""Store bank-account confirmation: by a second member of staff, or by the store from its e-mail."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web import pages
from chalicelib.web.http import Ctx, html_response, json_response, public_route, staff_route

stores = lazy_module("chalicelib.stores.service")

bp = Blueprint(__name__)


@staff_route(bp, "/stores/{store_id}/bank-account/confirm", roles={Role.ACCOUNTANT, Role.SCREENER, Role.ADMIN},
             methods=("POST",))
def confirm_bank_account(ctx: Ctx, store_id: str) -> Any:
    assert ctx.principal
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(stores.confirm_bank_change(get_deps(), store_id, body, ctx.principal, ctx.now))


@public_route(bp, "/bank-confirm")
def bank_confirm_page(ctx: Ctx) -> Any:
    return html_response(pages.render("bank_confirm.html"))


@public_route(bp, "/bank-confirmations", methods=("POST",), content_types=["application/json"])
def bank_confirmation(ctx: Ctx) -> Any:
    return json_response(stores.bank_change_by_link(get_deps(), ctx.json_body(), ctx.now))
