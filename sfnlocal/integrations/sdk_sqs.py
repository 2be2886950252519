"""``arn:aws:states:::aws-sdk:sqs:<action>``: the SQS API of a local ``SqsService``.

Parameters and results use the AWS SDK's PascalCase names (``QueueUrl``, ``MaxNumberOfMessages``,
``ReceiptHandle``...); results are the service's response shapes (``{"Messages": [...]}``, ``{}``).
A refused call fails with the Java SDK v2 name of the service's error code, as Step Functions
reports SDK integrations: ``Sqs.<Code>Exception`` with the cause ``<message> (Service: Sqs, Status
Code: 400, Request ID: <id>)``. An action that is not served fails with ``States.Runtime``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sfnlocal.errors import ServiceError, StatesError

if TYPE_CHECKING:
    from sfnlocal.integrations.base import TaskRequest
    from sfnlocal.integrations.sqs_queues import SqsService

__all__ = ["SDK_SQS_ACTIONS", "SdkSqs"]

_Action = Callable[["SqsService", dict[str, Any]], Awaitable[dict[str, Any]]]


async def _send(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.send_message(
        p.get("QueueUrl", ""), p.get("MessageBody"), delay_seconds=p.get("DelaySeconds"),
        message_attributes=p.get("MessageAttributes"), group_id=p.get("MessageGroupId"),
        deduplication_id=p.get("MessageDeduplicationId"),
        system_attributes=p.get("MessageSystemAttributes"))


async def _send_batch(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.send_message_batch(p.get("QueueUrl", ""), p.get("Entries") or [])


async def _receive(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    names = [*(p.get("AttributeNames") or ()), *(p.get("MessageSystemAttributeNames") or ())]
    return await service.receive_message(
        p.get("QueueUrl", ""), max_number=p.get("MaxNumberOfMessages", 1),
        visibility_timeout=p.get("VisibilityTimeout"), wait_seconds=p.get("WaitTimeSeconds"),
        attribute_names=names, message_attribute_names=p.get("MessageAttributeNames") or ())


async def _delete(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.delete_message(p.get("QueueUrl", ""), p.get("ReceiptHandle", ""))


async def _delete_batch(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.delete_message_batch(p.get("QueueUrl", ""), p.get("Entries") or [])


async def _change_visibility(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.change_message_visibility(
        p.get("QueueUrl", ""), p.get("ReceiptHandle", ""), p.get("VisibilityTimeout", 0))


async def _change_visibility_batch(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.change_message_visibility_batch(p.get("QueueUrl", ""),
                                                         p.get("Entries") or [])


async def _get_url(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    owner = p.get("QueueOwnerAWSAccountId")
    if owner is not None and owner != service.account:
        raise ServiceError("QueueDoesNotExist", "The specified queue does not exist.")
    return await service.get_queue_url(p.get("QueueName", ""))


async def _create(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.create_queue(p.get("QueueName", ""), p.get("Attributes"), p.get("tags"))


async def _delete_queue(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.delete_queue(p.get("QueueUrl", ""))


async def _set_attributes(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.set_queue_attributes(p.get("QueueUrl", ""), p.get("Attributes") or {})


async def _attributes(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.get_queue_attributes(p.get("QueueUrl", ""),
                                              p.get("AttributeNames") or ("All",))


async def _purge(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.purge_queue(p.get("QueueUrl", ""))


async def _list(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.list_queues(p.get("QueueNamePrefix"), p.get("MaxResults"),
                                     p.get("NextToken"))


async def _tag(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.tag_queue(p.get("QueueUrl", ""), p.get("Tags") or {})


async def _untag(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.untag_queue(p.get("QueueUrl", ""), p.get("TagKeys") or [])


async def _tags(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.list_queue_tags(p.get("QueueUrl", ""))


async def _dlq_sources(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.list_dead_letter_source_queues(
        p.get("QueueUrl", ""), p.get("MaxResults"), p.get("NextToken"))


async def _add_permission(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.add_permission(p.get("QueueUrl", ""), p.get("Label", ""),
                                        p.get("AWSAccountIds") or [], p.get("Actions") or [])


async def _remove_permission(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.remove_permission(p.get("QueueUrl", ""), p.get("Label", ""))


async def _start_move(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.start_message_move_task(
        p.get("SourceArn", ""), p.get("DestinationArn"), p.get("MaxNumberOfMessagesPerSecond"))


async def _list_moves(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.list_message_move_tasks(p.get("SourceArn", ""), p.get("MaxResults"))


async def _cancel_move(service: SqsService, p: dict[str, Any]) -> dict[str, Any]:
    return await service.cancel_message_move_task(p.get("TaskHandle", ""))


SDK_SQS_ACTIONS: dict[str, _Action] = {
    "sendMessage": _send,
    "sendMessageBatch": _send_batch,
    "receiveMessage": _receive,
    "deleteMessage": _delete,
    "deleteMessageBatch": _delete_batch,
    "changeMessageVisibility": _change_visibility,
    "changeMessageVisibilityBatch": _change_visibility_batch,
    "createQueue": _create,
    "deleteQueue": _delete_queue,
    "getQueueUrl": _get_url,
    "getQueueAttributes": _attributes,
    "setQueueAttributes": _set_attributes,
    "purgeQueue": _purge,
    "listQueues": _list,
    "tagQueue": _tag,
    "untagQueue": _untag,
    "listQueueTags": _tags,
    "listDeadLetterSourceQueues": _dlq_sources,
    "addPermission": _add_permission,
    "removePermission": _remove_permission,
    "startMessageMoveTask": _start_move,
    "listMessageMoveTasks": _list_moves,
    "cancelMessageMoveTask": _cancel_move,
}
"""The served ``aws-sdk:sqs`` actions (resource action name → call on the service)."""


class SdkSqs:
    """The ``aws-sdk:sqs`` integration over an ``SqsService``.

    Args:
        service: the queues the actions act on.
    """

    def __init__(self, service: SqsService) -> None:
        self.service = service

    async def invoke(self, request: TaskRequest) -> Any:
        """Call the action named by the resource; return its PascalCase response.

        Raises:
            StatesError: ``Sqs.<Code>Exception`` for a refused call; ``States.Runtime`` for an
                action that is not served.
        """
        action = SDK_SQS_ACTIONS.get(request.resource.action)
        if action is None:
            raise StatesError("States.Runtime",
                              f"The aws-sdk:sqs action '{request.resource.action}' is not served.")
        params = request.parameters if isinstance(request.parameters, dict) else {}
        try:
            return await action(self.service, params)
        except ServiceError as err:
            request_id = str(uuid.UUID(int=request.context.runtime.rng.getrandbits(128),
                                       version=4))
            raise _sdk_error(err, request_id) from None


_STATUS = {"ResourceNotFoundException": 404, "OverLimit": 403}


def _sdk_error(err: ServiceError, request_id: str) -> StatesError:
    """``Sqs.<Code>Exception`` in the Java SDK v2 format of SDK integrations."""
    name = err.code if err.code.endswith("Exception") else f"{err.code}Exception"
    status = _STATUS.get(err.code, 400)
    return StatesError(
        f"Sqs.{name}",
        f"{err.message} (Service: Sqs, Status Code: {status}, Request ID: {request_id})",
    )
