"""Isolated local Lambda functions: worker subprocesses (checklist §10.3, issue 6 item 2)."""

from __future__ import annotations

import base64
import json
import sys
import textwrap
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.errors import StatesError
from sfnlocal.integrations import Registry
from sfnlocal.integrations.lambda_ import parse_function_name

REGION, ACCOUNT = "us-east-1", "111111111111"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
INVOKE = "arn:aws:states:::lambda:invoke"
UNKNOWN_PREFIX = ("The cause could not be determined because Lambda did not return an error type. "
                  "Returned payload: ")

HANDLERS = '''
import os, signal, sys, time

calls = 0

def count(event, context):
    global calls
    calls += 1
    return {"calls": calls, "pid": os.getpid()}

def fail(event, context):
    raise ValueError("bad input")

def hang(event, context):
    if event.get("hang"):
        time.sleep(60)
    return "done"

def crash(event, context):
    if event.get("exit") is not None:
        os._exit(event["exit"])
    if event.get("signal"):
        os.kill(os.getpid(), signal.SIGSEGV)
    return "alive"

def describe(event, context):
    return {
        "greeting": os.environ.get("GREETING"),
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "memory_env": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "region": os.environ.get("AWS_REGION"),
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "memory": context.memory_limit_in_mb,
        "log_group": context.log_group_name,
        "log_stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
    }

def chatty(event, context):
    print("hello from the handler")
    print("x" * 5000, file=sys.stderr)
    print("last words")
    return 1

def big(event, context):
    return "x" * (7 * 1024 * 1024)

def hog(event, context):
    if event.get("mb"):
        block = bytearray(event["mb"] * 1024 * 1024)
        return len(block)
    return "small"
'''


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    return tmp_path


def isolated(registry: Registry, name: str, code: Path, function: str, **options: Any) -> Any:
    registry.register_lambda(name, f"handlers.{function}", code=code, mode="isolated", **options)
    return registry.lambdas.find(parse_function_name(name))


async def run(registry: Registry, states: dict[str, Any], *inputs: Any) -> list[dict[str, Any]]:
    """Run one execution per input on a virtual clock; per execution its record and events."""
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=3)
    results = []
    async with Engine(clock=VirtualClock(), settings=settings, integrations=registry) as engine:
        first = next(iter(states))
        sm = await engine.create_state_machine("sm", {"StartAt": first, "States": states})
        for index, value in enumerate(inputs):
            ex = await engine.start_execution(sm.arn, name=f"ex{index}", input=json.dumps(value))
            record = await engine.wait(ex.arn)
            events = (await engine.get_execution_history(ex.arn))["events"]
            results.append({"record": record, "events": events})
    return results


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}


def output(result: dict[str, Any]) -> Any:
    return json.loads(result["record"].output)


def failure(result: dict[str, Any]) -> tuple[str, str]:
    failed = next(e for e in result["events"] if e["type"] == "ExecutionFailed")
    details = failed["executionFailedEventDetails"]
    return details["error"], details["cause"]


def unknown_payload(cause: str) -> dict[str, Any]:
    assert cause.startswith(UNKNOWN_PREFIX)
    return json.loads(cause[len(UNKNOWN_PREFIX):])


# -- errors, timeouts and crashes --------------------------------------------------------------------


async def test_an_exception_becomes_the_runtime_error_payload(registry: Registry, code: Path):
    isolated(registry, "f", code, "fail")
    [result] = await run(registry, task(ARN + "f"), {})
    error, cause = failure(result)
    payload = json.loads(cause)
    assert error == "ValueError"
    assert payload["errorMessage"] == "bad input"
    assert payload["errorType"] == "ValueError"
    assert 'raise ValueError("bad input")' in payload["stackTrace"][0]
    assert payload["stackTrace"][0].startswith('  File "/var/task/')  # where AWS keeps the code
    assert len(payload["requestId"]) == 36


async def test_a_hanging_handler_times_out_and_the_next_call_gets_a_fresh_worker(
    registry: Registry, code: Path
):
    function = isolated(registry, "f", code, "hang", timeout=0.5)
    hung, fine = await run(registry, task(ARN + "f"), {"hang": True}, {})
    error, cause = failure(hung)
    message = unknown_payload(cause)["errorMessage"]
    assert error == "Lambda.Unknown"
    assert message.endswith("Task timed out after 0.50 seconds")
    request_id = message.split()[1]
    assert len(request_id) == 36
    assert output(fine) == "done"
    assert function.pool.cold_starts == 2


