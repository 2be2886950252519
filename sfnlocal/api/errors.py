"""Errors on the wire: AWS JSON 1.0 error responses (``{"__type": code, "message": text}``).

Every client mistake becomes an HTTP 400 (413 for an oversized body) with AWS's error code; only a
bug in sfnlocal gives a 500 ``InternalFailure``.
"""

from __future__ import annotations

import json

from aiohttp import web

__all__ = [
    "ApiError",
    "error_response",
    "missing_member",
    "unknown_operation",
    "wrong_type",
]

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


class ApiError(Exception):
    """A request the service refuses, as AWS sends it.

    Args:
        code: the ``__type`` (``ValidationException``, ``SerializationException``...).
        message: the message text (None: the body has no ``message``, as for AWS's
            ``UnknownOperationException``).
        status: the HTTP status (400 unless stated).
    """

    def __init__(self, code: str, message: str | None, status: int = 400) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}")


def error_response(code: str, message: str | None, status: int = 400) -> web.Response:
    """The HTTP response of an error: ``{"__type": code, "message": message}``."""
    body: dict[str, str] = {"__type": code}
    if message is not None:
        body["message"] = message
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-ErrorType": code},
    )


def missing_member(member: str) -> ApiError:
    """AWS's ``ValidationException`` for a required member that is absent or null."""
    return ApiError(
        "ValidationException",
        f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
        "Member must not be null",
    )


def wrong_type(member: str, value: object, expected: str) -> ApiError:
    """``ValidationException`` for a member of the wrong JSON type (``expected``: string...)."""
    shown = json.dumps(value) if not isinstance(value, str) else value
    return ApiError(
        "ValidationException",
        f"1 validation error detected: Value '{shown}' at '{member}' failed to satisfy "
        f"constraint: Member must be of type {expected}",
    )


def unknown_operation() -> ApiError:
    """AWS's answer to an ``X-Amz-Target`` it does not know (a body without a message)."""
    return ApiError("UnknownOperationException", None)
