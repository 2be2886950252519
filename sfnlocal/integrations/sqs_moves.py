"""Message move tasks: redriving the messages of a dead-letter queue, at a rate, on the clock.

``StartMessageMoveTask`` takes the messages a dead-letter queue holds when it starts and moves
them, ``MaxNumberOfMessagesPerSecond`` (default 500, the most AWS allows) each second of the
service's clock, the first batch one second after the start: back to the queue each came from
(its ``DeadLetterQueueSourceArn``) or to ``DestinationArn``. A moved message is visible at once,
with a receive count of zero. In-flight messages wait until they are visible again; messages
deleted meanwhile are no longer to move. The task is ``COMPLETED`` when none of its messages is
left, ``CANCELLED`` by ``CancelMessageMoveTask`` (messages already moved stay moved) and
``FAILED`` when a queue it moves from or to no longer exists. Only one task per source runs at a
time; ``ListMessageMoveTasks`` shows the 10 most recent. No asyncio task is made: each batch is
a timer of the clock.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.integrations.sqs_checks import check_range
from sfnlocal.integrations.sqs_model import Message, Queue, error, invalid

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock, TimerHandle

__all__ = ["DEFAULT_RATE", "MoveTask", "Moves"]

DEFAULT_RATE = 500
KEPT = 10
_FORMAT = ("You must use this format to specify the {}: "
           "arn:<partition>:<service>:<region>:<account-id>:<resource-id>")


@dataclass(slots=True)
class MoveTask:
    """One message move task and its progress."""

    task_id: str
    source: Queue
    destination_arn: str | None
    rate: int | None
    started: float
    pending: list[str]
    to_move: int
    moved: int = 0
    status: str = "RUNNING"
    failure: str | None = None
    timer: TimerHandle | None = field(default=None, repr=False)

    @property
    def handle(self) -> str:
        """The ``TaskHandle``: base64 of ``{"taskId", "sourceArn"}``, as AWS's."""
        raw = json.dumps({"taskId": self.task_id, "sourceArn": self.source.arn},
                         separators=(",", ":"))
        return base64.b64encode(raw.encode()).decode()

    def entry(self) -> dict[str, Any]:
        """The task in ``ListMessageMoveTasks``' shape (the handle only while it runs)."""
        out: dict[str, Any] = {}
        if self.status == "RUNNING":
            out["TaskHandle"] = self.handle
        out.update(Status=self.status, SourceArn=self.source.arn)
        if self.destination_arn is not None:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        out.update(ApproximateNumberOfMessagesMoved=self.moved,
                   ApproximateNumberOfMessagesToMove=self.to_move)
        if self.failure is not None:
            out["FailureReason"] = self.failure
        out["StartedTimestamp"] = int(self.started * 1000)
        return out


