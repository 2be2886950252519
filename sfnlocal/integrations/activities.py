"""Activities: the activity registry, GetActivityTask long polling and the activity Task integration.

An activity Task (``Resource: arn:aws:states:<region>:<account>:activity:<name>``) records
``ActivityScheduled`` and queues a job on its activity. A worker takes it with
``GetActivityTask(activityArn, workerName?)``: the job's ``{"taskToken", "input"}`` is handed out
and the Task records ``ActivityStarted`` (``workerName`` when given); that is when TimeoutSeconds and
HeartbeatSeconds start (checklist §10.6). The worker answers with SendTaskSuccess / SendTaskFailure
/ SendTaskHeartbeat on the token (``ActivitySucceeded``/``ActivityFailed``; no answer in time:
``ActivityTimedOut``). A job nobody takes waits.

GetActivityTask waits up to 60 seconds on the engine's clock for a job and returns ``{}`` when none
came. A Task whose activity does not exist fails with ``States.Runtime`` ``The activity <arn> does
not exist.``, raised while the Task resolves its integration (no activity event, not retried).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.engine.history import to_json_text
from sfnlocal.engine.records import aws_time
from sfnlocal.engine.tokens import TokenTable
from sfnlocal.errors import EvaluationError, ServiceError
from sfnlocal.states.children import own_task

if TYPE_CHECKING:
    from sfnlocal.engine.clock import Clock
    from sfnlocal.integrations.base import TaskRequest

__all__ = ["POLL_SECONDS", "ActivityRecord", "ActivityService", "ActivityTask",
           "missing_activity"]

POLL_SECONDS = 60.0
"""How long GetActivityTask waits for a job (AWS: 60 seconds)."""


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """An activity, as the API describes it."""

    arn: str
    name: str
    creation_date: float

    def to_aws(self) -> dict[str, Any]:
        """The DescribeActivity response shape."""
        return {"activityArn": self.arn, "name": self.name,
                "creationDate": aws_time(self.creation_date),
                "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}}

    def to_create_aws(self) -> dict[str, Any]:
        """The CreateActivity response shape."""
        return {"activityArn": self.arn, "creationDate": aws_time(self.creation_date)}

    def to_list_item(self) -> dict[str, Any]:
        """The ListActivities item shape."""
        return {"activityArn": self.arn, "name": self.name,
                "creationDate": aws_time(self.creation_date)}


@dataclass(eq=False, slots=True)
class _Job:
    """One scheduled activity task waiting for a worker."""

    token: str
    input: str
    picked: asyncio.Future[str | None]


@dataclass(slots=True)
class _Activity:
    record: ActivityRecord
    jobs: deque[_Job] = field(default_factory=deque)
    pollers: deque[asyncio.Future[_Job | None]] = field(default_factory=deque)


def missing_activity(arn: str) -> EvaluationError:
    """The error of a Task whose activity does not exist (reported with the state's prefix)."""
    return EvaluationError("States.Runtime", f"The activity {arn} does not exist.")


class ActivityService:
    """The activities of an engine and their queues of scheduled tasks."""

    def __init__(self) -> None:
        self._activities: dict[str, _Activity] = {}

    def __contains__(self, arn: object) -> bool:
        return arn in self._activities

    def create(self, arn: str, name: str, now: float) -> ActivityRecord:
        """CreateActivity: idempotent on the same name."""
        existing = self._activities.get(arn)
        if existing is None:
            existing = self._activities[arn] = _Activity(ActivityRecord(arn, name, now))
        return existing.record

    def describe(self, arn: str) -> ActivityRecord:
        """DescribeActivity.

        Raises:
            ServiceError: ``ActivityDoesNotExist``.
        """
        return self._get(arn).record

    def list(self) -> list[ActivityRecord]:
        """ListActivities: every activity, by name."""
        return sorted((a.record for a in self._activities.values()), key=lambda r: r.name)

    def delete(self, arn: str) -> None:
        """DeleteActivity (idempotent); its waiting pollers get no task."""
        activity = self._activities.pop(arn, None)
        if activity is None:
            return
        for poller in activity.pollers:
            if not poller.done():
                poller.set_result(None)

    def _get(self, arn: str) -> _Activity:
        activity = self._activities.get(arn)
        if activity is None:
            raise ServiceError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return activity

    # -- jobs ------------------------------------------------------------------------------------

    def schedule(self, arn: str, job: _Job) -> None:
        """Hand ``job`` to a waiting poller, or queue it."""
        activity = self._get(arn)
        while activity.pollers:
            poller = activity.pollers.popleft()
            if not poller.done():
                poller.set_result(job)
                return
        activity.jobs.append(job)

    def withdraw(self, arn: str, job: _Job) -> None:
        """Forget a job that is no longer waiting (its Task ended before a worker took it)."""
        activity = self._activities.get(arn)
        if activity is not None and job in activity.jobs:
            activity.jobs.remove(job)

    async def poll(
        self, arn: str, worker_name: str | None, clock: Clock, wait: float = POLL_SECONDS
    ) -> dict[str, Any]:
        """GetActivityTask: ``{"taskToken", "input"}``, or ``{}`` after ``wait`` seconds.

        Raises:
            ServiceError: ``ActivityDoesNotExist``.
        """
        activity = self._get(arn)
        deadline = clock.now() + wait
        while True:
            job = _next_job(activity)
            if job is None:
                job = await _wait_for_job(activity, clock, deadline)
            if job is None:
                return {}
            if not job.picked.done():  # else its Task ended while the job was on its way
                job.picked.set_result(worker_name)
                return {"taskToken": job.token, "input": job.input}


def _next_job(activity: _Activity) -> _Job | None:
    while activity.jobs:
        job = activity.jobs.popleft()
        if not job.picked.done():
            return job
    return None


async def _wait_for_job(activity: _Activity, clock: Clock, deadline: float) -> _Job | None:
    future: asyncio.Future[_Job | None] = asyncio.get_running_loop().create_future()
    activity.pollers.append(future)

    def expire() -> None:
        if not future.done():
            future.set_result(None)

    timer = clock.call_at(deadline, expire)
    try:
        return await future
    finally:
        timer.cancel()
        if future in activity.pollers:
            activity.pollers.remove(future)


class ActivityTask:
    """The Task integration of activity ARNs.

    Args:
        service: the engine's activities.
        table: the engine's token table.
    """

    def __init__(self, service: ActivityService, table: TokenTable) -> None:
        self.service = service
        self.table = table

    async def invoke(self, request: TaskRequest) -> Any:
        """Queue the task, record ``ActivityStarted`` at hand-out, then wait for the answer.

        Raises:
            StatesError: the worker called SendTaskFailure.
            EvaluationError: the activity does not exist.
        """
        arn, token = request.resource.arn, request.task_token
        if token is None or arn not in self.service:
            raise missing_activity(arn)
        await own_task()
        context = request.context
        loop = asyncio.get_running_loop()
        job = _Job(token, to_json_text(request.parameters), loop.create_future())
        waiter = self.table.open(token, context.execution_arn, context.heartbeat)
        try:
            self.service.schedule(arn, job)
            worker = await job.picked
            context.started({"worker_name": worker} if worker is not None else None)
            return await waiter.wait()
        finally:
            self.table.close(token)
            self.service.withdraw(arn, job)
            if not job.picked.done():
                job.picked.cancel()
