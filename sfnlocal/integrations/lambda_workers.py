"""Isolated Lambda functions: a pool of worker subprocesses per function.

Each worker is a Python subprocess running ``lambda_worker_main.py`` for one function (one code
version): it imports the handler once (the cold start) and then serves invocations one at a time,
keeping its module globals between them (warm starts), like a Lambda execution environment.
Parent and child exchange length-prefixed JSON frames over the child's stdin/stdout.

A handler cannot hurt the engine: a worker that exits or dies (``os._exit``, a signal, an
exhausted address space) is reported as a crash, and a handler still running at the function's
timeout (measured in real time: the function runs in real time) gets its worker killed. Both
results are what Lambda returns for them: a function error whose payload has no ``errorType``,
which Step Functions reports as ``Lambda.Unknown`` (checklist §10.3)::

    {"errorMessage": "2024-01-01T00:00:00.000Z <request id> Task timed out after 3.00 seconds"}
    {"errorMessage": "RequestId: <request id> Error: Runtime exited with error: exit status 1"}

(Newer Lambda runtimes add ``errorType`` ``Sandbox.Timedout`` / ``Runtime.ExitError``; the
checklist and the recorded cases follow the ``Lambda.Unknown`` form, so that is what we emulate.)

The next invocation after a timeout or a crash gets a fresh worker. A pool starts workers on
demand up to ``max_workers``; further invocations queue for a free one. When the function's code
changes (``load_spec`` returns a different ``WorkerSpec``), idle workers of the old version are
stopped and busy ones are retired when they finish. ``retire()`` does the same for a pool whose
function was replaced or deleted (new code through the Lambda API): invocations in flight finish
on the old code, and no old worker is reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import struct
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["WorkerPool", "WorkerResult", "WorkerSpec"]

_MAIN = str(Path(__file__).with_name("lambda_worker_main.py"))
_HEADER = struct.Struct(">I")
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
_INIT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What a worker runs.

    Attributes:
        function_name: the function's name.
        handler: ``module.function`` to import in the worker.
        code_dir: the directory put first on the worker's ``sys.path`` (None: the engine's path).
        memory_mb: the memory size (the worker's extra address space, see ``lambda_worker_main``).
        timeout: the function's timeout in seconds.
        environment: the function's environment variables.
        runtime: the runtime name reported in ``AWS_EXECUTION_ENV``.
        version: the code version (a change starts fresh workers).
    """

    function_name: str
    handler: str
    code_dir: str | None = None
    memory_mb: int = 128
    timeout: float = 3.0
    environment: Mapping[str, str] = field(default_factory=dict)
    runtime: str = "python3.11"
    version: str = ""


@dataclass(frozen=True, slots=True)
class WorkerResult:
    """One invocation's outcome.

    Attributes:
        payload: the response payload text (result or error payload).
        error: the parsed error payload when the function failed, else None.
        log: the last 4 KB of what the handler wrote to stdout/stderr.
        duration: real seconds the invocation took in the worker.
        cold: True when a new worker was started for it.
    """

    payload: str
    error: dict[str, Any] | None
    log: str = ""
    duration: float = 0.0
    cold: bool = False


