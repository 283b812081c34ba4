"""The one place that turns domain errors into HTTP answers, and the route declarations.

`staff_route` registers a route behind the JWT authorizer with the roles it allows (recorded in
ROUTE_ROLES so a test can prove every staff route refuses everyone else); `public_route` marks a
route as deliberately public.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import ROUTE_ROLES, Principal, Role
from chalicelib.clock import request_now
from chalicelib.errors import Conflict, DomainError, Forbidden, InvalidInput, LinkExpired, MalformedRequest, NotFound
from chalicelib.kernel.input_errors import parse_json_object
from chalicelib.settings import get_settings

STATUS = {MalformedRequest: 400, InvalidInput: 422, NotFound: 404, Conflict: 409, Forbidden: 403, LinkExpired: 410}
PUBLIC_ROUTES: set[tuple[str, str]] = set()
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
                return error_response(403, "forbidden", "この操作を行う権限がありません")
            ctx = Ctx(request, request_now(request.headers, get_settings().is_local), principal)
            return fn(ctx, **kwargs)
        except DomainError as exc:
            return map_domain_error(exc)

    return view


def staff_route(bp: Blueprint, path: str, *, roles: Iterable[Role], methods: Iterable[str] = ("GET",),
                **route_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    from chalicelib.web.authorizer import staff_auth

    allowed = frozenset(roles)
    methods = tuple(methods)

    def decorator(fn: Callable[..., Any]) -> Any:
        for method in methods:
            ROUTE_ROLES[(path, method)] = allowed
        return bp.route(path, methods=list(methods), authorizer=staff_auth, **route_kwargs)(_wrap(bp, fn, allowed))

    return decorator


def public_route(bp: Blueprint, path: str, *, methods: Iterable[str] = ("GET",),
                 **route_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    methods = tuple(methods)

    def decorator(fn: Callable[..., Any]) -> Any:
        for method in methods:
            PUBLIC_ROUTES.add((path, method))
        return bp.route(path, methods=list(methods), **route_kwargs)(_wrap(bp, fn, None))

    return decorator


def html_response(body: str, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    })
