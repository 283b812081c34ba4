"""S3 adapter for uploads and generated documents, and the presigned POST the console uploads with.

Objects that carry personal data are sealed client-side before they reach S3 (issue 13, 別記2), on top
of the bucket's default SSE-KMS: `SEALED` below is the one table of which keys are sealed and why. A
sealed object is the whole body under AES-256-GCM with a KMS data key of the field key (the same envelope
as the personal fields, chalicelib/kernel/field_crypto.py `seal_bytes`), bound to its object key. `get`
opens it transparently, so every route serving such a file answers the exact bytes that were put; `size`
answers the plain size (object metadata `plain-size`). A FileStore built without a cipher (no
FIELD_KEY_ID) stores sealed kinds as they are and refuses to answer a sealed object it cannot open; by
default a FileStore uses the stage's cipher (`deps.cipher`), so every reader opens what it reads.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import aws

if TYPE_CHECKING:
    from chalicelib.kernel.field_crypto import FieldCipher

DEFAULT_REGION = "ap-northeast-1"


@dataclass(frozen=True)
class SealedKind:
    prefix: str
    purpose: str
    why: str


#: Which objects are sealed, by key prefix (first match). Everything else stays plain under SSE-KMS:
#: - `prefecture/` (statements, summaries, inquiry and session reports, the year-end pack, the access
#:   report): the prefecture reads it directly from S3 with its own tools, without our key; it holds
#:   counts, amounts, store ids and the stores' public names — no bank account, holder, phone, e-mail or
#:   owner name (the access report names staff user ids, as the prefecture requires);
#: - `usage/`, `reports/usage/`, `ledger/` (uploads bucket): the usage system's export (transaction ids,
#:   store ids, points) and its import reports — no personal data; the browser posts it presigned;
#: - the sessions' manual PDFs and flyers: public documents.
#: Carried-over lists, the app-provider hand-off, audit and incident exports are not stored in S3 today (the
#: list goes to DynamoDB sealed per field; the others are answered to the request only).
SEALED: tuple[SealedKind, ...] = (
    SealedKind("settlements/", "settlement-document",
               "the bank's transfer file (account numbers, holders' kana) and the per-store payment notices "
               "(bank, branch, account type, masked account)"),
    SealedKind("stores/", "store-kit-file",
               "store kit hand-off files (the stores' contacts for the app provider; answered per request "
               "today, sealed should one be kept)"),
    SealedKind("privacy/", "privacy-record",
               "disposal certificates (who disposed of what; copies kept beside the run)"),
)


def sealed_kind(key: str) -> SealedKind | None:
    """The sealed kind `key` belongs to, or None when objects under it stay plain."""
    return next((k for k in SEALED if key.startswith(k.prefix)), None)


#: Object metadata of a sealed object: its kind's purpose, and the size of the plain body.
SEALED_META = "sealed"
PLAIN_SIZE_META = "plain-size"
#: An object is downloaded this much at a time (FileStore.download).
_DOWNLOAD_CHUNK = 1024 * 1024


#: "The stage's field cipher" (`deps.cipher`), looked up when a sealed kind is first written or read.
STAGE_CIPHER: Any = object()


class FileStore:
    def __init__(self, bucket: str, cipher: FieldCipher | None = STAGE_CIPHER) -> None:
        """`cipher`: the field cipher sealing personal kinds; by default the stage's (None: no key, kinds
        are stored as they are and a sealed object does not open)."""
        self.bucket = bucket
        self._cipher = cipher

    @property
    def cipher(self) -> FieldCipher | None:
        if self._cipher is STAGE_CIPHER:
            from chalicelib.deps import get_deps  # lazily: only where a sealed kind is touched

            self._cipher = get_deps().cipher
        found: FieldCipher | None = self._cipher
        return found

    def put(self, key: str, body: bytes, content_type: str) -> None:
        # Encryption at rest is the bucket's default (KMS, set in infra/); personal kinds are sealed as well.
        kind = sealed_kind(key)
        extra: dict[str, Any] = {}
        if kind is not None and self.cipher is not None:
            extra["Metadata"] = {SEALED_META: kind.purpose, PLAIN_SIZE_META: str(len(body))}
            body = self.cipher.seal_bytes(kind.purpose, body, key.encode("utf-8"))
        aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra)

    def get(self, key: str) -> bytes | None:
        """The object's body (opened if sealed), or None when there is no such object."""
        raw = self.get_raw(key)
        return None if raw is None else self.open(key, raw)

    def download(self, key: str, path: Path) -> bool:
        """Write the object's body (opened if sealed) to ``path`` a megabyte at a time, so a large upload
        is never whole in memory; False when there is no such object."""
        from chalicelib.kernel.field_crypto import is_sealed_bytes

        try:
            body = aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return False
            raise
        with body, path.open("wb") as out:
            for at, chunk in enumerate(body.iter_chunks(_DOWNLOAD_CHUNK)):
                if at == 0 and is_sealed_bytes(chunk):
                    out.write(self.open(key, chunk + body.read()))  # sealed whole: opened whole
                    break
                out.write(chunk)
        return True

    def get_raw(self, key: str, version_id: str | None = None) -> bytes | None:
        """The object's stored bytes (sealed or not), or None when there is no such object."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            body: bytes = aws.client("s3").get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NoSuchVersion"):
                return None
            raise
        return body

    def open(self, key: str, raw: bytes) -> bytes:
        """`raw` as stored at `key`, opened if sealed (legacy plaintext as is)."""
        from chalicelib.kernel.field_crypto import SealError, is_sealed_bytes

        if not is_sealed_bytes(raw):
            return raw
        if self.cipher is None:
            raise SealError(f"{key} is sealed and this store has no field key")
        return self.cipher.open_bytes(raw, key.encode("utf-8"))

    def size(self, key: str) -> int | None:
        """The object's size in bytes (the plain body's, for a sealed object), or None when there is none."""
        try:
            head = aws.client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        plain_size = (head.get("Metadata") or {}).get(PLAIN_SIZE_META)
        return int(plain_size) if plain_size else int(head["ContentLength"])

    def touch(self, key: str, content_type: str, metadata: dict[str, str]) -> None:
        """Rewrite an object onto itself (server-side copy, new metadata): S3 sends a new
        "Object Created" event for it, as for an upload. A sealed object keeps its seal metadata."""
        if sealed_kind(key) is not None:
            kept = aws.client("s3").head_object(Bucket=self.bucket, Key=key).get("Metadata") or {}
            metadata = {**{k: v for k, v in kept.items() if k in (SEALED_META, PLAIN_SIZE_META)}, **metadata}
        aws.client("s3").copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                                     MetadataDirective="REPLACE", ContentType=content_type, Metadata=metadata)

    def keys(self, prefix: str) -> list[str]:
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        return [o["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for o in page.get("Contents", [])]

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        """Every object under `prefix`: `{"key", "size", "last_modified"}` (ISO 8601, UTC), in key order.
        `size` is the plain body's (a HEAD per sealed object; the prefixes listed today hold none)."""
        paginator = aws.client("s3").get_paginator("list_objects_v2")
        found = [{"key": o["Key"], "size": int(o["Size"]), "last_modified": o["LastModified"].isoformat()}
                 for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix) for o in page.get("Contents", [])]
        for o in found:
            if sealed_kind(o["key"]) is not None:
                o["size"] = self.size(o["key"]) or o["size"]
        return found

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
