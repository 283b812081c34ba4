"""boto3 clients and resources, created lazily and once (nothing heavy at import time)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=10)

# Called with every boto3 session this module creates. Empty in Lambda and the cloud stages; the local
# stack adds one that answers the calls to its own local AWS in process (scripts/local_aws.py).
_session_hooks: list[Callable[[Any], None]] = []


def on_new_session(hook: Callable[[Any], None], *, remove: bool = False) -> None:
    """Run `hook` on the session of every client created from now on (or no longer, with remove=True)."""
    if remove:
        _session_hooks[:] = [h for h in _session_hooks if h != hook]
    else:
        _session_hooks.append(hook)
    reset_clients()


def _session() -> Any:
    import boto3

    session = boto3.session.Session()
    for hook in _session_hooks:
        hook(session)
    return session


@functools.cache
def client(service: str) -> Any:
    return _session().client(service, config=_CONFIG)


@functools.cache
def dynamodb() -> Any:
    return _session().resource("dynamodb", config=_CONFIG)


@functools.cache
def table(name: str) -> Any:
    """The table's resource, made once per name: boto3 builds a resource's model (its actions, shapes and
    attributes) each time one is created, ~0.5 ms, and a request asks for its tables several times (a public
    application: nine). A Table holds only its name and the shared resource's client (thread-safe); nothing
    here loads its attributes, so it carries no state between requests."""
    return dynamodb().Table(name)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    client.cache_clear()
    dynamodb.cache_clear()
    table.cache_clear()
