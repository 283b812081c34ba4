"""The staff directory's Cognito adapter against moto's cognito-idp (the contract suite's server), and the
local adapter against a temporary file: invite, change role, disable, and what each then lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.auth.local_users import active_users
from chalicelib.errors import Conflict, NotFound
from chalicelib.staff.directory import CognitoDirectory, LocalDirectory, StaffDirectory, user_pool_id


@pytest.fixture(params=["cognito", "local"])
def directory(request: pytest.FixtureRequest, tmp_path: Path) -> StaffDirectory:
    if request.param == "local":
        return LocalDirectory(tmp_path / "jwks.json")
    request.getfixturevalue("deps")  # moto's server, reset
    from chalicelib.adapters import aws

    client: Any = aws.client("cognito-idp")
    pool = client.create_user_pool(PoolName="miyapo-test-staff")["UserPool"]["Id"]
    for role in ("screener", "accountant", "agent", "coordinator", "prefecture", "admin"):
        client.create_group(UserPoolId=pool, GroupName=role)
    return CognitoDirectory(pool)


def test_invite_change_role_and_disable(directory: StaffDirectory) -> None:
    directory.invite("tanaka", "tanaka@example.jp", "agent")
    found = directory.users()["tanaka"]
    assert found["role"] == "agent" and found["enabled"] is True and found["email"] == "tanaka@example.jp"
    with pytest.raises(Conflict):
        directory.invite("tanaka", "other@example.jp", "admin")
    directory.set_role("tanaka", "agent", "screener")
    assert directory.users()["tanaka"]["role"] == "screener"
    directory.disable("tanaka")
    assert directory.users()["tanaka"]["enabled"] is False


def test_the_local_sign_in_reads_the_local_directory(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    local = LocalDirectory(jwks)
    local.invite("sato", "sato@example.jp", "coordinator")
    local.set_role("screener2", "screener", "accountant")
    local.disable("agent")
    users = active_users(jwks)
    assert users["sato"] == "coordinator" and users["screener2"] == "accountant" and "agent" not in users
    with pytest.raises(NotFound):
        local.disable("nobody")


def test_the_pool_id_is_the_issuers_last_segment() -> None:
    assert user_pool_id("https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_AbC123") == "ap-northeast-1_AbC123"
