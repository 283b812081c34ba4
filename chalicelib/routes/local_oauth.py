"""The local stack's stand-in for Cognito's hosted login (chalicelib/auth/local_oauth.py) over HTTP.

`/dev/oauth2/authorize`, `/dev/oauth2/token` and `/dev/logout` mirror Cognito's `/oauth2/authorize`,
`/oauth2/token` and `/logout`, so the console signs in through the same code in both stages (only
the base URL differs). Served by the local stack only: 404 in every other stage.
"""

from __future__ import annotations

import html
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.local_users import active_users
from chalicelib.auth.roles import ROLE_LABELS
from chalicelib.errors import DomainError, NotFound
from chalicelib.kernel.lazy import lazy_module
from chalicelib.settings import get_settings
from chalicelib.web.http import Ctx, error_response, html_response, json_response, public_route

# Only the local stack serves these routes (404 elsewhere): the cloud's cold start never imports the stand-in.
if TYPE_CHECKING:
    from chalicelib.auth import local_oauth, oauth
    from chalicelib.auth.oauth import ConsoleAuth
    from chalicelib.web import pages
else:
    local_oauth = lazy_module("chalicelib.auth.local_oauth")
    oauth = lazy_module("chalicelib.auth.oauth")
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FORM_BYTES = 8192
#: What the authorize form carries on from the request (all checked by parse_authorize first).
CARRIED = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")


def _local_auth() -> ConsoleAuth:
    settings = get_settings()
    auth = oauth.console_auth(settings) if settings.is_local else None
    if auth is None:
        raise NotFound("見つかりません")
    return auth


def _query(ctx: Ctx) -> dict[str, list[str]]:
    params = ctx.request.query_params
    return {name: list(params.getlist(name)) for name in params} if params else {}


def _form(ctx: Ctx) -> dict[str, list[str]]:
    """The request's fields: form-encoded as Cognito takes them, or (like every public POST) JSON."""
    if (ctx.request.headers.get("content-type") or "").startswith(JSON):
        body = ctx.json_body()  # unreadable JSON is the app's usual 400
        if not all(isinstance(v, str) for v in body.values()):
            raise local_oauth.OAuthError("invalid_request", "フォームの形式が正しくありません", redirect=False)
        return {k: [v] for k, v in body.items()}
    raw = ctx.request.raw_body or b""
    try:
        if len(raw) > MAX_FORM_BYTES:
            raise ValueError("too large")
        return urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=30,
                                     errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise local_oauth.OAuthError("invalid_request", "フォームの形式が正しくありません", redirect=False) from None


def _redirect(uri: str, params: dict[str, str | None], status: int = 302) -> Response:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return Response(body="", status_code=status,
                    headers={"Location": uri + ("&" if "?" in uri else "?") + query, "Cache-Control": "no-store"})


def _problem_page(description: str, status: int = 400) -> Response:
    page = pages.render("local_authorize.html")
    text = str(page).replace("<!--problem-->", f'<p class="err" role="alert">{html.escape(description)}</p>')
    # Nothing to pick: drop the form.
    start, end = text.index('<form method="post"'), text.index("</form>") + len("</form>")
    return html_response(pages.Page(text[:start] + text[end:], page.nonce), status)


def _error(exc: local_oauth.OAuthError, auth: ConsoleAuth, state: str | None, status: int = 302) -> Response:
    if not exc.redirect:
        return _problem_page(f"ログインの要求が正しくありません: {exc.description}")
    return _redirect(auth.redirect_uri, {"error": exc.error, "error_description": exc.description, "state": state},
                     status)


def _picker(request: local_oauth.AuthorizeRequest) -> Response:
    page = pages.render("local_authorize.html")
    values = {"response_type": "code", "client_id": request.client_id, "redirect_uri": request.redirect_uri,
              "state": request.state, "code_challenge": request.code_challenge, "code_challenge_method": "S256",
              "scope": request.scope}
    fields = "\n".join(f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
                       for name, value in values.items() if value is not None)
    users = "".join(
        f'<li><button type="submit" name="user" value="{html.escape(user)}" data-user="{html.escape(user)}">'
        f'{html.escape(user)}<small>{html.escape(ROLE_LABELS.get(role, role))}</small></button></li>'
        for user, role in active_users(Path(get_settings().auth.jwks_source)).items())
    text = str(page).replace("<!--fields-->", fields).replace("<!--users-->", users)
    return html_response(pages.Page(text, page.nonce))


@public_route(bp, "/dev/oauth2/authorize")
def authorize(ctx: Ctx) -> Any:
    """The hosted login's sign-in page: pick a demo user (or `login_hint` names one: straight back)."""
    auth = _local_auth()
    params = _query(ctx)
    try:
        request = local_oauth.parse_authorize(params, auth)
        if request.login_hint:
            code = local_oauth.issue_code(request, request.login_hint)
            return _redirect(request.redirect_uri, {"code": code, "state": request.state})
    except local_oauth.OAuthError as exc:
        state = next(iter(params.get("state") or []), None)
        return _error(exc, auth, state if state and local_oauth.STATE.fullmatch(state) else None)
    return _picker(request)


@public_route(bp, "/dev/oauth2/authorize", methods=("POST",), content_types=[FORM, JSON])
def authorize_pick(ctx: Ctx) -> Any:
    """The picked user (or cancel): back to the console with a code (or `error=access_denied`)."""
    auth = _local_auth()
    try:
        form = _form(ctx)
        request = local_oauth.parse_authorize(form, auth)
    except local_oauth.OAuthError as exc:
        state = next(iter(_safe_form(ctx).get("state") or []), None)
        return _error(exc, auth, state if state and local_oauth.STATE.fullmatch(state) else None, 303)
    if form.get("cancel"):
        return _redirect(auth.redirect_uri, {"error": "access_denied", "state": request.state}, 303)
    try:
        code = local_oauth.issue_code(request, (form.get("user") or [""])[0])
    except local_oauth.OAuthError as exc:
        return _error(exc, auth, request.state, 303)
    return _redirect(request.redirect_uri, {"code": code, "state": request.state}, 303)


def _safe_form(ctx: Ctx) -> dict[str, list[str]]:
    try:
        return _form(ctx)
    except (local_oauth.OAuthError, DomainError):
        return {}


@public_route(bp, "/dev/oauth2/token", methods=("POST",), content_types=[FORM, JSON])
def token(ctx: Ctx) -> Any:
    """The token endpoint (called by `POST /auth/token`, as Cognito's is in the cloud)."""
    auth = _local_auth()
    settings = get_settings()
    try:
        answer = local_oauth.redeem(_form(ctx), auth, Path(settings.auth.jwks_source), settings.auth.jwt_issuer)
    except local_oauth.OAuthError as exc:
        # The app's error shape (the OAuth error code as its code, a Japanese message); the console's
        # redemption (chalicelib.auth.oauth.redeem) reads the status only, as it does of Cognito's.
        status = 503 if exc.error == "temporarily_unavailable" else 400
        return error_response(status, exc.error, exc.description)
    return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@public_route(bp, "/dev/logout")
def logout(ctx: Ctx) -> Any:
    """The hosted login's logout: back to the registered logout URI."""
    auth = _local_auth()
    try:
        target = local_oauth.check_logout(_query(ctx), auth)
    except local_oauth.OAuthError as exc:
        return _problem_page(f"ログアウトの要求が正しくありません: {exc.description}")
    return Response(body="", status_code=302, headers={"Location": target, "Cache-Control": "no-store"})
