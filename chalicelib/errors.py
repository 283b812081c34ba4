"""Domain errors. They know nothing of HTTP; chalicelib.web.http maps them to status codes."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    """The request is malformed or fails validation (field messages in Japanese)."""

    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The thing exists already, or its state does not allow the action."""

    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class LinkExpired(DomainError):
    code = "link_expired"


class MalformedRequest(InvalidInput):
    """The body cannot be read at all (not JSON, too large, unreadable characters): 400."""

    code = "malformed_request"
