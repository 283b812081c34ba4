"""`/console/tour` (issue 15, point 4): the local stage's guided first visit — what each role does, in
Japanese, with a demo login to each of its screens. Other stages have no demo users: 404."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chalicelib.auth.local_users import DEMO_USERS
from chalicelib.auth.roles import ROLE_LABELS, Role


def _links(page: str) -> list[tuple[str, str]]:
    """(demo user, next path) of every demo login link on the page."""
    out = []
    for href in re.findall(r'href="(/console/login\?[^"]*)"', page):
        query = parse_qs(urlsplit(html.unescape(href)).query)
        out.append((query["as"][0], unquote(query["next"][0])))
    return out


def test_the_tour_explains_every_role_and_links_its_screens_with_its_demo_user(api: Any) -> None:
    status, page = api.call("GET", "/console/tour")
    assert status == 200 and isinstance(page, str)
    assert "<script" not in page and "style=" not in page  # CSP: no inline script or style
    for role in Role:
        assert f'id="role-{role.value}"' in page
        assert ROLE_LABELS[role] in page
    assert "{{" not in page
    links = _links(page)
    assert links
    from app import app

    routes = set(app.routes)
    for user, path in links:
        assert user in DEMO_USERS
        # What the login page accepts as `next` (static/client.js safeNext): a console path, not the login.
        assert path.startswith("/console") and not path.startswith("/console/login") and "//" not in path
        assert re.sub(r"/AP[0-9]{6}$", "/{application_id}", path) in routes
    assert {DEMO_USERS[user] for user, _ in links} == {role.value for role in Role}
    assert ("admin", "/console/mail") in links
    assert ("accountant2", "/console/settlements") in links


@pytest.fixture
def mislabelled(api: Any, monkeypatch: Any) -> Any:
    from chalicelib.routes import console
    from chalicelib.settings import get_settings

    settings = get_settings().model_copy(update={"aws_endpoint_url": "https://dynamodb.ap-northeast-1.amazonaws.com"})
    assert settings.stage == "local" and not settings.is_local
    monkeypatch.setattr(console, "get_settings", lambda: settings)
    return api


def test_a_stage_that_is_not_local_has_no_tour(mislabelled: Any) -> None:
    assert mislabelled.call("GET", "/console/tour")[0] == 404
