"""S3 adapter for uploads and generated documents."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.adapters import aws


class FileStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, body: bytes, content_type: str) -> None:
        # Encryption is the bucket's default (KMS, set in infra/): not overridden per object.
        aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            return aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise

    def keys(self, prefix: str) -> list[str]:
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        return [o["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for o in page.get("Contents", [])]