@pytest.mark.parametrize(("event", "status"), [
    ({"exit": 3}, "exit status 3"),
    ({"signal": True}, "signal: segmentation fault"),
])
async def test_a_handler_that_kills_its_worker_is_a_crash_and_the_pool_recovers(
    registry: Registry, code: Path, event: dict[str, Any], status: str
):
    function = isolated(registry, "f", code, "crash")
    crashed, fine = await run(registry, task(ARN + "f"), event, {})
    error, cause = failure(crashed)
    message = unknown_payload(cause)["errorMessage"]
    assert error == "Lambda.Unknown"
    assert message.startswith("RequestId: ")
    assert message.endswith(f"Error: Runtime exited with error: {status}")
    assert output(fine) == "alive"
    assert function.pool.cold_starts == 2


async def test_the_state_retry_decides_after_a_crash(registry: Registry, code: Path):
    marker = code / "crashed-once"
    (code / "once.py").write_text(textwrap.dedent(f"""
        import os
        def handler(event, context):
            if not os.path.exists({str(marker)!r}):
                open({str(marker)!r}, "w").close()
                os._exit(1)
            return {{"ok": event["n"]}}
    """))
    registry.register_lambda("once", "once.handler", code=code, mode="isolated")
    retry = [{"ErrorEquals": ["Lambda.Unknown"], "IntervalSeconds": 30, "MaxAttempts": 1}]
    states = task(INVOKE, Parameters={"FunctionName": "once", "Payload.$": "$"}, Retry=retry)
    [result] = await run(registry, states, {"n": 7})
    assert output(result)["Payload"] == {"ok": 7}
    assert output(result)["StatusCode"] == 200
    types = [e["type"] for e in result["events"]]
    assert types.count("TaskFailed") == 1
    assert types.count("TaskSucceeded") == 1


# -- warm reuse, code versions, concurrency --------------------------------------------------------


async def test_a_warm_worker_keeps_module_globals(registry: Registry, code: Path):
    function = isolated(registry, "f", code, "count")
    first, second = await run(registry, task(ARN + "f"), {}, {})
    assert output(first)["calls"] == 1
    assert output(second) == {"calls": 2, "pid": output(first)["pid"]}
    assert function.pool.cold_starts == 1


async def test_a_new_code_version_gets_fresh_workers(registry: Registry, tmp_path: Path):
    source = tmp_path / "app.py"
    source.write_text("def handler(event, context):\n    return 'v1'\n")
    registry.register_lambda("f", "app.handler", code=tmp_path, mode="isolated")
    [v1] = await run(registry, task(ARN + "f"), {})
    source.write_text("def handler(event, context):\n    return 'version 2'\n")
    [v2] = await run(registry, task(ARN + "f"), {})
    assert (output(v1), output(v2)) == ("v1", "version 2")


async def test_concurrent_invocations_share_at_most_max_workers(registry: Registry, code: Path):
    function = isolated(registry, "f", code, "count", max_workers=2)
    states = {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "T", "States": task(ARN + "f")}}}
    [result] = await run(registry, states, list(range(6)))
    pids = {item["pid"] for item in output(result)}
    assert len(output(result)) == 6
    assert 1 <= len(pids) <= 2
    assert sum(item["calls"] == 1 for item in output(result)) == len(pids)
    assert function.pool.cold_starts == len(pids)


# -- environment, context, logs --------------------------------------------------------------------


async def test_environment_and_context(registry: Registry, code: Path):
    isolated(registry, "describe:5", code, "describe", timeout=7, memory=256,
             environment={"GREETING": "hi"})
    states = task(INVOKE, Parameters={"FunctionName": f"{ARN}describe:5", "Payload": {}})
    [result] = await run(registry, states, {})
    seen = output(result)["Payload"]
    request_id = output(result)["SdkResponseMetadata"]["RequestId"]
    assert seen["greeting"] == "hi"
    assert seen["function"] == seen["function_name"] == "describe"
    assert (seen["memory_env"], seen["memory"], seen["region"]) == ("256", 256, REGION)
    assert seen["function_version"] == "5"
    assert seen["arn"] == f"{ARN}describe:5"
    assert seen["request_id"] == request_id
    assert seen["log_group"] == "/aws/lambda/describe"
    assert seen["log_stream"].endswith(f"[5]{request_id.replace('-', '')}")
    assert 0 < seen["remaining"] <= 7000


