"""Server-rendered pages: static HTML files with a little data injected. No personal data in them."""

from __future__ import annotations

import functools
import html
import json
import re
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


def render(name: str, **values: Any) -> str:
    """Fill `{{include file}}` (a fragment shared by pages), `{{areas_json}}`, `{{areas_options}}` and
    any `{{key}}` given (HTML-escaped)."""
    text = _INCLUDE.sub(lambda m: _template(m.group(1)), _template(name))
    options = "\n".join(
        f'<option value="{a.code}">{html.escape(a.name)}</option>' for a in all_areas()
    )
    text = text.replace("{{areas_options}}", options)
    text = text.replace("{{areas_json}}", html.escape(json.dumps(areas_payload(), ensure_ascii=False)))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(str(value)))
    return text
