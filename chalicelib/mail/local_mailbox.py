"""Read back the mail "sent" in the local stage: moto keeps every SES message it accepted."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def sent_messages(endpoint_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=5) as resp:
        data = json.loads(resp.read().decode("utf-8"))
    messages: list[dict[str, Any]] = []
    for account in data.get("ses", {}).get("Message", {}).values() if isinstance(
            data.get("ses", {}).get("Message"), dict) else []:
        messages.extend(account if isinstance(account, list) else [account])
    if not messages:
        messages = _flatten(data.get("ses", {}).get("Message", []))
    return messages


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
