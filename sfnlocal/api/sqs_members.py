"""The members of SQS API requests: which each action takes, which it requires, their JSON types.

``members(action, body)`` checks a request body against the action's members (botocore's SQS
service model, ``2012-11-05``) and returns it with message attributes' ``BinaryValue`` decoded
from base64. A required member that is absent is ``MissingParameter``; a member of the wrong JSON
type (or a binary value that is not base64) is ``InvalidParameterValue``: an SQS client mistake is
always an SQS error, never a server error. Members the model does not know are ignored, as AWS's
JSON services do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from sfnlocal.errors import ServiceError

__all__ = ["ACTIONS", "members"]

_Check = Callable[[str, Any], Any]
_Spec = tuple[dict[str, _Check], tuple[str, ...]]


def _bad(name: str, value: Any, expected: str) -> ServiceError:
    return ServiceError("InvalidParameterValue",
                        f"Value {value!r} for parameter {name} is invalid. Reason: must be "
                        f"{expected}.")


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(name, value, "a string")
    return value


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, value, "an integer")
    return value


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _bad(name, value, "a list of strings")
    return [_string(f"{name}.{i}", item) for i, item in enumerate(value, 1)]


def _string_map(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(name, value, "a map of strings")
    return {key: _string(f"{name}.{key}", item) for key, item in value.items()}


def _attribute(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(name, value, "a message attribute value")
    out: dict[str, Any] = {}
    for key in ("DataType", "StringValue"):
        if value.get(key) is not None:
            out[key] = _string(f"{name}.{key}", value[key])
    raw = value.get("BinaryValue")
    if raw is not None:
        try:
            out["BinaryValue"] = base64.b64decode(_string(f"{name}.BinaryValue", raw),
                                                  validate=True)
        except binascii.Error:
            raise _bad(f"{name}.BinaryValue", raw, "base64-encoded binary data") from None
    return out


def _attributes(name: str, value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise _bad(name, value, "a map of message attribute values")
    return {key: _attribute(f"{name}.{key}", item) for key, item in value.items()}


def _entries(spec: dict[str, _Check]) -> _Check:
    def check(name: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise _bad(name, value, "a list of entries")
        return [_structure(f"{name}.{i}", item, spec) for i, item in enumerate(value, 1)]

    return check


def _structure(name: str, value: Any, spec: dict[str, _Check]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(name, value, "a structure")
    prefix = f"{name}." if name else ""
    return {key: spec[key](prefix + key, item) for key, item in value.items()
            if key in spec and item is not None}


_URL: dict[str, _Check] = {"QueueUrl": _string}
_HANDLE: dict[str, _Check] = {"Id": _string, "ReceiptHandle": _string}
_SEND: dict[str, _Check] = {
    "MessageBody": _string, "DelaySeconds": _integer, "MessageAttributes": _attributes,
    "MessageSystemAttributes": _attributes, "MessageDeduplicationId": _string,
    "MessageGroupId": _string,
}
_SPECS: dict[str, _Spec] = {
    "CreateQueue": ({"QueueName": _string, "Attributes": _string_map, "tags": _string_map},
                    ("QueueName",)),
    "GetQueueUrl": ({"QueueName": _string, "QueueOwnerAWSAccountId": _string}, ("QueueName",)),
    "ListQueues": ({"QueueNamePrefix": _string, "NextToken": _string, "MaxResults": _integer}, ()),
    "DeleteQueue": (_URL, ("QueueUrl",)),
    "PurgeQueue": (_URL, ("QueueUrl",)),
    "GetQueueAttributes": ({**_URL, "AttributeNames": _strings}, ("QueueUrl",)),
    "SetQueueAttributes": ({**_URL, "Attributes": _string_map}, ("QueueUrl", "Attributes")),
    "SendMessage": ({**_URL, **_SEND}, ("QueueUrl", "MessageBody")),
    "SendMessageBatch": ({**_URL, "Entries": _entries({"Id": _string, **_SEND})},
                         ("QueueUrl", "Entries")),
    "ReceiveMessage": ({**_URL, "AttributeNames": _strings, "MessageSystemAttributeNames": _strings,
                        "MessageAttributeNames": _strings, "MaxNumberOfMessages": _integer,
                        "VisibilityTimeout": _integer, "WaitTimeSeconds": _integer,
                        "ReceiveRequestAttemptId": _string}, ("QueueUrl",)),
    "DeleteMessage": ({**_URL, "ReceiptHandle": _string}, ("QueueUrl", "ReceiptHandle")),
    "DeleteMessageBatch": ({**_URL, "Entries": _entries(_HANDLE)}, ("QueueUrl", "Entries")),
    "ChangeMessageVisibility": ({**_URL, "ReceiptHandle": _string, "VisibilityTimeout": _integer},
                                ("QueueUrl", "ReceiptHandle", "VisibilityTimeout")),
    "ChangeMessageVisibilityBatch": (
        {**_URL, "Entries": _entries({**_HANDLE, "VisibilityTimeout": _integer})},
        ("QueueUrl", "Entries")),
    "TagQueue": ({**_URL, "Tags": _string_map}, ("QueueUrl", "Tags")),
    "UntagQueue": ({**_URL, "TagKeys": _strings}, ("QueueUrl", "TagKeys")),
    "ListQueueTags": (_URL, ("QueueUrl",)),
    "ListDeadLetterSourceQueues": ({**_URL, "NextToken": _string, "MaxResults": _integer},
                                   ("QueueUrl",)),
    "AddPermission": ({**_URL, "Label": _string, "AWSAccountIds": _strings, "Actions": _strings},
                      ("QueueUrl", "Label", "AWSAccountIds", "Actions")),
    "RemovePermission": ({**_URL, "Label": _string}, ("QueueUrl", "Label")),
    "StartMessageMoveTask": ({"SourceArn": _string, "DestinationArn": _string,
                              "MaxNumberOfMessagesPerSecond": _integer}, ("SourceArn",)),
    "ListMessageMoveTasks": ({"SourceArn": _string, "MaxResults": _integer}, ("SourceArn",)),
    "CancelMessageMoveTask": ({"TaskHandle": _string}, ("TaskHandle",)),
}
ACTIONS = frozenset(_SPECS)
"""The actions the server's SQS API serves."""


def members(action: str, body: dict[str, Any]) -> dict[str, Any]:
    """The checked members of one ``action`` request (absent and null members left out).

    Raises:
        ServiceError: ``MissingParameter`` or ``InvalidParameterValue``.
    """
    spec, required = _SPECS[action]
    for name in required:
        if body.get(name) is None:
            raise ServiceError("MissingParameter",
                               f"The request must contain the parameter {name}.")
    return _structure("", body, spec) if body else {}
