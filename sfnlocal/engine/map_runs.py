"""Map Runs of distributed Map states: DescribeMapRun, ListMapRuns, UpdateMapRun (checklist §13).

Every distributed Map run (each attempt of the Map state) is a *Map Run* with a record here: its
ARN (``arn:aws:states:<region>:<account>:mapRun:<machine>/<label or state name>:<uuid>``), the
parent execution, the ``stateMachineArn`` ``<machine ARN>/<label>`` its child executions run,
its status (RUNNING, SUCCEEDED, FAILED, ABORTED), the configuration it runs with
(``maxConcurrency``, ``toleratedFailurePercentage``, ``toleratedFailureCount``) and the records
of the child executions it started, from which the item and execution counts are computed.

``update_map_run`` changes a running Map Run at once through its ``MapRunControl`` (the state that
runs it): a higher ``maxConcurrency`` starts more children, a tolerance lowered below the failures
already counted fails the run with ``States.ExceedToleratedFailureThreshold``. ``stop_map_run_child``
(StopExecution of a Standard child) closes one running child ABORTED through it, a failure the run
counts against its tolerance.

``map_run_machine`` gives DescribeStateMachineForExecution for a child: the ``ItemProcessor`` (or
``Iterator``) object of the definition the top-level execution runs, as the definition of a state
machine named ``<machine>/<label>`` with ARN ``<machine ARN>/<label>`` (the Map Run's
``stateMachineArn``); ``child_machine_members`` adds ``mapRunArn`` and ``label`` to the response.

RedriveExecution is not supported yet: ``redrive_execution`` answers AWS's errors (unknown,
malformed or Express ARNs; ``ExecutionNotRedrivable`` for RUNNING and SUCCEEDED executions with
AWS's wording) and, for FAILED, TIMED_OUT and ABORTED executions, ``ExecutionNotRedrivable`` saying
that sfnlocal cannot redrive yet (DescribeExecution still shows AWS's ``REDRIVABLE`` for them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord, aws_time
from sfnlocal.engine.store import Store
from sfnlocal.engine.validation import EXECUTION_STATUSES, check_arn, check_enum, validation_error
from sfnlocal.errors import ServiceError

__all__ = [
    "MAP_RUN_STATUSES",
    "MapRunControl",
    "MapRunRecord",
    "MapRunRegistry",
    "MapRunsApi",
    "not_redrivable_reason",
]

MAP_RUN_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "ABORTED")

_MAX_PERCENTAGE = 100
_COUNTED = (("running", "RUNNING"), ("succeeded", "SUCCEEDED"), ("failed", "FAILED"),
            ("timedOut", "TIMED_OUT"), ("aborted", "ABORTED"))


class MapRunControl(Protocol):
    """What runs a Map Run: told about UpdateMapRun and StopExecution while the run is RUNNING."""

    def update(
        self, max_concurrency: int | None, count: int | None, percentage: float | None,
    ) -> None:
        """Apply the members UpdateMapRun was given (None: unchanged)."""
        ...

    async def stop_child(self, arn: str, error: str | None, cause: str | None) -> None:
        """Abort the running child execution ``arn``; return once it has closed."""
        ...


@dataclass(slots=True, eq=False)
class MapRunRecord:
    """One Map Run of a distributed Map state.

    Attributes:
        arn / execution_arn / state_machine_arn: the Map Run, its parent execution and
            ``<machine ARN>/<label>`` (the children's state machine).
        total_items / total_executions: the items and the child executions of the run.
        max_concurrency: 0 means no limit.
        tolerated_failure_count / tolerated_failure_percentage: as DescribeMapRun shows them.
        children: the child executions started so far, in start order.
        items_of: how many items each child processes (by child ARN; 1 without ItemBatcher).
        control: the running state, while the run is RUNNING (None once closed).
        label: the Map state's ``Label``, else its name (``<machine>/<label>`` in the ARNs).
        processor_pointer: the JSON pointer of the ``ItemProcessor`` in the top-level definition.
    """

    arn: str
    execution_arn: str
    state_machine_arn: str
    start_date: float
    total_items: int
    total_executions: int
    max_concurrency: int = 0
    tolerated_failure_count: int = 0
    tolerated_failure_percentage: float = 0.0
    status: str = "RUNNING"
    stop_date: float | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    children: list[ExecutionRecord] = field(default_factory=list)
    items_of: dict[str, int] = field(default_factory=dict)
    control: MapRunControl | None = None
    label: str = ""
    processor_pointer: str = ""

    def close(self, status: str, now: float) -> None:
        """Record the end of the run (``SUCCEEDED``, ``FAILED`` or ``ABORTED``)."""
        self.status, self.stop_date, self.control = status, now, None

    def to_aws(self) -> dict[str, Any]:
        """The DescribeMapRun response shape."""
        shape: dict[str, Any] = {
            "mapRunArn": self.arn,
            "executionArn": self.execution_arn,
            "status": self.status,
            "startDate": aws_time(self.start_date),
            "maxConcurrency": self.max_concurrency,
            "toleratedFailurePercentage": float(self.tolerated_failure_percentage),
            "toleratedFailureCount": self.tolerated_failure_count,
            "itemCounts": self._counts(self.total_items, self._items),
            "executionCounts": self._counts(self.total_executions, lambda _: 1),
            "redriveCount": self.redrive_count,
        }
        if self.stop_date is not None:
            shape["stopDate"] = aws_time(self.stop_date)
        if self.redrive_date is not None:
            shape["redriveDate"] = aws_time(self.redrive_date)
        return shape

    def to_list_item(self) -> dict[str, Any]:
        """The ListMapRuns item shape."""
        item: dict[str, Any] = {
            "executionArn": self.execution_arn,
            "mapRunArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "startDate": aws_time(self.start_date),
        }
        if self.stop_date is not None:
            item["stopDate"] = aws_time(self.stop_date)
        return item

    def child_list_item(self, child: ExecutionRecord) -> dict[str, Any]:
        """A ListExecutions(mapRunArn) item: the execution's, with ``mapRunArn`` and ``itemCount``."""
        item = child.to_list_item()
        item["mapRunArn"] = self.arn
        item["itemCount"] = self._items(child)
        return item

    def _items(self, child: ExecutionRecord) -> int:
        return self.items_of.get(child.arn, 1)

    def _counts(self, total: int, weight: Callable[[ExecutionRecord], int]) -> dict[str, int]:
        counts = dict.fromkeys(("pending", *(name for name, _ in _COUNTED)), 0)
        by_status = {status: name for name, status in _COUNTED}
        started = 0
        for child in self.children:
            size = weight(child)
            started += size
            counts[by_status[child.status]] += size
        counts["pending"] = max(0, total - started)
        counts.update(total=total, resultsWritten=0, failuresNotRedrivable=0, pendingRedrive=0)
        return counts


class MapRunRegistry:
    """The engine's Map Runs, by ARN and by parent execution."""

    def __init__(self) -> None:
        self._runs: dict[str, MapRunRecord] = {}
        self._by_execution: dict[str, list[MapRunRecord]] = {}

    def add(self, record: MapRunRecord) -> None:
        """Register a Map Run that has started."""
        self._runs[record.arn] = record
        self._by_execution.setdefault(record.execution_arn, []).append(record)

    def get(self, arn: str) -> MapRunRecord | None:
        """The Map Run with this ARN, or None."""
        return self._runs.get(arn)

    def of_execution(self, execution_arn: str) -> list[MapRunRecord]:
        """The Map Runs an execution started, oldest first."""
        return list(self._by_execution.get(execution_arn, ()))


def not_redrivable_reason(status: str) -> str:
    """AWS's reason why a RUNNING or SUCCEEDED execution cannot be redriven."""
    return f"Execution is {status} and cannot be redriven"


class MapRunsApi:
    """The Map Run actions and RedriveExecution (mixed into ``Engine``).

    The engine provides ``store``, ``map_runs`` and ``describe_execution``.
    """

    store: Store
    map_runs: MapRunRegistry

    if TYPE_CHECKING:
        async def describe_execution(self, arn: str) -> ExecutionRecord:
            """Provided by ``Engine``."""

        async def describe_state_machine_for_execution(self, arn: str) -> StateMachineRecord:
            """Provided by ``Engine``."""

    def start_map_run(self, record: MapRunRecord) -> None:
        """Register a Map Run a distributed Map state has started (called by the state)."""
        self.map_runs.add(record)

    async def describe_map_run(self, arn: str) -> MapRunRecord:
        """The Map Run with this ARN (DescribeMapRun).

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``.
        """
        check_arn(arn, "mapRun")
        record = self.map_runs.get(arn)
        if record is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return record

    async def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        """The Map Runs an execution started, newest first (ListMapRuns).

        Raises:
            ServiceError: ``InvalidArn`` (also for Express ARNs), ``ExecutionDoesNotExist``.
        """
        await self.describe_execution(execution_arn)
        return self.map_runs.of_execution(execution_arn)[::-1]

    async def update_map_run(
        self, arn: str, *, max_concurrency: int | None = None,
        tolerated_failure_percentage: float | None = None,
        tolerated_failure_count: int | None = None,
    ) -> MapRunRecord:
        """Change a Map Run's concurrency or tolerance (UpdateMapRun); a running run follows at once.

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``, ``ValidationException`` (a value out
                of AWS's range: negative, or a percentage above 100).
        """
        _check_update(max_concurrency, tolerated_failure_percentage, tolerated_failure_count)
        record = await self.describe_map_run(arn)
        if max_concurrency is not None:
            record.max_concurrency = max_concurrency
        if tolerated_failure_count is not None:
            record.tolerated_failure_count = tolerated_failure_count
        if tolerated_failure_percentage is not None:
            record.tolerated_failure_percentage = float(tolerated_failure_percentage)
        if record.control is not None:
            record.control.update(max_concurrency, tolerated_failure_count,
                                  tolerated_failure_percentage)
        return record

    async def list_map_run_executions(
        self, map_run_arn: str, status_filter: str | None = None,
    ) -> tuple[MapRunRecord, list[ExecutionRecord]]:
        """The Map Run and its child executions, newest first (ListExecutions with ``mapRunArn``).

        Express children are listed too (AWS lists them, though they cannot be described).

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``, ``ValidationException``.
        """
        if status_filter is not None:
            check_enum(status_filter, "statusFilter", EXECUTION_STATUSES)
        record = await self.describe_map_run(map_run_arn)
        return record, _with_status(record.children, status_filter)[::-1]

    async def stop_map_run_child(
        self, record: ExecutionRecord, error: str | None, cause: str | None,
    ) -> None:
        """StopExecution of a Map Run's Standard child: it closes ABORTED (no-op once closed)."""
        run = self.map_runs.get(record.map_run_arn or "")
        if run is not None and run.control is not None and not record.done:
            await run.control.stop_child(record.arn, error, cause)

    async def map_run_machine(self, record: ExecutionRecord) -> StateMachineRecord | None:
        """The processor a Map Run's child runs, as a state machine (None: its run is unknown).

        Raises:
            ServiceError: ``StateMachineDoesNotExist`` when the top-level machine is gone.
        """
        run = self.map_runs.get(record.map_run_arn or "")
        top = self._top_execution(record)
        if run is None or top is None:
            return None
        machine = await self.describe_state_machine_for_execution(top.arn)
        processor = _at_pointer(json.loads(machine.definition), run.processor_pointer)
        name = run.state_machine_arn.split(":stateMachine:", 1)[-1]
        return replace(machine, arn=run.state_machine_arn, name=name, version_of=None,
                       definition=json.dumps(processor))

    def child_machine_members(self, execution_arn: str) -> dict[str, str]:
        """``mapRunArn`` and ``label`` of DescribeStateMachineForExecution ({}: not a child)."""
        record = self.store.get_execution(execution_arn)
        run = self.map_runs.get(record.map_run_arn or "") if record is not None else None
        return {} if run is None else {"mapRunArn": run.arn, "label": run.label}

    def _top_execution(self, record: ExecutionRecord | None) -> ExecutionRecord | None:
        """The execution at the top of a (nested) Map Run child's parents."""
        while record is not None and record.map_run_arn is not None:
            run = self.map_runs.get(record.map_run_arn)
            record = None if run is None else self.store.get_execution(run.execution_arn)
        return record

    async def redrive_execution(self, arn: str) -> NoReturn:
        """RedriveExecution: not supported yet; raises AWS's error for the execution.

        Raises:
            ServiceError: ``InvalidArn`` (also for Express ARNs), ``ExecutionDoesNotExist``,
                ``ExecutionNotRedrivable`` (always, for an execution that exists).
        """
        record = await self.describe_execution(arn)
        if record.status in ("RUNNING", "SUCCEEDED"):
            raise ServiceError("ExecutionNotRedrivable", not_redrivable_reason(record.status))
        raise ServiceError(
            "ExecutionNotRedrivable",
            f"Execution is {record.status}: RedriveExecution is not supported by sfnlocal yet",
        )


def _at_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901) of ``document``."""
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        document = document[int(key)] if isinstance(document, list) else document[key]
    return document


def _with_status(records: Iterable[ExecutionRecord], status: str | None) -> list[ExecutionRecord]:
    return [r for r in records if status is None or r.status == status]


def _check_update(
    max_concurrency: int | None, percentage: float | None, count: int | None,
) -> None:
    """AWS's model constraints: every value at least 0, the percentage at most 100."""
    for member, value in (("maxConcurrency", max_concurrency),
                          ("toleratedFailurePercentage", percentage),
                          ("toleratedFailureCount", count)):
        if value is not None and value < 0:
            raise validation_error(value, member, "have value greater than or equal to 0")
    if percentage is not None and percentage > _MAX_PERCENTAGE:
        raise validation_error(percentage, "toleratedFailurePercentage",
                               "have value less than or equal to 100")
