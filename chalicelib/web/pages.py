"""Server-rendered pages: static HTML files with a little data injected, and the static assets
(ES modules, stylesheets) they load. No personal data in either.

Each rendering gets a fresh CSP nonce, stamped into the template's <script> and <style> tags *before*
any value is filled in (values are HTML-escaped anyway); `web.http.html_response` / `secure_response`
put the same nonce in the header, next to `'self'` for the modules and stylesheets.

Assets live in `web/static/` plus `labels.js`, generated from the Python sources of the labels (so a
label is written once). They are served under `static/<version>/<name>`, where the version hashes
every asset: a URL's content never changes, so it may be cached for a year (`immutable`), and one
module's relative imports stay within the same version. Pages refer to them through `{{static}}`,
a path relative to the page, so the same HTML works locally at `/` and in the cloud under `/api/`.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import secrets
from pathlib import Path
from typing import Any

from chalicelib.auth.roles import ROLE_LABELS
from chalicelib.kernel.areas import all_areas

_DIR = Path(__file__).resolve().parent / "templates"
_STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: A version's content never changes: caches (CloudFront, browsers) may keep it for a year.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"


def areas_payload() -> list[dict[str, Any]]:
    return [{"code": a.code, "name": a.name, "region": a.region} for a in all_areas()]


@functools.cache
def _template(name: str) -> str:
    return (_DIR / name).read_text(encoding="utf-8")


_INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])", re.IGNORECASE)




def _roles_of(path: str) -> list[str]:
    from chalicelib.auth.roles import ROUTE_ROLES

    return sorted(ROUTE_ROLES[(path, "GET")])


def _roles_if(path: str, method: str = "GET") -> list[str]:
    """The roles of a route, or none while its blueprint is not registered (the screen stays hidden)."""
    from chalicelib.auth.roles import ROUTE_ROLES

    return sorted(ROUTE_ROLES.get((path, method), ()))


def labels() -> dict[str, Any]:
    """Labels, status names and role sets of the screens, from the Python that decides them."""
    from chalicelib.applications.status import STATUS_LABELS
    from chalicelib.applications.validation import DECLARATION_TEXT
    from chalicelib.auth.roles import OPERATOR
    from chalicelib.sessions.coverage import STATE_LABELS as COVERAGE_STATES
    from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, SATISFACTION_LEVELS, WHAT_TO_BRING
    from chalicelib.sessions.model import STATUS_LABELS as SESSION_STATUS_LABELS
    from chalicelib.settlement.documents import ACCOUNT_TYPES
    from chalicelib.stores.service import STATUSES

    return {
        "ROLE_LABELS": ROLE_LABELS,
        "APP_STATUSES": [[str(k), v] for k, v in STATUS_LABELS.items()],
        "STORE_STATUSES": [[k, v] for k, v in STATUSES.items()],
        "ACCOUNT_TYPES": ACCOUNT_TYPES,
        "DECLARATIONS": DECLARATION_TEXT,
        # Which screens a member sees: the roles of the API each screen reads.
        "READ_APPLICATIONS": _roles_of("/applications"),
        "READ_SETTLEMENT": _roles_of("/settlements/{month}"),
        "READ_INQUIRIES": _roles_of("/inquiries"),
        "OPERATOR": sorted(OPERATOR),
        # Consultation sessions (chalicelib/sessions/model.py): survey answers in order, [code, label].
        "AGE_BANDS": [[k, v] for k, v in AGE_BANDS.items()],
        "PURPOSES": [[k, v] for k, v in PURPOSES.items()],
        "COULD_DO": [[k, v] for k, v in COULD_DO.items()],
        "SATISFACTION_LEVELS": list(SATISFACTION_LEVELS),
        "WHAT_TO_BRING": list(WHAT_TO_BRING),
        "SESSION_STATUSES": SESSION_STATUS_LABELS,
        "COVERAGE_STATES": COVERAGE_STATES,
        "READ_SESSIONS": _roles_if("/sessions/list"),
        "WRITE_SESSIONS": _roles_if("/sessions", "POST"),
        "READ_SESSION_REPORTS": _roles_if("/sessions/report"),
        # The prefecture's view (chalicelib/overview) and the readable audit log (chalicelib/audit/labels.py).
        **_overview_labels(),
        **_settlement_labels(),
    }


def _settlement_labels() -> dict[str, Any]:
    """The settlement screen: why a line is held, how the fee is rounded, who is not one of the four eyes."""
    from chalicelib.settlement.documents import ROUNDING_LABELS
    from chalicelib.settlement.four_eyes import NOT_PEOPLE
    from chalicelib.settlement.rounds import HOLD_REASONS

    return {"HOLD_REASONS": HOLD_REASONS, "FEE_ROUNDINGS": ROUNDING_LABELS,
            "FOUR_EYES_NOT_PEOPLE": sorted(NOT_PEOPLE)}


def _overview_labels() -> dict[str, Any]:
    from chalicelib.audit.labels import ACTION_LABELS, FIELD_LABELS, SECTION_LABELS, SUBJECT_KINDS, all_actions
    from chalicelib.overview.library import KINDS as REPORT_KINDS

    return {
        "AUDIT_ACTIONS": {a: ACTION_LABELS.get(a, a) for a in sorted(all_actions())},
        "AUDIT_FIELDS": FIELD_LABELS, "AUDIT_SUBJECTS": SUBJECT_KINDS, "AUDIT_SECTIONS": SECTION_LABELS,
        "REPORT_KINDS": REPORT_KINDS,
        "READ_OVERVIEW": _roles_if("/overview/data"), "READ_FUNDS": _roles_if("/funds/ledger"),
        "READ_REPORTS": _roles_if("/reports/files"),
    }


def labels_module() -> str:
    """`labels.js`: the labels as an ES module (one `export const` each)."""
    lines = ["// Generated by chalicelib/web/pages.py from the Python sources of these labels: do not edit."]
    lines += [f"export const {name} = {json.dumps(value, ensure_ascii=False)};" for name, value in labels().items()]
    return "\n".join(lines) + "\n"


@functools.cache
def assets() -> dict[str, bytes]:
    """Every static asset by file name: the files of web/static and the generated labels module."""
    files = {p.name: p.read_bytes() for p in sorted(_STATIC.iterdir())
             if p.is_file() and p.suffix in CONTENT_TYPES}
    files["labels.js"] = labels_module().encode("utf-8")
    return files


@functools.cache
def asset_version() -> str:
    """A hash of every asset's name and content (changes whenever any asset does)."""
    digest = hashlib.sha256()
    for name, content in sorted(assets().items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def asset(version: str, name: str) -> tuple[bytes, str] | None:
    """The content and content type of an asset of this version, or None."""
    content = assets().get(name)
    if version != asset_version() or content is None:
        return None
    return content, CONTENT_TYPES[Path(name).suffix]


def static_prefix(route_path: str | None) -> str:
    """The assets' URL prefix, relative to a page at `route_path` (a route such as /console/stores/{id})."""
    if not route_path:
        return f"/static/{asset_version()}/"
    return "../" * max(0, route_path.count("/") - 1) + f"static/{asset_version()}/"


def _route_path() -> str | None:
    from chalicelib.routes.console import bp

    try:
        return str(bp.current_request.path)
    except RuntimeError:
        return None


class Page(str):
    """Rendered HTML that knows the CSP nonce of its inline tags."""

    nonce: str

    def __new__(cls, text: str, nonce: str) -> Page:
        page = super().__new__(cls, text)
        page.nonce = nonce
        return page


def clock_state() -> dict[str, Any] | None:
    """The local stack's clock as the pages state it (static/client.js, static/demo-clock.js): its source
    ("demo" or "real"), now, the demo clock's start, and a note when now is outside the program year. None outside the local stage: no other stage has a
    clock to state (they run on the real one)."""
    from chalicelib import clock
    from chalicelib.settings import get_settings

    if not get_settings().is_local:
        return None
    demo = clock.demo_clock()
    now = clock.stage_now(is_local=True)
    return {"source": "demo" if demo else "real", "now": now.isoformat(),
            "start": demo.start.isoformat() if demo else None,
            "note": clock.outside_program_year(now, get_settings())}


def _clock_meta() -> str:
    state = clock_state()
    if state is None:
        return ""
    return f'<meta name="miyapo-clock" content="{html.escape(json.dumps(state))}">\n'


def render(name: str, **values: Any) -> Page:
    """Fill `{{static}}` (the assets' prefix), `{{areas_json}}`, `{{areas_options}}` and any `{{key}}` given (HTML-escaped), with a fresh nonce
    on every <script>/<style>; in the local stage the head states the stack's clock (`clock_state`)."""
    nonce = secrets.token_urlsafe(18)
    text = _INLINE_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', _template(name))
    options = "\n".join(
        f'<option value="{a.code}">{html.escape(a.name)}</option>' for a in all_areas()
    )
    text = text.replace("</head>", _clock_meta() + "</head>", 1)
    text = text.replace("{{static}}", static_prefix(_route_path()))
    text = text.replace("{{areas_options}}", options)
    text = text.replace("{{areas_json}}", html.escape(json.dumps(areas_payload(), ensure_ascii=False)))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(str(value)))
    return Page(text, nonce)


def render_survey_page(session_id: str, heading: str = "") -> Page:
    """The public survey page of one session (`GET /sessions/{id}/survey`, reached by the flyer's QR
    code): `templates/session_survey.html`, whose module (static/session-survey.js) posts the answers
    as JSON to `POST /sessions/{id}/survey`. `heading` names the session for the person answering,
    e.g. "6月14日（土） 白石市中央公民館" (no personal data); empty leaves a generic heading."""
    return render("session_survey.html", session_id=session_id,
                  heading=heading or "相談会")
