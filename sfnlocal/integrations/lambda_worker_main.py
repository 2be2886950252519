"""The child side of an isolated Lambda worker: one function, many invocations.

``lambda_workers`` starts this file as a script (``python lambda_worker_main.py``), so it imports
nothing from ``sfnlocal`` and starts fast. Parent and child speak length-prefixed JSON frames
(a 4-byte big-endian length, then UTF-8 JSON) over the child's stdin and stdout:

1. parent → ``{"handler", "code_dir", "sys_path", "memory_mb"}``; child → ``{"ready": true}``
   once the handler module is imported (or ``{"ready": true, "init_error": {...}}``);
2. parent → ``{"event", "context", "timeout"}``; child → ``{"payload", "error", "log"}``.

The handler's own stdout and stderr (file descriptors 1 and 2) go to an anonymous file, truncated
before each invocation; the last 4 KB of it come back as ``log``. The memory size becomes an
address-space limit (``RLIMIT_AS``): the worker's size after start-up plus ``memory_mb``.
An exception from the handler becomes the Python runtime's error payload; ``SystemExit`` and
anything harsher end the process, which the parent reports as a crash.
"""

from __future__ import annotations

import importlib
import json
import os
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

_HEADER = struct.Struct(">I")
_LOG_TAIL = 4096


def read_frame(stream: IO[bytes]) -> Any:
    """Read one frame; None at end of input (the parent went away)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return json.loads(stream.read(size))


def write_frame(stream: IO[bytes], message: Any) -> None:
    """Write one frame and flush it."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


class Context:
    """The ``context`` argument, as AWS's Python runtime builds it."""

    def __init__(self, fields: dict[str, Any], deadline: float) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields["function_version"]
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = fields["log_group_name"]
        self.log_stream_name: str = fields["log_stream_name"]
        self.memory_limit_in_mb: int = int(fields["memory_limit_in_mb"])
        self.client_context: Any = None
        self.identity: Any = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out (real time)."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


Outcome = tuple[str, dict[str, Any] | None]
TASK_ROOT = "/var/task"
"""Where Lambda keeps a function's code (and its stack traces show it)."""


def _error(message: str, error_type: str, request_id: str, stack: list[str]) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": stack}


def error_outcome(message: str, error_type: str, request_id: str, stack: list[str]) -> Outcome:
    """The Python runtime's error payload, and its text as the runtime writes it."""
    payload = _error(message, error_type, request_id, stack)
    return json.dumps(payload), payload


def exception_outcome(exc: BaseException, request_id: str, code_dir: str | None = None) -> Outcome:
    """The error payload of an exception caught in the frame that called the handler.

    Files under ``code_dir`` show as under ``/var/task``, where Lambda keeps a function's code.
    """
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # [1:]: the caller's frame is not user code
    stack = traceback.format_list(frames)
    if code_dir:
        root = os.path.join(os.path.realpath(code_dir), "")
        stack = [line.replace(f'File "{root}', f'File "{TASK_ROOT}/', 1) for line in stack]
    return error_outcome(str(exc), type(exc).__name__, request_id, stack)


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def serialise(result: Any, request_id: str) -> Outcome:
    """A handler's return value as the runtime sends it (``bytes`` as they are, else JSON)."""
    if isinstance(result, bytes | bytearray):
        return bytes(result).decode("utf-8", "replace"), None
    try:
        return json.dumps(result, default=_decimal), None
    except (TypeError, ValueError) as exc:
        return error_outcome(f"Unable to marshal response: {exc}", "Runtime.MarshalError",
                             request_id, [])


class Worker:
    """One function's handler, its log file and its invocation loop."""

    def __init__(self, init: dict[str, Any], log_fd: int) -> None:
        self.init = init
        self.log_fd = log_fd
        self.handler: Callable[..., Any] | None = None
        self.init_error: dict[str, Any] | None = None

    def load(self) -> None:
        """Import the handler (``module.function``) from the code directory."""
        text = str(self.init["handler"])
        try:
            module_name, function = text.rsplit(".", 1)
        except ValueError as exc:  # the Python runtime's words (awslambdaric's bootstrap)
            self.init_error = _error(f"Bad handler '{text}': {exc}",
                                     "Runtime.MalformedHandlerName", "", [])
            return
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            self.init_error = _error(f"Unable to import module '{module_name}': {exc}",
                                     "Runtime.ImportModuleError", "", [])
            return
        handler = getattr(module, function, None)
        if not callable(handler):
            self.init_error = _error(f"Handler '{function}' missing on module '{module_name}'",
                                     "Runtime.HandlerNotFound", "", [])
            return
        self.handler = handler

    def invoke(self, message: dict[str, Any]) -> dict[str, Any]:
        """Run the handler on one event; the reply frame."""
        context = Context(message["context"], time.monotonic() + float(message["timeout"]))
        os.ftruncate(self.log_fd, 0)
        reply = self._call(json.loads(message["event"]), context)
        reply["log"] = self._log_tail()
        return reply

    def _call(self, event: Any, context: Context) -> dict[str, Any]:
        request_id = context.aws_request_id
        if self.handler is None:
            init_error = dict(self.init_error or {}, requestId=request_id)
            return {"payload": json.dumps(init_error), "error": init_error}
        try:
            result = self.handler(event, context)
        except Exception as exc:
            payload, error = exception_outcome(exc, request_id, self.init.get("code_dir"))
            return {"payload": payload, "error": error, "recycle": isinstance(exc, MemoryError)}
        payload, error = serialise(result, request_id)
        return {"payload": payload, "error": error}

    def _log_tail(self) -> str:
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(self.log_fd).st_size
        data = os.pread(self.log_fd, _LOG_TAIL, max(0, size - _LOG_TAIL))
        return data.decode("utf-8", "replace")


def _redirect_output() -> tuple[IO[bytes], IO[bytes], int]:
    """Keep the protocol pipes aside; point fds 0, 1 and 2 at /dev/null and the log file."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    fd, path = tempfile.mkstemp(prefix="sfnlocal-lambda-log-")
    os.close(fd)
    log_fd = os.open(path, os.O_RDWR | os.O_APPEND)
    os.unlink(path)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    return inp, out, log_fd


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at the current size plus ``memory_mb`` (where the OS allows it)."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            line = next(x for x in status if x.startswith("VmSize:"))
        base = int(line.split()[1]) * 1024
        limit = base + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, StopIteration, ValueError):
        return


def main() -> None:
    """Serve invocations until the parent closes stdin."""
    inp, out, log_fd = _redirect_output()
    init = read_frame(inp)
    if init is None:
        return
    sys.path[:0] = [p for p in [init.get("code_dir"), *init.get("sys_path", [])] if p]
    if init.get("code_dir"):
        os.chdir(init["code_dir"])
    worker = Worker(init, log_fd)
    worker.load()
    _limit_memory(int(init.get("memory_mb") or 128))
    write_frame(out, {"ready": True, "init_error": worker.init_error})
    while (message := read_frame(inp)) is not None:
        reply = worker.invoke(message)
        write_frame(out, reply)
        if reply.get("recycle"):
            return


if __name__ == "__main__":
    main()
