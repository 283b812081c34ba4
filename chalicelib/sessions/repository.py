"""The consultation sessions' persistence (相談会), named after the questions the planning board, the
public page and the reports ask.

One table (`sessions`, key pk + sk, index `by_month` on month + starts_at):

- a session: pk `session#SS000001`, sk `session`; `month` is the JST month of its start ("2025-06"),
  so a month's sessions are one Query on `by_month`, in start order;
- its survey answers: pk `session#SS000001`, sk `survey#SV000001`; `month` is `survey#2025-06` (the
  month of the session they answer) and `starts_at` the session's start, so a month's answers are one
  Query on `by_month` as well;
- the months that hold sessions: pk `months`, sk "2025-06" (written with each session), so the whole
  season is a Query per month, never a Scan;
- the month's proposals (改善提案): pk `proposals`, sk "2025-06", conditional on their version;
- the installation manual's versions: pk `manuals`, sk `v000003` (the PDF itself is in the documents
  bucket; this is its metadata).

Writes are staged in a transaction (`new_tx()`) next to the audit entry that records them; a failed
condition (a stale version, an id taken) is a `Conflict` at commit, from DynamoDB and the twin alike.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import MemoryTables, Transaction, Tx, _clean, plain, query_all
from chalicelib.sessions.model import Session, SurveyAnswer

SESSION_SK = "session"
MONTHS_PK = "months"
PROPOSALS_PK = "proposals"
MANUALS_PK = "manuals"


@dataclass(frozen=True)
class Proposals:
    """The coordinator's proposals (改善提案) for one month of sessions."""

    month: str
    text: str
    by: str
    at: str
    version: int


@dataclass(frozen=True)
class ManualVersion:
    """One uploaded installation manual (the PDF is in the documents bucket under `key`)."""

    version: int
    key: str
    size: int
    uploaded_by: str
    uploaded_at: str
    filename: str = ""


def session_pk(session_id: str) -> str:
    return f"session#{session_id}"


def months_between(first: date, last: date) -> list[str]:
    """Every "YYYY-MM" from first's month to last's month, inclusive (empty if last < first)."""
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def session_item(session: Session) -> dict[str, Any]:
    """A session as stored (dates and times as ISO 8601, JST)."""
    return {
        "pk": session_pk(session.session_id), "sk": SESSION_SK, "month": session.month,
        "session_id": session.session_id, "area_code": session.area_code, "venue": session.venue,
        "address": session.address, "starts_at": session.starts_at.isoformat(timespec="seconds"),
        "ends_at": session.ends_at.isoformat(timespec="seconds"), "capacity": session.capacity,
        "announce_on": session.announce_on.isoformat(), "partner": session.partner, "staff": list(session.staff),
        "notes": session.notes, "status": session.status, "cancel_reason": session.cancel_reason,
        "attendees": session.attendees, "manuals": session.manuals, "version": session.version,
        "created_at": session.created_at, "created_by": session.created_by, "updated_at": session.updated_at,
        "updated_by": session.updated_by,
    }


def session_of(item: dict[str, Any]) -> Session:
    return Session(
        session_id=str(item["session_id"]), area_code=str(item["area_code"]), venue=str(item["venue"]),
        address=str(item["address"]), starts_at=datetime.fromisoformat(str(item["starts_at"])),
        ends_at=datetime.fromisoformat(str(item["ends_at"])), capacity=int(item["capacity"]),
        announce_on=date.fromisoformat(str(item["announce_on"])), partner=str(item.get("partner") or ""),
        staff=tuple(str(s) for s in item.get("staff") or ()), notes=str(item.get("notes") or ""),
        status=item.get("status") or "scheduled", cancel_reason=str(item.get("cancel_reason") or ""),
        attendees=None if item.get("attendees") is None else int(item["attendees"]),
        manuals=None if item.get("manuals") is None else int(item["manuals"]),
        version=int(item.get("version") or 1), created_at=str(item.get("created_at") or ""),
        created_by=str(item.get("created_by") or ""), updated_at=str(item.get("updated_at") or ""),
        updated_by=str(item.get("updated_by") or ""),
    )


