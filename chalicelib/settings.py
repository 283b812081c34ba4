"""The settings of a process: nested frozen groups, loaded once from the environment.

Each group is a small frozen model; every field's environment variable is its name in upper case
(`settings.settlement.fee_rate` ← `FEE_RATE`), so there is no hand-kept map to drift, and a name
used twice is refused when this module is imported. Closed choices are `Literal`s: an unknown
`TRANSFER_LINE_ENDING` is an error at cold start, not a file without line endings.

The groups are validated by pydantic-core, the engine under pydantic's models, from a schema built
here out of the annotations and `Field` bounds: the same coercion, bounds, patterns, `Literal`
choices and error records (`loc`, `type`, `msg`) as a pydantic model, without importing pydantic's
model machinery (~35 ms of the API function's cold start, issue 14). Frozen like a frozen model:
assigning a field raises pydantic's `ValidationError`; `model_copy(update=...)` and `model_fields`
work as on a model. tests/unit/test_settings_engine.py checks each field's validation against a
pydantic model built from the same declarations.

The one secret (`APP_SECRET`) comes either from the environment (the local stack) or from the
secret store behind `SecretSource` (in the cloud infra/ passes `APP_SECRET_ARN`).
"""

# No `from __future__ import annotations` here: the groups read their annotations when they are defined, and
# evaluated ones cost nothing, while string annotations would be compiled one by one at every cold start.
import functools
import inspect
import ipaddress
import os
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any, ClassVar, Literal, dataclass_transform
from urllib.parse import urlsplit

from pydantic_core import PydanticUndefined, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

LOCAL_STAGE = "local"


class SettingsError(RuntimeError):
    pass


class FieldInfo:
    """One setting's declaration: its default (`PydanticUndefined`: required), bounds and pattern."""

    def __init__(self, default: Any = PydanticUndefined, *, gt: Any = None, ge: Any = None, le: Any = None,
                 pattern: str | None = None, repr: bool = True) -> None:
        self.default = default
        self.bounds = {k: v for k, v in (("gt", gt), ("ge", ge), ("le", le)) if v is not None}
        self.pattern = pattern
        self.repr = repr
        self.annotation: Any = None  # set when its group is defined

    def is_required(self) -> bool:
        return self.default is PydanticUndefined


def Field(default: Any = PydanticUndefined, *, gt: Any = None, ge: Any = None, le: Any = None,
          pattern: str | None = None, repr: bool = True) -> Any:
    """A setting with bounds, a pattern or hidden from `repr` (pydantic's `Field`, the keywords used here)."""
    return FieldInfo(default, gt=gt, ge=ge, le=le, pattern=pattern, repr=repr)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field, FieldInfo))
class Group:
    """A frozen group of settings; unknown fields are refused."""

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    _schema: ClassVar[cs.CoreSchema]
    _validator: ClassVar[SchemaValidator]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, FieldInfo] = {}
        annotations: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):  # evaluated already (no __future__ import); get_type_hints costs more
            annotations.update(inspect.get_annotations(klass))
        for name, annotation in annotations.items():
            if name.startswith("_") or typing.get_origin(annotation) is ClassVar:
                continue
            declared = cls.__dict__.get(name, PydanticUndefined)
            info = declared if isinstance(declared, FieldInfo) else FieldInfo(declared)
            info.annotation = annotation
            fields[name] = info
            if name in cls.__dict__:
                delattr(cls, name)  # the value lives on each instance, as on a model
        cls.model_fields = fields
        cls._schema = cs.typed_dict_schema(
            {name: cs.typed_dict_field(_field_schema(info), required=info.is_required())
             for name, info in fields.items()},
            extra_behavior="forbid", config=cs.CoreConfig(title=cls.__name__))
        cls._validator = SchemaValidator(cls._schema)

    def __init__(self, **data: Any) -> None:
        self._fill(self._validator.validate_python(data))

    @classmethod
    def _from_validated(cls, values: dict[str, Any]) -> typing.Self:
        group = cls.__new__(cls)
        group._fill(values)
        return group

    def _fill(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.check()

    def check(self) -> None:
        """Rules across fields, after the fields are validated (raise SettingsError)."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> typing.Self:
        """A copy with `update` applied, unvalidated (as pydantic's `model_copy`)."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(update or {})
        return copy

    def __setattr__(self, name: str, value: Any) -> None:
        raise ValidationError.from_exception_data(
            type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}])

    def __delattr__(self, name: str) -> None:
        raise ValidationError.from_exception_data(
            type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": None}])

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.get(name) for name in self.model_fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__.get(name)!r}" for name, info in self.model_fields.items() if info.repr)
        return f"{type(self).__name__}({shown})"


