"""The local stage's environment: where the local AWS is, resource names, keys and secrets.

Shared by the local stack (`make run`) and the tests so both run the app the same way.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from chalicelib.adapters.resources import environment_for

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
FIELD_KEY_ALIAS = "alias/miyapo-local-fields"


def chalice_stage_env() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][STAGE]["environment_variables"])
    return env


def local_environment(state_dir: Path, aws_port: int, app_port: int) -> dict[str, str]:
    """Every variable the app needs in the local stage (settings + AWS endpoint + dummy keys)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    secret_file = state_dir / "app-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        secret_file.chmod(0o600)
    env = chalice_stage_env()
    env.update(environment_for(STAGE))
    env.update({
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
        "APP_SECRET": secret_file.read_text(encoding="utf-8").strip(),
        "JWKS_SOURCE": str(state_dir / "jwks.json"),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}",
        # moto's KMS key for personal fields, created by chalicelib.adapters.bootstrap (issue 13)
        "FIELD_KEY_ID": FIELD_KEY_ALIAS,
    })
    return env


def apply(env: dict[str, str]) -> None:
    os.environ.update(env)
