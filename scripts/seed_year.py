"""A believable FY2025 program year on the local stack (issue 15 point 2), written through the services.

    SEED=year make run                       # the stack starts, then this seeds it (before the banner)
    make seed-year                           # the stack of `make run` is already running (SEED=0 or default)
    python -m scripts.seed_year [--stores N]  # the same; SEED_YEAR_STORES=N also sets the scale

At the seed's scale (docs/SPEC.md; 1,500 stores by default) it creates:

- **stores**: applications from all 39 areas (Sendai's wards and the larger cities weighted), submitted in
  April–May 2025 and approved before points can be used (a tenth join during the year); some returned for
  correction, a few rejected, a few still waiting in the queue; later in the year some stores suspended and
  a few withdrawn;
- **usage**: ten monthly exports (2025-05 … 2026-02, ~33 rows per store and month, ~2% cancellations, the
  previous export's last rows again, a store id the system does not know, a few rows dated before a
  mid-year store's approval), each imported through the usage import service;
- **settlement**: each month's round drafted by `accountant` on the 5th of the next month and approved by
  `accountant2` (the four-eyes rule), which writes its Zengin transfer file, statements and mails; a few
  transfers returned by the bank and recorded (re-paid by the next round); held lines where the services
  hold them (unknown store, suspended store, usage before approval);
- **call center**: ~8 inquiries per store over the year's office days (12,000 at 1,500 stores), some
  escalated to the prefecture and answered, the daily report delivered each office morning and the
  monthly report each month;
- **sessions**: the 46 sessions of scripts/seed_sessions.py, those already held with their attendance and
  a few survey answers each.

Everything goes through the services (chalicelib/*/service.py) with the business clock passed as `now`,
as the console would have done on those days — never raw table writes — so the money reconciles as the
services compute it and the repositories' own rules (encryption, fingerprints, audit) apply.

Idempotent: each phase detects what exists (client tokens of applications and inquiries, committed
imports, approved rounds, a marker per finished phase in the keys table) and only adds what is missing.
Deterministic: the same scale gives the same year.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import math
import os
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from chalicelib.auth.roles import Principal, Role
from chalicelib.clock import JST

DEFAULT_STORES = 1500
MONTHS = ["2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
          "2026-02"]
ROWS_PER_STORE_MONTH = 33  # ~50,000 rows a month at 1,500 stores
INQUIRIES_PER_STORE = 8  # ~12,000 a year at 1,500 stores
UNKNOWN_STORE = "MP999999"
#: Calls in flight at once (SEED_YEAR_THREADS): moto serialises them; more only adds contention.
#: The demo clock's day when `SEED=year make run` is given no DEMO_NOW: the call center's last day, after the
#: seeded year's last inquiries (24 March) and rounds (February's usage, paid in March).
DEMO_DAY = date(2026, 3, 25)
THREADS = int(os.environ.get("SEED_YEAR_THREADS", "4"))
HEADER = ("取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分")

SCREENER = Principal("screener", frozenset({Role.SCREENER}))
ACCOUNTANT = Principal("accountant", frozenset({Role.ACCOUNTANT}))
ACCOUNTANT2 = Principal("accountant2", frozenset({Role.ACCOUNTANT}))
AGENT = Principal("agent", frozenset({Role.AGENT}))
COORDINATOR = Principal("coordinator", frozenset({Role.COORDINATOR}))
PREFECTURE = Principal("prefecture", frozenset({Role.PREFECTURE}))
ADMIN = Principal("admin", frozenset({Role.ADMIN}))

# --- fictional names -----------------------------------------------------------------------------------------

#: (name part, its katakana reading)
_PLACES = [("青葉", "アオバ"), ("杜の", "モリノ"), ("七夕", "タナバタ"), ("松島", "マツシマ"), ("蔵王", "ザオウ"),
           ("広瀬", "ヒロセ"), ("鳴子", "ナルコ"), ("栗駒", "クリコマ"), ("北上", "キタカミ"), ("阿武隈", "アブクマ"),
           ("牡鹿", "オシカ"), ("金華", "キンカ"), ("伊達", "ダテ"), ("欅", "ケヤキ"), ("萩", "ハギ"), ("笹", "ササ")]
#: (trade, its reading, business category, goods)
_TRADES = [("商店", "ショウテン", "小売", "日用品・食料品"), ("食堂", "ショクドウ", "飲食", "定食・麺類"),
           ("珈琲店", "コーヒーテン", "飲食", "コーヒー・軽食"), ("鮮魚店", "センギョテン", "小売", "鮮魚・水産加工品"),
           ("青果店", "セイカテン", "小売", "野菜・果物"), ("書店", "ショテン", "小売", "書籍・文具"),
           ("薬局", "ヤッキョク", "小売", "医薬品・日用品"), ("旅館", "リョカン", "宿泊", "宿泊・日帰り入浴"),
           ("理容室", "リヨウシツ", "サービス", "理容・美容"), ("酒店", "サケテン", "小売", "酒類・食料品"),
           ("菓子店", "カシテン", "小売", "和菓子・洋菓子"), ("精肉店", "セイニクテン", "小売", "精肉・惣菜")]
_SURNAMES = [("佐藤", "ｻﾄｳ"), ("鈴木", "ｽｽﾞｷ"), ("高橋", "ﾀｶﾊｼ"), ("阿部", "ｱﾍﾞ"), ("千葉", "ﾁﾊﾞ"), ("菅原", "ｽｶﾞﾜﾗ"),
             ("伊藤", "ｲﾄｳ"), ("渡辺", "ﾜﾀﾅﾍﾞ"), ("遠藤", "ｴﾝﾄﾞｳ"), ("及川", "ｵｲｶﾜ")]
_GIVEN = [("一郎", "ｲﾁﾛｳ"), ("花子", "ﾊﾅｺ"), ("健", "ｹﾝ"), ("陽子", "ﾖｳｺ"), ("誠", "ﾏｺﾄ"), ("美咲", "ﾐｻｷ")]
#: Banks of the region (four-digit codes of the bank master); branches are taken from the master.
_BANKS = ("0125", "1170", "1171", "1172", "0125", "0125")

# Call-center inquiries: (category, caller type, summary, answer)
_INQUIRIES = [
    ("points_use", "resident", "ポイントが使える店舗の探し方を知りたい。", "公式サイトの店舗検索と店頭ステッカーを案内した。"),
    ("points_use", "resident", "ポイントの有効期限を知りたい。", "利用期間（2026年2月28日まで）を案内した。"),
    ("app", "resident", "アプリの登録方法がわからない。", "アプリの登録手順を案内した。"),
    ("app", "resident", "マイナンバーカードの読み取りがうまくいかない。", "読み取りのコツと相談会の日程を案内した。"),
    ("store_payment", "store", "精算の振込日を知りたい。", "精算の締め日と振込予定日を案内した。"),
    ("store_payment", "store", "精算明細の見方を知りたい。", "明細の各欄の意味を案内した。"),
    ("sessions", "resident", "相談会の日程と会場を知りたい。", "相談会の日程ページを案内した。"),
    ("eligibility", "store", "取扱商品がポイントの対象になるか知りたい。", "対象外の商品の一覧を案内した。"),
]
_ESCALATIONS = [
    "換金性の高い商品に当たるか、県の判断が必要。",
    "店舗の参加要件の解釈について、県の判断が必要。",
    "ポイントの付与漏れの申し出で、県の確認が必要。",
]


#: Where the progress lines go (the terminal, or the log file of a seed running beside the stack).
_progress_to: list[TextIO] = []


def _log(text: str) -> None:
    out = _progress_to[-1] if _progress_to else sys.stdout
    out.write(f"  … seed year: {text}\n")
    out.flush()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def _month_days(month: str) -> list[date]:
    first = date(int(month[:4]), int(month[5:]), 1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"


# --- the plan: who does what when (deterministic) -------------------------------------------------------------


@dataclass
class PlannedStore:
    index: int
    body: dict[str, Any]
    submitted: datetime
    decision: str  # approve / return / reject / wait
    decided: datetime
    suspended_on: date | None = None
    withdrawn_on: date | None = None
    weight: float = 1.0
    early_row: bool = False  # a row dated before its approval (held by the round)
    store_id: str | None = None
    application_id: str | None = None


@dataclass
class Plan:
    stores: list[PlannedStore]
    inquiries: int
    counts: dict[str, int] = field(default_factory=dict)


def _weighted_areas() -> list[tuple[str, str, str, float]]:
    """(code, name, kind, weight) of the 39 areas: Sendai's wards and the cities weigh more."""
    from chalicelib.kernel.areas import SENDAI_CITY_CODE, all_areas

    weights = {"区": 6.0, "市": 2.5, "町": 1.0, "村": 0.5}
    return [(a.code, a.name, a.kind, weights.get(a.kind, 1.0)) for a in all_areas() if a.code != SENDAI_CITY_CODE]


