"""Keyed fingerprints of personal data, for finding duplicates without storing the datum in a key.

HMAC-SHA256 with the application secret: a stolen keys table does not reveal phone numbers.
"""

from __future__ import annotations

import hashlib
import hmac


def normalise_phone(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def normalise_email(email: str) -> str:
    return email.strip().lower()


def bank_account_key(bank_code: str, branch_code: str, account_type: str, account_number: str) -> str:
    return f"{bank_code}-{branch_code}-{account_type}-{account_number}"


def fingerprint(secret: str, kind: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}#{mac.hexdigest()[:40]}"
