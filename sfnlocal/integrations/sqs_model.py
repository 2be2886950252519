"""The data of the in-process SQS: messages, queues, SQS's errors and message digests.

A ``Queue`` holds its ``Message`` objects in send order (which is also FIFO order), the receipt
handles of its in-flight messages, the FIFO deduplication window and the futures of the long polls
waiting on it. Time values are epoch seconds from the service's clock.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfnlocal.errors import ServiceError

__all__ = [
    "DEDUP_WINDOW",
    "MAX_BATCH",
    "MAX_WAIT",
    "Message",
    "Queue",
    "md5",
    "md5_of_message_attributes",
]

DEDUP_WINDOW = 300.0
MAX_BATCH = 10
MAX_WAIT = 20
LIMITS = {  # attribute: (min, max, default)
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, 262144, 262144),
    "MessageRetentionPeriod": (60, 1209600, 345600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43200, 30),
}
FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
SETTABLE = (*LIMITS, "RedrivePolicy", "Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
            "SqsManagedSseEnabled", "RedriveAllowPolicy", *FIFO_ONLY)
NOT_FOR_TYPE = "The request include parameter that is not valid for this queue type."
NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def error(code: str, message: str) -> ServiceError:
    """A refusal with SQS's JSON-protocol error code."""
    return ServiceError(code, message)


def invalid(message: str) -> ServiceError:
    """``InvalidParameterValue``."""
    return ServiceError("InvalidParameterValue", message)


def missing(name: str) -> ServiceError:
    """``MissingParameter`` for the absent request parameter ``name``."""
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")


def no_queue() -> ServiceError:
    """``QueueDoesNotExist``."""
    return ServiceError("QueueDoesNotExist", "The specified queue does not exist.")


def md5(data: bytes) -> str:
    """The hex MD5 digest SQS reports (``MD5OfMessageBody``...)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_message_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """SQS's ``MD5OfMessageAttributes``: the MD5 of the attributes' documented binary encoding.

    Each attribute, sorted by name: name, data type (both length-prefixed, 4-byte big-endian),
    a transport byte (1 string/number, 2 binary) and the length-prefixed value.
    """
    out = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = str(attr["DataType"])
        for part in (name.encode(), data_type.encode()):
            out += len(part).to_bytes(4, "big") + part
        if "BinaryValue" in attr:
            value, transport = binary(attr["BinaryValue"]), 2
        else:
            value, transport = str(attr["StringValue"]).encode(), 1
        out += bytes([transport]) + len(value).to_bytes(4, "big") + value
    return md5(bytes(out))


def binary(value: Any) -> bytes:
    """A binary attribute value: bytes as they are, a string as base64."""
    return value if isinstance(value, bytes) else base64.b64decode(str(value))


def text(value: Any) -> str:
    """A queue attribute value as the string SQS stores (booleans lower case, maps as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return json.dumps(value)
    return str(value)


def wake(waiter: asyncio.Future[None]) -> None:
    """Resolve a long poll's future (once)."""
    if not waiter.done():
        waiter.set_result(None)


@dataclass(slots=True)
class Message:
    """One message: its content, timing, FIFO identity and current receipt handle."""

    message_id: str
    body: str
    attributes: dict[str, dict[str, Any]]
    sent_at: float
    visible_at: float
    group_id: str | None = None
    dedup_id: str | None = None
    sequence: str | None = None
    receive_count: int = 0
    first_receive_at: float | None = None
    handle: str | None = None
    dlq_source: str | None = None
    trace_header: str | None = None

    def in_flight(self, now: float) -> bool:
        """Received and not visible again yet."""
        return self.handle is not None and self.visible_at > now


@dataclass(slots=True)
class Queue:
    """One queue: attributes (SQS's string values), tags, messages and waiting long polls."""

    name: str
    url: str
    arn: str
    attributes: dict[str, str]
    created: float
    modified: float
    messages: dict[str, Message] = field(default_factory=dict)
    handles: dict[str, Message] = field(default_factory=dict)
    dedup: dict[tuple[str | None, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    waiters: set[asyncio.Future[None]] = field(default_factory=set)
    tags: dict[str, str] = field(default_factory=dict)
    purged_at: float | None = None
    deleted: bool = False

    @property
    def fifo(self) -> bool:
        """A FIFO queue."""
        return self.attributes.get("FifoQueue") == "true"

    def number(self, name: str) -> int:
        """A numeric attribute."""
        return int(self.attributes[name])

    def notify(self) -> None:
        """Wake the long polls: something changed."""
        for waiter in self.waiters:
            wake(waiter)

    def expire(self, now: float) -> None:
        """Drop the messages older than the retention period."""
        cutoff = now - self.number("MessageRetentionPeriod")
        for message in [m for m in self.messages.values() if m.sent_at <= cutoff]:
            self.forget(message)

    def forget(self, message: Message) -> None:
        """Remove ``message`` (deleted, expired or moved)."""
        self.messages.pop(message.message_id, None)
        if message.handle is not None:
            self.handles.pop(message.handle, None)

    def next_change(self, now: float) -> float | None:
        """When the next delayed or in-flight message becomes visible (None: none will)."""
        later = [m.visible_at for m in self.messages.values() if m.visible_at > now]
        return min(later, default=None)

    def counts(self, now: float) -> dict[str, str]:
        """The ``ApproximateNumberOfMessages*`` attributes."""
        visible = flight = delayed = 0
        for message in self.messages.values():
            if message.visible_at <= now:
                visible += 1
            elif message.handle is not None:
                flight += 1
            else:
                delayed += 1
        return {"ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(flight),
                "ApproximateNumberOfMessagesDelayed": str(delayed)}
