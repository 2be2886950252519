"""``sfnlocal serve --config``: start-up, ``POST /admin/reload``, SIGHUP, ``SFN_MOCK_CONFIG``."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from api_server import post

from sfnlocal.api.serve import ServeOptions, serve
from sfnlocal.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "definitions" / "local" / "sfnlocal.yaml"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
CALL = {"StartAt": "Call", "States": {"Call": {
    "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:absent",
    "End": True}}}
MOCKS = {"StateMachines": {"calls": {"TestCases": {"Mocked": {"Call": "Fine"}}}},
         "MockedResponses": {"Fine": {"0": {"Return": {"mocked": True}}}}}


class Client:
    """The Step Functions API and the admin endpoint of a running server."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(self, action: str, **body: Any) -> dict[str, Any]:
        headers = {"X-Amz-Target": f"AWSStepFunctions.{action}",
                   "Content-Type": "application/x-amz-json-1.0"}
        async with self.session.post(self.url + "/", data=json.dumps(body),
                                     headers=headers) as response:
            result: dict[str, Any] = await response.json(content_type=None)
            return result

    async def reload(self) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.url + "/admin/reload") as response:
            return response.status, await response.json()

    async def run(self, arn: str, input_: Any = None) -> dict[str, Any]:
        started = await self.call("StartExecution", stateMachineArn=arn,
                                  input=json.dumps(input_ or {}))
        assert "executionArn" in started, started
        for _ in range(1000):  # bounded: the virtual clock skips waits; yield until it has closed
            described = await self.call("DescribeExecution", executionArn=started["executionArn"])
            if described["status"] != "RUNNING":
                return described
            await asyncio.sleep(0)
        raise AssertionError(f"{arn} did not finish")

    async def machines(self) -> list[str]:
        return [m["name"] for m in (await self.call("ListStateMachines"))["stateMachines"]]


@asynccontextmanager
async def serving(options: ServeOptions) -> AsyncIterator[tuple[Client, list[str]]]:
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(options, on_ready=lambda s, loaded: ready.set_result(
        (s.url, loaded)), stop=stop))
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        await task  # serve failed to start: raise its error
    url, loaded = ready.result()
    try:
        async with aiohttp.ClientSession() as session:
            yield Client(session, url), loaded
    finally:
        stop.set()
        await task


async def test_the_bundled_config_is_served():
    options = ServeOptions(port=0, clock="virtual", examples=False, config=EXAMPLE)
    async with serving(options) as (client, loaded):
        assert loaded == ["hello", "greeter"]
        greeted = await client.run(SM + "greeter", {"name": "Ada"})
        assert greeted["status"] == "SUCCEEDED", greeted
        assert json.loads(greeted["output"])["greeting"] == "Hello, Ada!"
        mocked = await client.run(SM + "greeter#Shouting")
        assert mocked["executionArn"].startswith(
            "arn:aws:states:us-east-1:123456789012:execution:greeter:")
        assert mocked["stateMachineArn"] == SM + "greeter"
        assert json.loads(mocked["output"])["greeting"] == "HELLO!"
        unknown = await client.call("StartExecution", stateMachineArn=SM + "greeter#Whispering")
        assert unknown["__type"].endswith("ValidationException")
        assert "'Whispering'" in unknown["message"]


async def test_post_admin_reload_reports_changes_and_refuses_broken_files(tmp_path: Path):
    path = tmp_path / "sfnlocal.yaml"
    path.write_text(yaml.safe_dump({"state_machines": [{"name": "a", "definition": PASS}]}))
    options = ServeOptions(port=0, clock="virtual", examples=False, config=path)
    async with serving(options) as (client, loaded):
        assert loaded == ["a"]
        path.write_text(yaml.safe_dump({"state_machines": [{"name": "a", "definition": PASS},
                                                           {"name": "b", "definition": PASS}],
                                        "activities": ["act"]}))
        status, body = await client.reload()
        assert status == 200
        assert body["reloaded"] is True and body["file"] == str(path)
        assert body["created"] == {"stateMachines": ["b"], "activities": ["act"]}
        assert body["unchanged"] == {"stateMachines": ["a"]}
        assert await client.machines() == ["a", "b"]

        path.write_text(yaml.safe_dump({"state_machines": [{"name": "c", "definition": PASS},
                                                           {"name": "d", "definition": 7}]}))
        status, body = await client.reload()
        assert status == 400 and body["reloaded"] is False
        assert (body["file"], body["pointer"]) == (str(path), "/state_machines/1/definition")
        assert body["error"].startswith(f"{path}: /state_machines/1/definition: ")
        assert await client.machines() == ["a", "b"]  # the old config stays in force


async def test_reload_without_a_config_file_is_404():
    async with serving(ServeOptions(port=0, clock="virtual", examples=False)) as (client, _):
        status, body = await client.reload()
        assert status == 404 and "without --config" in body["error"]


async def test_mock_config_option_serves_test_cases(tmp_path: Path):
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    config = tmp_path / "sfnlocal.json"
    config.write_text(json.dumps({"state_machines": [{"name": "calls", "definition": CALL}]}))
    options = ServeOptions(port=0, clock="virtual", examples=False, config=config,
                           mock_config=mocks)
    async with serving(options) as (client, _):
        assert json.loads((await client.run(SM + "calls#Mocked"))["output"]) == {"mocked": True}
        real = await client.run(SM + "calls")
        assert real["status"] == "FAILED"  # no function 'absent': the real integration answers


def test_a_broken_config_stops_the_command_with_file_and_pointer(tmp_path: Path):
    path = tmp_path / "sfnlocal.yaml"
    path.write_text("queues: [{name: q, attributes: {VisibilityTimeout: 99999}}]\n")
    err = io.StringIO()
    assert main(["serve", "--port", "0", "--config", str(path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(f"sfnlocal serve: {path}: /queues/0: ")


def read_until(stream: Any, words: str) -> str:
    seen = []
    for _ in range(200):  # bounded: each readline blocks until the server writes a line
        line = stream.readline()
        seen.append(line)
        if words in line or not line:
            return line
    raise AssertionError("".join(seen))


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_reloads_and_sfn_mock_config_is_read(tmp_path: Path):
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    config = tmp_path / "sfnlocal.yaml"
    config.write_text(yaml.safe_dump({"state_machines": [{"name": "calls", "definition": CALL}]}))
    env = {**os.environ, "SFN_MOCK_CONFIG": str(mocks)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfnlocal.cli", "serve", "--port", "0", "--clock", "virtual",
         "--no-examples", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = read_until(proc.stdout, "listening on")
        assert "state machines: calls" in line, line
        url = line.split("listening on ", 1)[1].split()[0]
        status, started = post(url, json.dumps({"stateMachineArn": SM + "calls#Mocked"}),
                               "AWSStepFunctions.StartExecution")
        assert status == 200, started
        config.write_text(yaml.safe_dump({"state_machines": [
            {"name": "calls", "definition": CALL}, {"name": "later", "definition": PASS}]}))
        proc.send_signal(signal.SIGHUP)
        reloaded = read_until(proc.stderr, "config reloaded")
        assert '"created": {"stateMachines": ["later"]}' in reloaded
        _, listed = post(url, "{}", "AWSStepFunctions.ListStateMachines")
        assert [m["name"] for m in listed["stateMachines"]] == ["calls", "later"]
        _, described = post(url, json.dumps({"executionArn": started["executionArn"]}),
                            "AWSStepFunctions.DescribeExecution")
        assert json.loads(described["output"]) == {"mocked": True}
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
