"""Finding entries of the audit log (issue 12 point 10): by a plain id (AP000001, MP000001, SS000001,
IQ000001, IMP000001, a month), by a subject as stored (`application#AP000001`), by a store's name (its
store and application entries), by actor (the user, on the chosen day) and by kind (personal data, or the
action's area: chalicelib/audit/labels.py ACTION_KINDS; issue 13 point 7). Reads only the log's own
queries (by day, by subject) and the stores area's search."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from chalicelib.audit.labels import ACTION_KINDS, PERSONAL_KIND
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel import calendars

#: A plain id and the subject kinds it may name.
ID_SUBJECTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"AP\d{6}"), ("application",)),
    (re.compile(r"MP\d{6}"), ("store",)),
    (re.compile(r"SS\d{6}"), ("session",)),
    (re.compile(r"IQ\d{6}"), ("inquiry",)),
    (re.compile(r"IMP\d{6}"), ("import",)),
    (re.compile(r"\d{4}-\d{2}"), ("settlement", "funds")),
)
#: Stores a name search follows (each: its store and its application entries).
NAME_MATCHES = 10
PER_SUBJECT = 200
DAY_LIMIT = 1000
_SUBJECT = re.compile(r"[a-z][a-z_\-]*#\S+")
_USER = re.compile(r"[A-Za-z0-9._@+\-]{1,128}")


def check_kind(kind: str | None) -> str | None:
    """A `kind=` filter as given (None when empty); an unknown one is a 422 naming the choices."""
    kind = (kind or "").strip() or None
    if kind is not None and kind not in ACTION_KINDS:
        raise InvalidInput("種類の指定が正しくありません", {"kind": "一覧から種類を選んでください"})
    return kind


def of_kind(e: dict[str, Any], kind: str | None) -> bool:
    """Whether an entry is of a kind: a personal-data action, or an action of that area."""
    if kind is None:
        return True
    action = str(e.get("action") or "")
    if kind == PERSONAL_KIND:
        from chalicelib.privacy.incident import PERSONAL_ACTIONS

        return action in PERSONAL_ACTIONS
    return action.split(".", 1)[0] == kind


def kinds() -> list[dict[str, str]]:
    """The kind filter's choices, for the screen's select."""
    return [{"value": k, "label": v} for k, v in ACTION_KINDS.items()]


def check_actor(actor: str | None) -> str | None:
    if actor is not None and actor.strip() and not _USER.fullmatch(actor.strip()):
        raise InvalidInput("担当者の指定が正しくありません", {"actor": "ユーザー名を入力してください"})
    return actor.strip() if actor and actor.strip() else None


def subjects_for(deps: Deps, query: str) -> tuple[list[str], str]:
    """The subjects a search box's text names, and how it was read ("subject", "id", "name")."""
    q = unicodedata.normalize("NFKC", query).strip()
    if not q or len(q) > 100:
        raise InvalidInput("検索語が正しくありません", {"q": "番号・店舗名などを100文字以内で入力してください"})
    if _SUBJECT.fullmatch(q):
        return [q], "subject"
    upper = q.upper()
    for pattern, kinds in ID_SUBJECTS:
        if pattern.fullmatch(upper):
            return [f"{k}#{upper}" for k in kinds], "id"
    from chalicelib.stores import service as stores

    rows = stores.search(deps, q, None, NAME_MATCHES)["items"]
    found = deps.store_repository.by_ids([r["store_id"] for r in rows])
    subjects: list[str] = []
    for r in rows:
        subjects.append(f"store#{r['store_id']}")
        application = (found.get(r["store_id"]) or {}).get("application_id")
        if application:
            subjects.append(f"application#{application}")
    return subjects, "name"


def search(deps: Deps, *, subject: str | None = None, q: str | None = None, actor: str | None = None,
           day: str | None = None, today: str, kind: str | None = None) -> dict[str, Any]:
    """Entries newest first: `{"items", "matched_by", "subjects", "date", "kind", "kinds"}`. With `q` (or
    `subject`) the entries of what it names; with `actor` alone that user's entries of `day`; both: the
    first, by that user; `kind` keeps the entries of that kind."""
    actor = check_actor(actor)
    kind = check_kind(kind)
    found = _search(deps, subject=subject, q=q, actor=actor, day=day, today=today, wide=kind is not None)
    found["items"] = [e for e in found["items"] if of_kind(e, kind)]
    return {**found, "kind": kind, "kinds": kinds()}


def _search(deps: Deps, *, subject: str | None, q: str | None, actor: str | None, day: str | None,
            today: str, wide: bool) -> dict[str, Any]:
    if q or subject:
        subjects, how = ([subject], "subject") if subject and not q else subjects_for(deps, q or "")
        items: dict[str, dict[str, Any]] = {}
        for s in subjects:
            for e in deps.audit.by_subject(s, PER_SUBJECT):
                items[str(e["entry_id"])] = e
        found = sorted(items.values(), key=lambda e: str(e["entry_id"]), reverse=True)
        if actor:
            found = [e for e in found if e.get("user") == actor]
        return {"items": found, "matched_by": how, "subjects": subjects, "date": None}
    day = day or today
    try:
        calendars.parse_day(day)
    except (TypeError, ValueError):
        raise InvalidInput("日付の形式が正しくありません", {"date": "YYYY-MM-DD で指定してください"}) from None
    # Filtered (by actor or kind) after reading: read more of the day so the few that match are found.
    entries = deps.audit.by_day(day, DAY_LIMIT if actor or wide else 200)
    if actor:
        entries = [e for e in entries if e.get("user") == actor]
    return {"items": entries, "matched_by": "actor" if actor else "day", "subjects": [], "date": day}
