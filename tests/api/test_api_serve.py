"""``sfnlocal serve``: start-up, definitions, the taken port, graceful shutdown, signals."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import socket
import subprocess
import sys
import urllib.request

import aiohttp
import pytest
from api_server import PASS, post

from sfnlocal.api.serve import ServeOptions, serve
from sfnlocal.api.server import Server
from sfnlocal.cli import main
from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine

WAIT_10 = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}


def test_a_taken_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out, err = io.StringIO(), io.StringIO()
        status = main(["serve", "--port", str(port), "--no-examples"], out, err)
    assert status == 1
    lines = err.getvalue().strip().splitlines()
    assert lines == [f"sfnlocal serve: cannot listen on 127.0.0.1:{port}: the port is already in "
                     "use (choose another: --port)"]


def test_definitions_must_be_a_directory(tmp_path):
    err = io.StringIO()
    assert main(["serve", "--definitions", str(tmp_path / "none")], io.StringIO(), err) == 1
    assert "is not a directory" in err.getvalue()


async def test_serve_registers_the_example_and_a_directory(tmp_path):
    (tmp_path / "orders.asl.json").write_text(PASS)
    (tmp_path / "billing.yaml").write_text("StartAt: P\nStates:\n  P: {Type: Pass, End: true}\n")
    (tmp_path / "broken.json").write_text('{"StartAt": "Nowhere", "States": {}}')
    (tmp_path / "notes.txt").write_text("not a definition")
    stop, seen = asyncio.Event(), {}

    def ready(server, loaded):
        seen["loaded"], seen["url"] = loaded, server.url
        stop.set()

    await serve(ServeOptions(port=0, clock="virtual", definitions_dir=tmp_path), on_ready=ready,
                stop=stop)
    assert seen["loaded"] == ["hello", "billing", "orders"]
    assert seen["url"].startswith("http://127.0.0.1:")


async def test_no_examples():
    stop, seen = asyncio.Event(), {}

    def ready(server, loaded):
        seen["loaded"] = loaded
        stop.set()

    await serve(ServeOptions(port=0, examples=False), on_ready=ready, stop=stop)
    assert seen["loaded"] == []


async def test_stop_lets_in_flight_requests_finish():
    clock = VirtualClock(autojump=False)
    async with Engine(clock=clock) as engine:
        machine = await engine.create_state_machine("slow", WAIT_10, type="EXPRESS")
        server = Server(engine, "127.0.0.1", 0)
        await server.start()
        async with aiohttp.ClientSession() as session:
            request = asyncio.create_task(session.post(
                server.url + "/", data=json.dumps({"stateMachineArn": machine.arn}),
                headers={"X-Amz-Target": "AWSStepFunctions.StartSyncExecution",
                         "Content-Type": "application/x-amz-json-1.0"}))
            for _ in range(100_000):  # bounded: until the execution waits on the clock
                if clock.pending:
                    break
                await asyncio.sleep(0)
            assert clock.pending  # the Wait (and the Express 5-minute deadline)
            stopping = asyncio.create_task(server.stop())
            for _ in range(50):
                await asyncio.sleep(0)
            assert not stopping.done()  # waiting for the in-flight request
            clock.advance(10)
            async with await request as response:
                assert response.status == 200
                assert (await response.json(content_type=None))["status"] == "SUCCEEDED"
            await stopping
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(server.url + "/health")


@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_serves_until_sigterm(quiet):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfnlocal.cli", "serve", "--port", "0", "--clock", "virtual",
         *(["--quiet"] if quiet else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "state machines: hello" in line, line + proc.stderr.read()
        url = line.split("listening on ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            assert json.loads(response.read())["stateMachines"] == 1
        arn = "arn:aws:states:us-east-1:123456789012:stateMachine:hello"
        status, body = post(url, json.dumps({"stateMachineArn": arn, "input": '{"name": "Ada"}'}),
                            "AWSStepFunctions.StartExecution")
        assert status == 200 and body["executionArn"].endswith(":execution:hello:" +
                                                                body["executionArn"][-36:])
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "sfnlocal serve: stopped" in out
    assert ("GET /health - - 200" in err) is not quiet
    assert ("POST / StartExecution us-east-1 200" in err) is not quiet
