"""The http middleware of every route: correlation id, what request we are in (for the logs), and
the security headers of the answer (chalicelib.web.http.secure_response)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from chalicelib.observability import logger
from chalicelib.web.gateway_answers import reshape_chalice_answer
from chalicelib.web.http import refuse_role, secure_response

#: A caller-supplied correlation id is only taken when it looks like one (it ends up in every log line).
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def correlation_id(event: Any) -> str:
    supplied = (event.headers or {}).get("x-correlation-id") or ""
    if _CORRELATION_ID.match(supplied):
        return str(supplied)
    return str((event.context or {}).get("requestId") or uuid.uuid4().hex)


def http_middleware(event: Any, get_response: Any) -> Any:
    cid = correlation_id(event)
    logger.set_correlation_id(cid)
    # The path only, never the query string; no secret travels in a path (the correction link's
    # token is in the URL fragment and an X-Correction-Token header, see routes/public.py).
    logger.append_keys(path=event.path, method=event.method)
    # Chalice's own 415/405/400 in the app's words and shape, the role checked before the content type.
    response = reshape_chalice_answer(event, get_response(event), refuse_role)
    response.headers["X-Correlation-Id"] = cid
    return secure_response(response)
