"""chalicelib.adapters.aws makes a table's resource once per name (boto3 builds its model on every
creation), on the shared resource's client, and makes new ones after the clients are reset."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import aws


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_a_table_is_made_once_per_name_on_the_shared_client(fresh_clients: Any) -> None:
    first = aws.table("miyapo-test-a")
    assert aws.table("miyapo-test-a") is first
    assert first.name == "miyapo-test-a"
    other = aws.table("miyapo-test-b")
    assert other is not first and other.name == "miyapo-test-b"
    assert first.meta.client is aws.dynamodb().meta.client is other.meta.client


def test_resetting_the_clients_makes_new_tables(fresh_clients: Any) -> None:
    before = aws.table("miyapo-test-a")
    aws.reset_clients()
    after = aws.table("miyapo-test-a")
    assert after is not before
    assert after.meta.client is aws.dynamodb().meta.client is not before.meta.client
