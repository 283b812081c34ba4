"""S3 adapter for uploads and generated documents, and the presigned POST the console uploads with."""

from __future__ import annotations

import functools
import os
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import aws

DEFAULT_REGION = "ap-northeast-1"


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

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is no such object."""
        try:
            return int(aws.client("s3").head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def touch(self, key: str, content_type: str, metadata: dict[str, str]) -> None:
        """Rewrite an object onto itself (server-side copy, new metadata): S3 sends a new
        "Object Created" event for it, as for an upload."""
        aws.client("s3").copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                                     MetadataDirective="REPLACE", ContentType=content_type, Metadata=metadata)

    def keys(self, prefix: str) -> list[str]:
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        return [o["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for o in page.get("Contents", [])]

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        """Every object under `prefix`: `{"key", "size", "last_modified"}` (ISO 8601, UTC), in key order."""
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        return [{"key": o["Key"], "size": int(o["Size"]), "last_modified": o["LastModified"].isoformat()}
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix) for o in page.get("Contents", [])]

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A browser form post that can put exactly `key`, of 1..`max_bytes` bytes, for `expires_in`
        seconds: `{"url", "fields"}` (the file goes last, as the form field `file`).

        S3 checks the policy (key, size range, content type, expiry) and the bucket's default KMS
        encryption applies. SigV4 (KMS-encrypted buckets refuse SigV2) and the regional virtual-host
        URL (the one `upload_origin` names for the page's CSP); path style on the local endpoint."""
        post: dict[str, Any] = _presigner(_endpoint(), _region()).generate_presigned_post(
            Bucket=self.bucket, Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return post

    def upload_origin(self) -> str:
        """The origin a browser posts this bucket's presigned uploads to (for the page's connect-src)."""
        return upload_origin(self.bucket)


def upload_origin(bucket: str) -> str:
    endpoint = _endpoint()
    if endpoint:
        from chalicelib.adapters.resources import origin_of

        return origin_of(endpoint)
    return f"https://{bucket}.s3.{_region()}.amazonaws.com"


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@functools.cache
def _presigner(endpoint: str | None, region: str) -> Any:
    import boto3
    from botocore.config import Config

    style = "path" if endpoint else "virtual"
    config = Config(signature_version="s3v4", s3={"addressing_style": style})
    return boto3.session.Session().client("s3", region_name=region, endpoint_url=endpoint, config=config)
