"""Consultation sessions (相談会, docs/SPEC.md §4.6): the records and the survey's fixed answers.

Pure data: no AWS, no HTTP. The repository stores these, the service checks them, the reports and
the flyer read them. The answer codes are stable (they are stored); the labels are what people read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

#: scheduled: planned (maybe not yet announced); held: attendance recorded; cancelled: kept with its reason.
SessionStatus = Literal["scheduled", "held", "cancelled"]
STATUS_LABELS: dict[str, str] = {"scheduled": "予定", "held": "開催済み", "cancelled": "中止"}

#: Age bands of the survey, in order (code → label).
AGE_BANDS: dict[str, str] = {
    "under30": "〜29歳",
    "30s": "30代",
    "40s": "40代",
    "50s": "50代",
    "60s": "60代",
    "70s": "70代",
    "80plus": "80歳以上",
}

#: What participants came for (several may be chosen).
PURPOSES: dict[str, str] = {
    "install": "アプリのインストール",
    "mynumber": "マイナンバーカードの登録",
    "points": "ポイントの受け取り・使い方",
    "services": "アプリのその他のサービス",
    "other": "その他",
}

#: What participants could do afterwards (several may be chosen).
COULD_DO: dict[str, str] = {
    "installed": "アプリを入れられた",
    "registered": "マイナンバーカードを登録できた",
    "used_points": "ポイントの使い方がわかった",
    "used_services": "サービスの使い方がわかった",
    "none": "まだできない",
}

#: What to bring, as the public page and the flyer say it.
WHAT_TO_BRING: tuple[str, ...] = (
    "マイナンバーカード",
    "スマートフォン（お持ちの方）",
    "マイナンバーカードの暗証番号（数字4桁）",
)

SATISFACTION_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Session:
    """One planned session. `starts_at`/`ends_at` are aware datetimes in Asia/Tokyo."""

    session_id: str  # "SS" + 6 digits, never reused
    area_code: str  # one of chalicelib/data/municipalities.csv
    venue: str
    address: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    announce_on: date
    partner: str = ""
    staff: tuple[str, ...] = ()
    notes: str = ""
    status: SessionStatus = "scheduled"
    cancel_reason: str = ""
    attendees: int | None = None
    manuals: int | None = None
    version: int = 1
    # Bookkeeping (who planned and last changed it, JST ISO 8601); added by the sessions core.
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    updated_by: str = ""

    def announced(self, today: date) -> bool:
        return today >= self.announce_on

    @property
    def month(self) -> str:
        """The "YYYY-MM" of the start (JST): the partition the month's lists and reports read."""
        return self.starts_at.strftime("%Y-%m")


@dataclass(frozen=True)
class SurveyAnswer:
    """One survey form, from paper (staff entry) or from the public page. No personal data: the
    free text is masked (phone numbers, e-mail addresses) before it is stored."""

    session_id: str
    age_band: str  # a key of AGE_BANDS
    purposes: tuple[str, ...]  # keys of PURPOSES
    could_do: tuple[str, ...]  # keys of COULD_DO
    satisfaction: int  # 1..5
    needs: str = ""
    source: Literal["staff", "public"] = "staff"
    answer_id: str = ""
    received_at: datetime | None = None
