"""The public page of the consultation sessions (`GET /sessions`, no login), for older residents.

Server-rendered and complete without JavaScript: one HTML document, large type, plain Japanese, a print
stylesheet (static/sessions-public.css). Pure: data in, HTML out; the route reads the sessions, the clock
and the settings and hands them over.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from chalicelib.kernel.areas import all_areas, find_area
from chalicelib.sessions.model import WHAT_TO_BRING

WEEKDAYS = "月火水木金土日"


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def _when(starts: datetime, ends: datetime) -> str:
    return f"{starts.year}年{_day(starts.date())} {starts:%H:%M}〜{ends:%H:%M}"


def _e(value: Any) -> str:
    return html.escape(str(value or ""), quote=True)


def upcoming(listing: Iterable[Any], today: date) -> list[Any]:
    """The sessions the public may see today: announced (announce_on ≤ today) and not yet over
    (on or after today). Cancelled ones stay, to be marked 中止."""
    return [s for s in listing
            if _date(_get(s, "announce_on")) <= today and _datetime(_get(s, "starts_at")).date() >= today]


def _session(s: Any) -> str:
    sid = str(_get(s, "session_id"))
    starts, ends = _datetime(_get(s, "starts_at")), _datetime(_get(s, "ends_at"))
    cancelled = _get(s, "status") == "cancelled"
    partner = _get(s, "partner") or ""
    parts = [f'<li class="session{" cancelled" if cancelled else ""}" id="{_e(sid)}" data-session="{_e(sid)}">']
    if cancelled:
        parts.append('<p class="cancel-mark"><strong>中止</strong> この相談会は中止になりました。</p>')
    parts.append(f'<h4 class="when"><time datetime="{_e(starts.isoformat())}">{_e(_when(starts, ends))}</time></h4>')
    parts.append('<dl class="where">')
    parts.append(f"<dt>会場</dt><dd>{_e(_get(s, 'venue'))}</dd>")
    parts.append(f"<dt>住所</dt><dd>{_e(_get(s, 'address'))}</dd>")
    if partner:
        parts.append(f"<dt>協力</dt><dd>{_e(partner)}</dd>")
    capacity = _get(s, "capacity")
    if capacity and not cancelled:
        parts.append(f"<dt>定員</dt><dd>{_e(capacity)}名（先着順）</dd>")
    parts.append("</dl>")
    if not cancelled:
        parts.append(f'<p class="flyer"><a class="button" href="sessions/{_e(sid)}/flyer.pdf">'
                     f'チラシを見る（PDF）<span class="visually-hidden"> {_e(_day(starts.date()))} {_e(_get(s, "venue"))}</span></a></p>')
    parts.append("</li>")
    return "".join(parts)


def _grouped(sessions: list[Any]) -> str:
    """Region, then area (in the order of the areas' master data), then date."""
    order = {a.code: i for i, a in enumerate(all_areas())}
    regions: list[str] = []
    for a in all_areas():
        if a.region not in regions:
            regions.append(a.region)
    by_area: dict[str, list[Any]] = {}
    for s in sorted(sessions, key=lambda s: _datetime(_get(s, "starts_at"))):
        by_area.setdefault(str(_get(s, "area_code")), []).append(s)
    out: list[str] = []
    for n, region in enumerate(regions):
        codes = sorted((c for c in by_area if (area := find_area(c)) and area.region == region),
                       key=lambda c: order[c])
        if not codes:
            continue
        out.append(f'<section class="region" aria-labelledby="region-{n}"><h2 id="region-{n}">{_e(region)}地域</h2>')
        for code in codes:
            area = find_area(code)
            name = area.name if area else code
            out.append(f'<section class="area" data-area="{_e(code)}"><h3>{_e(name)}</h3><ol class="sessions">')
            out.extend(_session(s) for s in by_area[code])
            out.append("</ol></section>")
        out.append("</section>")
    return "".join(out)


def render_public_page(listing: Iterable[Any], *, today: date, phone: str, base_url: str,
                       static_prefix: str | None = None, manual: bool = True) -> str:
    """The whole HTML document of `GET /sessions`.

    `listing`: the sessions, as dicts or `model.Session` objects, each with session_id, area_code,
    venue, address, starts_at and ends_at (aware datetimes or ISO 8601 strings, JST), announce_on (date or
    YYYY-MM-DD), status ("scheduled" | "held" | "cancelled"), and optionally capacity and partner. It may
    hold every session: only the upcoming announced ones are shown (`upcoming`: announce_on ≤ today and
    the session's day ≥ today), grouped by region and area (chalicelib/data/municipalities.csv order),
    cancelled ones marked 中止 with no flyer link.
    `today`: the JST date of the request (the route's `ctx.now`, which honours X-Miyapo-Now locally).
    `phone`: the call center's number, shown for questions. `base_url`: the public base URL, printed so
    a paper copy says where the page is. `manual`: whether an installation manual has been uploaded
    (a link to `sessions/manual.pdf`). `static_prefix` defaults to the assets' prefix as seen from
    /sessions (web.pages.static_prefix). Links are relative to /sessions, so the page works locally at
    / and in the cloud under /api/. Answers a `web.pages.Page` (a str with a fresh CSP nonce, like every
    page; it has no inline code) for `web.http.html_response`.
    """
    from chalicelib.web.pages import Page
    from chalicelib.web.pages import static_prefix as prefix_of

    if static_prefix is None:
        static_prefix = prefix_of("/sessions")
    shown = upcoming(listing, today)
    bring = "".join(f"<li>{_e(item)}</li>" for item in WHAT_TO_BRING)
    tel = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    body = _grouped(shown) if shown else (
        '<p class="none" id="no-sessions">いま、お知らせしている相談会はありません。'
        "日程が決まりしだい、このページでお知らせします。</p>")
    manual_link = ("<p>相談会でお渡ししている手引きは、ここからも見られます。</p>"
                   '<p><a class="button" id="manual-link" href="sessions/manual.pdf">'
                   "アプリの入れ方の手引き（PDF）</a></p>") if manual else "<p>手引きは準備中です。</p>"
    page_url = f"{base_url.rstrip('/')}/sessions" if base_url else ""
    return Page(f"""<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>みやぎポイント 相談会のご案内</title>
<link rel="stylesheet" href="{_e(static_prefix)}sessions-public.css">
</head>
<body class="public">
<a class="skip" href="#main">本文へ移動</a>
<header class="site"><p class="brand">みやぎポイント</p></header>
<main id="main">
<h1>スマートフォンの相談会のご案内</h1>
<p class="lead">みやぎポイントのアプリの入れ方、マイナンバーカードの登録、ポイントの使い方を、係の者がお手伝いします。
参加は無料です。申し込みはいりません。当日、会場へお越しください。</p>
<p class="asof">{_e(today.year)}年{_e(_day(today))}現在の予定です。</p>
<section class="bring" aria-labelledby="bring-h">
<h2 id="bring-h">お持ちいただくもの</h2>
<ul>{bring}</ul>
</section>
<section class="call" aria-labelledby="call-h">
<h2 id="call-h">お問い合わせ</h2>
<p>みやぎポイント コールセンター<br><a class="tel" id="call-center" href="tel:{_e(tel)}">{_e(phone)}</a></p>
</section>
<div class="schedule" id="schedule">
{body}
</div>
<section class="manual" aria-labelledby="manual-h">
<h2 id="manual-h">手引き</h2>
{manual_link}
</section>
<p class="url">このページ：{_e(page_url)}</p>
</main>
</body>
</html>
""", secrets.token_urlsafe(18))
