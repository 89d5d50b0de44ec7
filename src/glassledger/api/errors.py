"""Typed JSON errors: every refusal is ``{"error": {"type", "reason", "message"}}`` with a
status code from :data:`STATUS`; an unexpected failure is a 500 that says it is a bug and
never carries a stack trace."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorBody(BaseModel):
    type: str
    reason: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """A refusal with its HTTP status, machine-readable ``reason`` and human message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def body(status: int, reason: str, message: str) -> dict:
    return {"error": {"type": STATUS.get(status, "error"), "reason": reason, "message": message}}


#: The error responses every authenticated endpoint documents.
COMMON = {
    code: {"model": ErrorResponse, "description": STATUS[code]}
    for code in (400, 401, 403, 404, 413, 422, 429, 500)
}
