"""State semantics, one module per state type, dispatched by type name.

``SYNC_HANDLERS`` hold the states that never wait (called directly by the walker);
``ASYNC_HANDLERS`` the ones that do (awaited). A handler takes ``(runtime, frame, state)`` and
returns ``(next state name or None, output)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.states.map_ import run_map
from sfnlocal.states.parallel import run_parallel
from sfnlocal.states.simple import run_choice, run_fail, run_pass, run_succeed
from sfnlocal.states.task import run_task
from sfnlocal.states.wait import run_wait

__all__ = ["ASYNC_HANDLERS", "SYNC_HANDLERS", "register"]

SyncHandler = Callable[[Any, Any, Any], tuple[str | None, Any]]
AsyncHandler = Callable[[Any, Any, Any], Awaitable[tuple[str | None, Any]]]

SYNC_HANDLERS: dict[str, SyncHandler] = {
    "Pass": run_pass,
    "Choice": run_choice,
    "Succeed": run_succeed,
    "Fail": run_fail,
}

ASYNC_HANDLERS: dict[str, AsyncHandler] = {
    "Task": run_task,
    "Parallel": run_parallel,
    "Map": run_map,
    "Wait": run_wait,
}


def register(type_name: str, handler: AsyncHandler) -> None:
    """Register the awaited handler of a state type (Task, Wait, Parallel, Map)."""
    ASYNC_HANDLERS[type_name] = handler
