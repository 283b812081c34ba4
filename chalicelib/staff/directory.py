"""Where staff users sign in from: the StaffDirectory port and its two adapters.

- `CognitoDirectory`: the cloud's user pool (its id is the last segment of the JWT issuer URL); a role is a
  Cognito group, so a change takes effect in the user's next token.
- `LocalDirectory`: the local stack's users, the demo users of `chalicelib/auth/local_users.py` plus a JSON
  file beside the local JWKS (`local-users.json`) that the local sign-in reads for every new token.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from chalicelib.auth import local_users
from chalicelib.errors import Conflict, NotFound


class StaffDirectory(Protocol):
    def users(self) -> dict[str, dict[str, Any]]:
        """user name → {"role", "enabled", "email"?}."""
        ...

    def invite(self, user: str, email: str, role: str) -> None:
        """Create the user with `role` and send the invitation; an existing name is a Conflict."""
        ...

    def set_role(self, user: str, old_role: str | None, new_role: str) -> None: ...

    def disable(self, user: str) -> None: ...


_lock = threading.Lock()


class LocalDirectory:
    def __init__(self, jwks_path: Path) -> None:
        self.path = local_users.users_file(jwks_path)
        self.jwks_path = jwks_path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        users = data.get("users")
        return users if isinstance(users, dict) else {}

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".local-users-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"users": users}, f, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)

    def users(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {u: {"role": r, "enabled": True} for u, r in local_users.DEMO_USERS.items()}
        for name, info in self._read().items():
            found[name] = {**found.get(name, {}), **info}
        return found

    def _change(self, user: str, changes: dict[str, Any], *, new: bool) -> None:
        with _lock:
            known = self.users()
            if new and user in known:
                raise Conflict("このユーザー名はすでに使われています")
            if not new and user not in known:
                raise NotFound("担当者が見つかりません")
            stored = self._read()
            stored[user] = {**known.get(user, {}), **changes}
            self._write(stored)

    def invite(self, user: str, email: str, role: str) -> None:
        self._change(user, {"role": role, "enabled": True, "email": email}, new=True)

    def set_role(self, user: str, old_role: str | None, new_role: str) -> None:
        self._change(user, {"role": new_role}, new=False)

    def disable(self, user: str) -> None:
        self._change(user, {"enabled": False}, new=False)


class CognitoDirectory:
    """The user pool's admin API (cognito-idp), through the shared client factory."""

    def __init__(self, user_pool_id: str) -> None:
        self.pool = user_pool_id

    @staticmethod
    def _client() -> Any:
        from chalicelib.adapters import aws

        return aws.client("cognito-idp")

    def users(self) -> dict[str, dict[str, Any]]:
        client = self._client()
        found: dict[str, dict[str, Any]] = {}
        for page in client.get_paginator("list_users").paginate(UserPoolId=self.pool):
            for u in page.get("Users", []):
                attrs = {a["Name"]: a["Value"] for a in u.get("Attributes", [])}
                found[u["Username"]] = {"enabled": bool(u.get("Enabled", True)), "email": attrs.get("email"),
                                        "role": None}
        for group in client.get_paginator("list_groups").paginate(UserPoolId=self.pool):
            for g in group.get("Groups", []):
                members = client.get_paginator("list_users_in_group").paginate(
                    UserPoolId=self.pool, GroupName=g["GroupName"])
                for m in members:
                    for u in m.get("Users", []):
                        if u["Username"] in found:
                            found[u["Username"]]["role"] = g["GroupName"]
        return found

    def invite(self, user: str, email: str, role: str) -> None:
        client = self._client()
        try:
            client.admin_create_user(UserPoolId=self.pool, Username=user, DesiredDeliveryMediums=["EMAIL"],
                                     UserAttributes=[{"Name": "email", "Value": email},
                                                     {"Name": "email_verified", "Value": "true"}])
        except client.exceptions.UsernameExistsException:
            raise Conflict("このユーザー名はすでに使われています") from None
        client.admin_add_user_to_group(UserPoolId=self.pool, Username=user, GroupName=role)

    def set_role(self, user: str, old_role: str | None, new_role: str) -> None:
        client = self._client()
        client.admin_add_user_to_group(UserPoolId=self.pool, Username=user, GroupName=new_role)
        if old_role and old_role != new_role:
            client.admin_remove_user_from_group(UserPoolId=self.pool, Username=user, GroupName=old_role)

    def disable(self, user: str) -> None:
        client = self._client()
        client.admin_disable_user(UserPoolId=self.pool, Username=user)
        # Sign the user out everywhere: refresh tokens stop working at once.
        client.admin_user_global_sign_out(UserPoolId=self.pool, Username=user)


def user_pool_id(jwt_issuer: str) -> str:
    """`https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_AbC` → `ap-northeast-1_AbC`."""
    return jwt_issuer.rstrip("/").rsplit("/", 1)[-1]
