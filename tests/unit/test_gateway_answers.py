"""The answers made before a route runs, in the app's words (chalicelib.web.gateway_answers; QA A-F8 / B-7)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from chalice import Response
from chalice.app import error_response as chalice_error

from chalicelib.web.gateway_answers import (
    GATEWAY_ANSWERS,
    gateway_headers,
    local_gateway_answer,
    reshape_chalice_answer,
)


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("kind", sorted(GATEWAY_ANSWERS))
def test_every_gateway_answer_is_the_apps_json_in_japanese_with_nothing_of_the_request(kind):
    answer = GATEWAY_ANSWERS[kind]
    body = json.loads(answer.body())
    assert body == {"error": {"code": answer.code, "message": answer.message, "fields": {}}}
    assert _japanese(answer.message)
    assert "$" not in answer.body()  # no template variable: nothing of the request (a token) is echoed
    headers = gateway_headers(answer)
    assert headers["Content-Type"].startswith("application/json") and headers["X-Content-Type-Options"] == "nosniff"


def test_a_refused_token_is_401_and_an_unknown_route_404():
    assert GATEWAY_ANSWERS["ACCESS_DENIED"].status == 401 and GATEWAY_ANSWERS["UNAUTHORIZED"].status == 401
    assert GATEWAY_ANSWERS["MISSING_AUTHENTICATION_TOKEN"].status == 404
    assert local_gateway_answer(403, {"x-amzn-ErrorType": "AccessDeniedException"})[0] == 401
    assert local_gateway_answer(403, {"x-amzn-ErrorType": "UnauthorizedException"})[0] == 404
    assert local_gateway_answer(401, {})[0] == 401


def _event(path: str = "/settlements/{month}/transfer-file", method: str = "GET") -> SimpleNamespace:
    return SimpleNamespace(context={"resourcePath": path, "httpMethod": method})


def test_chalice_s_accept_refusal_is_reshaped():
    answer = reshape_chalice_answer(_event(), chalice_error("Request did not specify an Accept header with x",
                                                            "BadRequest", 400), lambda event: None)
    body = json.loads(answer.body)
    assert answer.status_code == 400 and body["error"]["code"] == "not_acceptable" and _japanese(body["error"]["message"])


def test_the_apps_own_answers_are_left_as_they_are():
    own = Response(body={"Code": "Mine", "Message": "x"}, status_code=418)
    assert reshape_chalice_answer(_event(), own, lambda event: None) is own
    ok = Response(body="{}", status_code=200)
    assert reshape_chalice_answer(_event(), ok, lambda event: None) is ok


def test_a_415_goes_to_a_caller_without_the_role_as_the_role_check_s_answer():
    refused = Response(body="403", status_code=403)
    media = chalice_error("Unsupported media type: application/json", "UnsupportedMediaType", 415)
    assert reshape_chalice_answer(_event("/usage-imports", "POST"), media, lambda event: refused) is refused


def test_chalice_s_500_for_an_unhandled_exception_is_reshaped():
    answer = reshape_chalice_answer(_event(), chalice_error("An internal server error occurred.",
                                                            "InternalServerError", 500), lambda event: None)
    body = json.loads(answer.body)
    assert answer.status_code == 500 and body["error"]["code"] == "server_error" and _japanese(body["error"]["message"])
