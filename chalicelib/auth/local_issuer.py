"""The local stage's stand-in for Cognito: an RSA key pair, its JWKS file and tokens per demo user.

Used by the local stack and the tests only; the cloud verifies Cognito's tokens with the same code.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCAL_ISSUER = "miyapo-local"
KID = "miyapo-local-1"

#: The demo users of the local stack: each has the role its name says (SPEC §8).
DEMO_USERS: dict[str, str] = {
    "screener": "screener",
    "screener2": "screener",
    "accountant": "accountant",
    "accountant2": "accountant",
    "agent": "agent",
    "coordinator": "coordinator",
    "prefecture": "prefecture",
    "admin": "admin",
    "admin2": "admin",
}


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
        path = directory / "jwt-private.pem"
        if path.exists():
            return cls(path.read_bytes())
        issuer = cls.create()
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(issuer.private_pem)
        path.chmod(0o600)
        return issuer

    def jwks(self) -> dict:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        public_jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [public_jwk]}

    def write_jwks(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def token(self, user: str, roles: list[str], ttl_seconds: int = 12 * 3600, issuer: str = LOCAL_ISSUER) -> str:
        now = int(time.time())
        claims = {
            "sub": f"local-{user}", "cognito:username": user, "cognito:groups": roles,
            "iss": issuer, "iat": now, "exp": now + ttl_seconds, "token_use": "access",
        }
        return jwt.encode(claims, self.private_pem, algorithm="RS256", headers={"kid": KID})

    def demo_tokens(self) -> dict[str, str]:
        return {user: self.token(user, [role]) for user, role in DEMO_USERS.items()}
