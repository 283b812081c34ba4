"""The console's sign-in configuration per stage, and the PKCE arithmetic of the local stand-in."""

from __future__ import annotations

from chalicelib.auth import oauth
from chalicelib.auth.local_oauth import s256
from chalicelib.auth.local_users import LOCAL_CLIENT_ID
from chalicelib.settings import load_settings

BASE_ENV = {
    "APPLICATIONS_TABLE": "a", "STORES_TABLE": "s", "KEYS_TABLE": "k", "AUDIT_TABLE": "au", "OUTBOX_TABLE": "o",
    "IMPORTS_TABLE": "i", "USAGE_TABLE": "u", "SETTLEMENTS_TABLE": "st", "INQUIRIES_TABLE": "iq", "SESSIONS_TABLE": "ss", "PRIVACY_TABLE": "pv", "STAFF_TABLE": "sf", "STORECHANGES_TABLE": "sc",
    "STOREKIT_TABLE": "sk", "STOREIMPORTS_TABLE": "si",
    "UPLOADS_BUCKET": "up", "DOCUMENTS_BUCKET": "doc", "MAIL_FROM": "noreply@miyagi.example",
    "STAFF_MAILBOX": "staff@miyagi.example", "PREFECTURE_MAILBOX": "pref@miyagi.example", "APP_SECRET": "x" * 32,
}
CLOUD = {**BASE_ENV, "STAGE": "prod", "PUBLIC_BASE_URL": "https://ops.miyagi.example/api",
         "JWKS_SOURCE": "https://cognito-idp.ap-northeast-1.amazonaws.com/pool/.well-known/jwks.json",
         "JWT_ISSUER": "https://cognito-idp.ap-northeast-1.amazonaws.com/pool",
         "AUTH_HOSTED_UI_URL": "https://miyapo-prod.auth.ap-northeast-1.amazoncognito.com/",
         "AUTH_CLIENT_ID": "abc123", "AUTH_REDIRECT_URI": "https://ops.miyagi.example/api/console/login",
         "AUTH_LOGOUT_URI": "https://ops.miyagi.example/api/console/login", "AUTH_IDLE_MINUTES": "20"}
LOCAL = {**BASE_ENV, "STAGE": "local", "PUBLIC_BASE_URL": "http://127.0.0.1:8123", "JWKS_SOURCE": "/tmp/jwks.json",
         "JWT_ISSUER": "miyapo-local", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}


def test_the_cloud_uses_cognitos_hosted_login_from_configuration():
    auth = oauth.console_auth(load_settings(CLOUD))
    assert auth is not None and not auth.local
    assert auth.authorize_url == "https://miyapo-prod.auth.ap-northeast-1.amazoncognito.com/oauth2/authorize"
    assert auth.token_url == "https://miyapo-prod.auth.ap-northeast-1.amazoncognito.com/oauth2/token"
    assert auth.logout_url == "https://miyapo-prod.auth.ap-northeast-1.amazoncognito.com/logout"
    assert auth.client_id == "abc123" and auth.idle_seconds == 20 * 60
    assert auth.redirect_uri == auth.logout_uri == "https://ops.miyagi.example/api/console/login"
    config = auth.browser_config()
    assert config["scope"] == "openid email profile" and config["local"] is False


def test_the_redirect_and_logout_uris_default_to_the_login_page():
    env = {k: v for k, v in CLOUD.items() if k not in ("AUTH_REDIRECT_URI", "AUTH_LOGOUT_URI", "AUTH_IDLE_MINUTES")}
    auth = oauth.console_auth(load_settings(env))
    assert auth is not None and auth.idle_seconds == 30 * 60
    assert auth.redirect_uri == auth.logout_uri == "https://ops.miyagi.example/api/console/login"


def test_the_accepted_client_is_auth_client_id_else_jwt_audience():
    assert oauth.expected_client_id(load_settings(CLOUD)) == "abc123"
    env = {k: v for k, v in CLOUD.items() if k != "AUTH_CLIENT_ID"} | {"JWT_AUDIENCE": "aud-1"}
    assert oauth.expected_client_id(load_settings(env)) == "aud-1"


def test_the_cloud_without_a_client_or_with_a_plain_http_hosted_login_has_no_sign_in():
    no_client = {k: v for k, v in CLOUD.items() if k != "AUTH_CLIENT_ID"}
    assert oauth.expected_client_id(load_settings(no_client)) is None
    assert oauth.console_auth(load_settings(no_client)) is None
    assert oauth.console_auth(load_settings({**CLOUD, "AUTH_HOSTED_UI_URL": "http://evil.example"})) is None
    assert oauth.console_auth(load_settings({k: v for k, v in CLOUD.items() if k != "AUTH_HOSTED_UI_URL"})) is None


def test_the_local_stack_uses_its_own_stand_in_with_the_local_client():
    auth = oauth.console_auth(load_settings(LOCAL))
    assert auth is not None and auth.local
    assert auth.authorize_url == "http://127.0.0.1:8123/dev/oauth2/authorize"
    assert auth.token_url == "http://127.0.0.1:8123/dev/oauth2/token"
    assert auth.logout_url == "http://127.0.0.1:8123/dev/logout"
    assert auth.client_id == LOCAL_CLIENT_ID
    assert auth.redirect_uri == auth.logout_uri == "http://127.0.0.1:8123/console/login"


def test_a_local_stage_on_real_aws_gets_no_stand_in_and_no_local_client():
    mislabelled = {**LOCAL, "AWS_ENDPOINT_URL": "https://dynamodb.ap-northeast-1.amazonaws.com"}
    assert oauth.expected_client_id(load_settings(mislabelled)) is None
    assert oauth.console_auth(load_settings(mislabelled)) is None


def test_idle_minutes_are_kept_within_bounds():
    assert oauth.console_auth(load_settings({**CLOUD, "AUTH_IDLE_MINUTES": "0"})).idle_seconds == 60
    assert oauth.console_auth(load_settings({**CLOUD, "AUTH_IDLE_MINUTES": "99999"})).idle_seconds == 24 * 3600


def test_pkce_s256_matches_rfc_7636_appendix_b():
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_token_request_needs_a_well_formed_code_and_verifier():
    ok = {"code": "abc_DEF-123", "code_verifier": "v" * 43}
    assert oauth.validate_request(ok) == ("abc_DEF-123", "v" * 43)
    for bad in ({}, {**ok, "code": ""}, {**ok, "code": ["x"]}, {**ok, "code": "a b"}, {**ok, "code_verifier": "v" * 42},
                {**ok, "code_verifier": "v" * 129}, {**ok, "code_verifier": "v" * 42 + "+"}):
        try:
            oauth.validate_request(bad)
        except oauth.SignInError as exc:
            assert exc.status == 400
        else:
            raise AssertionError(bad)