def survey_item(session: Session, answer: SurveyAnswer) -> dict[str, Any]:
    return {
        "pk": session_pk(answer.session_id), "sk": f"survey#{answer.answer_id}",
        "month": f"survey#{session.month}", "starts_at": session.starts_at.isoformat(timespec="seconds"),
        "session_id": answer.session_id, "answer_id": answer.answer_id, "age_band": answer.age_band,
        "purposes": list(answer.purposes), "could_do": list(answer.could_do), "satisfaction": answer.satisfaction,
        "needs": answer.needs, "source": answer.source,
        "received_at": answer.received_at.isoformat(timespec="seconds") if answer.received_at else None,
    }


def survey_of(item: dict[str, Any]) -> SurveyAnswer:
    received = item.get("received_at")
    return SurveyAnswer(
        session_id=str(item["session_id"]), age_band=str(item["age_band"]),
        purposes=tuple(str(p) for p in item.get("purposes") or ()),
        could_do=tuple(str(c) for c in item.get("could_do") or ()), satisfaction=int(item["satisfaction"]),
        needs=str(item.get("needs") or ""), source="public" if item.get("source") == "public" else "staff",
        answer_id=str(item.get("answer_id") or ""),
        received_at=datetime.fromisoformat(str(received)) if received else None,
    )


def _proposals_of(item: dict[str, Any]) -> Proposals:
    return Proposals(str(item["sk"]), str(item.get("text") or ""), str(item.get("by") or ""),
                     str(item.get("at") or ""), int(item.get("version") or 0))


def _manual_of(item: dict[str, Any]) -> ManualVersion:
    return ManualVersion(int(item["version"]), str(item["key"]), int(item.get("size") or 0),
                         str(item.get("uploaded_by") or ""), str(item.get("uploaded_at") or ""),
                         str(item.get("filename") or ""))


def _manual_item(manual: ManualVersion) -> dict[str, Any]:
    return {"pk": MANUALS_PK, "sk": f"v{manual.version:06d}", "version": manual.version, "key": manual.key,
            "size": manual.size, "uploaded_by": manual.uploaded_by, "uploaded_at": manual.uploaded_at,
            "filename": manual.filename}


def _by_start(sessions: list[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.starts_at, s.session_id))


class SessionRepository(Protocol):
    """Sessions, their survey answers, the month's proposals and the manual's versions."""

    def new_tx(self) -> Transaction:
        """A transaction the staged writes join (the audit log and the outbox add to it too)."""
        ...

    def create(self, tx: Transaction, session: Session) -> None:
        """A new session (its `version` as given, normally 1); a session id already taken is a Conflict."""
        ...

    def get(self, session_id: str) -> Session | None: ...

    def update(self, tx: Transaction, session: Session, expected_version: int) -> None:
        """Replace the session with `session` (stored at version expected_version + 1) if it is still at
        `expected_version`; otherwise (or if it does not exist) a Conflict at commit. Its month may change."""
        ...

    def list_month(self, month: str) -> list[Session]:
        """The sessions starting in a JST month ("YYYY-MM"), by start."""
        ...

    def list_between(self, first: date, last: date) -> list[Session]:
        """The sessions starting on a JST day from first to last (inclusive), by start."""
        ...

    def list_all(self) -> list[Session]:
        """Every session of the season (a Query per month that holds any), by start."""
        ...

    def add_survey(self, tx: Transaction, session: Session, answer: SurveyAnswer) -> None:
        """A survey answer to `session` (its `answer_id` set); an answer id already taken is a Conflict."""
        ...

    def surveys_for(self, session_id: str) -> list[SurveyAnswer]:
        """A session's answers, by answer id."""
        ...

    def surveys_for_month(self, month: str) -> list[SurveyAnswer]:
        """The answers to the sessions starting in a month, by session start then answer id."""
        ...

    def get_proposals(self, month: str) -> Proposals | None: ...

    def put_proposals(self, tx: Transaction, month: str, text: str, by: str, at: str,
                      expected_version: int) -> None:
        """The month's proposals, if still at `expected_version` (0: none written yet); else a Conflict."""
        ...

    def add_manual(self, tx: Transaction, manual: ManualVersion) -> None:
        """A new manual version; a version number already taken is a Conflict."""
        ...

    def latest_manual(self) -> ManualVersion | None: ...

    def list_manuals(self) -> list[ManualVersion]:
        """Every manual version, newest first."""
        ...


