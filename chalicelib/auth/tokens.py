"""JWT verification for staff: Cognito user-pool tokens in the cloud, locally signed ones in the
local stage — the same code path, only the key source differs (a JWKS URL or a JWKS file).
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


class InvalidToken(Exception):
    pass


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

    if jwks_source.startswith(("https://", "http://")):
        return _jwks_client(jwks_source).get_signing_key_from_jwt(token).key
    kid = jwt.get_unverified_header(token).get("kid")
    keys = _file_keys(jwks_source, Path(jwks_source).stat().st_mtime)
    if kid not in keys:
        raise InvalidToken("unknown key id")
    return keys[kid].key


def verify(token: str, *, jwks_source: str, issuer: str, audience: str | None) -> Principal:
    """Verify signature, expiry and issuer; return who the caller is and their roles."""
    import jwt

    if token.lower().startswith("bearer "):
        token = token[7:]
    try:
        key = _signing_key(token, jwks_source)
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=issuer, audience=audience,
            options={"require": ["exp", "iss", "sub"], "verify_aud": audience is not None},
        )
    except (jwt.PyJWTError, OSError, ValueError, KeyError) as exc:
        raise InvalidToken(type(exc).__name__) from None
    groups = claims.get("cognito:groups") or []
    roles = frozenset(Role(g) for g in groups if g in Role._value2member_map_)
    user = claims.get("cognito:username") or claims.get("username") or claims["sub"]
    return Principal(user=str(user), roles=roles)
