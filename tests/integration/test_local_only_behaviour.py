"""The local stack's conveniences (clock header, job clock, mail reader, demo logins) key off
`settings.is_local` — the local stage *and* a loopback AWS endpoint. A stage called "local" that
talks to real AWS gets none of them."""

from __future__ import annotations

from typing import Any

import pytest

PINNED = "2025-06-02T10:00:00+09:00"


@pytest.fixture
def mislabelled(api, monkeypatch) -> Any:
    from chalicelib.routes import ops
    from chalicelib.settings import get_settings
    from chalicelib.web import http

    settings = get_settings().model_copy(update={"aws_endpoint_url": "https://dynamodb.ap-northeast-1.amazonaws.com"})
    assert settings.stage == "local" and not settings.is_local
    for module in (http, ops):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    return api


def test_the_local_stack_has_them(api):
    assert api.call("GET", "/health", headers={"X-Miyapo-Now": PINNED})[1]["now"] == PINNED
    assert api.call("GET", "/mail", as_="admin")[0] == 200
    code, ran = api.call("POST", "/jobs/mail-sweep", {"now": PINNED}, as_="admin")
    assert code == 200 and ran["now"] == PINNED


def test_a_local_stage_on_real_aws_has_none_of_them(mislabelled):
    api = mislabelled
    assert api.call("GET", "/health", headers={"X-Miyapo-Now": PINNED})[1]["now"] != PINNED
    assert api.call("GET", "/mail", as_="admin")[0] == 404
    assert api.call("GET", "/dev/demo-logins")[0] == 404
    code, ran = api.call("POST", "/jobs/mail-sweep", {"now": PINNED}, as_="admin")
    assert code == 200 and ran["now"] != PINNED
