"""An in-process Amazon SQS: standard and FIFO queues with the service's semantics.

``SqsService(clock, region, account)`` offers the SQS API as async methods named after the actions
(``create_queue``, ``send_message``, ``receive_message``...). Requests take SQS's parameter values;
results are SQS's JSON-protocol response shapes (``{"MessageId": ..., "MD5OfMessageBody": ...}``),
so the ``sqs:sendMessage`` Task integration and the server's SQS API share one service. Refusals
raise ``ServiceError(code, message)`` with the JSON protocol's codes (``QueueDoesNotExist``,
``InvalidParameterValue``, ``ReceiptHandleIsInvalid``...).

Semantics: per-message and queue ``DelaySeconds``; visibility timeout (queue default, per receive,
``ChangeMessageVisibility``) after which an undeleted message is received again with a new receipt
handle (the old one stops working); long polling (``WaitTimeSeconds`` ≤ 20) woken by a send or by
the clock; ``RedrivePolicy`` moving a message to its dead-letter queue once it has been received
``maxReceiveCount`` times; FIFO queues deliver each message group in order and hold a group while
one of its messages is in flight, deduplicate within 5 minutes (by ``MessageDeduplicationId`` or the
body's SHA-256) and number messages; retention expiry; the MD5 digests clients verify; the
``AWSTraceHeader`` system attribute; queue tags; ``AddPermission``/``RemovePermission`` written
into the ``Policy`` attribute; message move tasks redriving a dead-letter queue at a rate. All
time comes from the injected ``Clock``.

A queue URL is matched by its last two path segments (account and name), whatever its host: the
``https://sqs.<region>.amazonaws.com/<account>/<name>`` URLs this service hands out and the
``http://<server>/<account>/<name>`` URLs of the server's SQS API name the same queue.

The service is this facade; the data lives in ``sqs_model``, parameter checks in ``sqs_checks``,
tags and policies in ``sqs_access``, the receive side in ``sqs_delivery`` and message move tasks
in ``sqs_moves``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sfnlocal.integrations.sqs_access import policy_with, policy_without, tagged
from sfnlocal.integrations.sqs_checks import (
    check_attributes,
    check_batch,
    check_body,
    check_name,
    check_range,
    check_system_attributes,
    each,
    queue_attribute,
    queue_attributes,
)
from sfnlocal.integrations.sqs_delivery import Delivery
from sfnlocal.integrations.sqs_model import (
    DEDUP_WINDOW,
    MAX_BATCH,
    MAX_WAIT,
    NOT_FOR_TYPE,
    Message,
    Queue,
    error,
    invalid,
    md5,
    md5_of_message_attributes,
    missing,
    no_queue,
    text,
)
from sfnlocal.integrations.sqs_moves import Moves

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock

__all__ = ["SqsService", "md5_of_message_attributes"]


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
        self._queues: dict[str, Queue] = {}
        self._sequence = itertools.count(18_000_000_000_000_000_000)
        self._delivery = Delivery(clock, account, self._by_arn, self._uuid)
        self._moves = Moves(clock, self._by_arn, self._sources_of, self._uuid)

    # -- queues --------------------------------------------------------------------------------

    async def create_queue(
        self, name: str, attributes: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """CreateQueue: ``{"QueueUrl"}``; idempotent when the attributes match.

        ``tags`` are set on a new queue (an existing queue keeps its own).
        """
        attrs = {k: text(v) for k, v in (attributes or {}).items()}
        fifo = attrs.get("FifoQueue", "false").lower() == "true"
        check_name(name, fifo)
        wanted = queue_attributes(attrs, fifo, self._by_arn)
        existing = self._queues.get(name)
        new_tags = tagged(None, name, tags or {})
        if existing is not None:
            for key, value in wanted.items():
                if existing.attributes.get(key) != value:
                    raise error("QueueNameExists", "A queue already exists with the same name "
                                f"and a different value for attribute {key}")
            return {"QueueUrl": existing.url}
        now = self.clock.now()
        queue = Queue(name, f"{self.endpoint}/{self.account}/{name}",
                      f"arn:aws:sqs:{self.region}:{self.account}:{name}", wanted, now, now)
        queue.tags = new_tags
        self._queues[name] = queue
        return {"QueueUrl": queue.url}

    def _by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self._queues.values() if q.arn == arn), None)

    def _sources_of(self, dlq_arn: str) -> list[Queue]:
        """The queues whose ``RedrivePolicy`` targets ``dlq_arn``, by name."""
        return [q for _, q in sorted(self._queues.items())
                if json.loads(q.attributes.get("RedrivePolicy") or "{}")
                .get("deadLetterTargetArn") == dlq_arn]

    def _queue(self, url: str | None) -> Queue:
        if not url:
            raise missing("QueueUrl")
        parts = url.rstrip("/").split("/")
        queue = self._queues.get(parts[-1])
        other_account = len(parts) > 1 and parts[-2].isdigit() and parts[-2] != self.account
        if queue is None or other_account:
            raise no_queue()
        return queue

    async def get_queue_url(self, name: str) -> dict[str, Any]:
        """GetQueueUrl: ``{"QueueUrl"}``."""
        queue = self._queues.get(name)
        if queue is None:
            raise no_queue()
        return {"QueueUrl": queue.url}

    async def list_queues(
        self, prefix: str | None = None, max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListQueues: ``{"QueueUrls": [...], "NextToken"?}`` (no key when there are none).

        Without ``max_results`` every queue is listed (up to 1000); with it, a page of that many
        and a ``NextToken`` for the rest.
        """
        names = [n for n in sorted(self._queues) if n.startswith(prefix or "")]
        urls, token = self._page(names, max_results, next_token)
        result: dict[str, Any] = {"QueueUrls": urls} if urls else {}
        if token is not None:
            result["NextToken"] = token
        return result

    def _page(self, names: list[str], max_results: int | None, next_token: str | None
              ) -> tuple[list[str], str | None]:
        """One page of the queues ``names`` (sorted): their URLs and the next page's token."""
        if next_token is not None:
            after = _token_name(next_token)
            names = [n for n in names if n > after]
        if max_results is not None:
            check_range("MaxResults", max_results, 1, 1000)
        page = names[:max_results or 1000]
        token = None
        if max_results is not None and len(names) > len(page):
            token = base64.b64encode(json.dumps({"after": page[-1]}).encode()).decode()
        return [self._queues[n].url for n in page], token

    async def list_dead_letter_source_queues(
        self, url: str, max_results: int | None = None, next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListDeadLetterSourceQueues: ``{"queueUrls": [...], "NextToken"?}``, paged as ListQueues."""
        dlq = self._queue(url)
        names = [q.name for q in self._sources_of(dlq.arn)]
        urls, token = self._page(names, max_results, next_token)
        result: dict[str, Any] = {"queueUrls": urls}
        if token is not None:
            result["NextToken"] = token
        return result

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
            raise error("PurgeQueueInProgress", f"Only one PurgeQueue operation on {queue.name} "
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
        everything.update(queue.counts(now), QueueArn=queue.arn,
                          CreatedTimestamp=str(int(queue.created)),
                          LastModifiedTimestamp=str(int(queue.modified)),
                          SqsManagedSseEnabled=queue.attributes.get("SqsManagedSseEnabled", "true"))
        if "All" in names:
            return {"Attributes": everything}
        unknown = [n for n in names if n not in everything]
        if unknown:
            raise error("InvalidAttributeName", f"Unknown Attribute {unknown[0]}.")
        return {"Attributes": {n: everything[n] for n in names}}

    async def set_queue_attributes(self, url: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """SetQueueAttributes (``FifoQueue`` cannot change)."""
        queue = self._queue(url)
        updates = {k: text(v) for k, v in attributes.items()}
        if "FifoQueue" in updates:
            raise error("InvalidAttributeName", "Unknown Attribute FifoQueue.")
        checked = {k: queue_attribute(k, v, queue.fifo, self._by_arn) for k, v in updates.items()}
        queue.attributes.update(checked)
        queue.modified = self.clock.now()
        queue.notify()
        return {}

    # -- tags and permissions ------------------------------------------------------------------

    async def tag_queue(self, url: str, tags: Mapping[str, str]) -> dict[str, Any]:
        """TagQueue: add ``tags`` (a key already there takes the new value)."""
        queue = self._queue(url)
        if not tags:
            raise missing("Tags")
        queue.tags = tagged(queue, queue.name, tags)
        return {}

    async def untag_queue(self, url: str, keys: Sequence[str]) -> dict[str, Any]:
        """UntagQueue: remove the tags ``keys`` (keys the queue lacks are ignored)."""
        queue = self._queue(url)
        if not keys or not all(1 <= len(key) <= 128 for key in keys):
            raise invalid("Tag keys must be between 1 and 128 characters in length.")
        queue.tags = {k: v for k, v in queue.tags.items() if k not in keys}
        return {}

    async def list_queue_tags(self, url: str) -> dict[str, Any]:
        """ListQueueTags: ``{"Tags": {...}}`` (no key when the queue has none)."""
        queue = self._queue(url)
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    async def add_permission(self, url: str, label: str, account_ids: Sequence[str],
                             actions: Sequence[str]) -> dict[str, Any]:
        """AddPermission: a statement ``label`` in the queue's ``Policy`` attribute."""
        queue = self._queue(url)
        queue.attributes["Policy"] = policy_with(queue, label, account_ids, actions)
        queue.modified = self.clock.now()
        return {}

    async def remove_permission(self, url: str, label: str) -> dict[str, Any]:
        """RemovePermission: drop statement ``label`` (and the ``Policy`` once it is empty)."""
        queue = self._queue(url)
        policy = policy_without(queue, label)
        if policy is None:
            queue.attributes.pop("Policy", None)
        else:
            queue.attributes["Policy"] = policy
        queue.modified = self.clock.now()
        return {}

    # -- message move tasks --------------------------------------------------------------------

    async def start_message_move_task(
        self, source_arn: str, destination_arn: str | None = None,
        max_per_second: int | None = None,
    ) -> dict[str, Any]:
        """StartMessageMoveTask: redrive a dead-letter queue (see ``sqs_moves``)."""
        return self._moves.start(source_arn, destination_arn, max_per_second)

    async def list_message_move_tasks(self, source_arn: str, max_results: int | None = None
                                      ) -> dict[str, Any]:
        """ListMessageMoveTasks: ``{"Results": [...]}``, the most recent first."""
        return self._moves.recent(source_arn, max_results)

    async def cancel_message_move_task(self, task_handle: str) -> dict[str, Any]:
        """CancelMessageMoveTask: ``{"ApproximateNumberOfMessagesMoved"}``."""
        return self._moves.cancel(task_handle)

    # -- sending -------------------------------------------------------------------------------

    async def send_message(
        self, url: str, body: str | None, *, delay_seconds: int | None = None,
        message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
        group_id: str | None = None, deduplication_id: str | None = None,
        system_attributes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """SendMessage (``system_attributes``: ``MessageSystemAttributes``, ``AWSTraceHeader``).

        Returns:
            ``{"MD5OfMessageBody", "MessageId", "MD5OfMessageAttributes"?,
            "MD5OfMessageSystemAttributes"?, "SequenceNumber"?}``.
        """
        queue = self._queue(url)
        result = self._send(queue, body, delay_seconds, message_attributes, group_id,
                            deduplication_id, system_attributes)
        queue.notify()
        return result

    async def send_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """SendMessageBatch (``Successful``/``Failed`` entries).

        Entries have ``Id``, ``MessageBody``, ``DelaySeconds``, ``MessageAttributes``,
        ``MessageSystemAttributes``, ``MessageGroupId`` and ``MessageDeduplicationId``.
        """
        queue = self._queue(url)
        check_batch(entries)
        size = sum(len(str(e.get("MessageBody", "")).encode()) for e in entries)
        if size > queue.number("MaximumMessageSize"):
            raise error("BatchRequestTooLong", "Batch requests cannot be longer than "
                        f"{queue.number('MaximumMessageSize')} bytes. You have sent {size} bytes.")

        def one(entry: Mapping[str, Any]) -> dict[str, Any]:
            return self._send(queue, entry.get("MessageBody"), entry.get("DelaySeconds"),
                              entry.get("MessageAttributes"), entry.get("MessageGroupId"),
                              entry.get("MessageDeduplicationId"),
                              entry.get("MessageSystemAttributes"))

        result = each(entries, one)
        queue.notify()
        return result

    def _send(
        self, queue: Queue, body: str | None, delay: int | None,
        attributes: Mapping[str, Mapping[str, Any]] | None, group_id: str | None,
        dedup_id: str | None, system: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        body_text = check_body(body, attributes, queue.number("MaximumMessageSize"))
        attrs = check_attributes(attributes or {})
        trace_header = check_system_attributes(system or {})
        delay = _delay(queue, delay)
        if queue.fifo:
            dedup_id = _fifo_checks(queue, body_text, group_id, dedup_id)
            key = (group_id if queue.attributes["DeduplicationScope"] == "messageGroup" else None,
                   dedup_id)
            queue.dedup = {k: v for k, v in queue.dedup.items() if v[0] > now}
            if key in queue.dedup:
                return dict(queue.dedup[key][1])
        elif dedup_id is not None:
            raise invalid(f"Value {dedup_id} for parameter MessageDeduplicationId is invalid. "
                          f"Reason: {NOT_FOR_TYPE}")
        message = Message(self._uuid(), body_text, attrs, now, now + delay, group_id, dedup_id,
                          trace_header=trace_header)
        result = {"MD5OfMessageBody": md5(body_text.encode()), "MessageId": message.message_id}
        if attrs:
            result["MD5OfMessageAttributes"] = md5_of_message_attributes(attrs)
        if trace_header is not None:
            result["MD5OfMessageSystemAttributes"] = md5_of_message_attributes(
                {"AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}})
        if queue.fifo:
            message.sequence = result["SequenceNumber"] = str(next(self._sequence))
            queue.dedup[key] = (now + DEDUP_WINDOW, dict(result))
        queue.messages[message.message_id] = message
        return result

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

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
        check_range("MaxNumberOfMessages", max_number, 1, MAX_BATCH)
        wait = queue.number("ReceiveMessageWaitTimeSeconds") if wait_seconds is None \
            else wait_seconds
        check_range("WaitTimeSeconds", wait, 0, MAX_WAIT)
        visibility = queue.number("VisibilityTimeout") if visibility_timeout is None \
            else visibility_timeout
        check_range("VisibilityTimeout", visibility, 0, 43200)
        taken = await self._delivery.poll(queue, max_number, visibility, self.clock.now() + wait)
        system, wanted = set(attribute_names), list(message_attribute_names)
        messages = [self._delivery.shape(m, system, wanted) for m in taken]
        return {"Messages": messages} if messages else {}

    # -- after receiving -----------------------------------------------------------------------

    async def delete_message(self, url: str, receipt_handle: str) -> dict[str, Any]:
        """DeleteMessage by the latest receipt handle."""
        queue = self._queue(url)
        queue.forget(_handle(queue, receipt_handle))
        queue.notify()
        return {}

    async def delete_message_batch(
        self, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """DeleteMessageBatch: entries with ``Id`` and ``ReceiptHandle``."""
        queue = self._queue(url)
        check_batch(entries)
        result = each(entries, lambda e: queue.forget(_handle(queue, e.get("ReceiptHandle"))))
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
        check_batch(entries)
        result = each(entries, lambda e: self._change(
            queue, e.get("ReceiptHandle"), e.get("VisibilityTimeout")))
        queue.notify()
        return result

    def _change(self, queue: Queue, handle: str | None, timeout: Any) -> None:
        message, now = _handle(queue, handle), self.clock.now()
        check_range("VisibilityTimeout", timeout, 0, 43200)
        if not message.in_flight(now):
            raise error("MessageNotInflight", "Message does not exist or is not available for "
                        "visibility timeout change.")
        message.visible_at = now + timeout


def _handle(queue: Queue, handle: str | None) -> Message:
    if not handle:
        raise missing("ReceiptHandle")
    message = queue.handles.get(handle)
    if message is None:
        raise error("ReceiptHandleIsInvalid",
                    f'The input receipt handle "{handle}" is not a valid receipt handle.')
    return message


def _delay(queue: Queue, delay: Any) -> int:
    if delay is None:
        return queue.number("DelaySeconds")
    if queue.fifo:
        raise invalid(f"Value {delay} for parameter DelaySeconds is invalid. "
                      f"Reason: {NOT_FOR_TYPE}")
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 900:
        raise invalid(f"Value {delay} for parameter DelaySeconds is invalid. Reason: "
                      "DelaySeconds must be >= 0 and <= 900.")
    return delay


def _fifo_checks(queue: Queue, body: str, group_id: str | None, dedup_id: str | None) -> str:
    if not group_id:
        raise missing("MessageGroupId")
    if dedup_id:
        return dedup_id
    if queue.attributes.get("ContentBasedDeduplication") != "true":
        raise invalid("The queue should either have ContentBasedDeduplication enabled or "
                      "MessageDeduplicationId provided explicitly")
    return hashlib.sha256(body.encode()).hexdigest()


def _token_name(token: str) -> str:
    """The queue name a ``NextToken`` continues after."""
    try:
        after = json.loads(base64.b64decode(token, validate=True))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid("Invalid NextToken value.") from None
    if not isinstance(after, str):
        raise invalid("Invalid NextToken value.")
    return after
