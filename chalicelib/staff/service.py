"""Staff users, their roles and their personal-data training (issue 13 point 6; 別記2 第9).

Users live in the directory (Cognito in the cloud, the local users file locally); the `staff` table keeps
what the product did to them (invited by whom, role, disabled) and the training register. Every change
is audited (`staff.*`, subject `staff#<user>`). A user without a training record for the current fiscal
year (April–March, JST) cannot reveal personal data: `require_training`, called by the reveal functions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import ROLE_LABELS, Principal
from chalicelib.deps import Deps
from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.kernel.calendars import to_jst
from chalicelib.staff.directory import CognitoDirectory, LocalDirectory, StaffDirectory, user_pool_id
from chalicelib.staff.fiscal import fiscal_label, fiscal_range, fiscal_year
from chalicelib.staff.repository import DynamoStaffRepository, StaffRepository

ROLE_NAMES: dict[str, str] = ROLE_LABELS
#: A staff account's state as the staff screen names it (enabled or not).
ACCOUNT_STATES: dict[bool, str] = {True: "有効", False: "無効"}
USER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
MAX_COURSE = 100
NOT_TRAINED = ("今年度の個人情報保護研修の受講記録がないため表示できません。"
               "研修を受講し、管理者に受講記録の登録を依頼してください（{label}）")
STALE = "他の管理者が先にこの担当者を変更しました。画面を再読み込みしてください"


@dataclass(frozen=True)
class StaffPorts:
    repository: StaffRepository
    directory: StaffDirectory


def ports(deps: Deps) -> StaffPorts:
    """The adapters over the shared deps; tests give `deps.staff_repository` / `deps.staff_directory` twins."""
    repo: StaffRepository | None = getattr(deps, "staff_repository", None)
    directory: StaffDirectory | None = getattr(deps, "staff_directory", None)
    settings = deps.settings
    if repo is None:
        repo = DynamoStaffRepository(settings.tables.staff_table)
    if directory is None:
        if settings.is_local:
            directory = LocalDirectory(Path(settings.auth.jwks_source))
        else:
            directory = CognitoDirectory(user_pool_id(settings.auth.jwt_issuer))
    return StaffPorts(repo, directory)


# --- the training gate -------------------------------------------------------------------------------


def require_training(deps: Deps, principal: Principal, now: datetime) -> None:
    """Refuse a reveal of personal data to a user with no training record for the current fiscal year."""
    year = fiscal_year(now)
    if not ports(deps).repository.has_training(principal.user, year):
        raise Forbidden(NOT_TRAINED.format(label=fiscal_label(year)))


# --- users -------------------------------------------------------------------------------------------


def list_staff(deps: Deps, now: datetime) -> dict[str, Any]:
    p = ports(deps)
    year = fiscal_year(now)
    trained = {str(r["user"]) for r in p.repository.training_of_year(year)}
    known = {str(u["user"]): u for u in p.repository.users()}
    rows = []
    for name, info in sorted(p.directory.users().items()):
        mine = known.get(name, {})
        role = info.get("role") or mine.get("role")
        rows.append({
            "user": name, "role": role, "role_label": ROLE_NAMES.get(str(role), str(role or "（なし）")),
            "enabled": bool(info.get("enabled", True)), "email": info.get("email") or mine.get("email"),
            "state_label": ACCOUNT_STATES[bool(info.get("enabled", True))],
            "trained": name in trained, "invited_by": mine.get("invited_by"), "updated_at": mine.get("updated_at"),
            "version": mine.get("version", 0),
        })
    return {"users": rows, "fiscal_year": year, "fiscal_label": fiscal_label(year),
            "roles": [{"value": r, "label": label} for r, label in ROLE_NAMES.items()]}


def _role(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or value not in ROLE_NAMES:
        errors["role"] = "役割を選んでください（" + "・".join(ROLE_NAMES.values()) + "）"
        return ""
    return value


def _unknown(body: dict[str, Any], allowed: set[str], errors: dict[str, str]) -> None:
    errors.update({k: "この項目は受け付けていません" for k in sorted(set(body) - allowed)})


def invite(deps: Deps, principal: Principal, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    errors: dict[str, str] = {}
    _unknown(body, {"user", "email", "role"}, errors)
    user = unicodedata.normalize("NFKC", str(body.get("user") or "")).strip()
    email = unicodedata.normalize("NFKC", str(body.get("email") or "")).strip()
    if not USER_NAME.fullmatch(user):
        errors["user"] = "ユーザー名は半角英小文字・数字・「._-」の3〜32文字で入力してください"
    if len(email) > 254 or not EMAIL.fullmatch(email):
        errors["email"] = "メールアドレスを正しく入力してください"
    role = _role(body.get("role"), errors)
    if errors:
        raise InvalidInput("入力内容を確認してください", errors)
    p = ports(deps)
    p.directory.invite(user, email, role)
    stamp = now.isoformat(timespec="seconds")
    tx = p.repository.new_tx()
    existing = p.repository.get_user(user)
    item = {"user": user, "email": email, "role": role, "status": "active", "invited_by": principal.user,
            "invited_at": stamp, "updated_at": stamp}
    if existing:
        p.repository.update_user(tx, user, int(existing["version"]), {k: v for k, v in item.items() if k != "user"})
    else:
        p.repository.create_user(tx, item)
    deps.audit.add_to(tx, entry(Actor.of(principal), "staff.invite", f"staff#{user}", now,
                                after={"role": role, "status": "active"}))
    tx.commit(STALE)
    return {"user": user, "role": role, "enabled": True}


def _current(p: StaffPorts, user: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    info = p.directory.users().get(user)
    if info is None:
        raise NotFound("担当者が見つかりません")
    return info, p.repository.get_user(user)


def _save(deps: Deps, p: StaffPorts, principal: Principal, user: str, info: dict[str, Any],
          mine: dict[str, Any] | None, changes: dict[str, Any], action: str, before: dict[str, Any],
          now: datetime) -> None:
    stamp = now.isoformat(timespec="seconds")
    tx = p.repository.new_tx()
    if mine:
        p.repository.update_user(tx, user, int(mine["version"]), {**changes, "updated_at": stamp})
    else:
        p.repository.create_user(tx, {"user": user, "role": info.get("role"), "status": "active",
                                      "email": info.get("email"), **changes, "updated_at": stamp})
    deps.audit.add_to(tx, entry(Actor.of(principal), action, f"staff#{user}", now, before=before, after=changes))
    tx.commit(STALE)


def change_role(deps: Deps, principal: Principal, user: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    errors: dict[str, str] = {}
    _unknown(body, {"role"}, errors)
    role = _role(body.get("role"), errors)
    if errors:
        raise InvalidInput("入力内容を確認してください", errors)
    if user == principal.user:
        raise Forbidden("自分自身の役割は変更できません。別の管理者に依頼してください")
    p = ports(deps)
    info, mine = _current(p, user)
    old = info.get("role") or (mine or {}).get("role")
    p.directory.set_role(user, str(old) if old else None, role)
    _save(deps, p, principal, user, info, mine, {"role": role}, "staff.change_role", {"role": old}, now)
    return {"user": user, "role": role}


def disable(deps: Deps, principal: Principal, user: str, now: datetime) -> dict[str, Any]:
    if user == principal.user:
        raise Forbidden("自分自身は無効にできません。別の管理者に依頼してください")
    p = ports(deps)
    info, mine = _current(p, user)
    p.directory.disable(user)
    _save(deps, p, principal, user, info, mine, {"status": "disabled"}, "staff.disable",
          {"status": "active" if info.get("enabled", True) else "disabled"}, now)
    return {"user": user, "enabled": False}


# --- the training register ---------------------------------------------------------------------------


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def record_training(deps: Deps, principal: Principal, user: str, body: dict[str, Any],
                    now: datetime) -> dict[str, Any]:
    errors: dict[str, str] = {}
    _unknown(body, {"fiscal_year", "completed_on", "course"}, errors)
    year = body.get("fiscal_year")
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int) or not 2020 <= year <= 2100:
        errors["fiscal_year"] = "年度を西暦（例: 2026）で入力してください"
        year = None
    completed = _day(body.get("completed_on"))
    if completed is None:
        errors["completed_on"] = "受講日を YYYY-MM-DD で入力してください"
    elif completed > to_jst(now).date():
        errors["completed_on"] = "受講日に未来の日付は入力できません"
    elif year is not None and not fiscal_range(year)[0] <= completed <= fiscal_range(year)[1]:
        errors["completed_on"] = f"受講日は{fiscal_label(year)}の日付を入力してください"
    course = unicodedata.normalize("NFKC", str(body.get("course") or "")).strip()
    if not course or len(course) > MAX_COURSE:
        errors["course"] = f"研修名を{MAX_COURSE}文字以内で入力してください"
    if errors:
        raise InvalidInput("入力内容を確認してください", errors)
    assert isinstance(year, int) and completed is not None
    p = ports(deps)
    if user not in p.directory.users():
        raise NotFound("担当者が見つかりません")
    record_id = f"TR{deps.keys.next_number('training'):06d}"
    record = {"user": user, "fiscal_year": year, "record_id": record_id, "completed_on": completed.isoformat(),
              "course": course, "recorded_by": principal.user, "recorded_at": now.isoformat(timespec="seconds")}
    tx = p.repository.new_tx()
    p.repository.add_training(tx, record)
    deps.audit.add_to(tx, entry(Actor.of(principal), "staff.record_training", f"staff#{user}", now,
                                after={"fiscal_year": year, "completed_on": record["completed_on"],
                                       "course": course, "record_id": record_id}))
    tx.commit(STALE)
    return record


def training_register(deps: Deps, now: datetime, year: int | None = None) -> dict[str, Any]:
    """`GET /staff/training`: the year's records and the enabled users without one."""
    p = ports(deps)
    year = year or fiscal_year(now)
    records = sorted(p.repository.training_of_year(year), key=lambda r: (str(r["user"]), str(r["record_id"])))
    trained = {str(r["user"]) for r in records}
    untrained = sorted(u for u, info in p.directory.users().items()
                       if info.get("enabled", True) and u not in trained)
    return {"fiscal_year": year, "fiscal_label": fiscal_label(year), "records": records, "untrained": untrained}


