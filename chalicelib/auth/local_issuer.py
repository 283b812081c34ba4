"""The local stage's stand-in for Cognito: an RSA key pair, its JWKS file and tokens per demo user.

Used by the local stack and the tests only; the cloud verifies Cognito's tokens with the same code.
Tokens have Cognito's shape: access tokens carry `token_use: access` and the app client as
`client_id`; ID tokens carry `token_use: id` and the app client as `aud`.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.auth.local_users import DEMO_USERS, LOCAL_CLIENT_ID, LOCAL_ISSUER

KID = "miyapo-local-1"
PRIVATE_KEY_FILE = "jwt-private.pem"

__all__ = ["DEMO_USERS", "KID", "LOCAL_CLIENT_ID", "LOCAL_ISSUER", "LocalIssuer"]


@dataclass
class LocalIssuer:
    private_pem: bytes

    @classmethod
    def create(cls) -> LocalIssuer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(pem)

    @classmethod
    def load_or_create(cls, directory: Path) -> LocalIssuer:
        path = directory / PRIVATE_KEY_FILE
        if path.exists():
            return cls(path.read_bytes())
        issuer = cls.create()
        issuer.save(directory)
        return issuer

    def save(self, directory: Path) -> Path:
        """Keep the private key beside the JWKS file, where `for_jwks` (the local token endpoint) finds it."""
        path = directory / PRIVATE_KEY_FILE
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.private_pem)
        path.chmod(0o600)
        return path

    @classmethod
    def for_jwks(cls, jwks_path: Path) -> LocalIssuer | None:
        """The issuer whose JWKS file is `jwks_path` (its private key lies beside it), or None."""
        key = jwks_path.parent / PRIVATE_KEY_FILE
        try:
            return _load(str(key), key.stat().st_mtime)
        except OSError:
            return None

    def jwks(self) -> dict:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):  # the local issuer only ever writes RSA keys
            raise TypeError("the local signing key is not an RSA key")
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        public_jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [public_jwk]}

    def write_jwks(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.private_pem, algorithm="RS256", headers={"kid": KID})

    def token(self, user: str, roles: list[str], ttl_seconds: int = 12 * 3600, issuer: str = LOCAL_ISSUER,
              client_id: str = LOCAL_CLIENT_ID) -> str:
        """An access token, as Cognito issues it to the app client `client_id`."""
        now = int(time.time())
        claims = {
            "sub": f"local-{user}", "username": user, "cognito:username": user, "cognito:groups": roles,
            "iss": issuer, "iat": now, "auth_time": now, "exp": now + ttl_seconds, "token_use": "access",
            "client_id": client_id, "scope": "openid email profile", "jti": uuid.uuid4().hex,
        }
        return self.sign(claims)

    def id_token(self, user: str, roles: list[str], ttl_seconds: int = 3600, issuer: str = LOCAL_ISSUER,
                 client_id: str = LOCAL_CLIENT_ID) -> str:
        """An ID token, as Cognito issues it to the app client `client_id` (its `aud`)."""
        now = int(time.time())
        claims = {
            "sub": f"local-{user}", "cognito:username": user, "cognito:groups": roles, "aud": client_id,
            "iss": issuer, "iat": now, "auth_time": now, "exp": now + ttl_seconds, "token_use": "id",
            "jti": uuid.uuid4().hex,
        }
        return self.sign(claims)

    def demo_tokens(self) -> dict[str, str]:
        return {user: self.token(user, [role]) for user, role in DEMO_USERS.items()}


@functools.cache
def _load(path: str, _mtime: float) -> LocalIssuer:
    return LocalIssuer(Path(path).read_bytes())
