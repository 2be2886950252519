"""``arn:aws:states:::sqs:sendMessage[.waitForTaskToken]``: send a message to a local SQS queue.

Parameters AWS supports are ``QueueUrl``, ``MessageBody`` (a non-string body is sent as its JSON
text), ``DelaySeconds``, ``MessageAttributes``, ``MessageDeduplicationId`` and ``MessageGroupId``;
others are dropped before ``TaskScheduled`` is recorded (``prepare``). The result is SendMessage's
response plus the Java SDK's metadata, as Step Functions returns it::

    {"MD5OfMessageBody", "MessageId", "MD5OfMessageAttributes"?, "SequenceNumber"?,
     "SdkHttpMetadata", "SdkResponseMetadata"}

Errors follow Step Functions' names for the Java SDK's exceptions: a refused request is
``SQS.AmazonSQSException`` (or the modelled ``SQS.QueueDoesNotExistException`` /
``SQS.InvalidMessageContentsException``) with the cause ``<message> (Service: AmazonSQS; Status
Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)``; a queue URL that names no queue
(no path: the host itself is the unknown part) is ``SQS.SdkClientException`` ``Unable to execute
HTTP request: <host>: Name or service not known``.

For ``.waitForTaskToken`` the integration only sends; the Task state waits for the token.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sfnlocal.errors import ServiceError, StatesError
from sfnlocal.integrations.sdk_metadata import json_sdk_metadata

if TYPE_CHECKING:
    from sfnlocal.integrations.base import TaskRequest
    from sfnlocal.integrations.sqs_queues import SqsService

__all__ = ["SUPPORTED_PARAMETERS", "SqsSendMessage"]

SUPPORTED_PARAMETERS = ("QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes",
                        "MessageDeduplicationId", "MessageGroupId")
# Service codes whose Java SDK exception is modelled: (exception name, wire code, message).
_MODELLED = {
    "QueueDoesNotExist": ("QueueDoesNotExistException", "AWS.SimpleQueueService.NonExistentQueue",
                          "The specified queue does not exist for this wsdl version."),
    "InvalidMessageContents": ("InvalidMessageContentsException", "InvalidMessageContents", None),
}


class SqsSendMessage:
    """The ``sqs:sendMessage`` optimized integration over an ``SqsService``.

    Args:
        service: the queues messages are sent to.
    """

    def __init__(self, service: SqsService) -> None:
        self.service = service

    def prepare(self, parameters: Any) -> Any:
        """Drop the parameters the optimized integration does not support."""
        if not isinstance(parameters, dict):
            return parameters
        return {k: v for k, v in parameters.items() if k in SUPPORTED_PARAMETERS}

    async def invoke(self, request: TaskRequest) -> Any:
        """Send the message; return SendMessage's response in Step Functions' shape.

        Raises:
            StatesError: ``SQS.AmazonSQSException`` (and modelled subclasses) or
                ``SQS.SdkClientException``.
        """
        params = request.parameters if isinstance(request.parameters, dict) else {}
        request_id = str(uuid.UUID(int=request.context.runtime.rng.getrandbits(128), version=4))
        url = params.get("QueueUrl")
        _check_host(url)
        try:
            result = await self.service.send_message(
                str(url) if url is not None else "", _body(params.get("MessageBody")),
                delay_seconds=params.get("DelaySeconds"),
                message_attributes=params.get("MessageAttributes"),
                group_id=params.get("MessageGroupId"),
                deduplication_id=params.get("MessageDeduplicationId"),
            )
        except ServiceError as exc:
            raise _task_error(exc, request_id) from None
        return _response(result, request_id, request.context.clock.now())


def _body(body: Any) -> str | None:
    if body is None or isinstance(body, str):
        return body
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _check_host(url: Any) -> None:
    """A URL without a queue path cannot reach SQS: the SDK fails before any request."""
    if not isinstance(url, str) or not url:
        return
    parsed = urlparse(url)
    if parsed.scheme and parsed.hostname and parsed.path.strip("/") == "":
        raise StatesError("SQS.SdkClientException",
                          f"Unable to execute HTTP request: {parsed.hostname}: "
                          "Name or service not known")


def _task_error(exc: ServiceError, request_id: str) -> StatesError:
    name, code, message = _MODELLED.get(exc.code, ("AmazonSQSException", exc.code, None))
    return StatesError(
        f"SQS.{name}",
        f"{message or exc.message} (Service: AmazonSQS; Status Code: 400; Error Code: {code}; "
        f"Request ID: {request_id}; Proxy: null)",
    )


def _response(result: dict[str, Any], request_id: str, now: float) -> dict[str, Any]:
    wire = json.dumps(result, separators=(",", ":"))
    response = {**result, **json_sdk_metadata(wire, request_id, now)}
    return {k: response[k] for k in sorted(response)}
