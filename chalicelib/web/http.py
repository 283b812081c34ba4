"""The one place that turns domain errors into HTTP answers, the route declarations, and the
security headers every answer carries.

`staff_route` registers a route behind the JWT authorizer with the roles it allows (recorded in
ROUTE_ROLES so a test can prove every staff route refuses everyone else); `public_route` marks a
route as deliberately public. `secure_response` (applied to every answer by the http middleware,
chalicelib/web/middleware.py) sets the headers: a nonce-based Content-Security-Policy on pages, a
deny-everything one on the API, no framing, no sniffing, no referrer, and no caching unless a route
says otherwise for public reference data.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import ROUTE_ROLES, Principal, Role
from chalicelib.clock import request_now
from chalicelib.errors import Conflict, DomainError, Forbidden, InvalidInput, LinkExpired, MalformedRequest, NotFound
from chalicelib.kernel.input_errors import parse_json_object
from chalicelib.settings import get_settings

#: Set on every answer, HTML or not (what a route set is overridden).
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: For everything that is not a page (JSON, files): nothing may run, load or frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: Personal data may be in any answer: no cache keeps it unless the route opts in (public lookups).
DEFAULT_CACHE_CONTROL = "no-store"

STATUS = {MalformedRequest: 400, InvalidInput: 422, NotFound: 404, Conflict: 409, Forbidden: 403, LinkExpired: 410}
PUBLIC_ROUTES: set[tuple[str, str]] = set()
#: (path, method) -> the content types a route takes (when it declares them), for the 415's hint.
ROUTE_CONTENT_TYPES: dict[tuple[str, str], list[str]] = {}
FORBIDDEN_MESSAGE = "この操作を行う権限がありません"
JSON = {"Content-Type": "application/json; charset=utf-8"}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=dict(JSON))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, default=str), status_code=status,
                    headers={**JSON, **(headers or {})})


def map_domain_error(exc: DomainError) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    # Internal hints (prefixed with "_reasons") are for logs, not for the caller.
    fields = {k: v for k, v in exc.fields.items() if not k.startswith("_reasons")}
    return error_response(status, exc.code, exc.message, fields)


@dataclass(frozen=True)
class Ctx:
    """What a route function needs of the request."""

    request: Any
    now: datetime
    principal: Principal | None

    @property
    def staff(self) -> Principal:
        """The signed-in staff member of a `staff_route` (its wrapper has refused anonymous callers)."""
        if self.principal is None:  # only a public route has none; it has no business asking
            raise Forbidden("ログインが必要です")
        return self.principal

    def json_body(self) -> dict[str, Any]:
        return parse_json_object(self.request.raw_body, get_settings().max_body_bytes)

    def query(self, name: str, default: str | None = None) -> str | None:
        params = self.request.query_params or {}
        return params.get(name, default)


def _principal(request: Any) -> Principal | None:
    context = (request.context or {}).get("authorizer") or {}
    roles = frozenset(Role(r) for r in str(context.get("roles", "")).split(",") if r in Role._value2member_map_)
    user = context.get("user")
    return Principal(user=str(user), roles=roles) if user else None


def _wrap(bp: Blueprint, fn: Callable[..., Any], roles: frozenset[Role] | None) -> Callable[..., Any]:
    @functools.wraps(fn)
    def view(**kwargs: Any) -> Any:
        request = bp.current_request
        try:
            principal = _principal(request)
            if roles is not None and (principal is None or not principal.has_any(roles)):
                return error_response(403, "forbidden", FORBIDDEN_MESSAGE)
            ctx = Ctx(request, request_now(request.headers, get_settings().is_local), principal)
            return fn(ctx, **kwargs)
        except DomainError as exc:
            return map_domain_error(exc)

    return view


def refuse_role(request: Any) -> Response | None:
    """The role check's 403 when `request` is for a staff route its caller may not use, else None.

    For answers made before the route function runs (Chalice's 415 on a wrong Content-Type): the role is
    checked first, as the route's own wrapper does (chalicelib.web.gateway_answers)."""
    context = request.context or {}
    allowed = ROUTE_ROLES.get((str(context.get("resourcePath")), str(context.get("httpMethod"))))
    if allowed is None:
        return None
    principal = _principal(request)
    if principal is None or not principal.has_any(allowed):
        return error_response(403, "forbidden", FORBIDDEN_MESSAGE)
    return None


def _declare_content_types(path: str, methods: Iterable[str], route_kwargs: dict[str, Any]) -> None:
    if "content_types" in route_kwargs:
        for method in methods:
            ROUTE_CONTENT_TYPES[(path, method)] = list(route_kwargs["content_types"])


def staff_route(bp: Blueprint, path: str, *, roles: Iterable[Role], methods: Iterable[str] = ("GET",),
                **route_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    from chalicelib.web.authorizer import staff_auth

    allowed = frozenset(roles)
    methods = tuple(methods)

    def decorator(fn: Callable[..., Any]) -> Any:
        for method in methods:
            ROUTE_ROLES[(path, method)] = allowed
        _declare_content_types(path, methods, route_kwargs)
        return bp.route(path, methods=list(methods), authorizer=staff_auth, **route_kwargs)(_wrap(bp, fn, allowed))

    return decorator


def public_route(bp: Blueprint, path: str, *, methods: Iterable[str] = ("GET",),
                 **route_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    methods = tuple(methods)

    def decorator(fn: Callable[..., Any]) -> Any:
        for method in methods:
            PUBLIC_ROUTES.add((path, method))
        _declare_content_types(path, methods, route_kwargs)
        return bp.route(path, methods=list(methods), **route_kwargs)(_wrap(bp, fn, None))

    return decorator


def page_csp(nonce: str | None) -> str:
    """The Content-Security-Policy of a page whose <script>/<style> tags carry `nonce`.

    Scripts and stylesheets are the app's own static files (`'self'`: the modules of web/static and
    what they import); the nonce is for a page's inline tags. No inline code runs without it, and
    without a nonce only the app's own files run. `img-src data:` is for the empty favicon
    (`href="data:,"`) that keeps browsers from asking for /favicon.ico. `connect-src` adds the uploads
    bucket's origin: the usage screen posts exports straight to S3 with a presigned POST
    (chalicelib/usage/service.py)."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    styles = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        f"style-src {styles}",
        f"connect-src 'self' {_uploads_origin()}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _uploads_origin() -> str:
    from chalicelib.adapters.files import upload_origin

    return upload_origin(get_settings().buckets.uploads_bucket)


def html_response(body: str, status: int = 200) -> Response:
    """A page. `body` from `pages.render` carries the nonce stamped into its inline tags; the
    matching CSP header is set by `secure_response`."""
    response = Response(body=str(body), status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
    })
    response.csp_nonce = getattr(body, "nonce", None)  # type: ignore[attr-defined]
    return response


def _header_name(headers: Mapping[str, object], name: str) -> str | None:
    return next((k for k in headers if k.lower() == name.lower()), None)


def secure_response(response: Response) -> Response:
    """Every answer's security headers (pages, JSON, files, Chalice's own 4xx/5xx).

    Not covered: the authorizer's 401/403, which API Gateway (and `chalice local`) answer before the
    app runs; in the cloud those are API Gateway "gateway responses" with these headers, and the local
    stack answers them the same way (chalicelib.web.gateway_answers)."""
    headers = response.headers
    for name in ("Content-Security-Policy", *SECURITY_HEADERS):
        existing = _header_name(headers, name)
        if existing:
            del headers[existing]
    headers.update(SECURITY_HEADERS)
    content_type = headers.get(_header_name(headers, "Content-Type") or "", "")
    if isinstance(content_type, str) and content_type.startswith("text/html"):
        headers["Content-Security-Policy"] = page_csp(getattr(response, "csp_nonce", None))
    else:
        headers["Content-Security-Policy"] = API_CSP
    if not _header_name(headers, "Cache-Control"):
        headers["Cache-Control"] = DEFAULT_CACHE_CONTROL
    return response
