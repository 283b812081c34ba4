"""Deployment settings from CDK context, validated before anything is built (no aws_cdk import here).

Every deployable stage needs real values: a stage synthesized with a key missing, malformed or left at
an example value fails with one message that names every such key. The `local` stage is the
moto-backed local stack (.chalice/config.json) and is never synthesized for AWS.

Context comes from `cdk -c key=value`, the `context` block of infra/cdk.json, or `CDK_CONTEXT_JSON`
(scripts/check_infra.py passes tests/infra/context.json that way). README "Deploying (CDK)" lists
the keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Stage names that are never synthesized for AWS.
REFUSED_STAGES = ("local",)

#: Keys a deployable stage must set (in the order the error message lists them).
REQUIRED_KEYS = (
    "mail_domain", "mail_from", "staff_mailbox", "prefecture_mailbox", "public_base_url", "alarm_email",
    "requester_code", "requester_name", "requester_bank_code", "requester_branch_code",
    "requester_account_type", "requester_account_number",
)
#: Optional keys (defaults in DeployConfig.from_context).
OPTIONAL_KEYS = (
    "stage", "custom_domain", "certificate_arn", "auth_domain_prefix", "auth_callback_urls", "auth_logout_urls",
    "log_retention",
)

#: Defaults that only exist so the app runs locally (chalicelib/settings.py, resources.MAIL_DOMAIN,
#: .chalice/config.json): never acceptable in a deployed stage.
PLACEHOLDER_VALUES = {
    "requester_code": {"0000000001"},
    "requester_account_number": {"1234567"},
}
#: Example and reserved names (RFC 2606 / RFC 6761, JPRS's example.jp) and obvious fill-ins.
_PLACEHOLDER = re.compile(
    r"(^|[.@/])(example\.(jp|com|net|org)|[a-z0-9-]+\.(example|test|invalid|localhost)|localhost)($|[/:])"
    r"|changeme|change-me|placeholder|\btodo\b|\bxxx+\b",
    re.IGNORECASE,
)

_STAGE = re.compile(r"[a-z][a-z0-9-]{1,15}")
_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9-]+\.)+[a-z]{2,63}")
_URL = re.compile(r"https://(?P<host>([a-z0-9-]+\.)+[a-z]{2,63})(?P<path>(/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*)")
#: Zengin header characters: half-width katakana, upper-case letters, digits, a few symbols, space.
_ZENGIN_NAME = re.compile(r"[ｦ-ﾟA-Z0-9 ().,\-/]{1,40}")
_COGNITO_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CERT_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}")

#: `RetentionDays` member names accepted for log_retention (a subset that reads well in a runbook).
LOG_RETENTIONS = ("THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "EIGHTEEN_MONTHS", "TWO_YEARS", "FIVE_YEARS",
                  "SEVEN_YEARS", "TEN_YEARS")


class ConfigError(ValueError):
    """A stage's context is incomplete or unsafe; the message names every offending key."""


@dataclass(frozen=True)
class Requester:
    """The operator's own account (振込依頼人), passed to the functions as REQUESTER_* settings."""

    code: str
    name: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str

    def environment(self) -> dict[str, str]:
        return {
            "REQUESTER_CODE": self.code, "REQUESTER_NAME": self.name, "REQUESTER_BANK_CODE": self.bank_code,
            "REQUESTER_BRANCH_CODE": self.branch_code, "REQUESTER_ACCOUNT_TYPE": self.account_type,
            "REQUESTER_ACCOUNT_NUMBER": self.account_number,
        }


