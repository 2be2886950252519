"""Where state machines, executions, histories and frames live.

``Store`` is the protocol; ``MemoryStore`` keeps everything in dicts (no copies, no serialisation:
the hot path pays nothing). The SQLite store implements the same protocol and persists each frame
at every transition so that a restarted process resumes running executions.

What resuming needs is all here: the execution record (input text, start date, status), its
history, and its frames (state, input, variables, retry counts, and the ``deadline`` a Wait or a
retry back-off sleeps until). The execution's own deadline is not stored: it is the start date plus
the machine's ``TimeoutSeconds``. Express executions are never stored (AWS keeps none).
"""

from __future__ import annotations

from typing import Protocol

from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import History
from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord

__all__ = ["MemoryStore", "Store"]


class Store(Protocol):
    """Persistence of the engine's data."""

    def put_state_machine(self, record: StateMachineRecord) -> None:
        """Insert or replace a state machine."""
        ...

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine with this ARN, or None."""
        ...

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine (its executions stay)."""
        ...

    def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine."""
        ...

    def put_execution(self, record: ExecutionRecord, history: History) -> None:
        """Insert an execution and its (growing) history."""
        ...

    def update_execution(self, record: ExecutionRecord) -> None:
        """Persist a change of the execution's status or outcome."""
        ...

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        """The execution with this ARN, or None."""
        ...

    def get_history(self, arn: str) -> History | None:
        """The history of an execution, or None."""
        ...

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        """The executions of a state machine, oldest first."""
        ...

    def save_frame(self, execution_arn: str, frame: Frame) -> None:
        """Record a frame's new position (called at every transition)."""
        ...

    def frames(self, execution_arn: str) -> dict[str, Frame]:
        """The newest frames of an execution, by frame id."""
        ...


class MemoryStore:
    """A Store in process memory."""

    def __init__(self) -> None:
        self._machines: dict[str, StateMachineRecord] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._histories: dict[str, History] = {}
        self._by_machine: dict[str, list[str]] = {}
        self._frames: dict[str, dict[str, Frame]] = {}

    def put_state_machine(self, record: StateMachineRecord) -> None:
        """Insert or replace a state machine."""
        self._machines[record.arn] = record

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """The state machine with this ARN, or None."""
        return self._machines.get(arn)

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine."""
        self._machines.pop(arn, None)

    def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine."""
        return list(self._machines.values())

    def put_execution(self, record: ExecutionRecord, history: History) -> None:
        """Insert an execution and its history."""
        self._executions[record.arn] = record
        self._histories[record.arn] = history
        self._by_machine.setdefault(record.state_machine_arn, []).append(record.arn)

    def update_execution(self, record: ExecutionRecord) -> None:
        """Records are shared objects here: nothing to do."""

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        """The execution with this ARN, or None."""
        return self._executions.get(arn)

    def get_history(self, arn: str) -> History | None:
        """The history of an execution, or None."""
        return self._histories.get(arn)

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        """The executions of a state machine, oldest first."""
        return [self._executions[a] for a in self._by_machine.get(state_machine_arn, [])]

    def save_frame(self, execution_arn: str, frame: Frame) -> None:
        """Keep a reference to the frame (it is live data in memory)."""
        self._frames.setdefault(execution_arn, {})[frame.id] = frame

    def frames(self, execution_arn: str) -> dict[str, Frame]:
        """The frames of an execution, by id."""
        return dict(self._frames.get(execution_arn, {}))