class DynamoSessionRepository:
    """The DynamoDB adapter of SessionRepository (the sessions table and its `by_month` index)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def _table(self) -> Any:
        return aws.table(self.table_name)

    def new_tx(self) -> Tx:
        return Tx()

    def create(self, tx: Transaction, session: Session) -> None:
        tx.put(self.table_name, session_item(session), condition="attribute_not_exists(pk)")
        self._mark_month(tx, session.month)

    def _mark_month(self, tx: Transaction, month: str) -> None:
        # A transaction may touch an item once: several sessions of one month share one marker.
        key = {"pk": {"S": MONTHS_PK}, "sk": {"S": month}}
        if isinstance(tx, Tx) and any(op.get("Put", {}).get("Item") == key for op in tx.items):
            return
        tx.put(self.table_name, {"pk": MONTHS_PK, "sk": month})

    def get(self, session_id: str) -> Session | None:
        if not session_id:
            return None
        try:
            item = self._table().get_item(Key={"pk": session_pk(session_id), "sk": SESSION_SK},
                                          ConsistentRead=True).get("Item")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationException":
                return None
            raise
        return session_of(plain(item)) if item else None

    def update(self, tx: Transaction, session: Session, expected_version: int) -> None:
        stored = session_item(session) | {"version": expected_version + 1}
        tx.put(self.table_name, stored, condition="attribute_exists(pk) AND version = :v",
               values={":v": expected_version})
        self._mark_month(tx, session.month)

    def _month_items(self, partition: str) -> list[dict[str, Any]]:
        return query_all(self._table(), IndexName="by_month", KeyConditionExpression=Key("month").eq(partition))

    def list_month(self, month: str) -> list[Session]:
        return _by_start([session_of(i) for i in self._month_items(month)])

    def list_between(self, first: date, last: date) -> list[Session]:
        found: list[Session] = []
        for month in months_between(first, last):
            found += [s for s in self.list_month(month) if first <= s.starts_at.date() <= last]
        return _by_start(found)

    def list_all(self) -> list[Session]:
        months = query_all(self._table(), KeyConditionExpression=Key("pk").eq(MONTHS_PK))
        found: list[Session] = []
        for month in months:
            found += self.list_month(str(month["sk"]))
        return _by_start(found)

    def add_survey(self, tx: Transaction, session: Session, answer: SurveyAnswer) -> None:
        tx.put(self.table_name, survey_item(session, answer), condition="attribute_not_exists(pk)")

    def surveys_for(self, session_id: str) -> list[SurveyAnswer]:
        # Strongly consistent: the public survey's bound counts the answers stored (sessions/service.py).
        items = query_all(self._table(), KeyConditionExpression=Key("pk").eq(session_pk(session_id))
                          & Key("sk").begins_with("survey#"), ConsistentRead=True)
        return [survey_of(i) for i in items]

    def surveys_for_month(self, month: str) -> list[SurveyAnswer]:
        items = self._month_items(f"survey#{month}")
        items.sort(key=lambda i: (str(i["starts_at"]), str(i["session_id"]), str(i["answer_id"])))
        return [survey_of(i) for i in items]

    def get_proposals(self, month: str) -> Proposals | None:
        item = self._table().get_item(Key={"pk": PROPOSALS_PK, "sk": month}, ConsistentRead=True).get("Item")
        return _proposals_of(plain(item)) if item else None

    def put_proposals(self, tx: Transaction, month: str, text: str, by: str, at: str,
                      expected_version: int) -> None:
        item = {"pk": PROPOSALS_PK, "sk": month, "text": text, "by": by, "at": at, "version": expected_version + 1}
        if expected_version == 0:
            tx.put(self.table_name, item, condition="attribute_not_exists(pk)")
        else:
            tx.put(self.table_name, item, condition="version = :v", values={":v": expected_version})

    def add_manual(self, tx: Transaction, manual: ManualVersion) -> None:
        tx.put(self.table_name, _manual_item(manual), condition="attribute_not_exists(pk)")

    def latest_manual(self) -> ManualVersion | None:
        page = self._table().query(KeyConditionExpression=Key("pk").eq(MANUALS_PK), ScanIndexForward=False,
                                   Limit=1, ConsistentRead=True)
        items = page.get("Items", [])
        return _manual_of(plain(items[0])) if items else None

    def list_manuals(self) -> list[ManualVersion]:
        items = query_all(self._table(), KeyConditionExpression=Key("pk").eq(MANUALS_PK), ScanIndexForward=False)
        return [_manual_of(i) for i in items]


class InMemorySessionRepository(MemoryTables):
    """The twin of DynamoSessionRepository, held to the same contract (tests/contract)."""

    def __init__(self) -> None:
        #: stored items by (pk, sk), as DynamoDB would hold them
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        #: what other ports put in committed transactions (audit entries, mails, keys), by table name
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def _put(self, tx: Transaction, item: dict[str, Any], check: Any = None) -> None:
        stored = copy.deepcopy(_clean(item))
        key = (str(stored["pk"]), str(stored["sk"]))
        self._tx(tx).add(check or (lambda: True), lambda: self.items.__setitem__(key, copy.deepcopy(stored)))

    def _absent(self, pk: str, sk: str) -> Any:
        return lambda: (pk, sk) not in self.items

    def create(self, tx: Transaction, session: Session) -> None:
        pk = session_pk(session.session_id)
        self._put(tx, session_item(session), self._absent(pk, SESSION_SK))
        self._put(tx, {"pk": MONTHS_PK, "sk": session.month})

    def get(self, session_id: str) -> Session | None:
        item = self.items.get((session_pk(session_id), SESSION_SK))
        return session_of(copy.deepcopy(item)) if item else None

    def update(self, tx: Transaction, session: Session, expected_version: int) -> None:
        key = (session_pk(session.session_id), SESSION_SK)

        def at_version() -> bool:
            item = self.items.get(key)
            return item is not None and item.get("version") == expected_version

        self._put(tx, session_item(session) | {"version": expected_version + 1}, at_version)
        self._put(tx, {"pk": MONTHS_PK, "sk": session.month})

    def _month_items(self, partition: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(i) for i in self.items.values() if i.get("month") == partition]

    def list_month(self, month: str) -> list[Session]:
        return _by_start([session_of(i) for i in self._month_items(month)])

    def list_between(self, first: date, last: date) -> list[Session]:
        found = [session_of(i) for (_, sk), i in self.items.items() if sk == SESSION_SK]
        return _by_start([s for s in found if first <= s.starts_at.date() <= last])

    def list_all(self) -> list[Session]:
        return _by_start([session_of(copy.deepcopy(i)) for (_, sk), i in self.items.items() if sk == SESSION_SK])

    def add_survey(self, tx: Transaction, session: Session, answer: SurveyAnswer) -> None:
        item = survey_item(session, answer)
        self._put(tx, item, self._absent(item["pk"], item["sk"]))

    def surveys_for(self, session_id: str) -> list[SurveyAnswer]:
        pk = session_pk(session_id)
        return [survey_of(copy.deepcopy(i)) for (p, sk), i in sorted(self.items.items())
                if p == pk and sk.startswith("survey#")]

    def surveys_for_month(self, month: str) -> list[SurveyAnswer]:
        items = self._month_items(f"survey#{month}")
        items.sort(key=lambda i: (str(i["starts_at"]), str(i["session_id"]), str(i["answer_id"])))
        return [survey_of(i) for i in items]

    def get_proposals(self, month: str) -> Proposals | None:
        item = self.items.get((PROPOSALS_PK, month))
        return _proposals_of(item) if item else None

    def put_proposals(self, tx: Transaction, month: str, text: str, by: str, at: str,
                      expected_version: int) -> None:
        key = (PROPOSALS_PK, month)

        def at_version() -> bool:
            item = self.items.get(key)
            return item is None if expected_version == 0 else (item is not None
                                                               and item.get("version") == expected_version)

        self._put(tx, {"pk": PROPOSALS_PK, "sk": month, "text": text, "by": by, "at": at,
                       "version": expected_version + 1}, at_version)

    def add_manual(self, tx: Transaction, manual: ManualVersion) -> None:
        item = _manual_item(manual)
        self._put(tx, item, self._absent(item["pk"], item["sk"]))

    def list_manuals(self) -> list[ManualVersion]:
        return [_manual_of(i) for (pk, _), i in sorted(self.items.items(), reverse=True) if pk == MANUALS_PK]

    def latest_manual(self) -> ManualVersion | None:
        manuals = self.list_manuals()
        return manuals[0] if manuals else None
