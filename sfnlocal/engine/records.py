"""Typed records the Engine returns; each knows its AWS response shapes (as boto3 returns them).

Dates are epoch seconds inside and aware ``datetime`` objects in the shapes (boto3's types); data
fields (``definition``, ``input``, ``output``) are JSON text, as on the wire.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sfnlocal.asl.model import StateMachine

__all__ = ["ExecutionRecord", "StateMachineRecord", "SyncExecutionResult", "aws_time"]

# StartSyncExecution bills in 100 ms steps and reports 64 MB (conformance cases).
_BILLING_STEP_MS = 100
_BILLED_MEMORY_MB = 64


def aws_time(epoch: float) -> datetime:
    """An epoch timestamp as the aware datetime boto3 returns."""
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(slots=True, eq=False)
class StateMachineRecord:
    """A created state machine.

    Attributes:
        arn / name / type / role_arn: as given to CreateStateMachine (``STANDARD``/``EXPRESS``).
        definition: the definition text as given.
        machine: the compiled model.
        creation_date: epoch seconds (of a version: when it was published).
        revision_id: the revision (None until the first UpdateStateMachine that changes something).
        update_date: when UpdateStateMachine last changed it (None: never).
        description / version_of: of a version: its description and its state machine's ARN.
    """

    arn: str
    name: str
    definition: str
    machine: StateMachine
    role_arn: str
    type: str = "STANDARD"
    creation_date: float = 0.0
    status: str = "ACTIVE"
    revision_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    update_date: float | None = None
    description: str | None = None
    version_of: str | None = None

    @property
    def is_express(self) -> bool:
        """True for an EXPRESS state machine."""
        return self.type == "EXPRESS"

    @property
    def base_arn(self) -> str:
        """The state machine's ARN (for a version: the ARN of the machine it belongs to)."""
        return self.version_of if self.version_of is not None else self.arn

    def to_aws(self) -> dict[str, Any]:
        """The DescribeStateMachine response shape."""
        shape: dict[str, Any] = {
            "stateMachineArn": self.arn,
            "name": self.name,
            "status": self.status,
            "definition": self.definition,
            "roleArn": self.role_arn,
            "type": self.type,
            "creationDate": aws_time(self.creation_date),
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
            "tracingConfiguration": {"enabled": False},
        }
        if self.revision_id is not None:
            shape["revisionId"] = self.revision_id
        if self.description is not None:
            shape["description"] = self.description
        return shape

    def to_create_aws(self) -> dict[str, Any]:
        """The CreateStateMachine response shape."""
        return {"stateMachineArn": self.arn, "creationDate": aws_time(self.creation_date)}

    def to_list_item(self) -> dict[str, Any]:
        """The ListStateMachines item shape."""
        return {
            "stateMachineArn": self.arn,
            "name": self.name,
            "type": self.type,
            "creationDate": aws_time(self.creation_date),
        }