async def test_log_tail_carries_the_last_4_kb_of_the_handler_output(registry: Registry, code: Path):
    isolated(registry, "f", code, "chatty")
    states = task(INVOKE, Parameters={"FunctionName": "f", "LogType": "Tail"})
    [result] = await run(registry, states, {})
    log = base64.b64decode(output(result)["LogResult"])
    assert len(log) == 4096
    assert b"last words\n" in log
    assert b"hello from the handler" not in log  # pushed out by the 5000 x's
    assert log.endswith(b"Memory Size: 128 MB\tMax Memory Used: 32 MB\t\n")


# -- code forms -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["isolated", "in-process"])
async def test_a_zip_with_handler_py(registry: Registry, tmp_path: Path, mode: str):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "import helper\ndef handler(e, c):\n    return helper.twice(e)\n")
        zipped.writestr("helper.py", "def twice(x):\n    return [x, x]\n")
    registry.register_lambda("z", "handler.handler", code=archive, mode=mode)
    [result] = await run(registry, task(ARN + "z"), "hey")
    assert output(result) == ["hey", "hey"]


@pytest.mark.parametrize("mode", ["isolated", "in-process"])
async def test_a_file_and_a_function_name(registry: Registry, tmp_path: Path, mode: str):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "main.py").write_text("def entry(event, context):\n    return {'got': event}\n")
    registry.register_lambda("f", "entry", code=folder / "main.py", mode=mode)
    [result] = await run(registry, task(ARN + "f"), {"a": 1})
    assert output(result) == {"got": {"a": 1}}


async def test_a_module_path_from_the_import_path(registry: Registry, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "pkg_for_lambda").mkdir()
    (tmp_path / "pkg_for_lambda" / "__init__.py").write_text("")
    (tmp_path / "pkg_for_lambda" / "fn.py").write_text("def go(e, c):\n    return 'module'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.register_lambda("m", "pkg_for_lambda.fn.go", mode="isolated")
    [result] = await run(registry, task(ARN + "m"), {})
    assert output(result) == "module"


async def test_a_missing_handler_is_an_import_error_at_invocation(registry: Registry, code: Path):
    isolated(registry, "f", code, "nope")
    [result] = await run(registry, task(ARN + "f"), {})
    error, cause = failure(result)
    assert error == "Runtime.HandlerNotFound"
    assert json.loads(cause)["errorMessage"] == "Handler 'nope' missing on module 'handlers'"


# -- limits -----------------------------------------------------------------------------------------


async def test_a_response_over_6_mb_is_a_function_error(registry: Registry, code: Path):
    isolated(registry, "f", code, "big")
    [result] = await run(registry, task(ARN + "f"), {})
    error, cause = failure(result)
    assert error == "Function.ResponseSizeTooLarge"
    assert "exceeded maximum allowed payload size (6291556 bytes)" in json.loads(cause)["errorMessage"]


async def test_a_request_over_6_mb_is_rejected_before_the_function_runs(registry: Registry, code: Path):
    calls: list[Any] = []
    registry.register_lambda("f", lambda e, c: calls.append(e))
    clock = VirtualClock()
    runtime = SimpleNamespace(rng=__import__("random").Random(1), clock=clock)
    context = SimpleNamespace(runtime=runtime, region=REGION, account=ACCOUNT, clock=clock)
    request: Any = SimpleNamespace(context=context)
    text = json.dumps("x" * (6 * 1024 * 1024))
    with pytest.raises(StatesError) as raised:
        await registry.lambdas.invoke(parse_function_name("f"), text, request)
    assert raised.value.error == "Lambda.RequestEntityTooLargeException"
    assert "Request must be smaller than 6291456 bytes" in raised.value.cause
    assert calls == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS from /proc sizes")
async def test_memory_size_limits_the_worker(registry: Registry, code: Path):
    function = isolated(registry, "f", code, "hog", memory=128)
    hog, small = await run(registry, task(ARN + "f"), {"mb": 512}, {})
    error, _ = failure(hog)
    assert error == "MemoryError"
    assert output(small) == "small"
    assert function.pool.cold_starts == 2


async def test_leaving_the_engine_stops_the_worker_processes(registry: Registry, code: Path):
    function = isolated(registry, "f", code, "count")
    await run(registry, task(ARN + "f"), {})
    assert function.pool.cold_starts == 1
    assert function.pool.workers == 0  # no worker process outlives the Engine that used it
