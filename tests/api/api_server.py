"""Helpers of the server tests: a real server on 127.0.0.1 (ephemeral port) in a thread.

boto3 is synchronous, so the server runs in a background thread with its own event loop; tests
reach its engine through ``ServerThread.call`` (coroutines run on the server's loop) and move its
virtual clock (no autojump: time moves only through ``advance``, so a ``Wait`` keeps an execution
RUNNING until a test moves it).
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sfnlocal.api.server import Server
from sfnlocal.engine.clock import Clock, VirtualClock
from sfnlocal.engine.engine import Engine

ROLE = "arn:aws:iam::123456789012:role/test"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "D"},
                                              "D": {"Type": "Succeed"}}})
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops",
                                                    "Cause": "it broke"}}})
TIMEOUT = 10


class ServerThread:
    """One Engine + Server on a background event loop."""

    def __init__(self, clock: Clock | None = None, *, pin_region: bool = False) -> None:
        # ``clock``: a SystemClock for tests that need real waits (SQS long polls a worker thread
        # makes while the test cannot move virtual time); the default virtual clock never moves
        # by itself.
        self.clock: Any = clock if clock is not None else VirtualClock(autojump=False)
        self.pin_region = pin_region
        self.url = ""
        self.engine: Engine | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="sfnlocal-test-server")

    def start(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "the server did not start"
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Engine(clock=self.clock) as engine:
            self.engine = engine
            server = Server(engine, "127.0.0.1", 0, pin_region=self.pin_region)
            await server.start()
            self.url = server.url
            self._ready.set()
            await self._stop.wait()
            await server.stop()

    def call(self, make: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``make()`` on the server's loop and return its result."""
        assert self.loop is not None

        async def run() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(TIMEOUT)

    def advance(self, seconds: float) -> None:
        """Move the server's virtual clock forward (timers due run on its loop)."""
        async def move() -> None:
            self.clock.advance(seconds)
            await asyncio.sleep(0)

        self.call(move)

    def wait_done(self, arn: str) -> None:
        """Block until the execution has closed."""
        assert self.engine is not None
        engine = self.engine
        self.call(lambda: engine.wait(arn))

    def close(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the server did not stop"
        if self._error is not None:
            raise self._error


def post(url: str, body: bytes | str, target: str | None = "AWSStepFunctions.ListStateMachines",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """A raw POST (status, JSON body), for requests boto3 would refuse to send."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url + "/", data=data, method="POST")
    request.add_header("Content-Type", "application/x-amz-json-1.0")
    if target is not None:
        request.add_header("X-Amz-Target", target)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def error_of(exc: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def client_of(service: str, url: str, region: str = "us-east-1") -> Any:
    """A boto3 client of ``service`` for the server at ``url`` (any credentials, no retries)."""
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config

    return boto3.client(
        service, endpoint_url=url, region_name=region,
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )
