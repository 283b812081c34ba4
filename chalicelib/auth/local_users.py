"""The local stage's identities: its issuer, the console's app client and the demo users.

Plain constants (no crypto imports), so routes can name them without loading PyJWT at cold start.
"""

from __future__ import annotations

import json
from pathlib import Path

LOCAL_ISSUER = "miyapo-local"
#: The console's app client in the local stage (Cognito's app client id in the cloud).
LOCAL_CLIENT_ID = "miyapo-console-local"

#: The demo users of the local stack: each has the role its name says (docs/SPEC.md §8).
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

#: The staff screen's changes to the local users (chalicelib/staff/directory.py), beside the local JWKS file.
USERS_FILE = "local-users.json"


def users_file(jwks_path: Path) -> Path:
    return jwks_path.parent / USERS_FILE


def active_users(jwks_path: Path | None) -> dict[str, str]:
    """The users who may sign in locally and their role: the demo users with the staff screen's changes
    (invited users added, roles changed, disabled users left out). Read for every new token."""
    users = dict(DEMO_USERS)
    if jwks_path is None:
        return users
    try:
        stored = json.loads(users_file(jwks_path).read_text(encoding="utf-8")).get("users", {})
    except (OSError, ValueError, AttributeError):
        return users
    for name, info in stored.items() if isinstance(stored, dict) else ():
        if isinstance(info, dict) and info.get("enabled", True) and info.get("role"):
            users[str(name)] = str(info["role"])
        else:
            users.pop(str(name), None)
    return users
