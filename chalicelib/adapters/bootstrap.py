"""Create the tables, buckets and SES identity of a stage with boto3, from chalicelib.adapters.resources.

Used by the local stack and the tests (moto cannot deploy the full CDK template; see aws-local.md).
Safe to run again: existing resources are left as they are.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.resources import (
    BUCKETS,
    MAIL_DOMAIN,
    TABLES,
    TableSpec,
    origin_of,
    physical_name,
    upload_cors_rules,
)


def _table_args(stage: str, spec: TableSpec) -> dict[str, Any]:
    def key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk, "KeyType": "HASH"}]
        if sk:
            schema.append({"AttributeName": sk, "KeyType": "RANGE"})
        return schema

    args: dict[str, Any] = {
        "TableName": physical_name(stage, spec.name),
        "KeySchema": key_schema(spec.pk, spec.sk),
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in spec.key_attributes()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        args["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": key_schema(i.pk, i.sk), "Projection": {"ProjectionType": "ALL"}}
            for i in spec.indexes
        ]
    return args


def create_all(stage: str, region: str = "ap-northeast-1", page_origin: str | None = None) -> None:
    """`page_origin`: where the console is served (default: the origin of PUBLIC_BASE_URL), the one
    origin a browser-upload bucket accepts presigned POSTs from (as infra/stack.py sets in the cloud)."""
    from chalicelib.adapters import aws

    if page_origin is None and os.environ.get("PUBLIC_BASE_URL"):
        page_origin = origin_of(os.environ["PUBLIC_BASE_URL"])

    ddb = aws.client("dynamodb")
    existing = set(ddb.list_tables().get("TableNames", []))
    for spec in TABLES:
        args = _table_args(stage, spec)
        if args["TableName"] not in existing:
            ddb.create_table(**args)
    s3 = aws.client("s3")
    for bucket in BUCKETS:
        try:
            s3.create_bucket(
                Bucket=physical_name(stage, bucket.name),
                CreateBucketConfiguration={"LocationConstraint": region},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_bucket_versioning(
            Bucket=physical_name(stage, bucket.name), VersioningConfiguration={"Status": "Enabled"}
        )
        if bucket.browser_uploads and page_origin:
            s3.put_bucket_cors(Bucket=physical_name(stage, bucket.name),
                               CORSConfiguration={"CORSRules": upload_cors_rules((page_origin,))})
    ses = aws.client("sesv2")
    ses.create_email_identity(EmailIdentity=MAIL_DOMAIN)
    # The customer-managed key whose data keys seal personal fields (FIELD_KEY_ID, an alias; issue 13).
    field_key = os.environ.get("FIELD_KEY_ID", "")
    if field_key.startswith("alias/"):
        from chalicelib.adapters.kms import create_field_key

        create_field_key(field_key)
    if stage == "local":
        # The demo users' personal-data training records (a reveal needs one for the fiscal year; issue 13).
        from chalicelib.clock import now_jst
        from chalicelib.staff.service import seed_local

        seed_local(physical_name(stage, "staff"), now_jst())
