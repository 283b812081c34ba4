"""Small stand-ins the twin-based unit tests share: numbering without a table, and an audit log that
keeps what was appended outside a transaction (entries added to a transaction land with its twin)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.keys import KeyStore
from chalicelib.adapters.resources import environment_for
from chalicelib.audit.log import AuditLog
from chalicelib.settings import Settings, load_settings


class Counters(KeyStore):
    """`next_number` per counter, from 1, in memory (the real one is a DynamoDB atomic counter)."""

    def __init__(self) -> None:
        super().__init__("keys")
        self.numbers: dict[str, int] = {}

    def next_number(self, counter: str) -> int:
        self.numbers[counter] = self.numbers.get(counter, 0) + 1
        return self.numbers[counter]


class Audit(AuditLog):
    """Keeps the entries a service appends on its own (a download, a view) for the test to read."""

    def __init__(self) -> None:
        super().__init__("audit")
        self.appended: list[dict[str, Any]] = []

    def append(self, item: dict[str, Any]) -> None:
        self.appended.append(item)


def make_settings(**env: str) -> Settings:
    """Real settings for a twin-based test: every table and bucket named, overrides by variable name
    (`make_settings(STAFF_MAILBOX="staff@example.com")`), loaded the way the functions load them."""
    base = {
        **environment_for("test"),
        "STAGE": "test", "PUBLIC_BASE_URL": "https://ops.example", "APP_SECRET": "s" * 32,
        "MAIL_FROM": "noreply@example.com", "STAFF_MAILBOX": "staff@example.com",
        "PREFECTURE_MAILBOX": "pref@example.com", "JWKS_SOURCE": "https://idp.example/jwks.json",
        "JWT_ISSUER": "https://idp.example",
    }
    return load_settings({**base, **env}, secrets=_no_secret_store)


def _no_secret_store(reference: str) -> str:
    raise AssertionError(f"a twin-based test asked the secret store for {reference}")


def with_setting(settings: Settings, path: str, value: Any) -> Settings:
    """A copy of frozen `settings` with one grouped setting changed: `with_setting(s, "usage.usage_columns_json", "{}")`."""
    group, name = path.split(".")
    return settings.model_copy(update={group: getattr(settings, group).model_copy(update={name: value})})
