"""An in-process Amazon SQS: standard and FIFO queues with the service's semantics.

``SqsService(clock, region, account)`` offers the SQS API as async methods named after the actions
(``create_queue``, ``send_message``, ``receive_message``...). Requests take SQS's parameter values;
results are SQS's JSON-protocol response shapes (``{"MessageId": ..., "MD5OfMessageBody": ...}``),
so the ``sqs:sendMessage`` Task integration and an HTTP front end can share one service. Refusals
raise ``ServiceError(code, message)`` with the JSON protocol's codes (``QueueDoesNotExist``,
``InvalidParameterValue``, ``ReceiptHandleIsInvalid``...).

Semantics: per-message and queue ``DelaySeconds``; visibility timeout (queue default, per receive,
``ChangeMessageVisibility``) after which an undeleted message is received again with a new receipt
handle (the old one stops working); long polling (``WaitTimeSeconds`` ≤ 20) woken by a send or by
the clock; ``RedrivePolicy`` moving a message to its dead-letter queue once it has been received
``maxReceiveCount`` times; FIFO queues deliver each message group in order and hold a group while
one of its messages is in flight, deduplicate within 5 minutes (by ``MessageDeduplicationId`` or the
body's SHA-256) and number messages; retention expiry; the MD5 digests clients verify. All time
comes from the injected ``Clock``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import random
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.errors import ServiceError

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock

__all__ = ["SqsService", "md5_of_message_attributes"]

DEDUP_WINDOW = 300.0
MAX_BATCH = 10
MAX_WAIT = 20
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BAD_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LIMITS = {  # attribute: (min, max, default)
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, 262144, 262144),
    "MessageRetentionPeriod": (60, 1209600, 345600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43200, 30),
}
_FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
_SETTABLE = (*_LIMITS, "RedrivePolicy", "Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
             "SqsManagedSseEnabled", "RedriveAllowPolicy", *_FIFO_ONLY)
_SYSTEM = ("SenderId", "SentTimestamp", "ApproximateReceiveCount",
           "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageDeduplicationId",
           "MessageGroupId", "DeadLetterQueueSourceArn")
_NOT_FOR_TYPE = "The request include parameter that is not valid for this queue type."


def _error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message)


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def _missing(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")


def _md5(data: bytes) -> str:
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
            value, transport = _binary(attr["BinaryValue"]), 2
        else:
            value, transport = str(attr["StringValue"]).encode(), 1
        out += bytes([transport]) + len(value).to_bytes(4, "big") + value
    return _md5(bytes(out))


def _binary(value: Any) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(str(value))


@dataclass(slots=True)
class _Message:
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

    def in_flight(self, now: float) -> bool:
        return self.handle is not None and self.visible_at > now


@dataclass(slots=True)
class _Queue:
    name: str
    url: str
    arn: str
    attributes: dict[str, str]
    created: float
    modified: float
    messages: dict[str, _Message] = field(default_factory=dict)
    handles: dict[str, _Message] = field(default_factory=dict)
    dedup: dict[tuple[str | None, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    waiters: set[asyncio.Future[None]] = field(default_factory=set)
    purged_at: float | None = None
    deleted: bool = False

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def number(self, name: str) -> int:
        return int(self.attributes[name])

    def notify(self) -> None:
        for waiter in self.waiters:
            _wake(waiter)

    def expire(self, now: float) -> None:
        cutoff = now - self.number("MessageRetentionPeriod")
        for message in [m for m in self.messages.values() if m.sent_at <= cutoff]:
            self.forget(message)

    def forget(self, message: _Message) -> None:
        self.messages.pop(message.message_id, None)
        if message.handle is not None:
            self.handles.pop(message.handle, None)

    def next_change(self, now: float) -> float | None:
        later = [m.visible_at for m in self.messages.values() if m.visible_at > now]
        return min(later, default=None)


class SqsService:
    """Queues of one account and region, driven by ``clock``.

    Args:
        clock: the time source (``VirtualClock`` in tests).
        region: the region in queue URLs and ARNs.
        account: the account id in queue URLs and ARNs.
        endpoint: the URL prefix of queue URLs (default ``https://sqs.<region>.amazonaws.com``).
        rng: the source of message ids and receipt handles (seed it for reproducible runs).
    """

    def __init__(
        self, clock: Clock, region: str = "us-east-1", account: str = "123456789012",
        endpoint: str | None = None, rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.rng = rng or random.Random()
        self.region = region
        self.account = account
        self.endpoint = (endpoint or f"https://sqs.{region}.amazonaws.com").rstrip("/")
        self._queues: dict[str, _Queue] = {}
        self._sequence = itertools.count(18_000_000_000_000_000_000)

    # -- queues --------------------------------------------------------------------------------

    async def create_queue(
        self, name: str, attributes: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """CreateQueue: ``{"QueueUrl"}``; idempotent when the attributes match."""
        attrs = {k: _text(v) for k, v in (attributes or {}).items()}
        fifo = attrs.get("FifoQueue", "false").lower() == "true"
        _check_name(name, fifo)
        wanted = self._validated(attrs, fifo)
        existing = self._queues.get(name)
        if existing is not None:
            for key, value in wanted.items():
                if existing.attributes.get(key) != value:
                    raise _error("QueueAlreadyExists", "A queue already exists with the same name "
                                 f"and a different value for attribute {key}")
            return {"QueueUrl": existing.url}
        now = self.clock.now()
        queue = _Queue(name, f"{self.endpoint}/{self.account}/{name}",
                       f"arn:aws:sqs:{self.region}:{self.account}:{name}", wanted, now, now)
        self._queues[name] = queue
        return {"QueueUrl": queue.url}

    def _validated(self, attrs: dict[str, str], fifo: bool) -> dict[str, str]:
        out = {key: str(default) for key, (_, _, default) in _LIMITS.items()}
        if fifo:
            out.update(FifoQueue="true", ContentBasedDeduplication="false",
                       DeduplicationScope="queue", FifoThroughputLimit="perQueue")
        for key, value in attrs.items():
            if key == "FifoQueue":
                if value.lower() not in ("true", "false") or (value.lower() == "true") != fifo:
                    raise _error("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
                continue
            out[key] = self._attribute(key, value, fifo)
        return out

    def _attribute(self, key: str, value: str, fifo: bool) -> str:
        if key not in _SETTABLE or (key in _FIFO_ONLY and not fifo):
            raise _error("InvalidAttributeName", f"Unknown Attribute {key}.")
        if key in _LIMITS:
            low, high, _ = _LIMITS[key]
            if not value.isdigit() or not low <= int(value) <= high:
                raise _error("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
            return str(int(value))
        if key == "ContentBasedDeduplication":
            return value.lower()
        if key == "RedrivePolicy":
            return self._redrive_policy(value, fifo)
        return value

    def _redrive_policy(self, value: str, fifo: bool) -> str:
        bad = f"Value {value} for parameter RedrivePolicy is invalid. Reason: "
        try:
            policy = json.loads(value)
            target = str(policy["deadLetterTargetArn"])
            count = int(policy["maxReceiveCount"])
        except (ValueError, KeyError, TypeError):
            raise _invalid(bad + "Redrive policy is not a valid JSON map.") from None
        if not 1 <= count <= 1000:
            raise _invalid(bad + "Invalid value for maxReceiveCount: "
                           f"{count}, valid values are from 1 to 1000 both inclusive.")
        dlq = self._by_arn(target)
        if dlq is None:
            raise _invalid(bad + "Dead letter target does not exist.")
        if dlq.fifo != fifo:
            raise _invalid(bad + "Dead-letter queue must be same type of queue as the source.")
        return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count},
                          separators=(",", ":"))

    def _by_arn(self, arn: str) -> _Queue | None:
        return next((q for q in self._queues.values() if q.arn == arn), None)

    def _queue(self, url: str | None) -> _Queue:
        if not url:
            raise _missing("QueueUrl")
        parts = url.rstrip("/").split("/")
        queue = self._queues.get(parts[-1])
        other_account = len(parts) > 1 and parts[-2].isdigit() and parts[-2] != self.account
        if queue is None or other_account:
            raise _error("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    async def get_queue_url(self, name: str) -> dict[str, Any]:
        """GetQueueUrl: ``{"QueueUrl"}``."""
        queue = self._queues.get(name)
        if queue is None:
            raise _error("QueueDoesNotExist", "The specified queue does not exist.")
        return {"QueueUrl": queue.url}

    async def list_queues(self, prefix: str | None = None) -> dict[str, Any]:
        """ListQueues: ``{"QueueUrls": [...]}`` (the key is left out when there are none)."""
        urls = [q.url for n, q in sorted(self._queues.items()) if n.startswith(prefix or "")]
        return {"QueueUrls": urls} if urls else {}

    async def delete_queue(self, url: str) -> dict[str, Any]:
        """DeleteQueue; pending long polls return empty."""
        queue = self._queue(url)
        del self._queues[queue.name]
        queue.deleted = True
        queue.notify()
        return {}

    async def purge_queue(self, url: str) -> dict[str, Any]:
        """PurgeQueue: drop every message (at most once per 60 seconds)."""
        queue, now = self._queue(url), self.clock.now()
        if queue.purged_at is not None and now - queue.purged_at < 60:
            raise _error("PurgeQueueInProgress", f"Only one PurgeQueue operation on {queue.name} "
                         "is allowed every 60 seconds.")
        queue.purged_at = now
        queue.messages.clear()
        queue.handles.clear()
        return {}

    async def get_queue_attributes(
        self, url: str, names: Sequence[str] = ("All",)
    ) -> dict[str, Any]:
        """GetQueueAttributes: ``{"Attributes": {...}}`` with string values."""
        queue, now = self._queue(url), self.clock.now()
        queue.expire(now)
        everything = dict(queue.attributes)
        everything.update(self._counts(queue, now), QueueArn=queue.arn,
                          CreatedTimestamp=str(int(queue.created)),
                          LastModifiedTimestamp=str(int(queue.modified)),
                          SqsManagedSseEnabled=queue.attributes.get("SqsManagedSseEnabled", "true"))
        if "All" in names:
            return {"Attributes": everything}
        unknown = [n for n in names if n not in everything]
        if unknown:
            raise _error("InvalidAttributeName", f"Unknown Attribute {unknown[0]}.")
        return {"Attributes": {n: everything[n] for n in names}}

    @staticmethod
    def _counts(queue: _Queue, now: float) -> dict[str, str]:
        visible = flight = delayed = 0
        for message in queue.messages.values():
            if message.visible_at <= now:
                visible += 1
            elif message.handle is not None:
                flight += 1
            else:
                delayed += 1
        return {"ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(flight),
                "ApproximateNumberOfMessagesDelayed": str(delayed)}

    async def set_queue_attributes(self, url: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """SetQueueAttributes (``FifoQueue`` cannot change)."""
        queue = self._queue(url)
        updates = {k: _text(v) for k, v in attributes.items()}
        if "FifoQueue" in updates:
            raise _error("InvalidAttributeName", "Unknown Attribute FifoQueue.")
        checked = {k: self._attribute(k, v, queue.fifo) for k, v in updates.items()}
        queue.attributes.update(checked)
        queue.modified = self.clock.now()
        queue.notify()
        return {}

    # -- sending -------------------------------------------------------------------------------

    async def send_message(
        self, url: str, body: str | None, *, delay_seconds: int | None = None,
        message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
        group_id: str | None = None, deduplication_id: str | None = None,
    ) -> dict[str, Any]:
        """SendMessage.

        Returns:
            ``{"MD5OfMessageBody", "MessageId", "MD5OfMessageAttributes"?, "SequenceNumber"?}``.
        """
        queue = self._queue(url)
        result = self._send(queue, body, delay_seconds, message_attributes, group_id,
                            deduplication_id)
        queue.notify()
        return result

    async def send_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """SendMessageBatch (``Successful``/``Failed`` entries).

        Entries have ``Id``, ``MessageBody``, ``DelaySeconds``, ``MessageAttributes``,
        ``MessageGroupId`` and ``MessageDeduplicationId``.
        """
        queue = self._queue(url)
        _check_batch(entries)
        size = sum(len(str(e.get("MessageBody", "")).encode()) for e in entries)
        if size > queue.number("MaximumMessageSize"):
            raise _error("BatchRequestTooLong", "Batch requests cannot be longer than "
                         f"{queue.number('MaximumMessageSize')} bytes. You have sent {size} bytes.")

        def one(entry: Mapping[str, Any]) -> dict[str, Any]:
            return self._send(queue, entry.get("MessageBody"), entry.get("DelaySeconds"),
                              entry.get("MessageAttributes"), entry.get("MessageGroupId"),
                              entry.get("MessageDeduplicationId"))

        result = _each(entries, one)
        queue.notify()
        return result

    def _send(
        self, queue: _Queue, body: str | None, delay: int | None,
        attributes: Mapping[str, Mapping[str, Any]] | None, group_id: str | None,
        dedup_id: str | None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        text = _check_body(body, attributes, queue.number("MaximumMessageSize"))
        attrs = _check_attributes(attributes or {})
        delay = self._delay(queue, delay)
        if queue.fifo:
            dedup_id = self._fifo_checks(queue, text, group_id, dedup_id)
            key = (group_id if queue.attributes["DeduplicationScope"] == "messageGroup" else None,
                   dedup_id)
            queue.dedup = {k: v for k, v in queue.dedup.items() if v[0] > now}
            if key in queue.dedup:
                return dict(queue.dedup[key][1])
        elif dedup_id is not None:
            raise _invalid(f"Value {dedup_id} for parameter MessageDeduplicationId is invalid. "
                           f"Reason: {_NOT_FOR_TYPE}")
        message = _Message(self._uuid(), text, attrs, now, now + delay, group_id, dedup_id)
        result = {"MD5OfMessageBody": _md5(text.encode()), "MessageId": message.message_id}
        if attrs:
            result["MD5OfMessageAttributes"] = md5_of_message_attributes(attrs)
        if queue.fifo:
            message.sequence = result["SequenceNumber"] = str(next(self._sequence))
            queue.dedup[key] = (now + DEDUP_WINDOW, dict(result))
        queue.messages[message.message_id] = message
        return result

    @staticmethod
    def _delay(queue: _Queue, delay: Any) -> int:
        if delay is None:
            return queue.number("DelaySeconds")
        if queue.fifo:
            raise _invalid(f"Value {delay} for parameter DelaySeconds is invalid. "
                           f"Reason: {_NOT_FOR_TYPE}")
        if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 900:
            raise _invalid(f"Value {delay} for parameter DelaySeconds is invalid. Reason: "
                           "DelaySeconds must be >= 0 and <= 900.")
        return delay

    @staticmethod
    def _fifo_checks(queue: _Queue, body: str, group_id: str | None, dedup_id: str | None) -> str:
        if not group_id:
            raise _missing("MessageGroupId")
        if dedup_id:
            return dedup_id
        if queue.attributes.get("ContentBasedDeduplication") != "true":
            raise _invalid("The queue should either have ContentBasedDeduplication enabled or "
                           "MessageDeduplicationId provided explicitly")
        return hashlib.sha256(body.encode()).hexdigest()

    # -- receiving -----------------------------------------------------------------------------

    async def receive_message(
        self, url: str, *, max_number: int = 1, visibility_timeout: int | None = None,
        wait_seconds: int | None = None, attribute_names: Iterable[str] = (),
        message_attribute_names: Iterable[str] = (),
    ) -> dict[str, Any]:
        """ReceiveMessage: ``{"Messages": [...]}`` (left out when none arrived in time).

        ``attribute_names`` are the system attributes (``AttributeNames`` or
        ``MessageSystemAttributeNames``); ``message_attribute_names`` filters message attributes
        (``All``, ``.*``, names and ``prefix.*``).
        """
        queue = self._queue(url)
        _check_range("MaxNumberOfMessages", max_number, 1, MAX_BATCH)
        wait = queue.number("ReceiveMessageWaitTimeSeconds") if wait_seconds is None \
            else wait_seconds
        _check_range("WaitTimeSeconds", wait, 0, MAX_WAIT)
        visibility = queue.number("VisibilityTimeout") if visibility_timeout is None \
            else visibility_timeout
        _check_range("VisibilityTimeout", visibility, 0, 43200)
        taken = await self._poll(queue, max_number, visibility, self.clock.now() + wait)
        system, wanted = set(attribute_names), list(message_attribute_names)
        messages = [self._shape(queue, m, system, wanted) for m in taken]
        return {"Messages": messages} if messages else {}

    async def _poll(self, queue: _Queue, limit: int, visibility: int, deadline: float
                    ) -> list[_Message]:
        while True:
            now = self.clock.now()
            taken = [] if queue.deleted else self._take(queue, now, limit, visibility)
            if taken or now >= deadline or queue.deleted:
                return taken
            await self._wait(queue, min(deadline, queue.next_change(now) or deadline))

    async def _wait(self, queue: _Queue, until: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.waiters.add(waiter)
        timer = self.clock.call_at(until, lambda: _wake(waiter))
        try:
            await waiter
        finally:
            timer.cancel()
            queue.waiters.discard(waiter)

    def _take(self, queue: _Queue, now: float, limit: int, visibility: int) -> list[_Message]:
        queue.expire(now)
        policy = json.loads(queue.attributes.get("RedrivePolicy") or "null")
        taken: list[_Message] = []
        blocked: set[str | None] = set()
        for message in list(queue.messages.values()):
            if len(taken) >= limit:
                break
            if queue.fifo and message.group_id in blocked:
                continue
            if message.visible_at > now:
                blocked.add(message.group_id)
                continue
            if (policy and message.receive_count >= policy["maxReceiveCount"]
                    and self._dead_letter(queue, message, policy["deadLetterTargetArn"], now)):
                continue
            taken.append(message)
        for message in taken:
            self._mark_received(queue, message, now, visibility)
        return taken

    def _dead_letter(self, queue: _Queue, message: _Message, target: str, now: float) -> bool:
        dlq = self._by_arn(target)
        if dlq is None:
            return False
        queue.forget(message)
        message.handle, message.receive_count, message.first_receive_at = None, 0, None
        message.visible_at, message.dlq_source = now, queue.arn
        dlq.messages[message.message_id] = message
        dlq.notify()
        return True

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _mark_received(self, queue: _Queue, message: _Message, now: float, visibility: int
                       ) -> None:
        if message.handle is not None:
            queue.handles.pop(message.handle, None)
        message.handle = base64.b64encode(
            f"{queue.name} {message.message_id} {self._uuid()}".encode()).decode()
        queue.handles[message.handle] = message
        message.receive_count += 1
        if message.first_receive_at is None:
            message.first_receive_at = now
        message.visible_at = now + visibility

    def _shape(self, queue: _Queue, message: _Message, system: set[str],
               wanted: list[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "MessageId": message.message_id, "ReceiptHandle": message.handle,
            "MD5OfBody": _md5(message.body.encode()), "Body": message.body}
        attributes = self._system_attributes(message, system)
        if attributes:
            shaped["Attributes"] = attributes
        chosen = {k: dict(v) for k, v in message.attributes.items() if _selected(k, wanted)}
        if chosen:
            shaped["MD5OfMessageAttributes"] = md5_of_message_attributes(chosen)
            shaped["MessageAttributes"] = chosen
        return shaped

    def _system_attributes(self, message: _Message, names: set[str]) -> dict[str, str]:
        every = "All" in names
        values = {
            "SenderId": self.account,
            "SentTimestamp": str(int(message.sent_at * 1000)),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(int((message.first_receive_at or 0) * 1000)),
            "SequenceNumber": message.sequence, "MessageDeduplicationId": message.dedup_id,
            "MessageGroupId": message.group_id, "DeadLetterQueueSourceArn": message.dlq_source,
        }
        return {k: v for k, v in values.items() if v is not None and (every or k in names)}

    # -- after receiving -----------------------------------------------------------------------

    def _handle(self, queue: _Queue, handle: str | None) -> _Message:
        if not handle:
            raise _missing("ReceiptHandle")
        message = queue.handles.get(handle)
        if message is None:
            raise _error("ReceiptHandleIsInvalid",
                         f'The input receipt handle "{handle}" is not a valid receipt handle.')
        return message

    async def delete_message(self, url: str, receipt_handle: str) -> dict[str, Any]:
        """DeleteMessage by the latest receipt handle."""
        queue = self._queue(url)
        queue.forget(self._handle(queue, receipt_handle))
        queue.notify()
        return {}

    async def delete_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """DeleteMessageBatch: entries with ``Id`` and ``ReceiptHandle``."""
        queue = self._queue(url)
        _check_batch(entries)
        result = _each(entries, lambda e: queue.forget(self._handle(queue, e.get("ReceiptHandle"))))
        queue.notify()
        return result

    async def change_message_visibility(
        self, url: str, receipt_handle: str, visibility_timeout: int
    ) -> dict[str, Any]:
        """ChangeMessageVisibility: the message becomes visible ``visibility_timeout`` from now."""
        queue = self._queue(url)
        self._change(queue, receipt_handle, visibility_timeout)
        queue.notify()
        return {}

    async def change_message_visibility_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """ChangeMessageVisibilityBatch: entries with ``Id``, ``ReceiptHandle``, ``VisibilityTimeout``."""
        queue = self._queue(url)
        _check_batch(entries)
        result = _each(entries, lambda e: self._change(
            queue, e.get("ReceiptHandle"), e.get("VisibilityTimeout")))
        queue.notify()
        return result

    def _change(self, queue: _Queue, handle: str | None, timeout: Any) -> None:
        message, now = self._handle(queue, handle), self.clock.now()
        _check_range("VisibilityTimeout", timeout, 0, 43200)
        if not message.in_flight(now):
            raise _error("MessageNotInflight", "Message does not exist or is not available for "
                         "visibility timeout change.")
        message.visible_at = now + timeout


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return json.dumps(value)
    return str(value)


def _check_name(name: str, fifo: bool) -> None:
    base = name[:-5] if name.endswith(".fifo") else name
    if fifo and (not name.endswith(".fifo") or not _NAME.match(base) or len(name) > 80):
        raise _invalid("The name of a FIFO queue can only include alphanumeric characters, "
                       "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in "
                       "length.")
    if not fifo and not _NAME.match(name):
        raise _invalid("Can only include alphanumeric characters, hyphens, or underscores. "
                       "1 to 80 in length")


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _invalid(f"Value {value} for parameter {name} is invalid. Reason: must be between "
                       f"{low} and {high}, if provided.")


def _check_body(body: Any, attributes: Any, limit: int) -> str:
    if body is None or body == "":
        raise _missing("MessageBody")
    text = str(body)
    if _BAD_CHARS.search(text):
        raise _error("InvalidMessageContents", "Invalid characters found. Valid unicode "
                     "characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
                     "#x10000 to #x10FFFF")
    size = len(text.encode()) + _attributes_size(attributes or {})
    if size > limit:
        raise _invalid("One or more parameters are invalid. Reason: Message must be shorter than "
                       f"{limit} bytes.")
    return text


def _attributes_size(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    total = 0
    for name, attr in attributes.items():
        value = attr.get("StringValue", attr.get("BinaryValue", b""))
        raw = value if isinstance(value, bytes) else str(value).encode()
        total += len(name.encode()) + len(str(attr.get("DataType", "")).encode()) + len(raw)
    return total


def _check_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    if len(attributes) > 10:
        raise _invalid(f"Number of message attributes [{len(attributes)}] exceeds the allowed "
                       "maximum [10].")
    out: dict[str, dict[str, Any]] = {}
    for name, attr in attributes.items():
        data_type = attr.get("DataType") if isinstance(attr, Mapping) else None
        if not data_type:
            raise _invalid(f"The message attribute '{name}' must contain non-empty message "
                           "attribute type.")
        kind = str(data_type).split(".", 1)[0]
        if kind not in ("String", "Number", "Binary"):
            raise _invalid(f"The type of message (user) attribute '{name}' is invalid. You must "
                           "use only the following supported type prefixes: Binary, Number, "
                           "String.")
        key = "BinaryValue" if kind == "Binary" else "StringValue"
        value = attr.get(key)
        if value is None or value in ("", b""):
            raise _invalid(f"The message attribute '{name}' must contain non-empty message "
                           f"attribute value for message attribute type '{kind}'.")
        out[name] = {"DataType": str(data_type),
                     key: _binary(value) if kind == "Binary" else str(value)}
    return out


def _selected(name: str, wanted: list[str]) -> bool:
    for pattern in wanted:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def _check_batch(entries: Sequence[Mapping[str, Any]]) -> None:
    if not entries:
        raise _error("EmptyBatchRequest", "There should be at least one "
                     "SendMessageBatchRequestEntry in the request.")
    if len(entries) > MAX_BATCH:
        raise _error("TooManyEntriesInBatchRequest", "Maximum number of entries per request are "
                     f"10. You have sent {len(entries)}.")
    ids = [str(e.get("Id", "")) for e in entries]
    for entry_id in ids:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", entry_id):
            raise _error("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric "
                         "characters, hyphens and underscores. It can be at most 80 letters long.")
    if len(set(ids)) != len(ids):
        raise _error("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have "
                     "the same Id.")


def _each(entries: Sequence[Mapping[str, Any]], run: Any) -> dict[str, Any]:
    """Run ``run(entry)`` per entry, collecting ``Successful`` and ``Failed`` entries."""
    ok: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            outcome = run(entry)
        except ServiceError as exc:
            failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code,
                           "Message": exc.message})
            continue
        ok.append({"Id": entry["Id"], **(outcome or {})})
    return {"Successful": ok, "Failed": failed}
