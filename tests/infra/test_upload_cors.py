"""The uploads bucket takes the console's presigned POSTs from the console's origin only (issue 8).

Runs inside `make test-infra` against the synthesized template (skipped in the main test run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = os.environ.get("MIYAPO_INFRA_TEMPLATE")
if not TEMPLATE:
    pytest.skip("reads the synthesized template: runs under `make test-infra`", allow_module_level=True)

CONTEXT: dict[str, str] = json.loads((Path(__file__).parent / "context.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def buckets() -> dict[str, dict[str, Any]]:
    template = json.loads(Path(str(TEMPLATE)).read_text(encoding="utf-8"))
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::S3::Bucket"}


def test_only_the_uploads_bucket_has_cors_and_only_for_the_console_origin(buckets):
    with_cors = {k: v["CorsConfiguration"] for k, v in buckets.items() if "CorsConfiguration" in v}
    assert len(with_cors) == 1
    ((logical_id, cors),) = with_cors.items()
    assert logical_id.startswith("BucketUploads")
    origin = "/".join(CONTEXT["public_base_url"].split("/")[:3])  # https://host, no path
    assert cors["CorsRules"] == [{
        "AllowedHeaders": ["*"], "AllowedMethods": ["POST"], "AllowedOrigins": [origin],
        "ExposedHeaders": ["ETag"], "MaxAge": 3000,
    }]
