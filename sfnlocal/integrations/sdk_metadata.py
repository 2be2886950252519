"""The SDK metadata AWS's request-response integrations add to a JSON 1.0 service's response."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

__all__ = ["json_sdk_metadata"]

_ORDERED = ("connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId")


def json_sdk_metadata(wire: str, request_id: str, now: float) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of a 200 response whose body is ``wire``.

    Args:
        wire: the response body as the service sent it (its length is ``Content-Length``).
        request_id: the ``x-amzn-RequestId``.
        now: the response time (epoch seconds), for the ``Date`` header.
    """
    headers = {
        "x-amzn-RequestId": request_id,
        "connection": "keep-alive",
        "Content-Length": str(len(wire.encode())),
        "Date": formatdate(now, usegmt=True),
        "Content-Type": "application/x-amz-json-1.0",
    }
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": {k: headers[k] for k in _ORDERED},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }
