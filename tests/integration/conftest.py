"""moto's server in this process as the local AWS (as the local stack runs it), and the app through
chalice.test.Client.

The same environment the local stack uses (scripts.localenv); resources are created from
chalicelib.adapters.resources before each test on a freshly reset moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from scripts import localenv


@dataclass
class Api:
    client: Any
    tokens: dict[str, str]
    aws: str

    def call(self, method: str, path: str, body: Any = None, as_: str | None = None,
             headers: dict[str, str] | None = None, raw: bytes | str | None = None) -> tuple[int, Any]:
        h = dict(headers or {})
        if body is not None or raw is not None:
            h.setdefault("Content-Type", "application/json")
        if as_:
            h["Authorization"] = f"Bearer {self.tokens.get(as_, as_)}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        resp = getattr(self.client.http, method.lower())(path, headers=h, body=payload) if payload is not None \
            else getattr(self.client.http, method.lower())(path, headers=h)
        try:
            return resp.status_code, json.loads(resp.body)
        except ValueError:
            return resp.status_code, resp.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"Api(aws={self.aws!r})"  # keep bearer tokens out of test reports

    def mail(self) -> list[dict[str, Any]]:
        from chalicelib.mail.local_mailbox import sent_messages

        return sent_messages(self.aws)


@pytest.fixture
def api(aws_server: tuple[str, dict[str, Any]], fresh_aws: str) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    _, tokens = aws_server
    with Client(app, stage_name="local", project_dir=str(localenv.ROOT)) as client:
        yield Api(client, {k: v for k, v in tokens.items() if isinstance(v, str)}, fresh_aws)
