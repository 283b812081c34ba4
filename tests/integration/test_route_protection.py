"""Every registered route is either deliberately public or a staff route that refuses anonymous
callers (401) and every role it does not name (403) — so no future route can ship unprotected."""

from __future__ import annotations

import re
import time

import pytest

from chalicelib.auth.roles import ROUTE_ROLES, Role
from chalicelib.web.http import PUBLIC_ROUTES


def all_routes():
    from app import app

    return [(path, method, entry) for path, methods in app.routes.items() for method, entry in methods.items()]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X0000001", path)


def test_every_route_is_declared_public_or_staff():
    undeclared = [(p, m) for p, m, _ in all_routes() if (p, m) not in ROUTE_ROLES and (p, m) not in PUBLIC_ROUTES]
    assert undeclared == []


def test_every_staff_route_has_the_authorizer_and_public_ones_do_not():
    for path, method, entry in all_routes():
        if (path, method) in ROUTE_ROLES:
            assert entry.authorizer is not None, (path, method)
            assert ROUTE_ROLES[(path, method)], (path, method)
        else:
            assert entry.authorizer is None, (path, method)


def test_staff_routes_exist():
    # the walk below must not pass vacuously
    assert len(ROUTE_ROLES) >= 10


def staff_cases():
    all_routes()  # import the app so the registry is filled
    return sorted(ROUTE_ROLES.items())


@pytest.mark.parametrize("route,allowed", staff_cases(), ids=lambda v: str(v))
def test_anonymous_gets_401_and_other_roles_get_403(api, route, allowed):
    from app import app

    path, method = route
    url = concrete(path)
    has_body = method in ("POST", "PUT")
    content_type = app.routes[path][method].content_types[0]
    kwargs = {"raw": b"{}", "headers": {"Content-Type": content_type}} if has_body else {}

    def call(extra_headers: dict[str, str] | None = None, as_: str | None = None):
        headers = {**kwargs.get("headers", {}), **(extra_headers or {})}
        return api.call(method, url, as_=as_, raw=kwargs.get("raw"), headers=headers)

    assert call()[0] == 401, (method, url)
    assert call({"Authorization": "Bearer not-a-token"})[0] == 403, (method, url)
    for role in Role:
        if role in allowed:
            continue
        code, body = call(as_=role.value)
        assert code == 403, (method, url, role, body)


def test_an_expired_or_foreign_token_is_refused(api, aws_server):
    _, tokens = aws_server
    issuer = tokens["_issuer"]
    expired = issuer.token("screener", ["screener"], ttl_seconds=-60)
    assert api.call("GET", "/applications", headers={"Authorization": f"Bearer {expired}"})[0] == 403
    foreign = issuer.token("screener", ["screener"], issuer="https://evil.example")
    assert api.call("GET", "/applications", headers={"Authorization": f"Bearer {foreign}"})[0] == 403
    from chalicelib.auth.local_issuer import LocalIssuer

    other_key = LocalIssuer.create().token("screener", ["screener"])
    assert api.call("GET", "/applications", headers={"Authorization": f"Bearer {other_key}"})[0] == 403


def test_only_the_console_clients_access_or_id_tokens_pass_the_authorizer(api, aws_server):
    from chalicelib.auth.local_users import LOCAL_CLIENT_ID, LOCAL_ISSUER

    issuer = aws_server[1]["_issuer"]

    def me(token: str) -> int:
        return api.call("GET", "/me", headers={"Authorization": f"Bearer {token}"})[0]

    assert me(issuer.token("admin", ["admin"])) == 200
    assert me(issuer.id_token("admin", ["admin"])) == 200
    assert me(issuer.token("admin", ["admin"], client_id="another-app-client")) == 403
    assert me(issuer.id_token("admin", ["admin"], client_id="another-app-client")) == 403
    now = int(time.time())
    base = {"sub": "x", "cognito:groups": ["admin"], "iss": LOCAL_ISSUER, "iat": now, "exp": now + 600}
    assert me(issuer.sign({**base, "token_use": "refresh", "client_id": LOCAL_CLIENT_ID})) == 403
    assert me(issuer.sign({**base, "client_id": LOCAL_CLIENT_ID})) == 403   # no token_use
    assert me(issuer.sign({**base, "token_use": "access", "aud": LOCAL_CLIENT_ID})) == 403   # aud is not client_id
