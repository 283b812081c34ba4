"""The local stack's stand-in for Cognito's hosted login (/dev/oauth2/*, /dev/logout) and the console's
code redemption (POST /auth/token), through the app as API Gateway would call it.

Authorization code + PKCE (S256) only: no implicit flow, one client, one redirect URI, single-use
codes bound to client, redirect URI and challenge; 404 outside the local stack.
"""

from __future__ import annotations

import html
import json
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from chalicelib.auth import oauth
from chalicelib.auth.local_oauth import s256
from chalicelib.auth.local_users import DEMO_USERS, LOCAL_CLIENT_ID, LOCAL_ISSUER
from chalicelib.auth.tokens import verify, verify_claims
from chalicelib.observability import JWT_SHAPE

BASE = "http://127.0.0.1:8000"  # PUBLIC_BASE_URL of the test environment (scripts.localenv)
REDIRECT = f"{BASE}/console/login"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VERIFIER = "v3r1f13r-" + "x" * 50
STATE = "n0nce.L2NvbnNvbGUvaW5xdWlyaWVz"


@pytest.fixture
def local(api, aws_server) -> Any:
    """The app with the local issuer's private key beside its JWKS file (as `make run` keeps it)."""
    _, tokens = aws_server
    tokens["_issuer"].save(Path(os.environ["JWKS_SOURCE"]).parent)
    return api


def authorize_path(**overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code", "client_id": LOCAL_CLIENT_ID, "redirect_uri": REDIRECT, "scope": "openid email profile",
        "state": STATE, "code_challenge": s256(VERIFIER), "code_challenge_method": "S256"}
    params.update(overrides)
    return "/dev/oauth2/authorize?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def get(api: Any, path: str) -> Any:
    return api.client.http.get(path)


def post_form(api: Any, path: str, fields: dict[str, str]) -> Any:
    return api.client.http.post(path, headers=FORM, body=urllib.parse.urlencode(fields))


def location(response: Any) -> tuple[str, dict[str, str]]:
    target = response.headers["Location"]
    parts = urllib.parse.urlsplit(target)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(urllib.parse.parse_qsl(parts.query))


def code_for(api: Any, user: str = "screener", **overrides: str | None) -> str:
    response = get(api, authorize_path(login_hint=user, **overrides))
    assert response.status_code == 302, response.body
    target, query = location(response)
    assert target == REDIRECT and query["state"] == STATE
    return query["code"]


