"""Receiving SQS messages: long polls, visibility, receipt handles, redrive and response shapes.

``Delivery.poll`` takes up to ``limit`` visible messages (a FIFO queue holds a message group while
one of its messages is in flight), moving a message to its dead-letter queue instead once it has
been received ``maxReceiveCount`` times; with nothing to take it waits, on the service's clock,
until a send or visibility change wakes it, the next delayed or in-flight message becomes visible
or the deadline passes.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfnlocal.integrations.sqs_checks import selected
from sfnlocal.integrations.sqs_model import Message, Queue, md5, md5_of_message_attributes, wake

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock

__all__ = ["Delivery"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """The receive side of one ``SqsService``.

    Attributes:
        clock: the service's clock.
        account: the account id (``SenderId``).
        by_arn: finds a queue by ARN (dead-letter targets).
        new_id: makes a fresh UUID string (receipt handles).
    """

    clock: Clock
    account: str
    by_arn: Callable[[str], Queue | None]
    new_id: Callable[[], str]

    async def poll(self, queue: Queue, limit: int, visibility: int, deadline: float
                   ) -> list[Message]:
        """Up to ``limit`` messages, waiting until ``deadline`` for the first (none if deleted)."""
        while True:
            now = self.clock.now()
            taken = [] if queue.deleted else self._take(queue, now, limit, visibility)
            if taken or now >= deadline or queue.deleted:
                return taken
            await self._wait(queue, min(deadline, queue.next_change(now) or deadline))

    async def _wait(self, queue: Queue, until: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.waiters.add(waiter)
        timer = self.clock.call_at(until, lambda: wake(waiter))
        try:
            await waiter
        finally:
            timer.cancel()
            queue.waiters.discard(waiter)

    def _take(self, queue: Queue, now: float, limit: int, visibility: int) -> list[Message]:
        queue.expire(now)
        policy = json.loads(queue.attributes.get("RedrivePolicy") or "null")
        taken: list[Message] = []
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

    def _dead_letter(self, queue: Queue, message: Message, target: str, now: float) -> bool:
        dlq = self.by_arn(target)
        if dlq is None:
            return False
        queue.forget(message)
        message.handle, message.receive_count, message.first_receive_at = None, 0, None
        message.visible_at, message.dlq_source = now, queue.arn
        dlq.messages[message.message_id] = message
        dlq.notify()
        return True

    def _mark_received(self, queue: Queue, message: Message, now: float, visibility: int
                       ) -> None:
        if message.handle is not None:
            queue.handles.pop(message.handle, None)
        message.handle = base64.b64encode(
            f"{queue.name} {message.message_id} {self.new_id()}".encode()).decode()
        queue.handles[message.handle] = message
        message.receive_count += 1
        if message.first_receive_at is None:
            message.first_receive_at = now
        message.visible_at = now + visibility

    def shape(self, message: Message, system: set[str], wanted: list[str]) -> dict[str, Any]:
        """A received message in ReceiveMessage's shape, with the requested attributes."""
        shaped: dict[str, Any] = {
            "MessageId": message.message_id, "ReceiptHandle": message.handle,
            "MD5OfBody": md5(message.body.encode()), "Body": message.body}
        attributes = self._system_attributes(message, system)
        if attributes:
            shaped["Attributes"] = attributes
        chosen = {k: dict(v) for k, v in message.attributes.items() if selected(k, wanted)}
        if chosen:
            shaped["MD5OfMessageAttributes"] = md5_of_message_attributes(chosen)
            shaped["MessageAttributes"] = chosen
        return shaped

    def _system_attributes(self, message: Message, names: set[str]) -> dict[str, str]:
        every = "All" in names
        values = {
            "SenderId": self.account,
            "SentTimestamp": str(int(message.sent_at * 1000)),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(int((message.first_receive_at or 0) * 1000)),
            "SequenceNumber": message.sequence, "MessageDeduplicationId": message.dedup_id,
            "MessageGroupId": message.group_id, "DeadLetterQueueSourceArn": message.dlq_source,
            "AWSTraceHeader": message.trace_header,
        }
        return {k: v for k, v in values.items() if v is not None and (every or k in names)}
