"""What `chalice local` answers before the app runs — no token, a refused token, an unknown route — the
local stack answers as API Gateway does with the stack's gateway responses (chalicelib.web.gateway_answers,
infra/stack.py): 401/404 in the app's Japanese `{"error": …}` shape, never echoing the bearer token
(QA A-F8 / B-7). The real chalice.local gateway makes the refusals; the stack's request handler answers."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

from chalicelib.web.gateway_answers import GATEWAY_ANSWERS, REFUSED_TOKEN_MESSAGE, UNAUTHENTICATED_MESSAGE
from scripts import local_stack

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.c2lnbmF0dXJl-secret-part"


def _refusal(method: str, path: str, headers: dict[str, str]) -> LocalGatewayException:
    from app import app

    gateway = LocalGateway(app, Config.create(chalice_stage="local"))
    with pytest.raises(LocalGatewayException) as refused:
        gateway.handle_request(method=method, path=path, headers=headers, body=b"")
    return refused.value


def _answer(error: LocalGatewayException) -> tuple[int, dict[str, str], bytes]:
    """What the local stack's request handler writes for `error`."""
    cls = local_stack._quiet_handler()
    handler = cls.__new__(cls)
    sent: dict[str, Any] = {"headers": {}}
    handler.wfile = io.BytesIO()
    handler.send_response = lambda code, message=None: sent.update(status=code)  # type: ignore[method-assign]
    handler.send_header = lambda name, value: sent["headers"].__setitem__(name, value)  # type: ignore[method-assign]
    handler.end_headers = lambda: None  # type: ignore[method-assign]
    handler._send_error_response(error)
    return sent["status"], sent["headers"], handler.wfile.getvalue()


def _error(body: bytes) -> dict[str, Any]:
    parsed = json.loads(body)
    assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message", "fields"}
    return parsed["error"]


@pytest.mark.usefixtures("api")
def test_an_unknown_route_with_a_bearer_token_is_a_japanese_404_that_does_not_echo_the_token():
    error = _refusal("GET", "/no-such-route", {"authorization": f"Bearer {TOKEN}"})
    assert TOKEN.encode() in error.body  # what chalice local would have sent back
    status, headers, body = _answer(error)
    assert status == 404 and _error(body)["code"] == "not_found"
    assert TOKEN not in body.decode() and "secret-part" not in json.dumps(headers)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("api")
def test_an_unknown_route_without_a_token_is_the_same_404():
    status, _, body = _answer(_refusal("GET", "/no-such-route", {}))
    assert status == 404 and _error(body)["message"] == GATEWAY_ANSWERS["MISSING_AUTHENTICATION_TOKEN"].message


@pytest.mark.usefixtures("api")
@pytest.mark.parametrize("token", ["not-a-token", TOKEN, "a.b.c"])
def test_a_refused_token_is_a_japanese_401_asking_to_sign_in_again(token):
    status, headers, body = _answer(_refusal("GET", "/applications", {"authorization": f"Bearer {token}"}))
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert _error(body) == {"code": "unauthorized", "message": REFUSED_TOKEN_MESSAGE, "fields": {}}
    assert token not in body.decode()


@pytest.mark.usefixtures("api")
def test_no_token_on_a_staff_route_is_a_japanese_401():
    status, _, body = _answer(_refusal("GET", "/applications", {}))
    assert status == 401 and _error(body)["message"] == UNAUTHENTICATED_MESSAGE
