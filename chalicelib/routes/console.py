"""The staff console: HTML shells only, and the static assets (modules, stylesheets) of every page.
Every figure on the pages comes from the JSON APIs with the bearer token.

The shells carry no data and no personal information, so they are public routes; the pages call the
staff APIs with the access token of the signed-in session, kept in the browser's localStorage so
every tab shares it (static/client.js). Staff sign in through the hosted login with
authorization code + PKCE (static/client.js, chalicelib/auth/oauth.py); `POST /auth/token`
redeems the code.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import ROLE_LABELS, Role
from chalicelib.deps import get_deps
from chalicelib.errors import NotFound
from chalicelib.kernel.lazy import lazy_module
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.web.http import Ctx, error_response, html_response, json_response, public_route

# The hosted login's client (the sign-in, the pages' login settings) and the page renderer: on first use, so a
# cold start for a JSON API imports neither (kernel/lazy.py, thread-safe).
if TYPE_CHECKING:
    from chalicelib.auth import oauth
    from chalicelib.web import pages
else:
    oauth = lazy_module("chalicelib.auth.oauth")
    pages = lazy_module("chalicelib.web.pages")

bp = Blueprint(__name__)

TEMPLATE = "console.html"


def _page(page: str, item: str = "") -> Response:
    # Never framed, nonce CSP: set for every page by chalicelib.web.http.secure_response.
    auth = oauth.console_auth(get_settings())
    config = json.dumps(auth.browser_config() if auth else None)
    return html_response(pages.render(TEMPLATE, page=page, item=item, auth=config))


@public_route(bp, "/static/{version}/{name}")
def static_asset(ctx: Ctx, version: str, name: str) -> Any:
    """A page's module or stylesheet. The version in the URL hashes every asset, so the answer never
    changes and caches may keep it (web/pages.py); another version is not served (404)."""
    found = pages.asset(version, name)
    if found is None:
        return error_response(404, "not_found", "見つかりません")
    content, content_type = found
    return Response(body=content.decode("utf-8"), status_code=200,
                    headers={"Content-Type": content_type, "Cache-Control": pages.ASSET_CACHE_CONTROL})


@public_route(bp, "/auth/token", methods=("POST",), content_types=["application/json"])
def sign_in(ctx: Ctx) -> Any:
    """Redeem the hosted login's code with the PKCE verifier; answer the access token of a staff member.

    Same origin as the pages (their CSP allows no other); the hosted login checks the verifier, this
    route checks the token it answers (as the authorizer will) and audits the sign-in.
    """
    try:
        code, verifier = oauth.validate_request(ctx.json_body())
        signed_in = oauth.redeem(get_settings(), code, verifier)
    except oauth.SignInError as exc:
        logger.info("sign-in refused", extra={"reason": exc.code})
        return error_response(exc.status, "sign_in_failed", exc.message)
    principal = signed_in.principal
    get_deps().audit.append(entry(Actor.of(principal), "staff.sign_in", f"staff#{principal.user}", ctx.now,
                                  detail={"via": "hosted_login", "expires_in": signed_in.expires_in}))
    return json_response({"access_token": signed_in.access_token, "token_type": "Bearer",
                          "expires_in": signed_in.expires_in, "user": principal.user,
                          "roles": sorted(principal.roles)},
                         headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@public_route(bp, "/console")
def console_queue(ctx: Ctx) -> Any:
    return _page("queue")


@public_route(bp, "/console/login")
def console_login(ctx: Ctx) -> Any:
    return _page("login")


@public_route(bp, "/console/tour")
def console_tour(ctx: Ctx) -> Any:
    """The local stage's guided first visit: what each role does, with a demo login to each of its screens
    (templates/console_tour.html). 404 elsewhere: the demo users exist only locally."""
    if not get_settings().is_local:
        raise NotFound("見つかりません")
    labels = {f"label_{role.value}": ROLE_LABELS[role] for role in Role}
    return html_response(pages.render("console_tour.html", clock_note=_clock_note(), **labels))


def _clock_note() -> str:
    """The tour's word on the local stack's clock (chalicelib/clock.py): which day it is and how to change it."""
    from chalicelib import clock

    demo = clock.demo_clock()
    change = ("事務局コンソールの各画面の上部の欄で、タブごとに日時を変えられます。起動時に "
              "DEMO_NOW=2025-10-15T10:00+09:00 make run とすると別の日時から、DEMO_NOW=off make run とすると実時間で動きます。")
    if demo is None:
        return f"この環境は実時間で動いています（今 {clock.day_label(clock.now_jst())}）。" + change
    return (f"この環境の日時はデモの時計です：事業年度の中の {clock.day_label(demo.start)} から実時間で進みます"
            f"（今 {clock.day_label(demo.now())}）。"
            + ("コールセンターの受付時間内で、前月分の精算が承認を待つ時期の平日です。" if demo.origin == "default" else "")
            + change)


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


# The store kit register (static/console-kit-register.js; docs/store-kit.md).
@public_route(bp, "/console/kit-register")
def console_kit_register(ctx: Ctx) -> Any:
    return _page("kit-register")


# Carried-over stores: the prefecture's list of last year's stores (static/console-carried-over.js; docs/carried-over.md).
@public_route(bp, "/console/carried-over")
def console_carried_over(ctx: Ctx) -> Any:
    return _page("carried-over")


# The prefecture's view (static/console-overview.js): the overview with charts, the funds ledger, the report library.
@public_route(bp, "/console/overview")
def console_overview(ctx: Ctx) -> Any:
    return _page("overview")


@public_route(bp, "/console/funds")
def console_funds(ctx: Ctx) -> Any:
    return _page("funds")


@public_route(bp, "/console/reports")
def console_reports(ctx: Ctx) -> Any:
    return _page("reports")


# Personal data protection (issue 13): the incident query and access report (static/console-privacy.js),
# staff users and the training register (static/console-staff.js).
@public_route(bp, "/console/privacy")
def console_privacy(ctx: Ctx) -> Any:
    return _page("privacy")


@public_route(bp, "/console/staff")
def console_staff(ctx: Ctx) -> Any:
    return _page("staff")


# The consultation sessions (相談会) are a page of their own for the coordinator (templates/console_sessions.html,
# static/console-sessions*.js), like the call center's; the prefecture reads its coverage and report.
def _sessions_page(page: str, item: str = "") -> Response:
    auth = oauth.console_auth(get_settings())
    config = json.dumps(auth.browser_config() if auth else None)
    return html_response(pages.render("console_sessions.html", page=page, item=item, auth=config))


@public_route(bp, "/console/sessions")
def console_sessions(ctx: Ctx) -> Any:
    return _sessions_page("sessions")


@public_route(bp, "/console/sessions/coverage")
def console_sessions_coverage(ctx: Ctx) -> Any:
    return _sessions_page("coverage")


@public_route(bp, "/console/sessions/report")
def console_sessions_report(ctx: Ctx) -> Any:
    return _sessions_page("report")


@public_route(bp, "/console/sessions/{session_id}")
def console_session(ctx: Ctx, session_id: str) -> Any:
    return _sessions_page("session", session_id)
