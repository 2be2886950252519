"""The SQS API on the server's endpoint (AWS JSON 1.0, ``X-Amz-Target: AmazonSQS.<Action>``)."""

from __future__ import annotations

from aiohttp import web

from sfnlocal.api.errors import error_response

__all__ = ["TARGET_PREFIX", "serve_sqs"]

TARGET_PREFIX = "AmazonSQS."


async def serve_sqs(request: web.Request, action: str) -> web.Response:
    """Answer one SQS action (placeholder until the work lands)."""
    return error_response("UnknownOperationException", None)