def _field_schema(info: FieldInfo) -> cs.CoreSchema:
    schema = _type_schema(info.annotation, info)
    if info.is_required():
        return schema
    return cs.with_default_schema(schema, default=info.default)


def _type_schema(kind: Any, info: FieldInfo) -> cs.CoreSchema:
    """The core schema pydantic generates for these annotations (lax mode, as a model validates)."""
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return cs.nullable_schema(_type_schema(inner, info))
    if typing.get_origin(kind) is Literal:
        return cs.literal_schema(list(args))
    if isinstance(kind, type) and issubclass(kind, Group):
        group = kind

        def build(value: Any, handler: cs.ValidatorFunctionWrapHandler) -> Any:
            # An instance passes as it is (a model field does not revalidate instances either).
            return value if isinstance(value, group) else group._from_validated(handler(value))

        return cs.no_info_wrap_validator_function(build, group._schema)
    if kind is str:
        return cs.str_schema(pattern=info.pattern)
    if kind is int:
        return cs.int_schema(**info.bounds)
    if kind is Decimal:
        return cs.decimal_schema(**info.bounds)
    if kind is date:
        return cs.date_schema()
    if kind is time:
        return cs.time_schema()
    raise TypeError(f"no settings schema for {kind!r}")


class Tables(Group):
    """Physical DynamoDB table names (chalicelib/adapters/resources.py defines each table once)."""

    applications_table: str
    privacy_table: str
    stores_table: str
    keys_table: str
    audit_table: str
    outbox_table: str
    imports_table: str
    usage_table: str
    settlements_table: str
    inquiries_table: str
    sessions_table: str
    storekit_table: str
    storeimports_table: str
    storechanges_table: str
    staff_table: str


class Buckets(Group):
    uploads_bucket: str
    documents_bucket: str


class Mail(Group):
    mail_from: str
    staff_mailbox: str
    prefecture_mailbox: str


class Crypto(Group):
    """Per-field envelope encryption of personal data (chalicelib/kernel/field_crypto.py, issue 13).

    `field_key_id`: the customer-managed KMS key (id, ARN or `alias/...`) whose data keys seal personal
    fields before they reach DynamoDB. Empty: fields are stored as they are (unit tests with twins).
    """

    field_key_id: str = ""
    #: Seconds one data key seals new values before a fresh one is asked of KMS.
    field_key_seconds: int = Field(default=300, gt=0)


class StaffAuth(Group):
    """Staff sign-in: Cognito's hosted login, authorization code + PKCE (chalicelib/auth/oauth.py)."""

    #: Where the JWT verification keys come from: a JWKS URL (Cognito) or a local file path.
    jwks_source: str
    jwt_issuer: str
    jwt_audience: str | None = None
    #: The hosted login's base URL (the Cognito domain); the local stack uses its own /dev stand-in.
    auth_hosted_ui_url: str | None = None
    #: The console's app client: only its tokens are accepted (`client_id` of access tokens, `aud` of ID tokens).
    auth_client_id: str | None = None
    #: Where the hosted login returns with the code, and where its logout returns (default: the login page).
    auth_redirect_uri: str | None = None
    auth_logout_uri: str | None = None
    #: Minutes without any activity in the console after which it signs out (every tab).
    auth_idle_minutes: int = 30


class SettlementSettings(Group):
    """Settlement (docs/SPEC.md §2, §4.4, §5.3): configuration, not code."""

    #: System fee charged to the prefecture on the month's point funds.
    fee_rate: Decimal = Decimal("0.005")
    fee_rounding: Literal["down", "half_up", "up"] = "down"
    #: Points the prefecture plans to issue in the year (docs/SPEC.md §1): the funds ledger and its alerts.
    planned_points: int = Field(default=443_750_000, gt=0)
    #: Day of the month stores are paid (or the preceding bank business day).
    payment_day: int = Field(default=20, ge=1, le=28)
    #: Bank business days before the payment date by which the round must be approved.
    approval_lead_days: int = Field(default=3, ge=0, le=10)
    #: The operator's own account (振込依頼人) and its bank's 振込指定区分.
    requester_code: str = Field(default="0000000001", pattern=r"^\d{10}$")
    requester_name: str = "ﾐﾔｷﾞﾎﾟｲﾝﾄｼﾞﾑｷﾖｸ"
    requester_bank_code: str = Field(default="0125", pattern=r"^\d{4}$")
    requester_branch_code: str = Field(default="100", pattern=r"^\d{3}$")
    requester_account_type: Literal["1", "2", "9"] = "1"
    requester_account_number: str = Field(default="1234567", pattern=r"^\d{7}$")
    transfer_kind: Literal["7", "8", "0"] = "7"
    #: Largest amount (yen, either sign) one adjustment may carry when it is entered.
    max_adjustment: int = Field(default=10_000_000, gt=0)
    #: A store's payment above this (yen) in one round is held until a second person confirms it.
    store_payment_ceiling: int = Field(default=5_000_000, gt=0)
    #: Rounds paying more stores than this leave their per-store notices to the mail sweep.
    inline_notice_limit: int = Field(default=300, ge=0)
    #: CRLF after each record (most banks) or none.
    transfer_line_ending: Literal["crlf", "none"] = "crlf"
    #: The operator's bank fees per transfer (its cost, never a store's) as JSON {"threshold", "same_branch",
    #: "same_bank", "other_bank": {"below", "at_or_above"}}; empty = the example in settlement/transfer_fees.py.
    transfer_fee_table_json: str = ""


