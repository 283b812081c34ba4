"""What the console's browser does with a presigned POST, for tests: a multipart form post to S3
(the policy's fields first, the file last), with the page's Origin like a browser sends it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from typing import Any


def multipart(fields: dict[str, str], data: bytes, filename: str = "usage.csv",
              file_field: str = "file") -> tuple[bytes, str]:
    boundary = f"----miyapo{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_form(grant: dict[str, Any], data: bytes, origin: str | None = None,
              timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """POST `data` with the grant of `POST /usage-imports/uploads`; (status, headers, body)."""
    body, content_type = multipart(grant["fields"], data, file_field=grant.get("file_field", "file"))
    req = urllib.request.Request(grant["url"], data=body, method=grant.get("method", "POST"))
    req.add_header("Content-Type", content_type)
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def policy(grant: dict[str, Any]) -> dict[str, Any]:
    """The POST policy the grant carries (what S3 checks: expiry, key, size range, content type)."""
    return dict(json.loads(base64.b64decode(grant["fields"]["policy"])))
