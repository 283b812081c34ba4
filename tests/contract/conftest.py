"""Each repository against DynamoDB (moto, as tests/integration runs it) and against its in-memory twin:
the same tests, so the twin cannot drift from what DynamoDB does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.settlement.repository import InMemorySettlementStore, settlement_store
from chalicelib.usage.repository import InMemoryUsageStore
from chalicelib.usage.repository import usage_store as usage_store_of

KINDS = ["dynamo", "memory"]


@pytest.fixture(scope="module", autouse=True)
def forget_this_modules_settings() -> Iterator[None]:
    """Settings and deps are cached per process; the ones read against this directory's moto server must
    not outlive a module's tests."""
    yield
    from chalicelib.adapters import aws
    from chalicelib.deps import get_deps
    from chalicelib.settings import get_settings

    for clear in (get_deps.cache_clear, get_settings.cache_clear, aws.reset_clients):
        clear()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def real_deps(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind != "dynamo":
        return None
    request.getfixturevalue("fresh_aws")
    from chalicelib.deps import get_deps

    return get_deps()


@pytest.fixture
def settlements(kind: str, real_deps: Any) -> Any:
    return settlement_store(real_deps) if kind == "dynamo" else InMemorySettlementStore()


@pytest.fixture
def usage_store(kind: str, real_deps: Any) -> Any:
    return usage_store_of(real_deps) if kind == "dynamo" else InMemoryUsageStore()


@pytest.fixture
def new_tx(kind: str, request: pytest.FixtureRequest) -> Any:
    """A transaction of the same kind (a repository's, as the services stage them)."""
    from chalicelib.inquiries.repository import InMemoryInquiryRepository, InquiryTable

    if kind == "dynamo":
        request.getfixturevalue("deps")
        return InquiryTable("unused").new_tx
    return InMemoryInquiryRepository().new_tx
