"""The staff token check accepts exactly Cognito's tokens for the console's app client.

Access tokens: `token_use: access` and `client_id` (Cognito access tokens have no `aud`); ID tokens:
`token_use: id` and `aud`. Plus issuer, expiry, issued-at, RS256 only, a known key. No AWS needed.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest

from chalicelib.auth.local_issuer import KID, LocalIssuer
from chalicelib.auth.roles import Role
from chalicelib.auth.tokens import InvalidToken, verify, verify_claims

ISSUER = "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_TEST"
CLIENT = "console-client-1"


@pytest.fixture(scope="module")
def issuer() -> LocalIssuer:
    return LocalIssuer.create()


@pytest.fixture(scope="module")
def jwks(issuer: LocalIssuer, tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(issuer.write_jwks(tmp_path_factory.mktemp("jwks") / "jwks.json"))


def claims(**overrides: object) -> dict:
    now = int(time.time())
    base = {"sub": "u-1", "username": "tanaka", "cognito:groups": ["accountant"], "iss": ISSUER,
            "iat": now, "exp": now + 600, "token_use": "access", "client_id": CLIENT}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def check(token: str, jwks: str, client_id: str | None = CLIENT) -> object:
    return verify(token, jwks_source=jwks, issuer=ISSUER, client_id=client_id)


def refused(token: str, jwks: str, client_id: str | None = CLIENT) -> str:
    with pytest.raises(InvalidToken) as caught:
        check(token, jwks, client_id)
    return str(caught.value)


# --- accepted ---------------------------------------------------------------------------------------


def test_an_access_token_of_the_app_client_is_accepted(issuer, jwks):
    who = check(issuer.sign(claims()), jwks)
    assert who.user == "tanaka" and who.roles == frozenset({Role.ACCOUNTANT})


def test_an_id_token_for_the_app_client_is_accepted(issuer, jwks):
    token = issuer.sign(claims(token_use="id", client_id=None, aud=CLIENT, username=None,
                               **{"cognito:username": "sato", "cognito:groups": ["screener", "nobody"]}))
    who = check(token, jwks)
    assert who.user == "sato" and who.roles == frozenset({Role.SCREENER})


def test_the_bearer_prefix_is_tolerated_and_the_local_issuers_tokens_have_cognitos_shape(issuer, jwks):
    access = issuer.token("agent", ["agent"], issuer=ISSUER, client_id=CLIENT)
    assert check("Bearer " + access, jwks).user == "agent"
    id_token = issuer.id_token("agent", ["agent"], issuer=ISSUER, client_id=CLIENT)
    assert verify_claims(id_token, jwks_source=jwks, issuer=ISSUER, client_id=CLIENT)["aud"] == CLIENT


# --- refused: the app client ------------------------------------------------------------------------


def test_an_access_token_of_another_app_client_is_refused(issuer, jwks):
    assert refused(issuer.sign(claims(client_id="another-client")), jwks) == "client_id"


def test_an_access_token_without_client_id_is_refused_even_with_the_right_aud(issuer, jwks):
    # Access tokens are told apart by client_id; an `aud` on them does not stand in for it.
    assert refused(issuer.sign(claims(client_id=None, aud=CLIENT)), jwks) == "client_id"


def test_an_id_token_for_another_audience_is_refused(issuer, jwks):
    assert refused(issuer.sign(claims(token_use="id", client_id=None, aud="another-client")), jwks) == "aud"


def test_an_id_token_without_aud_is_refused_even_with_the_right_client_id(issuer, jwks):
    assert refused(issuer.sign(claims(token_use="id")), jwks) == "aud"


def test_no_configured_app_client_refuses_every_token(issuer, jwks):
    assert refused(issuer.sign(claims()), jwks, client_id=None) == "no app client configured"


# --- refused: token_use -----------------------------------------------------------------------------


@pytest.mark.parametrize("token_use", ["refresh", "ID", "Access", "", 1])
def test_any_other_token_use_is_refused(issuer, jwks, token_use):
    assert refused(issuer.sign(claims(token_use=token_use, aud=CLIENT)), jwks) == "token_use"


def test_a_token_without_token_use_is_refused(issuer, jwks):
    assert refused(issuer.sign(claims(token_use=None, aud=CLIENT)), jwks) == "MissingRequiredClaimError"


# --- refused: issuer, time --------------------------------------------------------------------------


def test_another_issuer_is_refused(issuer, jwks):
    assert refused(issuer.sign(claims(iss=ISSUER + "x")), jwks) == "InvalidIssuerError"
    assert refused(issuer.sign(claims(iss=None)), jwks) == "MissingRequiredClaimError"


def test_an_expired_token_is_refused(issuer, jwks):
    now = int(time.time())
    assert refused(issuer.sign(claims(iat=now - 7200, exp=now - 1)), jwks) == "ExpiredSignatureError"
    assert refused(issuer.sign(claims(exp=None)), jwks) == "MissingRequiredClaimError"


def test_a_token_issued_in_the_future_is_refused(issuer, jwks):
    now = int(time.time())
    assert refused(issuer.sign(claims(iat=now + 3600, exp=now + 7200)), jwks) == "ImmatureSignatureError"
    assert refused(issuer.sign(claims(iat=None)), jwks) == "MissingRequiredClaimError"


# --- refused: signature and algorithm ---------------------------------------------------------------


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(jwks):
    assert refused(LocalIssuer.create().sign(claims()), jwks) == "InvalidSignatureError"


def test_an_unknown_key_id_is_refused(issuer, jwks):
    token = jwt.encode(claims(), issuer.private_pem, algorithm="RS256", headers={"kid": "other"})
    assert refused(token, jwks) == "unknown key id"


def test_hs256_signed_with_the_public_key_is_refused(issuer, jwks):
    # The classic confusion: the RSA public key used as an HMAC secret.
    public_pem = json.dumps(json.loads(Path(jwks).read_text())["keys"][0]).encode()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": KID}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest())
    token = (header + b"." + payload + b"." + signature.rstrip(b"=")).decode()
    assert refused(token, jwks) == "algorithm"


def test_an_unsigned_token_is_refused(jwks):
    token = jwt.encode(claims(), key=None, algorithm="none", headers={"kid": KID})
    assert refused(token, jwks) == "algorithm"


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "Bearer "])
def test_garbage_is_refused(jwks, garbage):
    refused(garbage, jwks)


def test_a_tampered_payload_is_refused(issuer, jwks):
    header, _, signature = issuer.sign(claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(**{"cognito:groups": ["admin"]})).encode()).rstrip(b"=")
    assert refused(f"{header}.{forged.decode()}.{signature}", jwks) == "InvalidSignatureError"
