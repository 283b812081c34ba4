"""The local stack's stand-in for Cognito's hosted login: a tiny OAuth 2.0 authorization server.

It speaks what the console uses of Cognito, with the same rules:
- `/oauth2/authorize`: response_type `code` only (no implicit flow), the one app client, the one
  registered redirect URI, PKCE with S256 required; the user picks a demo user (a local page) or
  names one in `login_hint` (the `/console/login?as=<user>` convenience);
- `/oauth2/token`: grant_type `authorization_code` only; the code is single-use (a second
  redemption, even after a failed one, is refused), lives five minutes (as Cognito's), and is bound
  to the client, the redirect URI and the PKCE challenge; answers an access and an ID token;
- `/logout`: the app client and the one registered logout URI.

Codes live in this process's memory (the local stack is one process). Only the local stage serves
this (chalicelib/routes/local_oauth.py answers 404 elsewhere).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.auth.local_users import active_users
from chalicelib.auth.oauth import SCOPE, ConsoleAuth

CODE_TTL_SECONDS = 300
TOKEN_TTL_SECONDS = 3600
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
STATE = re.compile(r"[\x21-\x7e]{1,1024}")
MAX_CODES = 1000


class OAuthError(Exception):
    """An OAuth error answer: `error` is the RFC 6749 code; `redirect` says whether it may go back to the client."""

    def __init__(self, error: str, description: str, *, redirect: bool = True) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.redirect = redirect


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    code_challenge: str
    state: str | None
    scope: str
    login_hint: str | None


@dataclass(frozen=True)
class _Grant:
    user: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    expires: float


_codes: dict[str, _Grant] = {}
_lock = threading.Lock()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} は1つだけ指定してください", redirect=False)
    return values[0] if values else None


def _users() -> dict[str, str]:
    """The local users as the staff screen left them (chalicelib/auth/local_users.py `active_users`)."""
    from chalicelib.settings import get_settings

    source = get_settings().auth.jwks_source
    return active_users(None if source.startswith("https://") else Path(source))


def parse_authorize(params: dict[str, list[str]], auth: ConsoleAuth) -> AuthorizeRequest:
    """Check an authorization request. Client and redirect URI problems are never redirected (RFC 6749 §4.1.2.1)."""
    if _one(params, "client_id") != auth.client_id:
        raise OAuthError("invalid_client", "アプリケーション（client_id）が登録されていません", redirect=False)
    if _one(params, "redirect_uri") != auth.redirect_uri:
        raise OAuthError("invalid_request", "戻り先（redirect_uri）が登録されたものと一致しません", redirect=False)
    state = _one(params, "state")
    if state is not None and not STATE.fullmatch(state):
        raise OAuthError("invalid_request", "state が正しくありません", redirect=False)
    if _one(params, "response_type") != "code":
        # The implicit flow (response_type=token) is off, as in the cloud's app client.
        raise OAuthError("unsupported_response_type", "response_type=code だけが使えます")
    if _one(params, "code_challenge_method") != "S256":
        raise OAuthError("invalid_request", "PKCE（code_challenge_method=S256）が必要です")
    challenge = _one(params, "code_challenge") or ""
    if not CHALLENGE.fullmatch(challenge):
        raise OAuthError("invalid_request", "code_challenge が正しくありません")
    scope = _one(params, "scope") or SCOPE
    if "openid" not in scope.split(" ") or not set(scope.split(" ")) <= set(SCOPE.split(" ")):
        raise OAuthError("invalid_scope", "scope が正しくありません")
    hint = _one(params, "login_hint")
    return AuthorizeRequest(auth.client_id, auth.redirect_uri, challenge, state, scope,
                            hint if hint in _users() else None)


def issue_code(request: AuthorizeRequest, user: str) -> str:
    if user not in _users():
        raise OAuthError("access_denied", "利用者を選んでください")
    code = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _lock:
        for stale in [c for c, g in _codes.items() if g.expires <= now]:
            del _codes[stale]
        if len(_codes) >= MAX_CODES:
            raise OAuthError("temporarily_unavailable", "しばらくしてからもう一度お試しください")
        _codes[code] = _Grant(user, request.client_id, request.redirect_uri, request.code_challenge,
                              request.scope, now + CODE_TTL_SECONDS)
    return code


def redeem(form: dict[str, list[str]], auth: ConsoleAuth, jwks_path: Path, issuer_name: str) -> dict[str, Any]:
    """The token endpoint: check the grant, burn the code, answer Cognito's token response."""
    from chalicelib.auth.local_issuer import LocalIssuer  # PyJWT/cryptography only when a token is minted

    if _one(form, "grant_type") != "authorization_code":
        raise OAuthError("unsupported_grant_type", "grant_type=authorization_code だけが使えます")
    if _one(form, "client_id") != auth.client_id:
        raise OAuthError("invalid_client", "アプリケーション（client_id）が登録されていません")
    code = _one(form, "code") or ""
    with _lock:
        grant = _codes.pop(code, None)  # single use: gone whatever happens next
    if grant is None or grant.expires <= time.monotonic():
        raise OAuthError("invalid_grant", "認証コードが無効か、使用済みか、期限切れです")
    if grant.client_id != auth.client_id or _one(form, "redirect_uri") != grant.redirect_uri:
        raise OAuthError("invalid_grant", "認証コードの発行先と一致しません")
    verifier = _one(form, "code_verifier") or ""
    if not VERIFIER.fullmatch(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
        raise OAuthError("invalid_grant", "PKCE の検証に失敗しました")
    issuer = LocalIssuer.for_jwks(jwks_path)
    if issuer is None:
        raise OAuthError("temporarily_unavailable", "ローカルの署名鍵がありません（make run で起動してください）")
    users = active_users(jwks_path)
    if grant.user not in users:
        raise OAuthError("access_denied", "この利用者は無効になっています")
    roles = [users[grant.user]]
    ttl, client = TOKEN_TTL_SECONDS, auth.client_id
    return {
        "access_token": issuer.token(grant.user, roles, ttl, issuer=issuer_name, client_id=client),
        "id_token": issuer.id_token(grant.user, roles, ttl, issuer=issuer_name, client_id=client),
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL_SECONDS,
    }


def check_logout(params: dict[str, list[str]], auth: ConsoleAuth) -> str:
    """The logout endpoint: where to send the browser back (the one registered logout URI)."""
    if _one(params, "client_id") != auth.client_id:
        raise OAuthError("invalid_client", "アプリケーション（client_id）が登録されていません", redirect=False)
    if _one(params, "logout_uri") != auth.logout_uri:
        raise OAuthError("invalid_request", "戻り先（logout_uri）が登録されたものと一致しません", redirect=False)
    return auth.logout_uri
