"""boto3 clients and resources, created lazily and once (nothing heavy at import time)."""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@functools.cache
def client(service: str) -> Any:
    import boto3

    return boto3.session.Session().client(service, config=_CONFIG)


@functools.cache
def dynamodb() -> Any:
    import boto3

    return boto3.session.Session().resource("dynamodb", config=_CONFIG)


def table(name: str) -> Any:
    return dynamodb().Table(name)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    client.cache_clear()
    dynamodb.cache_clear()
