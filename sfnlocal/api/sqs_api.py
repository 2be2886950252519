"""The SQS API on the server's endpoint (AWS JSON 1.0, ``X-Amz-Target: AmazonSQS.<Action>``).

``boto3.client("sqs", endpoint_url=<server>)`` works unchanged against the queues of the
``SqsService`` the engine's Task integrations use (``sqs:sendMessage[.waitForTaskToken]``,
``aws-sdk:sqs:*``): ``ensure_sqs`` registers one on the engine's clock when the engine has none, so
a worker can receive the task token a state machine sent and answer with ``SendTaskSuccess``.

Served: every action of the SQS API: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue,
PurgeQueue, Get/SetQueueAttributes, SendMessage(Batch), ReceiveMessage (long polling runs on the
engine's clock), DeleteMessage(Batch), ChangeMessageVisibility(Batch), Tag/UntagQueue,
ListQueueTags, ListDeadLetterSourceQueues, Add/RemovePermission and the message move tasks
(Start/List/CancelMessageMoveTask, moving on the engine's clock). Queue URLs handed out are
``http://<host:port of the request>/<account>/<name>``; any URL ending in ``/<account>/<name>``
names the queue.

Errors are what SQS's JSON protocol sends: HTTP 400, ``{"__type": "com.amazonaws.sqs#<Shape>",
"message": ...}`` and ``x-amzn-query-error: <query code>;Sender``. botocore reports the query code
(``AWS.SimpleQueueService.NonExistentQueue``) as ``Error.Code`` and raises the modelled exception
class named by the shape (``QueueDoesNotExist``). ``ResourceNotFoundException`` is a 404 and
``OverLimit`` a 403, as SQS sends them.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from sfnlocal.api.errors import JSON_CONTENT_TYPE, ApiError
from sfnlocal.api.shapes import parse_body
from sfnlocal.api.sqs_members import ACTIONS, members
from sfnlocal.engine.engine import Engine
from sfnlocal.errors import ServiceError
from sfnlocal.integrations.sdk_sqs import SDK_SQS_ACTIONS
from sfnlocal.integrations.sqs_queues import SqsService

__all__ = ["TARGET_PREFIX", "ensure_sqs", "serve_sqs", "sqs_error"]

logger = logging.getLogger("sfnlocal.api")

TARGET_PREFIX = "AmazonSQS."
_PREFIX = "AWS.SimpleQueueService."
# Service code -> (error shape in the JSON ``__type``, the awsQuery code of x-amzn-query-error).
_WIRE = {
    "QueueDoesNotExist": ("QueueDoesNotExist", _PREFIX + "NonExistentQueue"),
    "QueueNameExists": ("QueueNameExists", "QueueAlreadyExists"),
    "InvalidParameterValue": ("InvalidParameterValueException", "InvalidParameterValue"),
    "MissingParameter": ("MissingRequiredParameterException", "MissingParameter"),
    **{code: (code, _PREFIX + code) for code in (
        "PurgeQueueInProgress", "MessageNotInflight", "EmptyBatchRequest", "BatchRequestTooLong",
        "TooManyEntriesInBatchRequest", "InvalidBatchEntryId", "BatchEntryIdsNotDistinct",
        "UnsupportedOperation", "QueueDeletedRecently")},
}
_STATUS = {"ResourceNotFoundException": 404, "OverLimit": 403}
_SERVICE_ERROR_TYPE = "com.amazonaws.sqs#"
_CORAL_TYPE = "com.amazon.coral.service#"


def ensure_sqs(engine: Engine) -> SqsService:
    """The ``SqsService`` of ``engine``'s integrations, made and registered if there is none."""
    registry = engine.integrations
    if registry.sqs is None:
        settings = engine.settings
        registry.register_sqs(SqsService(engine.clock, settings.region, settings.account))
    assert registry.sqs is not None
    return registry.sqs


def sqs_error(code: str, message: str | None, status: int = 400) -> web.Response:
    """An SQS error response: ``__type``, ``message`` and the ``x-amzn-query-error`` header."""
    shape, query_code = _WIRE.get(code, (code, code))
    body: dict[str, str] = {"__type": _SERVICE_ERROR_TYPE + shape}
    if message is not None:
        body["message"] = message
    fault = "Receiver" if status >= 500 else "Sender"
    return web.Response(status=status, text=json.dumps(body), content_type=JSON_CONTENT_TYPE,
                        headers={"x-amzn-query-error": f"{query_code};{fault}",
                                 "x-amzn-RequestId": str(uuid.uuid4())})


def _protocol_error(err: ApiError) -> web.Response:
    """A request that is not SQS JSON at all (coral's errors, no query code)."""
    body: dict[str, str] = {"__type": _CORAL_TYPE + err.code}
    if err.message is not None:
        body["message"] = err.message
    return web.Response(status=err.status, text=json.dumps(body), content_type=JSON_CONTENT_TYPE,
                        headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def serve_sqs(request: web.Request, action: str, engine: Engine) -> web.Response:
    """Answer one SQS ``action`` (the ``X-Amz-Target`` after ``AmazonSQS.``) on ``engine``'s queues."""
    try:
        result = await _call(request, action, ensure_sqs(engine))
    except ApiError as err:
        return _protocol_error(err)
    except ServiceError as err:
        return sqs_error(err.code, err.message, _STATUS.get(err.code, 400))
    except Exception:
        logger.exception("internal error in %s%s", TARGET_PREFIX, action)
        return sqs_error("InternalFailure", "The request processing has failed because of an "
                         "unknown error, exception or failure.", 500)
    base = f"{request.scheme}://{request.host}"
    return web.Response(text=json.dumps(_local_urls(result, base), default=_encode_bytes),
                        content_type=JSON_CONTENT_TYPE,
                        headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _call(request: web.Request, action: str, service: SqsService) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ApiError("UnknownOperationException", None)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError("RequestEntityTooLargeException",
                       "Request body is larger than the server's limit", 413) from None
    params = members(action, parse_body(raw))
    return await SDK_SQS_ACTIONS[action[0].lower() + action[1:]](service, params)


def _local_urls(result: dict[str, Any], base: str) -> dict[str, Any]:
    """Queue URLs as ``<base>/<account>/<name>``: the host and port the client reached."""
    out = dict(result)
    if "QueueUrl" in out:
        out["QueueUrl"] = base + urlparse(out["QueueUrl"]).path
    for key in ("QueueUrls", "queueUrls"):
        if key in out:
            out[key] = [base + urlparse(url).path for url in out[key]]
    return out


def _encode_bytes(value: object) -> str:
    """Binary members (message attributes' ``BinaryValue``) travel as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
