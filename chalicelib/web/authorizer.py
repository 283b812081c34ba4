"""The built-in Chalice authorizer for staff routes: verifies the bearer JWT, passes user and roles on.

Only the console's app client's tokens pass (chalicelib.auth.tokens: `token_use` with `client_id`
or `aud`, issuer, expiry, RS256). Roles are checked in the app (chalicelib.web.http) on these
verified claims.
"""

from __future__ import annotations

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

from chalicelib.observability import logger
from chalicelib.settings import get_settings

auth_bp = Blueprint(__name__)


@auth_bp.authorizer(name="staff_auth")
def staff_auth(auth_request: AuthRequest) -> AuthResponse:
    # Imported here: API Gateway runs the authorizer as a function of its own, so the API function's cold
    # start never needs the token checks (the import system's locks make this safe from any thread).
    from chalicelib.auth.oauth import expected_client_id
    from chalicelib.auth.tokens import InvalidToken, verify

    settings = get_settings()
    try:
        principal = verify(auth_request.token, jwks_source=settings.auth.jwks_source,
                           issuer=settings.auth.jwt_issuer, client_id=expected_client_id(settings))
    except InvalidToken as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        return AuthResponse(routes=[], principal_id="anonymous")
    # API Gateway caches this answer per token, so it must allow every route; roles are
    # enforced per route in the app.
    return AuthResponse(routes=["*"], principal_id=principal.user,
                        context={"user": principal.user, "roles": principal.role_label})