def seed_training(repo: StaffRepository, users: list[str], years: range, now: datetime) -> int:
    """The local stack's and the tests' demo users, recorded as trained in each of `years` (idempotent:
    a record already there is left as it is)."""
    added = 0
    for year in years:
        for user in users:
            if repo.has_training(user, year):
                continue
            tx = repo.new_tx()
            repo.add_training(tx, {"user": user, "fiscal_year": year, "record_id": "demo",
                                   "completed_on": fiscal_range(year)[0].isoformat(),
                                   "course": "個人情報保護研修（デモ用の記録）", "recorded_by": "system",
                                   "recorded_at": now.isoformat(timespec="seconds")})
            tx.commit()
            added += 1
    return added


def seed_local(table_name: str, now: datetime) -> None:
    """Create-time seed of the local stack (chalicelib/adapters/bootstrap.py): every demo user trained in each
    fiscal year from the program's first (2024) to the next one, so the demo's reveals work. Unconditional
    puts of fixed keys: running it again changes nothing."""
    from chalicelib.adapters.dynamo import batch_put
    from chalicelib.auth.local_users import DEMO_USERS
    from chalicelib.staff.repository import training_pk

    items = [{"pk": training_pk(year), "sk": f"{user}#demo", "user": user, "fiscal_year": year, "record_id": "demo",
              "completed_on": fiscal_range(year)[0].isoformat(), "course": "個人情報保護研修（デモ用の記録）",
              "recorded_by": "system", "recorded_at": now.isoformat(timespec="seconds")}
             for year in range(2024, fiscal_year(now) + 2) for user in DEMO_USERS]
    batch_put(table_name, items)
