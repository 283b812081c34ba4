"""The console's staff sign-in: the hosted login with authorization code + PKCE (S256).

1. A console page without a session sends the browser to `{hosted}/oauth2/authorize` (response_type
   `code`, the app client, the configured redirect URI, a PKCE challenge and a `state` that carries
   the page asked for; web/static/client.js).
2. The hosted login (Cognito: password and TOTP) returns to the console's login page with a code.
3. The page hands the code and its PKCE verifier to `POST /auth/token` on this API (same origin: the
   pages' CSP need not let them connect to the hosted login's origin). `redeem` exchanges them at `{hosted}/oauth2/token`,
   verifies the access token exactly as the authorizer does, audits the sign-in and answers the
   access token only: the refresh token is dropped, so a session never outlives its access token.
4. Logout sends the browser to `{hosted}/logout`, which ends the hosted login's own session.

In the cloud `{hosted}` is Cognito's domain (AUTH_HOSTED_UI_URL); in the local stack it is the app's
own stand-in under /dev (chalicelib/auth/local_oauth.py). Both stages run this same code; only the
base URL differs.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from chalicelib.auth.local_users import LOCAL_CLIENT_ID
from chalicelib.auth.roles import Principal
from chalicelib.auth.tokens import InvalidToken, principal_of, verify_claims
from chalicelib.settings import Settings

SCOPE = "openid email profile"
#: Where the local stack serves its stand-in for the hosted login (chalicelib/routes/local_oauth.py).
LOCAL_HOSTED_PATH = "/dev"
#: What an authorization code and a PKCE verifier may look like (RFC 7636 §4.1: 43-128 unreserved chars).
CODE = re.compile(r"[A-Za-z0-9._~-]{1,512}")
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
TIMEOUT_SECONDS = 8
MAX_IDLE_MINUTES = 24 * 60


@dataclass(frozen=True)
class ConsoleAuth:
    hosted_ui_url: str
    client_id: str
    redirect_uri: str
    logout_uri: str
    idle_seconds: int
    local: bool

    @property
    def authorize_url(self) -> str:
        return f"{self.hosted_ui_url}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.hosted_ui_url}/oauth2/token"

    @property
    def logout_url(self) -> str:
        return f"{self.hosted_ui_url}/logout"

    def browser_config(self) -> dict[str, Any]:
        """What the console's login page needs (rendered into the page; nothing secret)."""
        return {
            "authorize_url": self.authorize_url, "logout_url": self.logout_url, "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "logout_uri": self.logout_uri, "scope": SCOPE,
            "idle_seconds": self.idle_seconds, "local": self.local,
        }


def expected_client_id(settings: Settings) -> str | None:
    """The app client whose tokens are accepted (AUTH_CLIENT_ID, else JWT_AUDIENCE; locally the local one)."""
    configured = settings.auth.auth_client_id or settings.auth.jwt_audience
    if configured:
        return configured
    return LOCAL_CLIENT_ID if settings.is_local else None


def console_auth(settings: Settings) -> ConsoleAuth | None:
    """The hosted login the console uses, or None when this stage has none configured.

    Outside the local stack the hosted login must be https (Cognito's domain); locally it defaults
    to the app's own stand-in at PUBLIC_BASE_URL/dev.
    """
    base = settings.public_base_url.rstrip("/")
    hosted = (settings.auth.auth_hosted_ui_url or "").rstrip("/")
    if not hosted and settings.is_local:
        hosted = base + LOCAL_HOSTED_PATH
    client_id = expected_client_id(settings)
    if not hosted or not client_id or (not settings.is_local and not hosted.startswith("https://")):
        return None
    idle_minutes = min(max(settings.auth.auth_idle_minutes, 1), MAX_IDLE_MINUTES)
    return ConsoleAuth(
        hosted_ui_url=hosted, client_id=client_id,
        redirect_uri=settings.auth.auth_redirect_uri or f"{base}/console/login",
        logout_uri=settings.auth.auth_logout_uri or f"{base}/console/login",
        idle_seconds=idle_minutes * 60, local=settings.is_local,
    )


class SignInError(Exception):
    """The sign-in failed; `status` and a Japanese `message` for the page, `code` for the log."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int
    principal: Principal


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST an x-www-form-urlencoded body; answer the status and the JSON body (the token endpoint's)."""
    data = urllib.parse.urlencode(fields).encode("ascii")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # the configured hosted login, never a caller-given URL
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    return status, body if isinstance(body, dict) else {}


def validate_request(body: dict[str, Any]) -> tuple[str, str]:
    """The code and PKCE verifier of a `POST /auth/token` body, or SignInError 400."""
    code, verifier = body.get("code"), body.get("code_verifier")
    if not isinstance(code, str) or not CODE.fullmatch(code) \
            or not isinstance(verifier, str) or not VERIFIER.fullmatch(verifier):
        raise SignInError(400, "invalid_request", "ログインの応答が正しくありません。もう一度ログインしてください。")
    return code, verifier


def redeem(settings: Settings, code: str, verifier: str) -> SignedIn:
    """Exchange the code at the hosted login's token endpoint; verify what comes back (see module doc)."""
    auth = console_auth(settings)
    if auth is None:
        raise SignInError(503, "not_configured", "ログインの設定がされていません（管理者にお知らせください）。")
    try:
        status, answer = post_form(auth.token_url, {
            "grant_type": "authorization_code", "client_id": auth.client_id, "code": code,
            "redirect_uri": auth.redirect_uri, "code_verifier": verifier,
        })
    except (OSError, ValueError):
        raise SignInError(502, "unreachable", "ログインサービスに接続できませんでした。時間をおいてもう一度お試しください。") from None
    if status == 400 or status == 401:
        raise SignInError(400, "invalid_grant",
                          "ログインの確認に失敗しました（認証コードが無効か期限切れです）。もう一度ログインしてください。")
    access_token = answer.get("access_token")
    if status != 200 or not isinstance(access_token, str):
        raise SignInError(502, "bad_answer", "ログインサービスが正しく応答しませんでした。時間をおいてもう一度お試しください。")
    try:
        claims = verify_claims(access_token, jwks_source=settings.auth.jwks_source, issuer=settings.auth.jwt_issuer,
                               client_id=auth.client_id)
    except InvalidToken as exc:
        raise SignInError(502, f"token refused: {exc}", "ログインサービスの応答を確認できませんでした。") from None
    if claims.get("token_use") != "access":   # the console calls the API with the access token only
        raise SignInError(502, "token refused: not an access token", "ログインサービスの応答を確認できませんでした。")
    principal = principal_of(claims)
    if not principal.roles:
        raise SignInError(403, "no_role", "このアカウントには事務局の役割が割り当てられていません。管理者にお問い合わせください。")
    expires_in = max(int(claims["exp"]) - int(time.time()), 0)
    return SignedIn(access_token=access_token, expires_in=expires_in, principal=principal)
