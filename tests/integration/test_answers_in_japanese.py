"""What Chalice answers before a route runs (a Content-Type the route does not take, a method it does not
have) comes in the app's Japanese `{"error": …}` shape, and on a staff route the role is checked before the
content type (QA A-F8 / B-7). Through chalice.test.Client, i.e. through the app's http middleware."""

from __future__ import annotations

import json
from typing import Any

import pytest

JSON = "application/json"


def _error(body: Any) -> dict[str, Any]:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert any("\u3040" <= ch <= "\u9fff" for ch in error["message"]), error  # Japanese words
    return error


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/xml"])
def test_a_public_form_sent_in_another_format_gets_a_japanese_415(api, content_type):
    code, body = api.call("POST", "/applications", raw=b"store_name=x", headers={"Content-Type": content_type})
    assert code == 415
    error = _error(body)
    assert error["code"] == "unsupported_media_type"
    assert error["fields"] == {"_body": "Content-Type: application/json で JSON を送信してください"}


@pytest.mark.parametrize("path", ["/usage-imports", "/stores/carried-over", "/stores/provider-answer",
                                  "/sessions/manuals"])
def test_a_wrong_role_sending_json_to_an_upload_route_gets_403_not_415(api, path):
    code, body = api.call("POST", path, raw=b"{}", headers={"Content-Type": JSON}, as_="prefecture")
    assert code == 403
    assert _error(body) == {"code": "forbidden", "message": "この操作を行う権限がありません", "fields": {}}


def test_the_right_role_sending_json_to_an_upload_route_gets_a_japanese_415_naming_the_types(api):
    code, body = api.call("POST", "/usage-imports", raw=b"{}", headers={"Content-Type": JSON}, as_="accountant")
    assert code == 415
    error = _error(body)
    assert error["code"] == "unsupported_media_type" and "text/csv" in error["fields"]["_body"]


def test_a_method_a_route_does_not_have_gets_a_japanese_405_with_allow(api):
    response = api.client.http.delete("/apply")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert _error(json.loads(response.body))["code"] == "method_not_allowed"


def test_the_apps_own_answers_keep_their_shape(api):
    code, body = api.call("POST", "/applications", raw=b"{", headers={"Content-Type": JSON})
    assert code == 400 and _error(body)["code"]
