"""Structured logging (Powertools Logger) with a correlation id per request.

Never log personal data: log ids (application id, store id), counts and codes only. As a second line
of defence the formatter masks anything shaped like a JWT (staff bearer tokens, the applicant's
correction-link token) wherever it appears in a record: message, keys, exception text.

`logger` stands for the Powertools Logger, which is built (and Powertools imported, ~7 ms) the first
time anything is logged or configured, not when a module that logs is imported (issue 14, point 3).
The first request of a cold start builds it, once, under a lock: threads racing that first use all get
the same Logger. `lambda_context` is Powertools' `inject_lambda_context` as a Chalice middleware, built
the same way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "miyapo-ops"

#: A compact JWS/JWT: base64url header starting with '{"' (eyJ), payload, signature.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "[redacted-token]"


def redact_tokens(text: str) -> str:
    return JWT_SHAPE.sub(REDACTED, text)


_lock = threading.RLock()  # reentrant: building the middleware builds the logger under it
_built: dict[str, Any] = {}


def _build_logger() -> Logger:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class RedactingFormatter(LambdaPowertoolsFormatter):
        """Powertools' JSON formatter, with token-shaped strings masked in the serialized line."""

        def serialize(self, log: Any) -> str:
            return redact_tokens(super().serialize(log))

    return Logger(service=SERVICE, logger_formatter=RedactingFormatter())


def _once(name: str, build: Callable[[], Any]) -> Any:
    found = _built.get(name)
    if found is None:
        with _lock:  # one build, whichever thread comes first; the others wait and take it
            found = _built.get(name)
            if found is None:
                found = _built[name] = build()
    return found


def powertools_logger() -> Logger:
    """The Logger itself, built on first use."""
    return _once("logger", _build_logger)


class _DeferredLogger:
    """Every attribute is the Powertools Logger's (`logger.info`, `logger.append_keys`, ...)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(powertools_logger(), name)

    def __repr__(self) -> str:
        return f"<logger {SERVICE!r} ({'built' if 'logger' in _built else 'not built yet'})>"


if TYPE_CHECKING:
    logger: Logger
else:
    logger = _DeferredLogger()


def lambda_context(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware: Powertools' `inject_lambda_context(clear_state=True)` around every invocation
    (the Lambda context's keys and the cold-start flag in each line, the previous invocation's keys cleared)."""

    def build() -> Any:
        from chalice import ConvertToMiddleware

        return ConvertToMiddleware(powertools_logger().inject_lambda_context(clear_state=True))

    return _once("lambda_context", build)(event, get_response)
