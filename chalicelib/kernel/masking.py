"""Masking of personal data in answers for roles that do not need it."""

from __future__ import annotations


def mask_account_number(number: str) -> str:
    return "****" + number[-3:] if len(number) > 3 else "*" * len(number)


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 4:
        return "*" * len(phone)
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def mask_name(name: str) -> str:
    return name[:1] + "＊" * max(len(name) - 1, 1) if name else ""