@dataclass(frozen=True)
class DeployConfig:
    stage: str
    mail_domain: str
    mail_from: str
    staff_mailbox: str
    prefecture_mailbox: str
    #: Base URL of the public pages and e-mailed links, no trailing slash.
    public_base_url: str
    alarm_email: str
    requester: Requester
    #: Optional custom domain for the API (regional ACM certificate in the stack's region).
    custom_domain: str | None
    certificate_arn: str | None
    #: Cognito hosted-login domain prefix (None: `miyapo-<stage>-<account id>`).
    auth_domain_prefix: str | None
    auth_callback_urls: tuple[str, ...]
    auth_logout_urls: tuple[str, ...]
    #: a `RetentionDays` member name
    log_retention: str

    @classmethod
    def from_context(cls, get: Callable[[str], Any] | Mapping[str, Any]) -> DeployConfig:
        """Validate the context (a mapping or `node.try_get_context`); raise ConfigError naming each bad key."""
        lookup = get.get if isinstance(get, Mapping) else get

        def value(key: str) -> str | None:
            raw = lookup(key)
            text = str(raw).strip() if raw is not None else ""
            return text or None

        stage = _check_stage(value("stage") or "prod")
        problems: dict[str, str] = {}
        values: dict[str, str] = {}
        for key in REQUIRED_KEYS:
            v = value(key)
            if v is None:
                problems[key] = "missing"
            elif v in PLACEHOLDER_VALUES.get(key, ()) or _PLACEHOLDER.search(v):
                problems[key] = f"placeholder value {v!r}"
            else:
                values[key] = v
        optional = {key: value(key) for key in OPTIONAL_KEYS if key != "stage"}
        for key, v in optional.items():
            if v is not None and _PLACEHOLDER.search(v):
                problems[key] = f"placeholder value {v!r}"
        values["mail_domain"] = values.get("mail_domain", "").lower()
        _check_formats(values, problems)
        custom_domain = _check_custom_domain(values, optional, problems)
        callbacks, logouts = _check_auth(values, optional, problems)
        retention = (optional["log_retention"] or "ONE_YEAR").upper()
        if retention not in LOG_RETENTIONS:
            problems["log_retention"] = f"one of {', '.join(LOG_RETENTIONS)}, got {retention!r}"

        if problems:
            listing = "; ".join(f"{key}: {why}" for key, why in problems.items())
            raise ConfigError(
                f"stage '{stage}' cannot be synthesized — {listing}. Set each with `-c key=value` or in the "
                "context block of infra/cdk.json (README: Deploying (CDK))."
            )
        return cls(
            stage=stage, mail_domain=values["mail_domain"], mail_from=values["mail_from"],
            staff_mailbox=values["staff_mailbox"], prefecture_mailbox=values["prefecture_mailbox"],
            public_base_url=values["public_base_url"], alarm_email=values["alarm_email"],
            requester=Requester(
                code=values["requester_code"], name=values["requester_name"],
                bank_code=values["requester_bank_code"], branch_code=values["requester_branch_code"],
                account_type=values["requester_account_type"], account_number=values["requester_account_number"],
            ),
            custom_domain=custom_domain, certificate_arn=optional["certificate_arn"],
            auth_domain_prefix=optional["auth_domain_prefix"], auth_callback_urls=callbacks,
            auth_logout_urls=logouts, log_retention=retention,
        )


def _check_stage(stage: str) -> str:
    if stage in REFUSED_STAGES:
        raise ConfigError(
            f"refusing to synthesize stage '{stage}': it is the local stack's stage (moto endpoints, dummy "
            "keys, local JWT issuer) and is never deployed. Pass -c stage=prod (or another name)."
        )
    if not _STAGE.fullmatch(stage):
        raise ConfigError(f"stage '{stage}': use 2-16 lower-case letters, digits or hyphens")
    return stage