class UsageSettings(Group):
    #: Usage export column mapping as JSON (keys of chalicelib.usage.parser.ColumnMapping); empty = default.
    usage_columns_json: str = ""
    #: Seconds the usage import's lease lasts: no longer than the import function's timeout (120 s, infra/
    #: functions.py), so that Lambda's retry of a timed-out or crashed import takes the lease over.
    usage_import_lease_seconds: int = Field(default=120, gt=0)


class CallCenterSettings(Group):
    """The call center (docs/SPEC.md §2, §4.5): configuration, not code."""

    #: The call center's service period (inclusive) and daily hours, JST (start inclusive, end exclusive).
    call_center_service_start: date = date(2025, 4, 1)
    call_center_service_end: date = date(2026, 3, 25)
    call_center_open: time = time(9, 0)
    call_center_close: time = time(17, 30)
    #: The number residents call (printed on the public pages and the session flyers).
    call_center_phone: str = "0120-390-390"
    #: The prefecture's office hours on its office days (escalations outside them wait for the opening).
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(17, 0)
    #: Inquiry forecast the daily report compares the running totals with (docs/SPEC.md §1).
    inquiry_forecast_monthly: int = 1_000
    inquiry_forecast_total: int = 12_000
    #: The prefecture's inquiry categories as JSON [{"code", "label"}]; empty = chalicelib.inquiries.config.
    inquiry_categories: str | None = None


class SessionSettings(Group):
    """Consultation sessions (docs/SPEC.md §4.6; the prefecture's specification 7(3) ハ: May 2025 – Feb 2026)."""

    session_period_start: date = date(2025, 5, 1)
    session_period_end: date = date(2026, 2, 28)
    #: Days between the announcement and the session, at least (7(3) ロ: 十分な周知期間).
    session_min_lead_days: int = Field(default=21, ge=0)
    #: A month or region holding more than this share of the season's sessions (beyond its fair share)
    #: is flagged as crowded on the coverage board (7(3) ロ: 時期や地域に偏りが出ないよう).
    session_cluster_share: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    #: Areas with nothing scheduled are warned about once the period's end is this close (days).
    session_warning_days: int = Field(default=90, ge=0)


class StoreSettings(Group):
    """Stores through the year (docs/SPEC.md §4.2; the prefecture's specification 7(1)ハ–ト)."""

    #: Where the 参加規約 (terms of participation) are published; empty = the app's own page `/terms`.
    terms_url: str = ""
    #: Banks and branches that left the bank master, and their successors, as JSON
    #: [{"from_bank", "from_branch"?, "to_bank", "to_branch"?, "note"}]; empty = the built-in table
    #: (chalicelib/stores/successors.py). A successor is only ever proposed, never applied unasked.
    bank_successors_json: str = ""
    #: The app's store console (where a store signs in with the credentials letter's login id).
    store_console_url: str = "https://console.miyapo.example.jp/"


