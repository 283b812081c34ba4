"""JWT verification for staff: Cognito user-pool tokens in the cloud, locally signed ones in the
local stage — the same code path, only the key source differs (a JWKS URL or a JWKS file).

Exactly the tokens Cognito issues to the console's app client are accepted:

- signed with RS256 by a key of the JWKS (by `kid`), by the configured issuer, not expired, not
  issued in the future;
- an **access token** (`token_use: access`) whose `client_id` is the console's app client — Cognito
  access tokens carry no `aud`;
- or an **ID token** (`token_use: id`) whose `aud` is the console's app client.

Anything else — another app client's token, a refresh or unknown `token_use`, another algorithm,
an unsigned token — is refused. With no app client configured every token is refused (fail closed).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jwt

# PyJWT (and cryptography behind it) is imported on first use, not at cold start of every function.

from chalicelib.auth.roles import Principal, Role

ALGORITHMS = ["RS256"]
ACCESS = "access"
ID = "id"


class InvalidToken(Exception):
    """The token is refused; the message is a short reason code for the log (never the token)."""


@functools.cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    import jwt

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


@functools.cache
def _file_keys(path: str, _mtime: float) -> dict[str, jwt.PyJWK]:
    import jwt

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k["kid"]: jwt.PyJWK(k) for k in data["keys"]}


def _signing_key(token: str, jwks_source: str) -> Any:
    import jwt

    header = jwt.get_unverified_header(token)
    if header.get("alg") not in ALGORITHMS:
        raise InvalidToken("algorithm")
    if jwks_source.startswith(("https://", "http://")):
        return _jwks_client(jwks_source).get_signing_key_from_jwt(token).key
    kid = header.get("kid")
    keys = _file_keys(jwks_source, Path(jwks_source).stat().st_mtime)
    if kid not in keys:
        raise InvalidToken("unknown key id")
    return keys[kid].key


def _check_client(claims: dict[str, Any], client_id: str) -> None:
    token_use = claims.get("token_use")
    if token_use == ACCESS:
        if claims.get("client_id") != client_id:
            raise InvalidToken("client_id")
    elif token_use == ID:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise InvalidToken("aud")
    else:
        raise InvalidToken("token_use")


def verify_claims(token: str, *, jwks_source: str, issuer: str, client_id: str | None) -> dict[str, Any]:
    """The verified claims of a console token, or InvalidToken (see the module docstring)."""
    import jwt

    if token.lower().startswith("bearer "):
        token = token[7:]
    if not client_id:
        raise InvalidToken("no app client configured")
    try:
        key = _signing_key(token, jwks_source)
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=issuer,
            # `aud` is checked below per token kind (access tokens have none).
            options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
        )
    except InvalidToken:
        raise
    except (jwt.PyJWTError, OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(type(exc).__name__) from None
    _check_client(claims, client_id)
    return claims


def principal_of(claims: dict[str, Any]) -> Principal:
    groups = claims.get("cognito:groups") or []
    if not isinstance(groups, list):
        groups = []
    roles = frozenset(Role(g) for g in groups if isinstance(g, str) and g in Role._value2member_map_)
    # Access tokens name the user `username`, ID tokens `cognito:username`.
    user = claims.get("cognito:username") or claims.get("username") or claims["sub"]
    return Principal(user=str(user), roles=roles)


def verify(token: str, *, jwks_source: str, issuer: str, client_id: str | None) -> Principal:
    """Verify a console token (see the module docstring); return who the caller is and their roles."""
    return principal_of(verify_claims(token, jwks_source=jwks_source, issuer=issuer, client_id=client_id))
