"""The report library's port (chalicelib/overview/sources.py DeliveredFiles) against S3 on moto (FileStore,
chalicelib/adapters/files.py) and against its in-memory twin: the same listing and reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.files import FileStore
from chalicelib.overview.sources import InMemoryDeliveredFiles

AT = datetime(2025, 7, 3, 8, 30, tzinfo=UTC)


@pytest.fixture
def files(kind: str, real_deps: Any) -> Any:
    if kind == "dynamo":
        return FileStore(real_deps.settings.buckets.documents_bucket)
    return InMemoryDeliveredFiles()


def put(files: Any, key: str, body: bytes) -> None:
    if isinstance(files, FileStore):
        files.put(key, body, "text/csv")
    else:
        files.put(key, body, AT)


def test_the_listing_is_every_object_under_the_prefix_in_key_order_with_size_and_time(files):
    put(files, "prefecture/settlements/2025-06/statement-2025-06.csv", b"abc")
    put(files, "prefecture/daily-inquiries/2025-07-03.csv", b"12345")
    put(files, "prefectures/other.csv", b"x")
    put(files, "transfer/2025-06.txt", b"x")
    listing = files.listing("prefecture/")
    assert [(o["key"], o["size"]) for o in listing] == [
        ("prefecture/daily-inquiries/2025-07-03.csv", 5), ("prefecture/settlements/2025-06/statement-2025-06.csv", 3)]
    assert all(datetime.fromisoformat(o["last_modified"]).tzinfo is not None for o in listing)
    assert files.listing("prefecture/monthly-sessions/") == []


def test_a_file_reads_back_and_a_missing_one_is_none(files):
    put(files, "prefecture/monthly-sessions/2025-06.csv", b"\xef\xbb\xbfdata")
    assert files.get("prefecture/monthly-sessions/2025-06.csv") == b"\xef\xbb\xbfdata"
    assert files.get("prefecture/monthly-sessions/2025-07.csv") is None
