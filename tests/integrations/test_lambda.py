"""Local Lambda functions behind both Task forms (checklist §6.2, §10.3), run through the Engine."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry
from sfnlocal.integrations.lambda_ import FunctionRef, parse_function_name
from sfnlocal.integrations.lambda_versions import Alias

# The harness that loads the recorded cases' handlers lives with the conformance tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
_SPEC = importlib.util.spec_from_file_location(
    "lambda_cases", Path(__file__).resolve().parents[1] / "conformance" / "lambda_cases.py"
)
assert _SPEC is not None and _SPEC.loader is not None
_LAMBDA_CASES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_LAMBDA_CASES)
load_handler = _LAMBDA_CASES.load_handler

REGION, ACCOUNT = "us-east-1", "111111111111"
INVOKE = "arn:aws:states:::lambda:invoke"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"

RAISING = 'def handler(event, context):\n    raise ValueError("bad input")\n'
STACK = ['  File "/var/task/handler.py", line 2, in handler\n    raise ValueError("bad input")\n']


async def execute(
    state: dict[str, Any], registry: Registry, input: Any = None,
    more: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a machine whose Task ``T`` starts it; return {"record", "events"} (events by type)."""
    flow = {} if "Next" in state else {"End": True}
    states = {"T": {**state, "Type": "Task", **flow}, **(more or {})}
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=5)
    async with Engine(clock=VirtualClock(), settings=settings, integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", {"StartAt": "T", "States": states})
        kwargs = {} if input is None else {"input": input}
        ex = await engine.start_execution(sm.arn, name="ex", **kwargs)
        record = await engine.wait(ex.arn)
        events = (await engine.get_execution_history(ex.arn))["events"]
    by_type = {e["type"]: next((v for k, v in e.items() if k.endswith("EventDetails")), {})
               for e in events}
    return {"record": record, "events": by_type}


def invoke_state(**parameters: Any) -> dict[str, Any]:
    return {"Resource": INVOKE, "Parameters": parameters}


def output(result: dict[str, Any]) -> Any:
    return json.loads(result["record"].output)


# -- errors ----------------------------------------------------------------------------------------


async def test_function_arn_error_cause_is_the_runtime_payload_with_python_separators():
    registry = Registry()
    registry.register_lambda("f", load_handler(RAISING, VirtualClock()))
    result = await execute({"Resource": ARN + "f"}, registry)
    failed = result["events"]["LambdaFunctionFailed"]
    assert failed["error"] == "ValueError"
    cause = json.loads(failed["cause"])
    assert cause["errorMessage"] == "bad input"
    assert cause["errorType"] == "ValueError"
    assert cause["stackTrace"] == STACK
    assert failed["cause"] == json.dumps(cause)  # ", " and ": " separators
    assert failed["cause"].startswith('{"errorMessage": "bad input", "errorType": "ValueError", ')


async def test_lambda_invoke_error_cause_is_compact():
    registry = Registry()
    registry.register_lambda("f", load_handler(RAISING, VirtualClock()))
    result = await execute(invoke_state(FunctionName="f"), registry)
    failed = result["events"]["TaskFailed"]
    cause = json.loads(failed["cause"])
    assert failed["cause"] == json.dumps(cause, separators=(",", ":"))
    assert (failed["error"], cause["stackTrace"]) == ("ValueError", STACK)


async def test_an_exception_without_arguments_has_an_empty_error_message():
    class CustomException(Exception):
        def __init__(self) -> None:
            self.message = "not used by the runtime"

    def handler(event: Any, context: Any) -> Any:
        raise CustomException()

    registry = Registry()
    registry.register_lambda("f", handler)
    result = await execute(invoke_state(FunctionName="f"), registry)
    failed = result["events"]["TaskFailed"]
    assert failed["error"] == "CustomException"
    assert json.loads(failed["cause"])["errorMessage"] == ""


async def test_a_result_json_cannot_encode_is_a_marshal_error():
    registry = Registry()
    registry.register_lambda("f", lambda event, context: {1, 2})
    result = await execute({"Resource": ARN + "f"}, registry)
    failed = result["events"]["LambdaFunctionFailed"]
    cause = json.loads(failed["cause"])
    assert failed["error"] == "Runtime.MarshalError"
    assert cause["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    assert cause["stackTrace"] == []


async def test_an_unknown_function_is_a_catchable_lambda_resource_not_found():
    state = {**invoke_state(FunctionName="nope"), "Next": "C",
             "Catch": [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "Next": "C"}]}
    result = await execute(state, Registry(), more={"C": {"Type": "Pass", "End": True}})
    failed = result["events"]["TaskFailed"]
    assert failed["error"] == "Lambda.ResourceNotFoundException"
    assert failed["cause"].startswith(
        f"Function not found: {ARN}nope (Service: AWSLambda; Status Code: 404; "
        "Error Code: ResourceNotFoundException; Request ID: ")
    assert failed["cause"].endswith("; Proxy: null)")
    assert output(result) == {"Error": failed["error"], "Cause": failed["cause"]}


# -- payloads and results --------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "event"), [
    (None, {}),
    ('"HelloWorld"', "HelloWorld"),
    ("0.0", 0.0),
    ("[]", []),
    ("plain text", "plain text"),
    ({"a": [1, None]}, {"a": [1, None]}),
])
async def test_invoke_payload_is_sent_as_lambda_receives_it(payload: Any, event: Any):
    seen: list[Any] = []
    registry = Registry()
    registry.register_lambda("f", lambda e, c: seen.append(e) or e)
    result = await execute(invoke_state(FunctionName="f", **{"Payload": payload}), registry)
    assert seen == [event]
    assert type(seen[0]) is type(event)
    scheduled = json.loads(result["events"]["TaskScheduled"]["parameters"])
    assert scheduled == {"FunctionName": "f", "Payload": payload}
    assert output(result)["Payload"] == event