def redeem(api: Any, the_code: str, **overrides: str) -> tuple[int, dict[str, Any]]:
    fields = {"grant_type": "authorization_code", "client_id": LOCAL_CLIENT_ID, "code": the_code,
              "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    fields.update(overrides)
    response = post_form(api, "/dev/oauth2/token", fields)
    return response.status_code, json.loads(response.body)


def check(token: str) -> Any:
    return verify(token, jwks_source=os.environ["JWKS_SOURCE"], issuer=LOCAL_ISSUER, client_id=LOCAL_CLIENT_ID)


# --- /dev/oauth2/authorize -----------------------------------------------------------------------------


def test_the_authorize_page_offers_every_demo_user_in_japanese(local):
    response = get(local, authorize_path())
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "ログイン" in page and "デモ利用者" in page and "ローカル環境" in page
    for user in DEMO_USERS:
        assert f'name="user" value="{user}"' in page
    # The request travels on in the form, escaped; the pages' CSP holds (no inline handlers or styles).
    assert f'name="state" value="{html.escape(STATE)}"' in page
    assert f'name="code_challenge" value="{s256(VERIFIER)}"' in page
    assert "nonce-" in response.headers["Content-Security-Policy"]
    assert not re.search(r"\son\w+=|\sstyle=", page)


def test_login_hint_names_the_user_and_goes_straight_back_with_a_code_and_the_state(local):
    code = code_for(local, "accountant")
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", code)


def test_picking_a_user_answers_a_code_and_cancel_answers_access_denied(local):
    fields = dict(urllib.parse.parse_qsl(authorize_path().split("?", 1)[1]))
    picked = post_form(local, "/dev/oauth2/authorize", {**fields, "user": "agent"})
    assert picked.status_code == 303
    target, query = location(picked)
    assert target == REDIRECT and query["state"] == STATE and query["code"]
    assert redeem(local, query["code"])[0] == 200
    cancelled = post_form(local, "/dev/oauth2/authorize", {**fields, "cancel": "1"})
    assert cancelled.status_code == 303
    assert location(cancelled) == (REDIRECT, {"error": "access_denied", "state": STATE})
    nobody = post_form(local, "/dev/oauth2/authorize", {**fields, "user": "root"})
    assert location(nobody)[1]["error"] == "access_denied"


def test_the_state_is_echoed_exactly_and_may_be_left_out(local):
    odd_state = "a.b~c-_!$'()*+,;=:@/?"
    response = get(local, authorize_path(login_hint="admin", state=odd_state))
    assert location(response)[1]["state"] == odd_state
    response = get(local, authorize_path(login_hint="admin", state=None))
    assert "state" not in location(response)[1]


@pytest.mark.parametrize("overrides", [
    {"client_id": "another-client"}, {"client_id": None},
    {"redirect_uri": "https://evil.example/console/login"}, {"redirect_uri": REDIRECT + "?x=1"}, {"redirect_uri": None},
    {"state": "bad state with spaces"}, {"state": "x" * 2000},
])
def test_an_unknown_client_or_redirect_uri_or_a_bad_state_is_never_redirected(local, overrides):
    response = get(local, authorize_path(login_hint="admin", **overrides))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "正しくありません" in response.body.decode()


@pytest.mark.parametrize("overrides,error", [
    ({"response_type": "token"}, "unsupported_response_type"),   # the implicit flow is off
    ({"response_type": "code token"}, "unsupported_response_type"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": None}, "invalid_request"),
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge": "too-short"}, "invalid_request"),
    ({"scope": "aws.cognito.signin.user.admin openid"}, "invalid_scope"),
])
def test_anything_but_code_with_pkce_s256_goes_back_as_an_error(local, overrides, error):
    response = get(local, authorize_path(login_hint="admin", **overrides))
    assert response.status_code == 302
    target, query = location(response)
    assert target == REDIRECT and query["error"] == error and query["state"] == STATE
    assert "code" not in query and "access_token" not in query


def test_repeated_parameters_are_refused(local):
    response = get(local, authorize_path(login_hint="admin") + "&client_id=" + LOCAL_CLIENT_ID)
    assert response.status_code == 400 and "Location" not in response.headers


# --- /dev/oauth2/token -----------------------------------------------------------------------------------


def test_the_code_and_its_verifier_buy_an_access_and_an_id_token_of_the_user(local):
    status, answer = redeem(local, code_for(local, "screener2"))
    assert status == 200, answer
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    who = check(answer["access_token"])
    assert who.user == "screener2" and {r.value for r in who.roles} == {"screener"}
    access = verify_claims(answer["access_token"], jwks_source=os.environ["JWKS_SOURCE"], issuer=LOCAL_ISSUER,
                           client_id=LOCAL_CLIENT_ID)
    assert access["token_use"] == "access" and access["client_id"] == LOCAL_CLIENT_ID and "aud" not in access
    id_claims = verify_claims(answer["id_token"], jwks_source=os.environ["JWKS_SOURCE"], issuer=LOCAL_ISSUER,
                              client_id=LOCAL_CLIENT_ID)
    assert id_claims["token_use"] == "id" and id_claims["aud"] == LOCAL_CLIENT_ID
    assert local.call("GET", "/me", headers={"Authorization": f"Bearer {answer['access_token']}"})[1]["user"] == "screener2"


def test_a_pkce_mismatch_is_refused_and_burns_the_code(local):
    code = code_for(local)
    status, answer = redeem(local, code, code_verifier="w" * 60)
    assert (status, answer["error"]["code"]) == (400, "invalid_grant")
    assert redeem(local, code)[0] == 400   # the right verifier comes too late
    status, answer = redeem(local, code_for(local), code_verifier="short")
    assert (status, answer["error"]["code"]) == (400, "invalid_grant")


def test_a_code_is_good_once(local):
    code = code_for(local)
    assert redeem(local, code)[0] == 200
    status, answer = redeem(local, code)
    assert (status, answer["error"]["code"]) == (400, "invalid_grant")


def test_a_code_expires_after_five_minutes(local, monkeypatch):
    from chalicelib.auth import local_oauth

    code = code_for(local)
    later = local_oauth.time.monotonic() + local_oauth.CODE_TTL_SECONDS + 1
    monkeypatch.setattr(local_oauth.time, "monotonic", lambda: later)
    assert redeem(local, code)[1]["error"]["code"] == "invalid_grant"


@pytest.mark.parametrize("overrides,error", [
    ({"redirect_uri": REDIRECT + "x"}, "invalid_grant"),
    ({"client_id": "another-client"}, "invalid_client"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"grant_type": "implicit"}, "unsupported_grant_type"),
    ({"code": "made-up"}, "invalid_grant"),
])
def test_a_token_request_that_does_not_match_its_code_is_refused(local, overrides, error):
    status, answer = redeem(local, code_for(local), **overrides)
    assert (status, answer["error"]["code"]) == (400, error)
    assert "access_token" not in answer


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"{}", b"a=" + b"x" * 9000, b"&".join([b"a=1"] * 40)])
def test_a_malformed_token_request_is_a_400(local, body):
    response = local.client.http.post("/dev/oauth2/token", headers=FORM, body=body)
    assert response.status_code == 400


