"""Retry and Catch (checklist §7), shared by Task, Parallel and Map.

Matching: the first retrier (catcher) whose ``ErrorEquals`` matches decides. ``States.ALL`` matches
everything but ``States.Runtime``; ``States.TaskFailed`` matches everything but
``States.Timeout`` (and ``States.Runtime``); other names match exactly. ``States.Runtime`` is
neither retried nor caught.
A ``TaskTimeout`` is ``States.Timeout``; a heartbeat expiry also answers to
``States.HeartbeatTimeout`` (its alias).

Attempts are counted per retrier for the current visit of the state, in ``frame.retry_counts``
(data, so a resumed execution keeps its counts); the walker resets them when it leaves the state.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sfnlocal.asl.model import Catcher, Retrier, State
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.runtime import ExecutionRuntime
from sfnlocal.errors import StatesError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.states import io

__all__ = [
    "TaskTimeout",
    "apply_catcher",
    "error_names",
    "find_catcher",
    "find_retrier",
    "matches",
    "retry_delay",
    "run_with_retry",
]

T = TypeVar("T")

UNCATCHABLE = "States.Runtime"
DEFAULT_MAX_DELAY = 31_622_401


TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"


class TaskTimeout(StatesError):
    """A task attempt ran past ``TimeoutSeconds`` or missed a heartbeat: ``States.Timeout``.

    Args:
        heartbeat: True for a heartbeat expiry, which Retry/Catch also match as
            ``States.HeartbeatTimeout``.
    """

    def __init__(self, heartbeat: bool = False) -> None:
        super().__init__(TIMEOUT, None)
        self.heartbeat = heartbeat
        self.aliases: tuple[str, ...] = (HEARTBEAT_TIMEOUT,) if heartbeat else ()


def error_names(err: StatesError) -> tuple[str, ...]:
    """The names an error answers to: its own and its aliases."""
    own = err.error or ""
    if isinstance(err, TaskTimeout):
        return (own, *err.aliases)
    return (own,)


def matches(error_equals: Sequence[str], err: StatesError) -> bool:
    """True when an ``ErrorEquals`` list matches the error."""
    names = error_names(err)
    if names[0] == UNCATCHABLE:
        return False
    for wanted in error_equals:
        if wanted in names or wanted == "States.ALL":
            return True
        if wanted == "States.TaskFailed" and names[0] != TIMEOUT:
            return True
    return False


def find_retrier(retriers: Sequence[Retrier], err: StatesError) -> int | None:
    """Index of the first retrier matching the error, or None."""
    for index, retrier in enumerate(retriers):
        if matches(retrier.error_equals, err):
            return index
    return None


def find_catcher(catchers: Sequence[Catcher], err: StatesError) -> Catcher | None:
    """The first catcher matching the error, or None."""
    for catcher in catchers:
        if matches(catcher.error_equals, err):
            return catcher
    return None


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based) of this retrier.

    ``IntervalSeconds * BackoffRate**attempt``, capped by ``MaxDelaySeconds``; ``FULL`` jitter draws
    uniformly from ``[0, delay]``.
    """
    delay = retrier.interval_seconds * retrier.backoff_rate**attempt
    cap = retrier.max_delay_seconds if retrier.max_delay_seconds is not None else DEFAULT_MAX_DELAY
    delay = min(delay, cap)
    if retrier.jitter == "FULL":
        delay = rng.uniform(0, delay)
    return delay


async def run_with_retry(
    rt: ExecutionRuntime, frame: Frame, retriers: Sequence[Retrier],
    attempt: Callable[[int], Awaitable[T]],
) -> T:
    """Run ``attempt(retry_count)`` until it succeeds or no retrier takes the error.

    Raises:
        StatesError: the last error, when it is not retried (any more).
    """
    counts = frame.retry_counts
    if len(counts) != len(retriers):
        counts[:] = [0] * len(retriers)
    while True:
        try:
            return await attempt(sum(counts))
        except StatesError as err:
            index = find_retrier(retriers, err)
            if index is None or counts[index] >= retriers[index].max_attempts:
                raise
            await _back_off(rt, frame, retriers[index], counts[index])
            counts[index] += 1


async def _back_off(rt: ExecutionRuntime, frame: Frame, retrier: Retrier, attempt: int) -> None:
    frame.deadline = rt.clock.now() + retry_delay(retrier, attempt, rt.rng)
    rt.checkpoint(frame)
    await rt.clock.sleep_until(frame.deadline)
    frame.deadline = None


def apply_catcher(
    rt: ExecutionRuntime, frame: Frame, state: State, catcher: Catcher, err: StatesError,
    ctx: EvalContext | None = None,
) -> io.Step:
    """Leave ``state`` through ``catcher``: error output → Assign → ResultPath; record the exit.

    OutputPath is not applied on a caught error (AWS); the state-level Assign is not evaluated.
    JSONata: the catcher's Assign, then its Output (default: the error output), with
    ``$states.errorOutput``.
    ``ctx`` is the state's evaluation context (default: a fresh one for ``state``).

    Raises:
        StatesError: the catcher's ResultPath cannot be applied to the raw input
            (``States.ResultPathMatchFailure``), or an Assign expression failed.
    """
    error_output: dict[str, Any] = err.to_error_output()
    ctx = ctx if ctx is not None else rt.eval_ctx(frame, state)
    with io.reported(rt, frame, state):  # AWS's error, with the state prefix
        if state.is_jsonata:
            scope = rt.jsonata_scope(ctx, frame.input, error_output=error_output)
            assigned = io.evaluate_assign(catcher.assign, error_output, ctx, scope)
            output = io.jsonata_output(catcher.output, scope, error_output)
        else:
            assigned = io.evaluate_assign(catcher.assign, error_output, ctx)
            output = io.apply_result_path(catcher.result_path, frame.input, error_output)
    io.commit_assign(frame, assigned)
    io.exit_state(rt, frame, state, output, assigned)
    return catcher.next, output

