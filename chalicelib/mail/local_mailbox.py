"""Read back the mail "sent" in the local stage: moto keeps every SES message it accepted.

The local stack runs moto in the same process as the app, so its SES backend is read directly
(fast at any size). When moto runs in another process, its `/moto-api/data.json` is used instead
(it dumps every model of every service, so it slows down as the local stack fills up).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def _in_process() -> list[dict[str, Any]]:
    try:
        from moto.ses.models import ses_backends
    except ImportError:  # not a local environment
        return []
    messages: list[dict[str, Any]] = []
    for account in list(ses_backends.keys()):
        for region in list(ses_backends[account].keys()):
            for m in list(ses_backends[account][region].sent_messages):
                messages.append({"id": getattr(m, "id", ""), "source": getattr(m, "source", ""),
                                 "subject": getattr(m, "subject", ""), "body": getattr(m, "body", ""),
                                 "destinations": getattr(m, "destinations", {})})
    return messages


def sent_messages(endpoint_url: str) -> list[dict[str, Any]]:
    messages = _in_process()
    if messages:
        return messages
    with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=60) as resp:
        data = json.loads(resp.read().decode("utf-8"))
    return _flatten(data.get("ses", {}).get("Message", []))


def _flatten(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        out: list[dict[str, Any]] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    if isinstance(value, dict) and ("body" in value or "subject" in value or "destinations" in value):
        return [value]
    if isinstance(value, dict):
        out = []
        for v in value.values():
            out.extend(_flatten(v))
        return out
    return []
