"""Server-rendered pages: static HTML files with a little data injected. No personal data in them.

Each rendering gets a fresh CSP nonce, stamped into the template's own inline <script> and <style>
tags *before* any value is filled in (values are HTML-escaped anyway), so only the template's code
runs; `web.http.html_response` / `secure_response` put the same nonce in the header.
"""

from __future__ import annotations

import functools
import html
import json
import re
import secrets
from pathlib import Path
from typing import Any

from chalicelib.kernel.areas import all_areas

_DIR = Path(__file__).resolve().parent / "templates"


def areas_payload() -> list[dict[str, Any]]:
    return [{"code": a.code, "name": a.name, "region": a.region} for a in all_areas()]


@functools.cache
def _template(name: str) -> str:
    return (_DIR / name).read_text(encoding="utf-8")


_INCLUDE = re.compile(r"[ \t]*\{\{include ([\w.-]+)\}\}\n?")
_INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])", re.IGNORECASE)


class Page(str):
    """Rendered HTML that knows the CSP nonce of its inline tags."""

    nonce: str

    def __new__(cls, text: str, nonce: str) -> Page:
        page = super().__new__(cls, text)
        page.nonce = nonce
        return page


def render(name: str, **values: Any) -> Page:
    """Fill `{{include file}}` (a fragment shared by pages), `{{areas_json}}`, `{{areas_options}}` and
    any `{{key}}` given (HTML-escaped), with a fresh nonce on every inline <script>/<style>."""
    nonce = secrets.token_urlsafe(18)
    text = _INCLUDE.sub(lambda m: _template(m.group(1)), _template(name))
    text = _INLINE_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', text)
    options = "\n".join(
        f'<option value="{a.code}">{html.escape(a.name)}</option>' for a in all_areas()
    )
    text = text.replace("{{areas_options}}", options)
    text = text.replace("{{areas_json}}", html.escape(json.dumps(areas_payload(), ensure_ascii=False)))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(str(value)))
    return Page(text, nonce)
