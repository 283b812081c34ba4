"""Structured logging (Powertools Logger) with a correlation id per request.

Never log personal data: log ids (application id, store id), counts and codes only.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

SERVICE = "miyapo-ops"

logger = Logger(service=SERVICE)
