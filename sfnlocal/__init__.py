"""sfnlocal: a fast, faithful local emulator and embeddable engine for AWS Step Functions.

The public names are listed in ``__all__`` (a test pins it). The definition layer lives in
``sfnlocal.asl``; the engine (records, stores, clocks) in ``sfnlocal.engine``.

Quick use::

    result = sfnlocal.run(definition, {"x": 1})          # sync; virtual clock by default
    print(result.status, result.output)

    async with sfnlocal.Engine(clock=sfnlocal.VirtualClock()) as engine:   # embedded service
        sm = await engine.create_state_machine("hello", definition)
        ex = await engine.start_execution(sm.arn, {"x": 1})
        print((await engine.wait(ex.arn)).status)
"""

from __future__ import annotations

from sfnlocal.asl import compile_definition, validate
from sfnlocal.asl.diagnostics import Diagnostic
from sfnlocal.asl.model import StateMachine
from sfnlocal.engine import Engine, EngineSettings, SystemClock, VirtualClock
from sfnlocal.errors import (
    EvaluationError,
    InvalidDefinition,
    ServiceError,
    SfnLocalError,
    StatesError,
)
from sfnlocal.runner import RunResult, run

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "Engine",
    "EngineSettings",
    "EvaluationError",
    "InvalidDefinition",
    "RunResult",
    "ServiceError",
    "SfnLocalError",
    "StateMachine",
    "StatesError",
    "SystemClock",
    "VirtualClock",
    "__version__",
    "compile_definition",
    "run",
    "validate",
]