def _branches(bank_code: str) -> list[str]:
    from chalicelib.kernel.banks import _all_banks

    return sorted(_all_banks()[bank_code].branches.keys())[:12]


def _application(i: int, rng: random.Random, area: tuple[str, str, str, float]) -> dict[str, Any]:
    place, place_kana = _PLACES[rng.randrange(len(_PLACES))]
    trade, trade_kana, category, goods = _TRADES[rng.randrange(len(_TRADES))]
    surname, surname_kana = _SURNAMES[rng.randrange(len(_SURNAMES))]
    given, given_kana = _GIVEN[rng.randrange(len(_GIVEN))]
    corporation = rng.random() < 0.35
    code, name, _, _ = area
    from chalicelib.kernel.areas import postal_codes_in_area

    postal_codes = postal_codes_in_area(code)
    bank_code = _BANKS[i % len(_BANKS)]
    branches = _branches(bank_code)
    holder = f"ｶ){place_kana}" if corporation else f"{surname_kana} {given_kana}"
    return {
        "store_name": f"{'株式会社' if corporation else ''}{place}{trade} {i + 1}号店",
        "store_name_kana": f"{place_kana}{trade_kana}",
        "entity_type": "corporation" if corporation else "individual",
        "representative": f"{surname} {given}（デモ）",
        "postal_code": postal_codes[(i * 37) % len(postal_codes)],  # one of the area's own
        "municipality_code": code,
        "address": f"{name}中央{1 + i % 5}丁目{1 + i % 20}-{1 + i % 9}",
        "phone": f"0{22 + i % 7}0-{(i // 10000) % 100:02d}-{i % 10000:04d}",
        "email": f"year-store-{i:05d}@example.com",
        "business_category": category, "goods": goods,
        "declarations": {"no_antisocial": True, "not_adult_business": True, "no_excluded_goods": True,
                         "accepts_terms": True},
        "bank": {"bank_code": bank_code, "branch_code": branches[i % len(branches)], "account_type": "1",
                 "account_number": f"{(3000000 + i * 7919) % 10_000_000:07d}", "holder_kana": holder},
        "client_token": f"year-app-{i:06d}",
    }


