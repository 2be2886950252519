"""The web page, its JSON endpoints and /health, with aiohttp's client (server on this loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sfnlocal import asl
from sfnlocal.api.serve import EXAMPLE
from sfnlocal.api.server import Server
from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, Engine, aiohttp.ClientSession]]:
    async with Engine(clock=VirtualClock()) as engine:
        server = Server(engine, "127.0.0.1", 0)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                yield server.url, engine, session
        finally:
            await server.stop()


async def test_health(site):
    url, engine, session = site
    await engine.create_state_machine("one", asl.load(str(EXAMPLE)))
    async with session.get(url + "/health") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok"
    assert body["stateMachines"] == 1


async def test_the_page_is_html(site):
    url, _, session = site
    async with session.get(url + "/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        text = await response.text()
    assert "<title>sfnlocal</title>" in text
    assert "/ui/api/state-machines" in text and "/ui/api/graph" in text


async def test_state_machines_with_recent_executions(site):
    url, engine, session = site
    machine = await engine.create_state_machine("hello", asl.load(str(EXAMPLE)))
    run = await engine.start_execution(machine.arn, {"name": "Ada"}, name="first")
    await engine.wait(run.arn)
    async with session.get(url + "/ui/api/state-machines") as response:
        assert response.status == 200
        body = await response.json()
    [item] = body["stateMachines"]
    assert item["name"] == "hello" and item["stateMachineArn"] == machine.arn
    assert [(e["name"], e["status"]) for e in item["executions"]] == [("first", "SUCCEEDED")]
    assert isinstance(item["executions"][0]["startDate"], float)


async def test_graph_as_mermaid(site):
    url, engine, session = site
    machine = await engine.create_state_machine("hello", asl.load(str(EXAMPLE)))
    async with session.get(url + "/ui/api/graph", params={"stateMachineArn": machine.arn}) as r:
        assert r.status == 200
        body = await r.json()
    assert body["mermaid"].startswith("flowchart TD")
    assert '"CheckForName"' in body["mermaid"]


async def test_graph_of_an_unknown_machine(site):
    url, _, session = site
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:ghost"
    async with session.get(url + "/ui/api/graph", params={"stateMachineArn": arn}) as r:
        assert r.status == 400
        body = await r.json(content_type=None)
    assert body["__type"] == "StateMachineDoesNotExist"


async def test_unknown_path_is_404(site):
    url, _, session = site
    async with session.get(url + "/nothing-here") as response:
        assert response.status == 404