class _Worker:
    """One worker subprocess."""

    def __init__(self, proc: asyncio.subprocess.Process, spec: WorkerSpec) -> None:
        self.proc = proc
        self.spec = spec
        self.loop = asyncio.get_running_loop()
        self.killed = False

    async def send(self, message: Any) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(_HEADER.pack(len(body)) + body)
        await stdin.drain()

    async def receive(self) -> Any:
        """The next frame; None when the worker has exited."""
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            (size,) = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
            return json.loads(await stdout.readexactly(size))
        except asyncio.IncompleteReadError:
            return None

    async def call(self, message: Any) -> Any:
        try:
            await self.send(message)
        except (BrokenPipeError, ConnectionResetError):
            return None
        return await self.receive()

    @property
    def reusable(self) -> bool:
        """True while the process serves invocations on the running loop."""
        return not self.killed and self.proc.returncode is None and \
            self.loop is asyncio.get_running_loop()

    def kill(self) -> None:
        """Stop the process at once (safe from any loop, or none)."""
        self.killed = True
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    async def exit_status(self) -> str:
        """How the process ended, in Lambda's words (``exit status 1``, ``signal: killed``)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self.proc.wait()
        code = self.proc.returncode
        if code is None:
            self.kill()
            return "signal: killed"
        if code < 0:
            return f"signal: {_signal_name(-code)}"
        return f"exit status {code}"

    async def close(self) -> None:
        self.kill()
        if self.loop is asyncio.get_running_loop():
            await self.proc.wait()


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return str(number)
    return {"SIGKILL": "killed", "SIGSEGV": "segmentation fault", "SIGABRT": "aborted",
            "SIGTERM": "terminated"}.get(name, name.lower())


class WorkerPool:
    """Worker subprocesses for one function.

    Args:
        load_spec: returns the function's current ``WorkerSpec`` (called at each invocation, so a
            changed code version is noticed; keep it cheap).
        max_workers: how many invocations may run at once (more wait for a free worker).
    """

    def __init__(self, load_spec: Callable[[], WorkerSpec], *, max_workers: int = 8) -> None:
        self.load_spec = load_spec
        self.max_workers = max_workers
        self.cold_starts = 0
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._spec: WorkerSpec | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._retired = False

    @property
    def workers(self) -> int:
        """Live worker processes (idle and busy)."""
        return len(self._idle) + len(self._busy)

    async def invoke(
        self, event_text: str, context: Mapping[str, Any], *, region: str, started: str
    ) -> WorkerResult:
        """Run one invocation in a worker.

        Args:
            event_text: the event as JSON text.
            context: the context fields (``function_name``, ``aws_request_id``, ...).
            region: the region (``AWS_REGION`` of new workers).
            started: the invocation's start time, ISO 8601 (used in the timeout message).
        """
        slots = self._prepare()
        async with slots:
            spec = self._spec
            assert spec is not None
            cold = not self._idle
            worker = self._idle.pop() if self._idle else await self._start(spec, region)
            self._busy.add(worker)
            try:
                result = await self._run(worker, event_text, context, started)
            finally:
                self._busy.discard(worker)
            if worker.reusable and worker.spec == self._spec and not self._retired:
                self._idle.append(worker)
            else:
                await worker.close()
        return WorkerResult(result.payload, result.error, result.log, result.duration, cold)

    def _prepare(self) -> asyncio.Semaphore:
        """Follow a new event loop or code version; the concurrency semaphore."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.kill_all()
            self._loop, self._slots = loop, asyncio.Semaphore(self.max_workers)
        spec = self.load_spec()
        if spec != self._spec:
            self._spec = spec
            for worker in self._idle:
                worker.kill()
            self._idle.clear()
        assert self._slots is not None
        return self._slots

    async def _start(self, spec: WorkerSpec, region: str) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-P", _MAIN, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=_environment(spec, region), cwd=spec.code_dir,
        )
        worker = _Worker(proc, spec)
        self.cold_starts += 1
        init = {"handler": spec.handler, "code_dir": spec.code_dir, "sys_path": _sys_path(spec),
                "memory_mb": spec.memory_mb}
        try:
            async with asyncio.timeout(_INIT_TIMEOUT):
                await worker.call(init)
        except BaseException:
            await worker.close()
            raise
        return worker

    async def _run(
        self, worker: _Worker, event_text: str, context: Mapping[str, Any], started: str
    ) -> WorkerResult:
        request_id = str(context["aws_request_id"])
        message = {"event": event_text, "context": dict(context), "timeout": worker.spec.timeout}
        begin = time.monotonic()
        try:
            async with asyncio.timeout(worker.spec.timeout):
                reply = await worker.call(message)
        except TimeoutError:
            worker.kill()
            return _failure(f"{started} {request_id} Task timed out after "
                            f"{worker.spec.timeout:.2f} seconds", time.monotonic() - begin)
        except BaseException:
            worker.kill()
            raise
        duration = time.monotonic() - begin
        if reply is None:
            status = await worker.exit_status()
            return _failure(f"RequestId: {request_id} Error: Runtime exited with error: {status}",
                            duration)
        if reply.get("recycle"):
            worker.kill()
        return WorkerResult(reply["payload"], reply.get("error"), reply.get("log", ""), duration)

    def retire(self) -> None:
        """Stop the idle workers now and each busy one when its invocation ends (no reuse)."""
        self._retired = True
        for worker in self._idle:
            worker.kill()
        self._idle.clear()

    def kill_all(self) -> None:
        """Kill every worker at once (no waiting; usable without a running loop)."""
        for worker in [*self._idle, *self._busy]:
            worker.kill()
        self._idle.clear()

    async def aclose(self) -> None:
        """Stop every idle worker and wait for them to exit; busy ones are killed."""
        idle, self._idle = self._idle, []
        for worker in self._busy:
            worker.kill()
        for worker in idle:
            await worker.close()


def _failure(message: str, duration: float) -> WorkerResult:
    error = {"errorMessage": message}
    return WorkerResult(json.dumps(error), error, "", duration)


def _sys_path(spec: WorkerSpec) -> list[str]:
    """The engine's import path, so ``module.function`` handlers resolve as they do here."""
    return [p for p in sys.path if p and p != spec.code_dir]


def _environment(spec: WorkerSpec, region: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env.update(spec.environment)
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "LAMBDA_TASK_ROOT": spec.code_dir or os.getcwd(),
        "_HANDLER": spec.handler,
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUTF8": "1",
    })
    return env