def _office_day(day: date) -> bool:
    from chalicelib.kernel.calendars import is_office_day

    return bool(is_office_day(day))


def plan(stores: int) -> Plan:
    rng = random.Random(20250401)
    areas = _weighted_areas()
    cum = []
    total = 0.0
    for a in areas:
        total += a[3]
        cum.append(total)
    # Every area gets at least a few stores; the rest by weight.
    picks = [areas[k % len(areas)] for k in range(min(stores, 3 * len(areas)))]
    picks += rng.choices(areas, cum_weights=cum, k=max(0, stores - len(picks)))
    rng.shuffle(picks)
    planned: list[PlannedStore] = []
    spring = [d for d in (date(2025, 4, 1) + timedelta(days=k) for k in range(48)) if _office_day(d)]
    later = [d for d in (date(2025, 6, 2) + timedelta(days=k) for k in range(200)) if _office_day(d)]
    for i, area in enumerate(picks):
        mid_year = rng.random() < 0.10
        day = rng.choice(later if mid_year else spring)
        submitted = _at(day, rng.randint(9, 16), rng.randrange(60))
        roll = rng.random()
        decision = "approve" if roll < 0.94 else "return" if roll < 0.975 else "reject"
        if i in (7, 11):  # at least one of each, at any scale
            decision = "return" if i == 7 else "reject"
        decided_day = day + timedelta(days=1 + rng.randrange(3))
        if not mid_year:
            decided_day = min(decided_day, date(2025, 5, 27))
        planned.append(PlannedStore(i, _application(i, rng, area), submitted, decision,
                                    _at(decided_day, 10, rng.randrange(60)),
                                    weight=1 / (1 + (rng.random() * 40)) + rng.random() * 0.2))
    approved = [p for p in planned if p.decision == "approve"]
    for p in rng.sample(approved, max(1, len(approved) // 60)):
        p.suspended_on = date(2025, rng.choice((8, 10, 12)), 1)
    for p in rng.sample([p for p in approved if not p.suspended_on], max(1, len(approved) // 200)):
        p.withdrawn_on = date(2025, 11, 1)
    for p in [p for p in approved if p.decided.date() > date(2025, 6, 1)][:5]:
        p.early_row = True
    # A few applications still waiting in the queue at the end of the year (submitted in February).
    for k in range(max(2, stores // 100)):
        i = stores + k
        day = date(2026, 2, 16) + timedelta(days=k % 10)
        planned.append(PlannedStore(i, _application(i, rng, areas[k % len(areas)]), _at(day, 11, k % 60),
                                    "wait", _at(day, 11, k % 60)))
    return Plan(planned, inquiries=stores * INQUIRIES_PER_STORE)


# --- phases --------------------------------------------------------------------------------------------------


def _marker(deps: Any, phase: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = deps.keys.get(f"seed-year#{phase}")
    return result


def _mark(deps: Any, phase: str, attrs: dict[str, Any]) -> None:
    """Remember that a phase is complete (a key in the keys table, through the KeyStore)."""
    tx = deps.application_repository.new_tx()
    deps.keys.put_in(tx, f"seed-year#{phase}", "-", {"done_at": datetime.now(JST).isoformat(), **attrs})
    tx.commit()


def seed_stores(deps: Any, p: Plan) -> dict[str, int]:
    """Applications submitted and screened on their days; statuses changed later in the year."""
    from chalicelib.applications import service as applications
    from chalicelib.stores import service as stores

    counts = {"applications": 0, "approved": 0, "returned": 0, "rejected": 0, "waiting": 0}
    checks = {k: True for k in ("antisocial", "adult_business", "in_prefecture", "excluded_goods", "other")}
    decisions: dict[str, dict[str, Any]] = {
        "approve": {"decision": "approve", "checks": checks},
        "return": {"decision": "return", "reason": "口座名義のカナが通帳の表記と異なるようです。ご確認ください。",
                   "checks": {"antisocial": True}},
        "reject": {"decision": "reject", "reason": "県外の事業所のため、参加要件を満たしません。",
                   "checks": {"in_prefecture": False}},
    }

    def one(s: PlannedStore) -> None:
        app_id, _ = applications.submit(deps, dict(s.body), s.submitted)
        s.application_id = app_id
        if s.decision == "wait":
            return
        item = deps.application_repository.get(app_id)
        if item["status"] == "submitted":
            s.store_id = applications.decide(deps, SCREENER, app_id, decisions[s.decision], s.decided).get("store_id")
        else:
            s.store_id = item.get("store_id")

    ordered = sorted(p.stores, key=lambda s: s.submitted)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for k, _ in enumerate(pool.map(one, ordered), start=1):
            if k % 250 == 0:
                _log(f"{k} applications submitted and screened")
    for s in ordered:
        counts["applications"] += 1
        counts[{"approve": "approved", "return": "returned", "reject": "rejected", "wait": "waiting"}[s.decision]] += 1
    for s in p.stores:
        for when, status, reason in ((s.suspended_on, "suspended", "店舗からの申し出により一時停止（改装のため休業）"),
                                     (s.withdrawn_on, "withdrawn", "閉店のため退会")):
            if when is None or s.store_id is None:
                continue
            current = deps.store_repository.get(s.store_id)
            if current and current["status"] != status:
                stores.change_status(deps, s.store_id, {"status": status, "reason": reason}, SCREENER,
                                     _at(when, 10))
            counts[status] = counts.get(status, 0) + 1
    return counts


def _active(s: PlannedStore, day: date) -> bool:
    if s.store_id is None or s.decided.date() > day:
        return False
    if s.withdrawn_on and day >= s.withdrawn_on:
        return False
    return True


def usage_export(p: Plan, month: str, previous_tail: list[list[str]], rng: random.Random
                 ) -> tuple[bytes, list[list[str]], dict[str, int]]:
    """A month's export (UTF-8 with BOM, CRLF) as the point system writes it; (bytes, its last rows, the
    net points per store it carries, the repeated previous rows excluded)."""
    from chalicelib.settings import get_settings

    usable_from = get_settings().program.points_usable_start
    days = [d for d in _month_days(month) if d >= usable_from]
    rows: list[tuple[str, list[str]]] = []
    truth: dict[str, int] = {}
    per_month = ROWS_PER_STORE_MONTH * len([s for s in p.stores if s.store_id])
    stores = [s for s in p.stores if s.store_id]
    weights = [s.weight for s in stores]
    total_weight = sum(weights)
    seq = 0
    for s, w in zip(stores, weights, strict=True):
        n = int(per_month * w / total_weight + rng.random())
        for _ in range(n):
            day = rng.choice(days)
            if not _active(s, day):
                continue
            seq += 1
            at = f"{day.isoformat()} {rng.randint(9, 20):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            points = int(rng.lognormvariate(6.8, 0.9)) + 1
            cancel = rng.random() < 0.02
            assert s.store_id is not None
            rows.append((at, [f"T{month.replace('-', '')}{seq:07d}", at, s.store_id, s.body["store_name"],
                              str(points), "取消" if cancel else "利用"]))
            truth[s.store_id] = truth.get(s.store_id, 0) + (-points if cancel else points)
        if s.early_row and s.store_id and month == f"{s.decided.year}-{s.decided.month:02d}" \
                and s.decided.date() - timedelta(days=2) >= usable_from:
            seq += 1
            day = s.decided.date() - timedelta(days=2)
            at = f"{day.isoformat()} 12:00:00"
            rows.append((at, [f"T{month.replace('-', '')}{seq:07d}", at, s.store_id, s.body["store_name"], "800",
                              "利用"]))
            truth[s.store_id] = truth.get(s.store_id, 0) + 800
    seq += 1
    at = f"{days[len(days) // 2].isoformat()} 10:00:00"
    rows.append((at, [f"T{month.replace('-', '')}{seq:07d}", at, UNKNOWN_STORE, "未登録の店舗", "500", "利用"]))
    truth[UNKNOWN_STORE] = 500
    rows.sort(key=lambda r: r[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(previous_tail)  # the previous export's last rows again: counted once (duplicates)
    writer.writerows(r for _, r in rows)
    return out.getvalue().encode("utf-8-sig"), [r for _, r in rows[-5:]], truth


def seed_settlement(deps: Any, p: Plan, open_rounds: int = 0) -> dict[str, int]:
    """Ten months: each export imported, its round drafted, approved by a second accountant, files written.
    The last `open_rounds` months are imported only (bench.local_scale drafts and approves one itself)."""
    from chalicelib.audit.log import Actor
    from chalicelib.settlement import service as settlement
    from chalicelib.usage import service as usage

    counts = {"imports": 0, "usage_rows": 0, "rounds_approved": 0, "returned_transfers": 0, "paid_total": 0}
    committed_months: set[str] = set()
    for item in usage.list_imports(deps, limit=200):
        if item.get("status") == "committed" and str(item.get("uploaded_by")) == ACCOUNTANT.user:
            committed_months.update(item.get("months", []))
    rng = random.Random(20250601)
    tail: list[list[str]] = []
    drafter = Actor.of(ACCOUNTANT)
    for month in MONTHS:
        data, new_tail, _ = usage_export(p, month, tail, rng)
        tail = new_tail
        nxt = _next_month(month)
        upload_day = _at(date(int(nxt[:4]), int(nxt[5:]), 2), 9, 30)
        existing = settlement.get_round(deps, month)
        if month not in committed_months and existing is None:
            import_id = usage.create_import(deps, data, ACCOUNTANT, upload_day)
            report = usage.process_import(deps, import_id, upload_day, wait_seconds=120)
            if report.get("status") != "committed":
                raise RuntimeError(f"usage import {import_id} for {month}: {report.get('status')}")
            counts["imports"] += 1
            counts["usage_rows"] += int(report.get("accepted", 0))
        if month in MONTHS[len(MONTHS) - open_rounds:]:
            _log(f"{month}: imported, round left to draft")
            continue
        day = date(int(nxt[:4]), int(nxt[5:]), 5)
        while not _office_day(day):
            day += timedelta(days=1)
        existing = settlement.get_round(deps, month)
        t0 = time.perf_counter()
        if existing is None or existing["status"] == "draft":
            settlement.draft(deps, month, drafter, _at(day, 10))
        t1 = time.perf_counter()
        approved = settlement.approve(deps, month, ACCOUNTANT2, _at(day, 15))  # or completes a cut-off release
        t2 = time.perf_counter()
        counts["rounds_approved"] += 1
        counts["paid_total"] += int(approved.get("total_amount") or 0)
        # Now and then the bank sends a transfer back (closed account): recorded, re-paid next round.
        if month in ("2025-07", "2025-11") and not (existing and existing["status"] == "approved"):
            lines = [x for x in settlement.round_lines(deps, settlement.get_round(deps, month) or {})
                     if x["status"] == "pay"]
            for line in lines[3:4]:
                settlement.record_return(deps, month, {"store_id": line["store_id"],
                                                       "reason": "口座解約済みのため振込不能（銀行からの返却）"},
                                         # known from the transfer date on, never before it
                                         ACCOUNTANT, _at(max(day + timedelta(days=14),
                                                             date.fromisoformat(str(approved["transfer_date"]))), 11))
                counts["returned_transfers"] += 1
        _log(f"{month}: imported, round drafted in {t1 - t0:.1f} s and approved in {t2 - t1:.1f} s "
             f"({approved.get('stores_paid')} stores paid, {len(approved.get('held') or [])} held)")
    return counts


def seed_inquiries(deps: Any, p: Plan) -> dict[str, int]:  # noqa: C901 - one walk over the year
    """The call center's year: inquiries on office days, some escalated and answered; the daily report
    each office morning, the monthly report each month."""
    from chalicelib.inquiries import reporting
    from chalicelib.inquiries import service as inquiries
    from chalicelib.settings import get_settings

    settings = get_settings().call_center
    days = [d for d in (settings.call_center_service_start + timedelta(days=k) for k in range(400))
            if d <= min(settings.call_center_service_end, date(2026, 3, 24)) and _office_day(d)]
    rng = random.Random(20250402)
    # More calls when points start (June) and in the last weeks; fewer in summer and winter holidays.
    def busy(d: date) -> float:
        return 1.6 if d.month in (6, 2) else 1.3 if d.month in (5, 7) else 0.8 if d.month in (8, 1) else 1.0
    total_weight = sum(busy(d) for d in days)
    store_ids = [s.store_id for s in p.stores if s.store_id]
    counts = {"inquiries": 0, "escalated": 0, "answered_by_prefecture": 0, "daily_reports": 0, "monthly_reports": 0}
    n = 0
    pool = ThreadPoolExecutor(max_workers=THREADS)
    finished_months = {m for m in [*MONTHS, "2025-04", "2026-03"] if _marker(deps, f"inquiries-{m}")}
    current_month = ""
    for d in days:
        month = d.isoformat()[:7]
        if month != current_month:
            if current_month and current_month not in finished_months:
                _mark(deps, f"inquiries-{current_month}", {"through": n})
                _log(f"{current_month}: {counts['inquiries']} inquiries so far")
            current_month = month
        morning = _at(d, 8, 30)
        if month in finished_months:
            n += int(p.inquiries * busy(d) / total_weight + 0.5)
            continue
        counts["daily_reports"] += len(reporting.daily_report_sweep(deps, morning)["delivered"])
        if d.day <= 7:
            counts["monthly_reports"] += len(reporting.monthly_report_sweep(deps, morning).get("delivered", []))
        todo = []
        for _ in range(int(p.inquiries * busy(d) / total_weight + 0.5)):
            n += 1
            category, caller_type, summary, answer = _INQUIRIES[rng.randrange(len(_INQUIRIES))]
            received = _at(d, 9, 0) + timedelta(minutes=rng.randrange(8 * 60 + 30))
            logged = received + timedelta(minutes=rng.randint(3, 20))
            escalate = rng.random() < 0.02
            pending = escalate or rng.random() < 0.05
            raw = {"received_at": received.isoformat(), "channel": rng.choice(("phone", "phone", "phone", "email",
                                                                               "web")),
                   "caller_type": caller_type, "category": category, "summary": summary,
                   "answer": "" if pending else answer, "status": "pending" if pending else "resolved",
                   "handling_minutes": rng.randint(2, 25),
                   "store_id": rng.choice(store_ids) if caller_type == "store" and store_ids else None,
                   "client_token": f"year-inquiry-{n:06d}"}
            todo.append((raw, logged, escalate, rng.choice(_ESCALATIONS)))

        def one(job: tuple[dict[str, Any], datetime, bool, str]) -> tuple[int, int]:
            raw, logged, escalate, reason = job
            inquiry_id, created = inquiries.log_inquiry(deps, AGENT, raw, logged)
            if not (escalate and created):
                return 0, 0
            inquiries.escalate(deps, AGENT, inquiry_id, {"reason": reason}, logged)
            if logged.date() >= date(2026, 3, 1):
                return 1, 0
            inquiries.record_prefecture_answer(deps, PREFECTURE, inquiry_id, {
                "answer": "県の判断: 対象として差し支えありません。店舗にその旨お伝えください。"},
                logged + timedelta(days=2))
            return 1, 1

        # A few at a time: the local AWS answers one request at a time, but the SDK's side of each call
        # (signing, serialising, parsing) overlaps it.
        for escalated, answered in pool.map(one, todo):
            counts["inquiries"] += 1
            counts["escalated"] += escalated
            counts["answered_by_prefecture"] += answered
    if current_month and current_month not in finished_months:
        _mark(deps, f"inquiries-{current_month}", {"through": n})
    pool.shutdown()
    last = _at(days[-1] + timedelta(days=1), 8, 30)
    counts["daily_reports"] += len(reporting.daily_report_sweep(deps, last)["delivered"])
    inquiries.send_due_escalations(deps, last)
    return counts


def seed_sessions(deps: Any) -> dict[str, int]:
    """The season of scripts/seed_sessions.py planned on the day it was, the held ones with attendance and
    survey answers typed in from the paper forms."""
    from chalicelib.sessions import service as sessions
    from scripts.seed_sessions import plan_season

    season = plan_season()
    existing = sessions.list_sessions(deps, date(2025, 5, 1), date(2026, 2, 28))
    have: dict[str, int] = {}
    for row in existing:
        if row.get("status") != "cancelled":
            have[row["area_code"]] = have.get(row["area_code"], 0) + 1
    rng = random.Random(20250501)
    counts = {"sessions": 0, "held": 0, "surveys": 0}
    seen: dict[str, int] = {}
    planned_on = _at(date(2025, 4, 10), 10)
    for planned in season:
        seen[planned.area.code] = seen.get(planned.area.code, 0) + 1
        if seen[planned.area.code] <= have.get(planned.area.code, 0):
            continue
        created = sessions.plan(deps, planned.body(), COORDINATOR, planned_on)
        counts["sessions"] += 1
        session_id = created["session_id"]
        after = planned.ends_at + timedelta(hours=1)
        attendees = rng.randint(6, planned.capacity)
        detail = sessions.record_attendance(deps, session_id, {"attendees": attendees,
                                                               "manuals": attendees - rng.randint(0, 3)},
                                            COORDINATOR, after)
        counts["held"] += detail.get("status") == "held"
        for k in range(rng.randint(2, 6)):
            sessions.add_survey(deps, session_id, {
                "age_band": rng.choice(("50s", "60s", "70s", "40s")) if "60s" in _age_bands() else "50s",
                "purposes": rng.sample(["install", "mynumber", "points"], rng.randint(1, 2)),
                "could_do": rng.sample(["installed", "registered", "used_points"], rng.randint(0, 2)),
                "satisfaction": rng.choice((3, 4, 4, 5, 5)),
                "needs": rng.choice(("", "", "文字を大きくしてほしい", "もう一度開催してほしい")),
                "client_token": f"year-survey-{session_id}-{k}"}, COORDINATOR, after + timedelta(days=1))
            counts["surveys"] += 1
    return counts


def _age_bands() -> set[str]:
    from chalicelib.sessions.model import AGE_BANDS

    return set(AGE_BANDS)


# --- the whole year ------------------------------------------------------------------------------------------


def seed_year(stores: int | None = None, deps: Any = None, open_rounds: int | None = None,
              progress: TextIO | None = None) -> dict[str, Any]:
    """Fill the local stack with the year (idempotent). Returns the counts of what this run created.

    `open_rounds` (SEED_YEAR_OPEN_ROUNDS, default 0): the last months' usage is imported but their rounds
    are left for someone to draft and approve (a benchmark, a demonstration of the four-eyes steps)."""
    from chalicelib.deps import get_deps

    n = stores if stores is not None else int(os.environ.get("SEED_YEAR_STORES", str(DEFAULT_STORES)))
    left_open = open_rounds if open_rounds is not None else int(os.environ.get("SEED_YEAR_OPEN_ROUNDS", "0"))
    deps = deps or get_deps()
    started = time.perf_counter()
    from chalicelib.observability import logger

    level = logger.level
    logger.setLevel(logging.WARNING)  # progress lines, not one INFO line per record
    if progress is not None:
        _progress_to.append(progress)
    try:
        return _seed(n, deps, left_open, started)
    finally:
        logger.setLevel(level)
        if progress is not None:
            _progress_to.remove(progress)


def _seed(n: int, deps: Any, left_open: int, started: float) -> dict[str, Any]:
    p = plan(n)
    _log(f"{n} stores planned across {len({s.body['municipality_code'] for s in p.stores})} areas")
    counts: dict[str, Any] = {}
    phases: list[tuple[str, Callable[[], dict[str, int]]]] = [
        ("stores", lambda: seed_stores(deps, p)),
        ("settlement", lambda: seed_settlement(deps, p, left_open)),
        ("inquiries", lambda: seed_inquiries(deps, p)),
        ("sessions", lambda: seed_sessions(deps)),
    ]
    for name, run in phases:
        t0 = time.perf_counter()
        # Stores are always walked (cheap replays), as the later phases need their ids.
        if name != "stores" and _marker(deps, name):
            _log(f"{name}: already seeded")
            continue
        result = run()
        counts.update(result)
        if name != "stores" and not (name == "settlement" and left_open):
            _mark(deps, name, {k: v for k, v in result.items() if isinstance(v, int)})
        _log(f"{name}: {result} in {time.perf_counter() - t0:.0f} s")
    counts["seconds"] = math.ceil(time.perf_counter() - started)
    _log(f"done in {counts['seconds']} s")
    return counts


def main(argv: list[str] | None = None) -> int:
    """Seed the year into the local stack that `make run` started (its moto at $AWS_PORT)."""
    from scripts import localenv

    parser = argparse.ArgumentParser(description="Seed a realistic FY2025 year into the running local stack.")
    parser.add_argument("--stores", type=int, default=None, help="scale (default 1500 or SEED_YEAR_STORES)")
    parser.add_argument("--open-rounds", type=int, default=None,
                        help="leave the last N months' rounds to draft (default 0 or SEED_YEAR_OPEN_ROUNDS)")
    args = parser.parse_args(argv)
    env = localenv.local_environment(localenv.ROOT / ".local", int(os.environ.get("AWS_PORT", "4566")),
                                     int(os.environ.get("APP_PORT", "8000")))
    localenv.apply(env)
    import urllib.request

    try:
        urllib.request.urlopen(env["AWS_ENDPOINT_URL"], timeout=2).close()
    except OSError as exc:
        if not hasattr(exc, "code"):
            print(f"the local AWS at {env['AWS_ENDPOINT_URL']} does not answer: start the stack (make run)",
                  file=sys.stderr)
            return 2
    seed_year(args.stores, open_rounds=args.open_rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
