"""The settings model: nested frozen groups, variable names derived from field names, closed choices
refused at load, and the secret fetched through its adapter."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.settings import GROUPS, SettingsError, env_names, load_settings
from tests.fakes import make_settings


def test_every_setting_is_read_from_its_field_name_in_upper_case():
    names = env_names()
    assert names[("settlement", "fee_rate")] == "FEE_RATE"
    assert names[("tables", "sessions_table")] == "SESSIONS_TABLE"
    assert names[("stage",)] == "STAGE"
    assert len(set(names.values())) == len(names)  # no variable sets two settings
    assert all(var == path[-1].upper() for path, var in names.items())


def test_a_variable_lands_in_its_group():
    settings = make_settings(FEE_RATE="0.01", SESSION_MIN_LEAD_DAYS="30", CALL_CENTER_PHONE="022-000-0000")
    assert str(settings.settlement.fee_rate) == "0.01"
    assert settings.sessions.session_min_lead_days == 30
    assert settings.call_center.call_center_phone == "022-000-0000"
    assert set(GROUPS) == {"tables", "buckets", "mail", "auth", "settlement", "usage", "call_center", "sessions", "stores", "program", "crypto"}


@pytest.mark.parametrize(("var", "value"), [
    ("TRANSFER_LINE_ENDING", "lf"),  # once silently meant "no line endings"
    ("FEE_ROUNDING", "nearest"),
    ("TRANSFER_KIND", "5"),
    ("PAYMENT_DAY", "31"),
    ("REQUESTER_ACCOUNT_NUMBER", "12345"),
])
def test_an_unknown_choice_is_refused_at_load_naming_the_variable(var, value):
    with pytest.raises(SettingsError, match=var):
        make_settings(**{var: value})


def test_a_missing_required_setting_is_named():
    env = {"STAGE": "local", "PUBLIC_BASE_URL": "http://x", "APP_SECRET": "s" * 32}
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert "SESSIONS_TABLE (missing)" in str(caught.value)
    assert "JWKS_SOURCE (missing)" in str(caught.value)


def test_settings_are_frozen_all_the_way_down():
    settings = make_settings()
    with pytest.raises(ValidationError):
        settings.settlement.fee_rate = 1  # type: ignore[misc]  # the point of the test: it is refused
    with pytest.raises(ValidationError):
        settings.stage = "prod"  # type: ignore[misc]  # likewise


def test_the_secret_comes_from_the_secret_source_when_only_its_reference_is_given():
    asked: list[str] = []

    def store(reference: str) -> str:
        asked.append(reference)
        return "from-the-store-" + "x" * 20

    env = {**make_env(), "APP_SECRET_ARN": "arn:aws:secretsmanager:ap-northeast-1:1:secret:app"}
    del env["APP_SECRET"]
    settings = load_settings(env, secrets=store)
    assert asked == ["arn:aws:secretsmanager:ap-northeast-1:1:secret:app"]
    assert settings.app_secret.startswith("from-the-store-")
    assert "from-the-store" not in repr(settings)  # never in a log line that prints the settings


def make_env() -> dict[str, str]:
    from chalicelib.adapters.resources import environment_for

    return {**environment_for("t"), "STAGE": "t", "PUBLIC_BASE_URL": "https://x", "APP_SECRET": "s" * 32,
            "MAIL_FROM": "a@x", "STAFF_MAILBOX": "b@x", "PREFECTURE_MAILBOX": "c@x",
            "JWKS_SOURCE": "https://x/jwks", "JWT_ISSUER": "https://x"}
