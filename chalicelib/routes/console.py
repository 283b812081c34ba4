"""The staff console: HTML shells only. Every figure on them comes from the JSON APIs with the bearer token.

The shells carry no data and no personal information, so they are public routes; the pages call the
staff APIs with the token kept in the browser's sessionStorage (see templates/console.html).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.web import pages
from chalicelib.web.http import Ctx, html_response, public_route

bp = Blueprint(__name__)

TEMPLATE = "console.html"


def _page(page: str, item: str = "") -> Response:
    # Never framed, nonce CSP: set for every page by chalicelib.web.http.secure_response.
    return html_response(pages.render(TEMPLATE, page=page, item=item))


@public_route(bp, "/console")
def console_queue(ctx: Ctx) -> Any:
    return _page("queue")


@public_route(bp, "/console/login")
def console_login(ctx: Ctx) -> Any:
    return _page("login")


@public_route(bp, "/console/applications/{application_id}")
def console_application(ctx: Ctx, application_id: str) -> Any:
    return _page("application", application_id)


@public_route(bp, "/console/stores")
def console_stores(ctx: Ctx) -> Any:
    return _page("stores")


@public_route(bp, "/console/stores/{store_id}")
def console_store(ctx: Ctx, store_id: str) -> Any:
    return _page("store", store_id)


@public_route(bp, "/console/audit")
def console_audit(ctx: Ctx) -> Any:
    return _page("audit")


@public_route(bp, "/console/mail")
def console_mail(ctx: Ctx) -> Any:
    return _page("mail")


@public_route(bp, "/console/usage")
def console_usage(ctx: Ctx) -> Any:
    return _page("usage")


@public_route(bp, "/console/settlements")
def console_settlements(ctx: Ctx) -> Any:
    return _page("settlements")
