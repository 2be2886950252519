"""The engine: executions, the walker, clocks, history, the store and the Engine facade."""

from __future__ import annotations

from sfnlocal.engine.clock import Clock, SystemClock, TimerHandle, VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord, SyncExecutionResult
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.engine.store import MemoryStore, Store

__all__ = [
    "Clock",
    "Engine",
    "EngineSettings",
    "ExecutionRecord",
    "MemoryStore",
    "StateMachineRecord",
    "Store",
    "SyncExecutionResult",
    "SystemClock",
    "TimerHandle",
    "VirtualClock",
]