def test_the_token_endpoint_also_reads_json_with_the_same_rules(local):
    fields = {"grant_type": "authorization_code", "client_id": LOCAL_CLIENT_ID, "code": code_for(local),
              "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    assert local.call("POST", "/dev/oauth2/token", {**fields, "code_verifier": ["x"]})[0] == 400
    status, answer = local.call("POST", "/dev/oauth2/token", fields)
    assert status == 200 and check(answer["access_token"]).user == "screener"
    assert local.call("POST", "/dev/oauth2/token", fields)[0] == 400   # once only, whatever the encoding


# --- /dev/logout -------------------------------------------------------------------------------------------


def test_logout_returns_to_the_registered_logout_uri_only(local):
    ok = get(local, "/dev/logout?" + urllib.parse.urlencode({"client_id": LOCAL_CLIENT_ID, "logout_uri": REDIRECT}))
    assert ok.status_code == 302 and ok.headers["Location"] == REDIRECT
    for params in ({"client_id": LOCAL_CLIENT_ID, "logout_uri": "https://evil.example/"},
                   {"client_id": "another", "logout_uri": REDIRECT}, {}):
        response = get(local, "/dev/logout?" + urllib.parse.urlencode(params))
        assert response.status_code == 400 and "Location" not in response.headers


# --- only in the local stack --------------------------------------------------------------------------------


def test_none_of_it_exists_outside_the_local_stack(local, monkeypatch):
    from chalicelib.routes import local_oauth as routes
    from chalicelib.routes import ops
    from chalicelib.settings import get_settings

    mislabelled = get_settings().model_copy(update={"aws_endpoint_url": "https://dynamodb.ap-northeast-1.amazonaws.com"})
    assert mislabelled.stage == "local" and not mislabelled.is_local
    for module in (routes, ops):
        monkeypatch.setattr(module, "get_settings", lambda: mislabelled)
    assert get(local, authorize_path(login_hint="admin")).status_code == 404
    assert get(local, authorize_path()).status_code == 404
    fields = dict(urllib.parse.parse_qsl(authorize_path().split("?", 1)[1]))
    assert post_form(local, "/dev/oauth2/authorize", {**fields, "user": "admin"}).status_code == 404
    assert redeem(local, "anything")[0] == 404
    assert get(local, "/dev/logout?client_id=x").status_code == 404
    assert local.call("GET", "/dev/demo-logins")[0] == 404


def test_demo_logins_name_the_users_and_never_hand_out_a_token(local):
    code, answer = local.call("GET", "/dev/demo-logins")
    assert code == 200
    assert answer["users"] == [{"user": u, "role": r} for u, r in DEMO_USERS.items()]
    assert not JWT_SHAPE.search(json.dumps(answer))


# --- POST /auth/token: the console's redemption ---------------------------------------------------------------


@pytest.fixture
def relay(local, monkeypatch) -> Any:
    """The redemption reaches the local token endpoint as it does over HTTP in the local stack."""
    calls: list[str] = []

    def through_the_app(url: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        calls.append(url)
        assert url == f"{BASE}/dev/oauth2/token"
        response = post_form(local, urllib.parse.urlsplit(url).path, fields)
        return response.status_code, json.loads(response.body)

    monkeypatch.setattr(oauth, "post_form", through_the_app)
    local.calls = calls
    return local


def test_the_console_redeems_a_code_for_a_verified_access_token_and_the_sign_in_is_audited(relay):
    code = code_for(relay, "accountant2")
    status, answer = relay.call("POST", "/auth/token", {"code": code, "code_verifier": VERIFIER})
    assert status == 200, answer
    assert relay.calls == [f"{BASE}/dev/oauth2/token"]
    assert answer["user"] == "accountant2" and answer["roles"] == ["accountant"]
    assert answer["token_type"] == "Bearer" and 3500 < answer["expires_in"] <= 3600
    assert set(answer) == {"access_token", "token_type", "expires_in", "user", "roles"}  # no ID or refresh token
    assert check(answer["access_token"]).user == "accountant2"
    status, audit = relay.call("GET", "/audit?subject=" + urllib.parse.quote("staff#accountant2"), as_="admin")
    assert status == 200
    assert [e["action"] for e in audit["items"]] == ["staff.sign_in"]
    assert not JWT_SHAPE.search(json.dumps(audit))


def test_the_console_cannot_redeem_with_a_wrong_verifier_or_twice(relay):
    code = code_for(relay)
    status, answer = relay.call("POST", "/auth/token", {"code": code, "code_verifier": "w" * 60})
    assert status == 400 and "もう一度ログイン" in answer["error"]["message"]
    status, _ = relay.call("POST", "/auth/token", {"code": code, "code_verifier": VERIFIER})
    assert status == 400
    code = code_for(relay)
    assert relay.call("POST", "/auth/token", {"code": code, "code_verifier": VERIFIER})[0] == 200
    assert relay.call("POST", "/auth/token", {"code": code, "code_verifier": VERIFIER})[0] == 400


@pytest.mark.parametrize("body", [{}, {"code": "abc"}, {"code": "abc", "code_verifier": "short"},
                                  {"code": ["abc"], "code_verifier": VERIFIER}, {"code": "a b", "code_verifier": VERIFIER}])
def test_a_malformed_redemption_is_a_400_without_calling_the_hosted_login(relay, body):
    assert relay.call("POST", "/auth/token", body)[0] == 400
    assert relay.calls == []


def test_an_unreachable_or_odd_hosted_login_is_a_502(local, monkeypatch):
    def unreachable(url: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        raise OSError("connection refused")

    monkeypatch.setattr(oauth, "post_form", unreachable)
    status, answer = local.call("POST", "/auth/token", {"code": "abc", "code_verifier": VERIFIER})
    assert status == 502 and "接続できません" in answer["error"]["message"]
    monkeypatch.setattr(oauth, "post_form", lambda url, fields: (200, {"token_type": "Bearer"}))
    assert local.call("POST", "/auth/token", {"code": "abc", "code_verifier": VERIFIER})[0] == 502


def test_a_token_the_authorizer_would_refuse_is_never_handed_out(local, aws_server, monkeypatch):
    issuer = aws_server[1]["_issuer"]
    for wrong in (issuer.token("admin", ["admin"], client_id="another-client"),
                  issuer.id_token("admin", ["admin"]),   # an ID token where the access token belongs
                  issuer.token("admin", ["admin"], ttl_seconds=-10)):
        answer = {"access_token": wrong, "token_type": "Bearer", "expires_in": 3600}
        monkeypatch.setattr(oauth, "post_form", lambda url, fields, a=answer: (200, a))
        status, body = local.call("POST", "/auth/token", {"code": "abc", "code_verifier": VERIFIER})
        assert status == 502 and not JWT_SHAPE.search(json.dumps(body))


def test_a_user_without_a_staff_role_cannot_sign_in(local, aws_server, monkeypatch):
    issuer = aws_server[1]["_issuer"]
    answer = {"access_token": issuer.token("visitor", ["guests"]), "token_type": "Bearer", "expires_in": 3600}
    monkeypatch.setattr(oauth, "post_form", lambda url, fields: (200, answer))
    status, body = local.call("POST", "/auth/token", {"code": "abc", "code_verifier": VERIFIER})
    assert status == 403 and "役割" in body["error"]["message"]


# --- the console's pages carry the sign-in configuration, nothing secret ---------------------------------------


def test_the_login_page_carries_the_local_hosted_login_configuration(local):
    response = local.client.http.get("/console/login")
    page = response.body.decode()
    match = re.search(r'data-auth="([^"]*)"', page)
    assert match
    config = json.loads(html.unescape(match.group(1)))
    assert config == {
        "authorize_url": f"{BASE}/dev/oauth2/authorize", "logout_url": f"{BASE}/dev/logout",
        "client_id": LOCAL_CLIENT_ID, "redirect_uri": REDIRECT, "logout_uri": REDIRECT,
        "scope": "openid email profile", "idle_seconds": 1800, "local": True}
    assert not JWT_SHAPE.search(page)
