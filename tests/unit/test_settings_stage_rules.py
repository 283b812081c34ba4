"""Local-only behaviour needs the local stage *and* a loopback AWS endpoint; outside the local stack the
staff tokens are verified against an https JWKS only — refused at cold start otherwise."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.adapters.resources import environment_for
from chalicelib.clock import JST, request_now
from chalicelib.settings import SettingsError, check_stage_rules, get_settings, is_loopback_url, load_settings

COGNITO_JWKS = "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_abc/.well-known/jwks.json"


def _env(stage: str, *, endpoint: str | None = None, jwks: str = COGNITO_JWKS) -> dict[str, str]:
    env = environment_for(stage) | {
        "STAGE": stage, "MAIL_FROM": "noreply@example.jp", "STAFF_MAILBOX": "staff@example.jp",
        "PREFECTURE_MAILBOX": "prefecture@example.jp", "PUBLIC_BASE_URL": "https://example.jp",
        "APP_SECRET": "s" * 32, "JWKS_SOURCE": jwks, "JWT_ISSUER": "issuer",
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:4566", "http://127.0.0.1", "https://127.0.0.1:4566/", "http://localhost:4566",
    "http://[::1]:4566", "http://127.0.0.2:4566",
])
def test_loopback_endpoints(url):
    assert is_loopback_url(url)


@pytest.mark.parametrize("url", [
    None, "", "https://dynamodb.ap-northeast-1.amazonaws.com", "http://10.0.0.5:4566", "http://0.0.0.0:4566",
    "http://localhost.example.com:4566", "http://127.0.0.1.example.com", "http://localhost@example.com:4566",
    "ftp://127.0.0.1", "127.0.0.1:4566", "http://[::1", "http://192.168.1.10:4566",
])
def test_other_endpoints_are_not_loopback(url):
    assert not is_loopback_url(url)


def test_is_local_needs_the_local_stage_and_a_loopback_endpoint():
    assert load_settings(_env("local", endpoint="http://127.0.0.1:4566")).is_local
    assert load_settings(_env("local", endpoint="http://localhost:4566")).is_local
    assert not load_settings(_env("local")).is_local  # no endpoint: real AWS
    assert not load_settings(_env("local", endpoint="https://s3.ap-northeast-1.amazonaws.com")).is_local
    assert not load_settings(_env("prod", endpoint="http://127.0.0.1:4566")).is_local
    assert not load_settings(_env("prod")).is_local


@pytest.mark.parametrize("jwks", ["/tmp/jwks.json", ".local/jwks.json", "http://127.0.0.1:9000/jwks.json",
                                  "file:///tmp/jwks.json"])
@pytest.mark.parametrize(("stage", "endpoint"), [("prod", None), ("stg2", None), ("prod", "http://127.0.0.1:4566"),
                                                 ("local", None), ("local", "https://dynamodb.amazonaws.com")])
def test_outside_the_local_stack_a_local_jwks_is_refused(stage, endpoint, jwks):
    settings = load_settings(_env(stage, endpoint=endpoint, jwks=jwks))
    with pytest.raises(SettingsError, match="JWKS_SOURCE"):
        check_stage_rules(settings)


def test_the_cloud_with_cognito_and_the_local_stack_with_its_key_file_pass():
    assert check_stage_rules(load_settings(_env("prod"))).auth.jwks_source == COGNITO_JWKS
    local = check_stage_rules(load_settings(_env("local", endpoint="http://127.0.0.1:4566", jwks="/tmp/jwks.json")))
    assert local.is_local


def test_cold_start_applies_the_rules(monkeypatch):
    # get_settings() is what every handler calls (cached per process): it refuses the bad combination.
    for name, value in _env("prod", jwks="/tmp/jwks.json").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SettingsError, match="JWKS_SOURCE"):
        get_settings.__wrapped__()
    monkeypatch.setenv("JWKS_SOURCE", COGNITO_JWKS)
    assert get_settings.__wrapped__().stage == "prod"


def test_the_clock_header_follows_is_local():
    pinned = {"x-miyapo-now": "2025-06-02T10:00:00+09:00"}
    local = load_settings(_env("local", endpoint="http://127.0.0.1:4566"))
    mislabelled = load_settings(_env("local", endpoint="https://dynamodb.ap-northeast-1.amazonaws.com"))
    assert request_now(pinned, local.is_local) == datetime(2025, 6, 2, 10, 0, tzinfo=JST)
    assert request_now(pinned, mislabelled.is_local) != datetime(2025, 6, 2, 10, 0, tzinfo=JST)