#: (key, pattern or allowed values, what is expected) for the required keys' formats.
_FORMATS: tuple[tuple[str, re.Pattern[str] | tuple[str, ...], str], ...] = (
    ("mail_domain", _DOMAIN, "a domain name such as ops.pref.miyagi.jp"),
    ("mail_from", _EMAIL, "an e-mail address"),
    ("staff_mailbox", _EMAIL, "an e-mail address"),
    ("prefecture_mailbox", _EMAIL, "an e-mail address"),
    ("alarm_email", _EMAIL, "an e-mail address"),
    ("public_base_url", _URL, "https://host[/path] without a trailing slash"),
    ("requester_code", re.compile(r"\d{10}"), "the 10-digit 依頼人コード from the bank"),
    ("requester_name", _ZENGIN_NAME, "the 依頼人名 in half-width katakana (Zengin characters, at most 40)"),
    ("requester_bank_code", re.compile(r"\d{4}"), "a 4-digit bank code"),
    ("requester_branch_code", re.compile(r"\d{3}"), "a 3-digit branch code"),
    ("requester_account_type", ("1", "2", "4", "9"), "1 (普通), 2 (当座), 4 (貯蓄) or 9 (その他)"),
    ("requester_account_number", re.compile(r"\d{7}"), "a 7-digit account number"),
)


def _check_formats(values: dict[str, str], problems: dict[str, str]) -> None:
    for key, rule, why in _FORMATS:
        if key not in values or key in problems:
            continue
        ok = values[key] in rule if isinstance(rule, tuple) else bool(rule.fullmatch(values[key]))
        if not ok:
            problems[key] = f"{why}, got {values[key]!r}"
    domain = values["mail_domain"]
    if "mail_from" in values and "mail_from" not in problems:
        sender_domain = values["mail_from"].rsplit("@", 1)[1].lower()
        if not (sender_domain == domain or sender_domain.endswith("." + domain)):
            problems["mail_from"] = f"an address at the verified mail_domain ({domain or '?'})"


def _check_custom_domain(values: dict[str, str], optional: dict[str, str | None],
                         problems: dict[str, str]) -> str | None:
    custom_domain = (optional["custom_domain"] or "").lower() or None
    certificate_arn = optional["certificate_arn"]
    if custom_domain:
        if not _DOMAIN.fullmatch(custom_domain):
            problems.setdefault("custom_domain", f"a domain name, got {custom_domain!r}")
        if not certificate_arn:
            problems.setdefault("certificate_arn", "missing (required with custom_domain: an ACM certificate "
                                                   "for it in the stack's region)")
        url = _URL.fullmatch(values.get("public_base_url", ""))
        if url is not None and url.group("host") != custom_domain:
            problems.setdefault("public_base_url", f"must be on custom_domain {custom_domain!r}")
    if certificate_arn and not _CERT_ARN.fullmatch(certificate_arn):
        problems.setdefault("certificate_arn", f"an ACM certificate ARN, got {certificate_arn!r}")
    if certificate_arn and not custom_domain:
        problems.setdefault("custom_domain", "missing (certificate_arn is set)")
    return custom_domain


def _check_auth(values: dict[str, str], optional: dict[str, str | None],
                problems: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    prefix = optional["auth_domain_prefix"]
    if prefix and (not _COGNITO_PREFIX.fullmatch(prefix) or re.search("aws|amazon|cognito", prefix)):
        problems.setdefault("auth_domain_prefix", f"lower-case letters, digits and hyphens, without "
                                                  f"'aws', 'amazon' or 'cognito', got {prefix!r}")
    # Default: the console's login page takes the authorization code and is where logout returns.
    base = values.get("public_base_url", "")
    default = (f"{base}/console/login",) if base else ()
    callbacks = _url_list(optional["auth_callback_urls"]) or default
    logouts = _url_list(optional["auth_logout_urls"]) or default
    for key, urls in (("auth_callback_urls", callbacks), ("auth_logout_urls", logouts)):
        bad = [u for u in urls if not _URL.fullmatch(u)]
        if bad:
            problems.setdefault(key, f"https URLs separated by commas, got {bad!r}")
    return callbacks, logouts


def _url_list(raw: str | None) -> tuple[str, ...]:
    return tuple(u.strip() for u in (raw or "").split(",") if u.strip())
