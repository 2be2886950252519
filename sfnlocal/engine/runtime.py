"""The per-execution runtime: what a state needs while it runs.

``ExecutionRuntime`` bundles the execution's identity, its compiled machine, its history and the
engine's services (clock, random source, integrations, store). States receive it together with their
``Frame`` and call its small helpers to record events, build the context object and evaluate
expressions.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.asl.model import State, StateMachine
from sfnlocal.engine.clock import Clock, iso_millis
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import History
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import ABSENT, ClockedContext, JsonataScope

if TYPE_CHECKING:
    from sfnlocal.engine.store import Store
    from sfnlocal.integrations.base import Registry

__all__ = ["ExecutionIdentity", "ExecutionRuntime"]


@dataclass(frozen=True, slots=True)
class ExecutionIdentity:
    """Who the execution is: the values of ``$$.Execution`` and ``$$.StateMachine``."""

    execution_arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: float
    input: Any
    type: str = "STANDARD"
    redrive_count: int = 0
    region: str = "us-east-1"
    account: str = "123456789012"
    extra: Mapping[str, Any] = field(default_factory=dict)


class ExecutionRuntime:
    """Services and data shared by every frame of one execution."""

    def __init__(
        self,
        identity: ExecutionIdentity,
        machine: StateMachine,
        clock: Clock,
        history: History,
        rng: random.Random,
        integrations: Registry,
        store: Store | None = None,
        engine: Any = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.identity = identity
        self.machine = machine
        self.clock = clock
        self.history = history
        self.rng = rng
        self.integrations = integrations
        self.store = store
        self.engine = engine
        self.settings = settings or EngineSettings()
        self.inspection: dict[str, Any] | None = None
        """TestState's recorder: the states write each processing step's value here (snake_case
        keys: ``after_input_path``, ``result``...). None in executions: a None check is the cost."""
        self._execution_ctx = self._build_execution_context()
        self._machine_ctx = {"Id": identity.state_machine_arn, "Name": identity.state_machine_name}

    # -- history --------------------------------------------------------------------------------

    def emit(self, frame: Frame, type: str, details: dict[str, Any] | None = None) -> int:
        """Record an event caused by the frame's newest event and make it the newest."""
        event_id = self.history.add(type, frame.prev_event, self.clock.now(), details)
        frame.prev_event = event_id
        return event_id

    def emit_aside(self, frame: Frame, type: str, details: dict[str, Any] | None = None) -> int:
        """Record an aggregate event that does not move the frame's causal pointer."""
        return self.history.add(type, frame.prev_event, self.clock.now(), details)

    # -- context object -------------------------------------------------------------------------

    def _build_execution_context(self) -> dict[str, Any]:
        ident = self.identity
        ctx: dict[str, Any] = {
            "Id": ident.execution_arn,
            "Input": ident.input,
            "StartTime": iso_millis(ident.start_time),
            "Name": ident.name,
            "RoleArn": ident.role_arn,
            # Recorded on AWS for Express executions too (express_async query_runtime_memory).
            "RedriveCount": ident.redrive_count,
        }
        return ctx

    def context_object(
        self, frame: Frame, state: State, entered_time: float | None = None,
        retry_count: int | None = None, task_token: str | None = None,
    ) -> dict[str, Any]:
        """The context object (``$$``) as the given state sees it."""
        state_ctx: dict[str, Any] = {
            "EnteredTime": iso_millis(entered_time if entered_time is not None else self.clock.now()),
            "Name": state.name,
        }
        if retry_count is not None:
            state_ctx["RetryCount"] = retry_count
        ctx: dict[str, Any] = {
            "Execution": self._execution_ctx,
            "State": state_ctx,
            "StateMachine": self._machine_ctx,
        }
        if task_token is not None:
            ctx["Task"] = {"Token": task_token}
        if frame.map_item is not None:
            index, value = frame.map_item
            ctx["Map"] = {"Item": {"Index": index, "Value": value}}
        return ctx

    def eval_ctx(
        self, frame: Frame, state: State, retry_count: int | None = None,
        task_token: str | None = None, map_item: tuple[int, Any] | None = None,
    ) -> EvalContext:
        """An evaluation context for ``state``; the context object is built only if read."""
        now = self.clock.now()

        def build() -> Mapping[str, Any]:
            ctx = self.context_object(frame, state, now, retry_count, task_token)
            if map_item is not None:
                ctx["Map"] = {"Item": {"Index": map_item[0], "Value": map_item[1]}}
            return ctx

        return ClockedContext(now, variables=frame.scope, rng=self.rng, context_factory=build)

    def jsonata_scope(
        self, ctx: EvalContext, state_input: Any, *, result: Any = ABSENT, error_output: Any = ABSENT,
    ) -> JsonataScope:
        """The JSONata scope of one state evaluation: ``$states`` members, variables, the clock's now."""
        now_ms = None if isinstance(ctx, ClockedContext) else int(self.clock.now() * 1000)
        return JsonataScope.of(ctx, state_input, result=result, error_output=error_output,
                               now_ms=now_ms)

    # -- persistence ----------------------------------------------------------------------------

    def checkpoint(self, frame: Frame) -> None:
        """Hand the frame to the store after a transition (no-op without a store)."""
        if self.store is not None:
            self.store.save_frame(self.identity.execution_arn, frame)
