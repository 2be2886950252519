"""The HTTP task ``arn:aws:states:::http:invoke`` against a local aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.integrations import Registry
from sfnlocal.integrations.http import Connection, HttpInvoke, url_encode

HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:111111111111:connection/local/abc"


class Server:
    """The test server: records what it received and answers per route."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/echo", self.echo)
        app.router.add_get("/text", self.text)
        app.router.add_get("/status/{code}", self.status)
        app.router.add_get("/redirect", self.redirect)
        app.router.add_get("/hang", self.hang)
        self.server = TestServer(app, host="127.0.0.1")

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def record(self, request: web.Request) -> dict[str, Any]:
        seen = {"method": request.method, "query": list(request.query.items()),
                "headers": dict(request.headers), "body": await request.text()}
        self.requests.append(seen)
        return seen

    async def echo(self, request: web.Request) -> web.Response:
        seen = await self.record(request)
        return web.json_response({"method": seen["method"], "ok": True},
                                 headers={"X-Reply": "yes"})

    async def text(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(text="plain words", content_type="text/plain")

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.json_response({"message": "nope"}, status=code)

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    async def hang(self, request: web.Request) -> web.Response:
        self.arrived.set()
        await self.release.wait()
        return web.json_response({})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    await srv.server.start_server()
    try:
        yield srv
    finally:
        srv.release.set()
        await srv.server.close()


async def run(state: dict[str, Any], registry: Registry | None = None,
              more: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a machine whose Task ``T`` is ``state``; return the record, output and events by type."""
    flow = {} if "Next" in state else {"End": True}
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": HTTP, **state, **flow},
                                             **(more or {})}}
    async with Engine(clock=VirtualClock(), integrations=registry or Registry()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        ex = await engine.start_execution(sm.arn, name="ex")
        record = await engine.wait(ex.arn)
        events = (await engine.get_execution_history(ex.arn))["events"]
    by_type = {e["type"]: next((v for k, v in e.items() if k.endswith("EventDetails")), {})
               for e in events}
    out = json.loads(record.output) if record.output else None
    return {"record": record, "output": out, "events": by_type}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_each_method_reaches_the_server(server: Server, method: str):
    result = await run({"Parameters": {"ApiEndpoint": server.url("/echo"), "Method": method}})
    assert result["record"].status == "SUCCEEDED"
    assert server.requests[0]["method"] == method
    assert result["output"]["ResponseBody"] == {"method": method, "ok": True}


async def test_result_shape(server: Server):
    result = await run({"Parameters": {"ApiEndpoint": server.url("/echo"), "Method": "GET"}})
    out = result["output"]
    assert set(out) == {"Headers", "ResponseBody", "StatusCode", "StatusText"}
    assert out["StatusCode"] == 200
    assert out["StatusText"] == "OK"
    assert out["Headers"]["x-reply"] == ["yes"]
    assert out["Headers"]["content-type"] == ["application/json; charset=utf-8"]
    assert all(isinstance(v, list) for v in out["Headers"].values())
    events = result["events"]
    assert events["TaskScheduled"]["resourceType"] == "http"
    assert events["TaskScheduled"]["resource"] == "invoke"
    assert json.loads(events["TaskSucceeded"]["output"]) == out


async def test_a_text_body_is_returned_as_text(server: Server):
    result = await run({"Parameters": {"ApiEndpoint": server.url("/text"), "Method": "GET"}})
    assert result["output"]["ResponseBody"] == "plain words"


async def test_query_parameters_and_headers_are_sent(server: Server):
    params = {"ApiEndpoint": server.url("/echo"), "Method": "GET",
              "QueryParameters": {"q": "a b", "n": 3, "tag": ["x", "y"]},
              "Headers": {"X-Custom": "value", "X-Number": 7}}
    await run({"Parameters": params})
    seen = server.requests[0]
    assert seen["query"] == [("q", "a b"), ("n", "3"), ("tag", "x"), ("tag", "y")]
    assert seen["headers"]["X-Custom"] == "value"
    assert seen["headers"]["X-Number"] == "7"
    assert seen["body"] == ""


async def test_a_request_body_is_sent_as_json(server: Server):
    body = {"name": "Zoë", "items": [1, 2], "nested": {"ok": True}}
    await run({"Parameters": {"ApiEndpoint": server.url("/echo"), "Method": "POST",
                              "RequestBody": body}})
    seen = server.requests[0]
    assert json.loads(seen["body"]) == body
    assert seen["headers"]["Content-Type"].startswith("application/json")


async def test_a_content_type_header_given_by_the_state_is_kept(server: Server):
    await run({"Parameters": {"ApiEndpoint": server.url("/echo"), "Method": "POST",
                              "Headers": {"content-type": "application/vnd.api+json"},
                              "RequestBody": {"a": 1}}})
    assert server.requests[0]["headers"]["Content-Type"] == "application/vnd.api+json"


@pytest.mark.parametrize(("fmt", "pairs"), [
    ("INDICES", [("a[0]", "x"), ("a[1]", "y")]),
    ("REPEAT", [("a", "x"), ("a", "y")]),
    ("COMMAS", [("a", "x,y")]),
    ("BRACKETS", [("a[]", "x"), ("a[]", "y")]),
])
async def test_url_encoded_bodies_follow_the_array_format(server: Server, fmt: str,
                                                          pairs: list[tuple[str, str]]):
    transform = {"RequestBodyEncoding": "URL_ENCODED",
                 "RequestEncodingOptions": {"ArrayFormat": fmt}}
    await run({"Parameters": {"ApiEndpoint": server.url("/echo"), "Method": "POST",
                              "RequestBody": {"a": ["x", "y"], "b": "c d"}, "Transform": transform}})
    seen = server.requests[0]
    assert seen["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(seen["body"]) == [*pairs, ("b", "c d")]


def test_url_encoding_defaults_to_indices_and_nests_objects():
    body = {"o": {"k": "v", "flag": True}, "list": [1, None]}
    assert parse_qsl(url_encode(body), keep_blank_values=True) == [
        ("o[k]", "v"), ("o[flag]", "true"), ("list[0]", "1"), ("list[1]", "")]


async def test_a_non_2xx_status_is_a_named_error_a_catch_can_match(server: Server):
    state = {"Parameters": {"ApiEndpoint": server.url("/status/404"), "Method": "GET"},
             "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Caught"}],
             "Next": "Unreachable"}
    more = {"Caught": {"Type": "Pass", "End": True}, "Unreachable": {"Type": "Fail"}}
    result = await run(state, more=more)
    assert result["record"].status == "SUCCEEDED"
    assert result["output"]["Error"] == "States.Http.StatusCode.404"
    cause = json.loads(result["output"]["Cause"])
    assert cause["StatusCode"] == 404
    assert cause["StatusText"] == "Not Found"
    assert cause["ResponseBody"] == {"message": "nope"}
    assert result["events"]["TaskFailed"]["error"] == "States.Http.StatusCode.404"


async def test_an_uncaught_5xx_fails_the_execution(server: Server):
    result = await run({"Parameters": {"ApiEndpoint": server.url("/status/503"), "Method": "GET"}})
    assert result["record"].status == "FAILED"
    assert result["record"].error == "States.Http.StatusCode.503"


async def test_redirects_are_not_followed(server: Server):
    result = await run({"Parameters": {"ApiEndpoint": server.url("/redirect"), "Method": "GET"}})
    assert result["record"].error == "States.Http.StatusCode.302"
    assert server.requests == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_a_socket_error():
    url = f"http://127.0.0.1:{_closed_port()}/x"
    result = await run({"Parameters": {"ApiEndpoint": url, "Method": "GET"}})
    assert result["record"].status == "FAILED"
    assert result["record"].error == "States.Http.Socket"
    assert url in result["record"].cause


@pytest.mark.parametrize("params", [
    {"Method": "GET"},
    {"ApiEndpoint": "http://127.0.0.1/", "Method": "FETCH"},
    {"ApiEndpoint": "http://127.0.0.1/", "Method": "POST", "RequestBody": {},
     "Transform": {"RequestBodyEncoding": "GZIP"}},
])
async def test_invalid_parameters_fail_the_task_without_a_request(params: dict[str, Any]):
    result = await run({"Parameters": params})
    assert result["record"].status == "FAILED"
    assert result["record"].error == "States.Runtime"


async def test_a_connection_arn_is_accepted_and_ignored(server: Server):
    params = {"ApiEndpoint": server.url("/echo"), "Method": "GET",
              "Authentication": {"ConnectionArn": CONNECTION}}
    result = await run({"Parameters": params})
    assert result["record"].status == "SUCCEEDED"
    assert "Authorization" not in server.requests[0]["headers"]


async def test_a_local_connection_table_adds_its_credentials(server: Server):
    registry = Registry()
    connection = Connection(headers={"Authorization": "Bearer local"},
                            query_parameters={"key": "k1"})
    registry.register("http:invoke", HttpInvoke({CONNECTION: connection}))
    params = {"ApiEndpoint": server.url("/echo"), "Method": "GET",
              "Authentication": {"ConnectionArn": CONNECTION}}
    await run({"Parameters": params}, registry)
    seen = server.requests[0]
    assert seen["headers"]["Authorization"] == "Bearer local"
    assert seen["query"] == [("key", "k1")]


async def test_the_tasks_timeout_applies_while_the_request_is_in_flight(server: Server):
    clock = VirtualClock()
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": HTTP, "TimeoutSeconds": 10, "End": True,
        "Parameters": {"ApiEndpoint": server.url("/hang"), "Method": "GET"}}}}
    async with Engine(clock=clock, integrations=Registry()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        ex = await engine.start_execution(sm.arn, name="ex")
        await server.arrived.wait()
        clock.advance(10)
        record = await engine.wait(ex.arn)
    assert record.status == "FAILED"
    assert record.error == "States.Timeout"


async def test_jsonpath_parameters_build_the_request_end_to_end(server: Server):
    definition_state = {"Parameters": {"ApiEndpoint.$": "$.url", "Method": "POST",
                                       "RequestBody": {"id.$": "$.id"}},
                        "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"}}
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": HTTP, "End": True,
                                                   **definition_state}}}
    async with Engine(clock=VirtualClock(), integrations=Registry()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        ex = await engine.start_execution(
            sm.arn, name="ex", input=json.dumps({"url": server.url("/echo"), "id": 42}))
        record = await engine.wait(ex.arn)
    assert json.loads(record.output) == {"status": 200, "body": {"method": "POST", "ok": True}}
    assert json.loads(server.requests[0]["body"]) == {"id": 42}



class HoldingClock(VirtualClock):
    """A virtual clock that counts the ``busy()`` scopes currently open."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = 0

    @asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        self.holding += 1
        try:
            async with super().busy():
                yield
        finally:
            self.holding -= 1


async def test_the_virtual_clock_is_held_while_the_request_is_in_flight(server: Server):
    clock = HoldingClock()
    held: list[int] = []
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": HTTP, "TimeoutSeconds": 10, "End": True,
        "Parameters": {"ApiEndpoint": server.url("/hang"), "Method": "GET"}}}}
    async with Engine(clock=clock, integrations=Registry()) as engine:
        sm = await engine.create_state_machine("sm", definition)
        ex = await engine.start_execution(sm.arn, name="ex")
        await server.arrived.wait()
        held.append(clock.holding)
        server.release.set()
        record = await engine.wait(ex.arn)
    assert record.status == "SUCCEEDED"
    assert held == [1]
    assert clock.holding == 0