@dataclass(slots=True, eq=False)
class ExecutionRecord:
    """An execution and its outcome.

    Attributes:
        input / output: JSON texts (AWS's data fields are strings); output only when SUCCEEDED.
        status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
        start_date / stop_date: epoch seconds.
        error / cause: the failure (FAILED) or what StopExecution was given (ABORTED).
        express: True for an Express execution (not describable; ARN ``...:express:...``).
        state_machine_version_arn / state_machine_alias_arn: the version it ran and the alias that
            chose it, when started through a version or alias ARN (``state_machine_arn`` is
            always the machine's own ARN).
        map_run_arn: of a distributed Map's child execution: the Map Run that started it (its
            ``state_machine_arn`` is then ``<machine ARN>/<label>``).
    """

    arn: str
    state_machine_arn: str
    name: str
    input: str
    start_date: float
    status: str = "RUNNING"
    stop_date: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    trace_header: str | None = None
    redrive_count: int = 0
    express: bool = False
    state_machine_version_arn: str | None = None
    state_machine_alias_arn: str | None = None
    map_run_arn: str | None = None

    @property
    def done(self) -> bool:
        """True once the execution has closed."""
        return self.status != "RUNNING"

    def to_aws(self) -> dict[str, Any]:
        """The DescribeExecution response shape."""
        shape = self._common()
        if self.stop_date is not None:
            shape["stopDate"] = aws_time(self.stop_date)
        if self.status == "SUCCEEDED" and self.output is not None:
            shape["output"] = self.output
            shape["outputDetails"] = {"included": True}
        self._add_error(shape)
        self._add_trace(shape)
        self._add_version(shape)
        shape["redriveCount"] = self.redrive_count
        if self.map_run_arn is not None:
            shape["mapRunArn"] = self.map_run_arn
        closed_well = self.status in ("RUNNING", "SUCCEEDED")
        redrivable = "REDRIVABLE" if self.map_run_arn is None else "REDRIVABLE_BY_MAP_RUN"
        shape["redriveStatus"] = "NOT_REDRIVABLE" if closed_well else redrivable
        if closed_well:
            shape["redriveStatusReason"] = f"Execution is {self.status} and cannot be redriven"
        return shape

    def to_start_aws(self) -> dict[str, Any]:
        """The StartExecution response shape."""
        return {"executionArn": self.arn, "startDate": aws_time(self.start_date)}

    def to_stop_aws(self) -> dict[str, Any]:
        """The StopExecution response shape."""
        return {"stopDate": aws_time(self._stop_or_start())}

    def to_sync_aws(self) -> dict[str, Any]:
        """The StartSyncExecution response shape (a closed Express execution)."""
        shape = self._common()
        shape["stopDate"] = aws_time(self._stop_or_start())
        if self.status == "SUCCEEDED" and self.output is not None:
            shape["output"] = self.output
        shape["outputDetails"] = {"included": True}
        self._add_error(shape)
        self._add_trace(shape)
        shape["billingDetails"] = {
            "billedMemoryUsedInMB": _BILLED_MEMORY_MB,
            "billedDurationInMilliseconds": self._billed_ms(),
        }
        return shape

    def to_list_item(self) -> dict[str, Any]:
        """The ListExecutions item shape."""
        item: dict[str, Any] = {
            "executionArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": aws_time(self.start_date),
        }
        if self.stop_date is not None:
            item["stopDate"] = aws_time(self.stop_date)
        self._add_version(item)
        item["redriveCount"] = self.redrive_count
        return item

    def _common(self) -> dict[str, Any]:
        return {
            "executionArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": aws_time(self.start_date),
            "input": self.input,
            "inputDetails": {"included": True},
        }

    def _add_error(self, shape: dict[str, Any]) -> None:
        if self.error is not None:
            shape["error"] = self.error
        if self.cause is not None:
            shape["cause"] = self.cause

    def _add_version(self, shape: dict[str, Any]) -> None:
        if self.state_machine_version_arn is not None:
            shape["stateMachineVersionArn"] = self.state_machine_version_arn
        if self.state_machine_alias_arn is not None:
            shape["stateMachineAliasArn"] = self.state_machine_alias_arn

    def _add_trace(self, shape: dict[str, Any]) -> None:
        if self.trace_header is not None:
            shape["traceHeader"] = self.trace_header

    def _stop_or_start(self) -> float:
        return self.stop_date if self.stop_date is not None else self.start_date

    def _billed_ms(self) -> int:
        elapsed = max(0.0, self._stop_or_start() - self.start_date) * 1000
        steps = max(1, math.ceil(round(elapsed, 3) / _BILLING_STEP_MS))
        return steps * _BILLING_STEP_MS


@dataclass(frozen=True, slots=True)
class SyncExecutionResult:
    """What StartSyncExecution returns: a closed Express execution.

    Attributes:
        record: the execution's record (``status``, ``output``, ``error``, ``cause``...).
    """

    record: ExecutionRecord

    @property
    def status(self) -> str:
        """``SUCCEEDED``, ``FAILED`` or ``TIMED_OUT``."""
        return self.record.status

    @property
    def output(self) -> str | None:
        """The output JSON text (SUCCEEDED only)."""
        return self.record.output

    def to_aws(self) -> dict[str, Any]:
        """The StartSyncExecution response shape."""
        return self.record.to_sync_aws()