class Moves:
    """The message move tasks of one ``SqsService``.

    Args:
        clock: the service's clock.
        by_arn: finds a queue by ARN.
        sources_of: the queues whose ``RedrivePolicy`` names a dead-letter queue ARN.
        new_id: makes a fresh UUID string (task ids).
    """

    def __init__(self, clock: Clock, by_arn: Callable[[str], Queue | None],
                 sources_of: Callable[[str], list[Queue]], new_id: Callable[[], str]) -> None:
        self._clock = clock
        self._by_arn = by_arn
        self._sources_of = sources_of
        self._new_id = new_id
        self._tasks: dict[str, list[MoveTask]] = {}  # source ARN -> most recent first

    def start(self, source_arn: str, destination_arn: str | None, rate: int | None
              ) -> dict[str, Any]:
        """StartMessageMoveTask: ``{"TaskHandle"}``."""
        source = self._source(source_arn)
        if not any(q is not source for q in self._sources_of(source_arn)):
            raise invalid("Source queue must be configured as a Dead Letter Queue.")
        if destination_arn is not None:
            self._destination(destination_arn, source)
        if rate is not None:
            check_range("MaxNumberOfMessagesPerSecond", rate, 1, 500)
        tasks = self._tasks.setdefault(source.arn, [])
        if any(task.status == "RUNNING" for task in tasks):
            raise invalid("There is already a task running. Only one active task is allowed for "
                          "a source queue arn at a given time.")
        now = self._clock.now()
        source.expire(now)
        task = MoveTask(self._new_id(), source, destination_arn, rate, now,
                        list(source.messages), len(source.messages))
        tasks.insert(0, task)
        del tasks[KEPT:]
        self._schedule(task)
        return {"TaskHandle": task.handle}

    def recent(self, source_arn: str, max_results: int | None) -> dict[str, Any]:
        """ListMessageMoveTasks: ``{"Results": [...]}``, most recent first (default 1)."""
        source = self._source(source_arn)
        if max_results is None:
            max_results = 1
        elif isinstance(max_results, bool) or not 1 <= max_results <= KEPT:
            raise invalid("Value for parameter MaxResults is invalid. Reason: You must enter a "
                          f"number that's between 1 and {KEPT}.")
        tasks = self._tasks.get(source.arn, [])
        return {"Results": [task.entry() for task in tasks[:max_results]]}

    def cancel(self, handle: str) -> dict[str, Any]:
        """CancelMessageMoveTask: ``{"ApproximateNumberOfMessagesMoved"}``."""
        task_id, source_arn = _decode(handle)
        source = self._by_arn(source_arn)
        if source is None:
            raise _not_found("SourceArn")
        task = next((t for t in self._tasks.get(source.arn, []) if t.task_id == task_id), None)
        if task is None:
            raise error("ResourceNotFoundException", "Task does not exist.")
        if task.status != "RUNNING":
            raise invalid(f"Only a task with status RUNNING can be cancelled: this task is "
                          f"{task.status}.")
        self._finish(task, "CANCELLED")
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    # -- running -------------------------------------------------------------------------------

    def _schedule(self, task: MoveTask) -> None:
        task.timer = self._clock.call_at(self._clock.now() + 1, lambda: self._tick(task))

    def _tick(self, task: MoveTask) -> None:
        """Move one second's batch; finish the task or schedule the next batch."""
        if task.status != "RUNNING":
            return
        if task.source.deleted:
            self._finish(task, "FAILED", "The source queue does not exist anymore.")
            return
        now = self._clock.now()
        task.source.expire(now)
        task.pending = [m for m in task.pending if m in task.source.messages]
        ready = [task.source.messages[m] for m in task.pending
                 if task.source.messages[m].visible_at <= now]
        for message in ready[:task.rate or DEFAULT_RATE]:
            if not self._move(task, message, now):
                return
        if task.pending:
            self._schedule(task)
        else:
            self._finish(task, "COMPLETED")

    def _move(self, task: MoveTask, message: Message, now: float) -> bool:
        target_arn = task.destination_arn or message.dlq_source
        target = self._by_arn(target_arn) if target_arn else None
        if target is None:
            self._finish(task, "FAILED", f"The destination queue {target_arn or '(none)'} of "
                         f"message {message.message_id} does not exist.")
            return False
        task.source.forget(message)
        task.pending.remove(message.message_id)
        message.handle, message.receive_count, message.first_receive_at = None, 0, None
        message.visible_at, message.dlq_source = now, None
        target.messages[message.message_id] = message
        target.notify()
        task.moved += 1
        return True

    def _finish(self, task: MoveTask, status: str, failure: str | None = None) -> None:
        task.status, task.failure = status, failure
        if task.timer is not None:
            task.timer.cancel()
            task.timer = None

    # -- lookups -------------------------------------------------------------------------------

    def _source(self, arn: str) -> Queue:
        _check_arn(arn, "SourceArn")
        queue = self._by_arn(arn)
        if queue is None:
            raise _not_found("SourceArn")
        return queue

    def _destination(self, arn: str, source: Queue) -> Queue:
        _check_arn(arn, "DestinationArn")
        queue = self._by_arn(arn)
        if queue is None:
            raise _not_found("DestinationArn")
        if queue is source:
            raise invalid("Value for parameter DestinationArn is invalid. Reason: the "
                          "destination queue must be different from the source queue.")
        return queue


def _check_arn(arn: str, member: str) -> None:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or not all(parts[1:3]) or not parts[5]:
        raise invalid(_FORMAT.format(member))


def _not_found(member: str) -> Exception:
    return error("ResourceNotFoundException",
                 f"The resource that you specified for the {member} parameter doesn't exist.")


def _decode(handle: str) -> tuple[str, str]:
    """A task handle's task id and source ARN."""
    try:
        decoded = json.loads(base64.b64decode(handle, validate=True))
        task_id, source_arn = decoded["taskId"], decoded["sourceArn"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid("Value for parameter TaskHandle is invalid.") from None
    if not isinstance(task_id, str) or not isinstance(source_arn, str):
        raise invalid("Value for parameter TaskHandle is invalid.")
    return task_id, source_arn
