"""Structured logging (Powertools Logger) with a correlation id per request.

Never log personal data: log ids (application id, store id), counts and codes only. As a second line
of defence the formatter masks anything shaped like a JWT (staff bearer tokens, the applicant's
correction-link token) wherever it appears in a record: message, keys, exception text.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SERVICE = "miyapo-ops"

#: A compact JWS/JWT: base64url header starting with '{"' (eyJ), payload, signature.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "[redacted-token]"


def redact_tokens(text: str) -> str:
    return JWT_SHAPE.sub(REDACTED, text)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with token-shaped strings masked in the serialized line."""

    def serialize(self, log: Any) -> str:
        return redact_tokens(super().serialize(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
