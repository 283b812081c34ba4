"""The local AWS for every test directory that needs it (contract and integration tests): moto's server
in this process as the local stack runs it, started once per session.

One definition, registered by the root conftest (``pytest_plugins``): a fixture imported into two
conftests is two session fixtures, and the second one's environment (its port, its token keys) would
outlive it and refuse the first one's tokens (InvalidSignatureError when the contract tests ran
between two integration modules).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def aws_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    from scripts import localenv
    from scripts.local_aws import LocalAws
    from tests.e2e.conftest import free_port

    port = free_port()
    state = tmp_path_factory.mktemp("local-state")
    env = localenv.local_environment(Path(state), port, 8000)
    localenv.apply(env)
    from chalicelib.adapters import aws
    from chalicelib.auth.local_issuer import LocalIssuer

    aws.reset_clients()
    from chalicelib.deps import get_deps
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    get_deps.cache_clear()
    # The local stack's AWS: moto, one request at a time, so tests that race threads see DynamoDB's
    # atomic calls rather than moto's unsynchronised state.
    server = LocalAws(port).start()
    issuer = LocalIssuer.create()
    issuer.write_jwks(Path(env["JWKS_SOURCE"]))
    yield env["AWS_ENDPOINT_URL"], issuer.demo_tokens() | {"_issuer": issuer}  # type: ignore[operator]
    server.stop()


@pytest.fixture
def fresh_aws(aws_server: tuple[str, dict[str, Any]]) -> str:
    endpoint, _ = aws_server
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=5).read()
    from chalicelib.adapters.bootstrap import create_all
    from chalicelib.deps import get_deps

    create_all("local")
    # The reset made a new field key: deps built before it cache data keys wrapped under the old one.
    get_deps.cache_clear()
    return endpoint


@pytest.fixture
def deps(fresh_aws: str) -> Any:
    from chalicelib.deps import get_deps

    return get_deps()
