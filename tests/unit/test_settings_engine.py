"""The settings groups validate with pydantic-core directly (chalicelib/settings.py, issue 14 point 3): this
proves they accept, coerce and refuse exactly what a pydantic model declared with the same annotations and
`Field` bounds does, field by field, over inputs shaped like environment values and some that are not."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from chalicelib.settings import GROUPS, Group, ProgramSettings, SessionSettings, Settings, SettingsError
from tests.fakes import make_settings

#: Every input is tried on every field, whatever its type: a difference anywhere shows up.
INPUTS: list[Any] = [
    # numbers as the environment spells them, and as it should not
    "30", " 30 ", "0", "-1", "1.0", "1.5", "1_000", "+5", "0x10", "3e2", "28", "29", "443750000",
    "0.005", "0.25", "1", "-0.1", "NaN", "Infinity", "1e-3", "1.0000001", " 0.25 ",
    # dates and times
    "2025-04-01", "2025-4-1", "20250401", "2025-02-30", "1700000000", "2025-04-01T00:00", "09:00", "9:00",
    "09:00:00", "09:00:00.5", "25:00", "0900", "3600", "09:00+09:00",
    # codes, choices and text
    "0000000001", "123", "0125", "100", "1234567", "12345", "abcdefghij", "12345678901", " 0125",
    "down", "half_up", "up", "nearest", "crlf", "none", "lf", " crlf", "CRLF", "7", "8", "5", "9", "2025-05",
    "2025-13", "x", "", "ﾐﾔｷﾞ",
    # Python values a test or a caller may pass directly
    None, 30, 0, -5, 1.5, True, Decimal("0.01"), date(2025, 4, 1), time(8, 30), b"bytes", [], {},
]


def _pydantic_twin(group: type[Group], made: dict[type[Group], type[pydantic.BaseModel]]) -> type[pydantic.BaseModel]:
    """A frozen pydantic model with the group's annotations and bounds, as the settings were declared before."""
    if group in made:
        return made[group]
    fields: dict[str, Any] = {}
    for name, info in group.model_fields.items():
        annotation = info.annotation
        default = info.default
        if isinstance(annotation, type) and issubclass(annotation, Group):
            annotation = _pydantic_twin(annotation, made)
            if isinstance(default, Group):
                default = annotation()
        fields[name] = (annotation, pydantic.Field(default, **info.bounds, pattern=info.pattern))

    class Twin(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

        def model_post_init(self, context: Any, /) -> None:
            group.check(self)  # type: ignore[arg-type]  # the rule reads the fields only

    made[group] = pydantic.create_model(group.__name__, __base__=Twin, **fields)
    return made[group]


def _outcome(validate: Any) -> tuple[str, Any]:
    try:
        value = validate()
    except pydantic.ValidationError as exc:
        return "refused", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    except SettingsError as exc:
        return "refused by a check", str(exc)
    return "accepted", value


LEAF_GROUPS = sorted((g for g in GROUPS.values()), key=lambda g: g.__name__)


@pytest.mark.parametrize("group", LEAF_GROUPS, ids=lambda g: g.__name__)
def test_each_field_accepts_and_refuses_what_a_pydantic_model_does(group: type[Group]) -> None:
    twin = _pydantic_twin(group, {})
    required = {name: "x" for name, info in group.model_fields.items() if info.is_required()}
    compared = 0
    for name in group.model_fields:
        for value in INPUTS:
            data = {**required, name: value}
            ours = _outcome(lambda data=data, name=name: getattr(group(**data), name))
            theirs = _outcome(lambda data=data, name=name: getattr(twin(**data), name))
            assert ours == theirs, f"{group.__name__}.{name} = {value!r}"
            if ours[0] == "accepted":
                assert type(ours[1]) is type(theirs[1]), f"{group.__name__}.{name} = {value!r}"
            compared += 1
    assert compared == len(group.model_fields) * len(INPUTS)


def test_the_whole_settings_report_the_same_errors_with_the_same_locations() -> None:
    twin = _pydantic_twin(Settings, {})
    cases: list[dict[str, Any]] = [
        {"tables": {}, "buckets": {}, "mail": {}, "auth": {}},
        {"stage": "t", "public_base_url": "x", "app_secret": "s", "tables": {}, "buckets": {"uploads_bucket": "u"},
         "mail": {}, "auth": {"jwks_source": "f"}, "settlement": {"payment_day": "31", "fee_rounding": "nearest"}},
        {"tables": {}, "buckets": {}, "mail": {}, "auth": {}, "unknown": "1", "usage": {"other": "2"}},
    ]
    for values in cases:
        ours = _outcome(lambda values=values: Settings(**values))
        theirs = _outcome(lambda values=values: twin(**values))
        assert ours[0] == theirs[0] == "refused"
        assert ours == theirs


def test_nested_values_become_frozen_groups_with_their_defaults() -> None:
    settings = make_settings(PAYMENT_DAY="25")
    assert isinstance(settings.settlement, Group)
    assert settings.settlement.payment_day == 25
    assert settings.settlement.fee_rate == Decimal("0.005")  # the default, next to the value given
    assert settings.program == ProgramSettings()  # a group nobody set is its defaults
    with pytest.raises(pydantic.ValidationError):
        settings.settlement.payment_day = 1  # type: ignore[misc]  # frozen, the point of the test
    with pytest.raises(pydantic.ValidationError):
        del settings.stage


def test_a_rule_across_fields_is_checked_at_load_and_names_the_variables() -> None:
    with pytest.raises(SettingsError, match="POINTS_USABLE_START"):
        make_settings(POINTS_USABLE_START="2026-03-01")
    with pytest.raises(SettingsError, match="SETTLEMENT_FIRST_MONTH"):
        ProgramSettings(settlement_first_month="2026-03")


def test_a_copy_changes_only_what_it_updates_and_leaves_the_original() -> None:
    settings = make_settings()
    copy = settings.model_copy(update={"stage": "prod"})
    assert (copy.stage, settings.stage) == ("prod", "test")
    assert copy.tables is settings.tables and copy != settings
    assert settings.model_copy() == settings and hash(settings.model_copy()) == hash(settings)


def test_an_instance_passed_for_a_group_is_kept_as_it_is() -> None:
    rules = SessionSettings(session_min_lead_days=7)
    settings = make_settings()
    values = {name: getattr(settings, name) for name in Settings.model_fields}
    rebuilt = Settings(**{**values, "sessions": rules})
    assert rebuilt.sessions is rules
    assert rebuilt == settings.model_copy(update={"sessions": rules})


def test_the_repr_names_the_fields_but_never_the_secret() -> None:
    settings = make_settings(APP_SECRET="do-not-print-" + "z" * 20)
    text = repr(settings)
    assert "stage='test'" in text and "payment_day=20" in text
    assert "do-not-print" not in text