async def test_an_absent_payload_sends_an_empty_object():
    seen: list[Any] = []
    registry = Registry()
    registry.register_lambda("f", lambda e, c: seen.append(e))
    result = await execute(invoke_state(FunctionName="f"), registry)
    assert seen == [{}]
    assert output(result)["Payload"] is None


@pytest.mark.parametrize(("returned", "payload"), [
    ("text", "text"),
    (b'{"a": 1}', {"a": 1}),
    (b"not json", "not json"),
    (Decimal("1.5"), 1.5),
    ((1, 2), [1, 2]),
])
async def test_invoke_result_payload_is_parsed_json_or_the_raw_text(returned: Any, payload: Any):
    registry = Registry()
    registry.register_lambda("f", lambda e, c: returned)
    result = await execute(invoke_state(FunctionName="f"), registry)
    assert output(result)["Payload"] == payload


async def test_the_function_gets_its_own_copy_of_the_input():
    def mutate(event: Any, context: Any) -> Any:
        event["a"].append(2)
        return "ok"

    registry = Registry()
    registry.register_lambda("f", mutate)
    result = await execute({"Resource": ARN + "f", "ResultPath": "$.r"}, registry, {"a": [1]})
    assert output(result) == {"a": [1], "r": "ok"}


async def test_invoke_response_shape():
    registry = Registry()
    registry.register_lambda("f", lambda e, c: {"x": 1})
    result = output(await execute(invoke_state(FunctionName="f"), registry))
    assert result["ExecutedVersion"] == "$LATEST"
    assert result["StatusCode"] == 200
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == 200
    headers = result["SdkHttpMetadata"]["HttpHeaders"]
    assert headers["Content-Length"] == str(len(json.dumps({"x": 1})))
    assert result["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Type"] == ["application/json"]
    assert result["SdkResponseMetadata"]["RequestId"] == headers["x-amzn-RequestId"]


async def test_log_type_tail_adds_a_base64_log_result():
    registry = Registry()
    registry.register_lambda("f", lambda e, c: None)
    result = output(await execute(invoke_state(FunctionName="f", LogType="Tail"), registry))
    request_id = result["SdkResponseMetadata"]["RequestId"]
    assert base64.b64decode(result["LogResult"]).decode().startswith(f"START RequestId: {request_id}")


async def test_dry_runs_answer_204_and_do_not_run_the_function():
    calls: list[Any] = []
    registry = Registry()
    registry.register_lambda("f", lambda e, c: calls.append(e))
    dry = output(await execute(invoke_state(FunctionName="f", InvocationType="DryRun"), registry))
    assert (dry["StatusCode"], dry["Payload"], calls) == (204, "", [])


async def test_an_event_invocation_answers_202_at_once_and_the_function_runs_on_its_own():
    gate, finished = asyncio.Event(), asyncio.Event()

    async def slow(event: Any, context: Any) -> None:
        await gate.wait()  # the function is still running when the execution has ended
        finished.set()

    registry = Registry()
    registry.register_lambda("f", slow)
    async with Engine(clock=VirtualClock(), settings=EngineSettings(seed=5),
                      integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", {"StartAt": "T", "States": {"T": {
            **invoke_state(FunctionName="f", InvocationType="Event"), "Type": "Task",
            "End": True}}})
        record = await engine.wait((await engine.start_execution(sm.arn)).arn)
        assert record.status == "SUCCEEDED"
        result = json.loads(record.output)
        assert (result["StatusCode"], result["Payload"]) == (202, "")
        assert not finished.is_set()
        gate.set()
        await asyncio.wait_for(finished.wait(), 5)