class ProgramSettings(Group):
    """The program's calendar (docs/SPEC.md §2): configuration, not code — the program repeats yearly.

    Defaults from the prefecture's specification, 6 実施スケジュール: ポイント利用可能期間 令和７年５月２８日（水）
    から令和８年２月２８日（土）まで (2025-05-28 … 2026-02-28, JST, inclusive); ポイント精算期間 令和７年６月から
    令和８年３月まで（１０回）, i.e. the usage months 2025-05 … 2026-02, each paid the month after. The call-center
    period (コールセンター開設期間) is `settings.call_center.call_center_service_start/_end`, the session period
    (相談会開催期間) `settings.sessions.session_period_start/_end`: not repeated here.
    """

    points_usable_start: date = date(2025, 5, 28)
    points_usable_end: date = date(2026, 2, 28)
    #: The first and last usage month a settlement round pays (YYYY-MM).
    settlement_first_month: str = Field(default="2025-05", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    settlement_last_month: str = Field(default="2026-02", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")

    def check(self) -> None:
        if self.points_usable_start > self.points_usable_end:
            raise SettingsError("POINTS_USABLE_START must not be after POINTS_USABLE_END")
        if self.settlement_first_month > self.settlement_last_month:
            raise SettingsError("SETTLEMENT_FIRST_MONTH must not be after SETTLEMENT_LAST_MONTH")


class Settings(Group):
    stage: str
    #: Base URL of the public pages, used in e-mailed links (no trailing slash).
    public_base_url: str
    #: Secret for signed links and for keyed fingerprints of personal data (never logged or shown).
    app_secret: str = Field(repr=False)
    #: Largest request body the public endpoints accept.
    max_body_bytes: int = Field(default=16_384, gt=0)
    #: Days a "return for correction" link stays valid.
    resubmit_link_days: int = Field(default=14, gt=0)
    #: AWS endpoint for the local stage (moto); unused in the cloud.
    aws_endpoint_url: str | None = None

    tables: Tables
    buckets: Buckets
    mail: Mail
    auth: StaffAuth
    settlement: SettlementSettings = SettlementSettings()
    usage: UsageSettings = UsageSettings()
    call_center: CallCenterSettings = CallCenterSettings()
    sessions: SessionSettings = SessionSettings()
    stores: StoreSettings = StoreSettings()
    program: ProgramSettings = ProgramSettings()
    crypto: Crypto = Crypto()

    @property
    def is_local(self) -> bool:
        """The local stack: the local stage *and* AWS on this machine (moto). Local-only behaviour (the
        clock header, the mail reader, demo logins, a JWKS file) keys off this, never off the stage name
        alone, so a mislabelled stage pointing at real AWS does not get it."""
        return self.stage == LOCAL_STAGE and is_loopback_url(self.aws_endpoint_url)


def _groups() -> dict[str, type[Group]]:
    found: dict[str, type[Group]] = {}
    for name, info in Settings.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, Group):
            found[name] = kind
    return found


GROUPS = _groups()


def env_names() -> dict[tuple[str, ...], str]:
    """Every setting's path (`("settlement", "fee_rate")`) and its environment variable (`FEE_RATE`)."""
    names: dict[tuple[str, ...], str] = {}
    for name in Settings.model_fields:
        if name in GROUPS:
            names.update({(name, f): f.upper() for f in GROUPS[name].model_fields})
        else:
            names[(name,)] = name.upper()
    return names


def _check_unique() -> None:
    seen: dict[str, tuple[str, ...]] = {}
    for path, var in env_names().items():
        if var in seen:
            raise SettingsError(f"{var} would set both {'.'.join(seen[var])} and {'.'.join(path)}")
        seen[var] = path


_check_unique()


def is_loopback_url(url: str | None) -> bool:
    """True for an http(s) URL whose host is this machine (127.0.0.0/8, ::1, localhost)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_stage_rules(settings: Settings) -> Settings:
    """Refuse, at cold start, what only the local stack may do.

    Outside the local stack the staff tokens must be verified against an https JWKS (Cognito's):
    a JWKS file or plain-http URL there would let whoever can write that file or answer that URL
    mint staff tokens.
    """
    if not settings.is_local and not settings.auth.jwks_source.startswith("https://"):
        raise SettingsError(
            f"JWKS_SOURCE must be an https:// URL outside the local stack (stage {settings.stage!r}, "
            f"AWS_ENDPOINT_URL {'set' if settings.aws_endpoint_url else 'unset'}); a local key file is "
            "only accepted with STAGE=local and a loopback AWS_ENDPOINT_URL"
        )
    return settings


#: Fetches a secret's value by its reference (an ARN in the cloud).
SecretSource = Callable[[str], str]


def secrets_manager(reference: str) -> str:
    """The cloud's secret store: AWS Secrets Manager, fetched once per cold start."""
    from chalicelib.adapters import aws

    return str(aws.client("secretsmanager").get_secret_value(SecretId=reference)["SecretString"])


def load_settings(environ: Mapping[str, str] = os.environ, secrets: SecretSource = secrets_manager) -> Settings:
    values: dict[str, Any] = {}
    for path, var in env_names().items():
        if environ.get(var):
            target = values.setdefault(path[0], {}) if len(path) == 2 else values
            target[path[-1]] = environ[var]
    if "app_secret" not in values and environ.get("APP_SECRET_ARN"):
        values["app_secret"] = secrets(environ["APP_SECRET_ARN"])
    for group in ("tables", "buckets", "mail", "auth"):
        values.setdefault(group, {})  # required groups: their missing fields are reported by name below
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = [f"{str(e['loc'][-1]).upper()} ({'missing' if e['type'] == 'missing' else e['msg']})"
                    for e in exc.errors()]
        raise SettingsError(f"missing or invalid settings: {', '.join(problems)}") from exc


@functools.cache
def get_settings() -> Settings:
    """The settings of this process, checked against the stage rules (`check_stage_rules`)."""
    return check_stage_rules(load_settings())