async def test_an_event_invocation_of_a_missing_function_fails_the_task():
    result = await execute(invoke_state(FunctionName="nope", InvocationType="Event"), Registry())
    assert result["record"].error == "Lambda.ResourceNotFoundException"


# -- names, qualifiers, context ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ref"), [
    ("f", FunctionRef("f")),
    ("f:prod", FunctionRef("f", "prod")),
    (f"{ACCOUNT}:function:f", FunctionRef("f", None, None, ACCOUNT)),
    (f"{ACCOUNT}:function:f:3", FunctionRef("f", "3", None, ACCOUNT)),
    (f"{ARN}f", FunctionRef("f", None, REGION, ACCOUNT)),
    (f"{ARN}f:$LATEST", FunctionRef("f", "$LATEST", REGION, ACCOUNT)),
])
def test_function_names_in_every_form_lambda_accepts(text: str, ref: FunctionRef):
    assert parse_function_name(text) == ref


@pytest.mark.parametrize("name", ["f", f"{ACCOUNT}:function:f", f"{ARN}f", "f:$LATEST"])
async def test_every_name_form_reaches_the_registered_function(name: str):
    contexts: list[Any] = []
    registry = Registry()
    registry.register_lambda("f", lambda e, c: contexts.append(c) or "hit")
    result = output(await execute(invoke_state(FunctionName=name), registry))
    assert result["Payload"] == "hit"
    assert contexts[0].function_name == "f"
    assert contexts[0].invoked_function_arn == f"{ARN}{name.rsplit(':function:', 1)[-1]}"


async def test_qualifier_parameter_selects_a_qualified_registration_and_the_executed_version():
    registry = Registry()
    registry.register_lambda("f", lambda e, c: "latest")
    registry.register_lambda("f:3", lambda e, c: "three")
    result = output(await execute(invoke_state(FunctionName="f", Qualifier="3"), registry))
    assert (result["Payload"], result["ExecutedVersion"]) == ("three", "3")


async def test_a_qualifier_naming_no_version_or_alias_is_not_found():
    registry = Registry()
    registry.register_lambda("f", lambda e, c: "latest")
    for state in (invoke_state(FunctionName="f:7"), invoke_state(FunctionName="f", Qualifier="x"),
                  {"Resource": f"{ARN}f:7"}):
        record = (await execute(state, registry))["record"]
        assert record.error == "Lambda.ResourceNotFoundException"
        assert record.cause.startswith("Function not found: ")


async def test_published_versions_and_aliases_serve_task_states():
    registry = Registry()
    registry.register_lambda("f", lambda e, c: ["one", c.function_version])
    functions = registry.lambdas
    assert functions.publish("f").version == "1"
    registry.register_lambda("f", lambda e, c: ["two", c.function_version])
    functions.set_alias("f", Alias("live", "1"))
    result = output(await execute(invoke_state(FunctionName="f:live"), registry))
    assert (result["Payload"], result["ExecutedVersion"]) == (["one", "1"], "1")
    assert output(await execute({"Resource": f"{ARN}f"}, registry)) == ["two", "$LATEST"]
    assert functions.publish("f").version == "2"
    functions.set_alias("f", Alias("live", "1", weights={"2": 1.0}))
    assert output(await execute({"Resource": f"{ARN}f:live"}, registry)) == ["two", "2"]


async def test_context_carries_the_request_id_and_remaining_time():
    contexts: list[Any] = []
    registry = Registry()
    registry.register_lambda("f", lambda e, c: contexts.append(c), inline=True, timeout=10)
    result = output(await execute(invoke_state(FunctionName="f"), registry))
    (context,) = contexts
    assert context.aws_request_id == result["SdkResponseMetadata"]["RequestId"]
    assert context.get_remaining_time_in_millis() == 10_000
    assert context.log_group_name == "/aws/lambda/f"


async def test_where_handlers_run():
    threads: dict[str, int] = {}

    def plain(event: Any, context: Any) -> Any:
        threads["plain"] = threading.get_ident()

    def inline(event: Any, context: Any) -> Any:
        threads["inline"] = threading.get_ident()

    async def coroutine(event: Any, context: Any) -> Any:
        threads["async"] = threading.get_ident()
        return "async result"

    registry = Registry()
    registry.register_lambda("plain", plain)
    registry.register_lambda("inline", inline, inline=True)
    registry.register_lambda("coroutine", coroutine)
    for name in ("plain", "inline", "coroutine"):
        await execute(invoke_state(FunctionName=name), registry)
    loop_thread = threading.get_ident()
    assert threads["inline"] == threads["async"] == loop_thread
    assert threads["plain"] != loop_thread
