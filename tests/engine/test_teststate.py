"""Engine.test_state: one state run once, as AWS's TestState documents it (checklist §13).

Expected values follow the ASL processing order (InputPath → Parameters → result → ResultSelector
→ ResultPath → OutputPath), the Retry/Catch rules and the TestState documentation: RETRIABLE with
the retrier's index and back-off (IntervalSeconds * BackoffRate^retries, capped by
MaxDelaySeconds), CAUGHT_ERROR leaving through the catcher, a Wait that does not wait, mocks only
for Task/Map/Parallel, a context only with a mock.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sfnlocal.engine import Engine, VirtualClock
from sfnlocal.engine.teststate import StateConfiguration, StateMock
from sfnlocal.errors import InvalidDefinition, ServiceError

ROLE = "arn:aws:iam::123456789012:role/test"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:double"
INVOKE = "arn:aws:states:::lambda:invoke"



def refused(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


# -- Pass, Choice, Succeed, Fail, Wait ----------------------------------------------------------


async def test_pass_records_every_jsonpath_step(engine: Engine) -> None:
    state = {"Type": "Pass", "InputPath": "$.payload", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
             "ResultPath": "$.result", "OutputPath": "$.result", "Next": "After"}
    done = await engine.test_state(state, input='{"payload": {"a": 2, "b": 3}}',
                                   inspection_level="DEBUG")
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", {"sum": 5}, "After")
    assert done.inspection is not None
    assert done.inspection == {
        "input": {"payload": {"a": 2, "b": 3}},
        "after_input_path": {"a": 2, "b": 3},
        "after_parameters": {"sum": 5},
        "result": {"sum": 5},
        "after_result_path": {"payload": {"a": 2, "b": 3}, "result": {"sum": 5}},  # raw input
    }


async def test_info_level_has_no_inspection_data_and_end_has_no_next_state(engine: Engine) -> None:
    done = await engine.test_state({"Type": "Pass", "Result": [1], "End": True}, input="{}")
    assert (done.status, done.output, done.next_state, done.inspection) == (
        "SUCCEEDED", [1], None, None)
    assert done.to_aws() == {"status": "SUCCEEDED", "output": "[1]"}


async def test_debug_response_members_are_json_text(engine: Engine) -> None:
    done = await engine.test_state({"Type": "Pass", "ResultPath": "$.copy", "Next": "N"},
                                   input='{"a": 1}', inspection_level="DEBUG")
    shape = done.to_aws()
    assert shape["output"] == '{"a":1,"copy":{"a":1}}'
    assert shape["nextState"] == "N"
    assert shape["inspectionData"]["afterResultPath"] == '{"a":1,"copy":{"a":1}}'
    assert shape["inspectionData"]["input"] == '{"a":1}'
    assert "errorDetails" not in shape["inspectionData"]


async def test_choice_goes_to_the_first_matching_rule_or_default(engine: Engine) -> None:
    state = {"Type": "Choice", "InputPath": "$.n",
             "Choices": [{"Variable": "$", "NumericGreaterThan": 10, "Next": "Big"}],
             "Default": "Small"}
    big = await engine.test_state(state, input='{"n": 11}', inspection_level="DEBUG")
    small = await engine.test_state(state, input='{"n": 3}')
    assert (big.status, big.next_state, big.output) == ("SUCCEEDED", "Big", 11)
    assert big.inspection is not None and big.inspection["after_input_path"] == 11
    assert (small.next_state, small.output) == ("Small", 3)


async def test_choice_without_match_or_default_fails(engine: Engine) -> None:
    state = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]}
    done = await engine.test_state(state, input='{"n": 2}')
    assert done.status == "FAILED" and done.next_state is None and not done.has_output
    assert done.error == "States.Runtime"  # what AWS reports (checklist §4.4), not NoChoiceMatched
    assert done.cause is not None and "Failed to transition out of the state" in done.cause


async def test_fail_reports_its_error_and_cause(engine: Engine) -> None:
    state = {"Type": "Fail", "ErrorPath": "$.e", "Cause": "literal cause"}
    done = await engine.test_state(state, input='{"e": "Custom.Error"}')
    assert (done.status, done.error, done.cause, done.next_state) == (
        "FAILED", "Custom.Error", "literal cause", None)
    assert done.to_aws() == {"status": "FAILED", "error": "Custom.Error", "cause": "literal cause"}


async def test_succeed_applies_input_and_output_paths(engine: Engine) -> None:
    state = {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}
    done = await engine.test_state(state, input='{"a": {"b": 7}}')
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", 7, None)


async def test_wait_does_not_wait(engine: Engine) -> None:
    before = engine.clock.now()
    state = {"Type": "Wait", "Seconds": 86_400 * 365, "Next": "Later"}
    done = await engine.test_state(state, input='{"x": 1}')
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", {"x": 1}, "Later")
    assert engine.clock.now() == before


async def test_variables_in_scope_and_assigned_ones_are_reported(engine: Engine) -> None:
    state = {"Type": "Pass", "Parameters": {"greeting.$": "$who"},
             "Assign": {"seen.$": "$.greeting", "count": 2}, "End": True}
    done = await engine.test_state(state, variables='{"who": "world"}', inspection_level="DEBUG")
    assert done.output == {"greeting": "world"}
    assert done.inspection is not None
    assert done.inspection["variables"] == {"who": "world", "seen": "world", "count": 2}


async def test_jsonata_pass_uses_variables_and_assign(engine: Engine) -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.x + $v %}",
             "Assign": {"w": "{% $v * 2 %}"}, "Next": "N"}
    done = await engine.test_state(state, input='{"x": 1}', variables={"v": 5},
                                   inspection_level="DEBUG")
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", 6, "N")
    assert done.inspection is not None and done.inspection["variables"] == {"v": 5, "w": 10}


# -- Task: integrations and mocks ---------------------------------------------------------------


async def test_task_calls_a_registered_local_lambda(engine: Engine) -> None:
    engine.integrations.register_lambda(LAMBDA, lambda event, context: {"v": event["n"] * 2},
                                        inline=True)
    state = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"n.$": "$.x"},
             "ResultSelector": {"doubled.$": "$.v"}, "ResultPath": "$.out", "End": True}
    done = await engine.test_state(state, input='{"x": 21}', role_arn=ROLE,
                                   inspection_level="DEBUG")
    assert (done.status, done.output) == ("SUCCEEDED", {"x": 21, "out": {"doubled": 42}})
    assert done.inspection is not None
    assert done.inspection["after_parameters"] == {"n": 21}
    assert done.inspection["result"] == {"v": 42}
    assert done.inspection["after_result_selector"] == {"doubled": 42}


async def test_task_without_role_or_mock_is_refused(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "End": True}
    with pytest.raises(ServiceError) as exc:
        await engine.test_state(state)
    assert refused(exc) == ("ValidationException",
                            "RoleArn must be specified when testing a Task state")


async def test_mocked_result_goes_through_the_result_steps(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": INVOKE,
             "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
             "QueryLanguage": "JSONata", "Output": "{% $states.result.Payload.total %}",
             "Assign": {"status": "{% $states.result.StatusCode %}"}, "Next": "Done"}
    mock = StateMock(result={"StatusCode": 200, "Payload": {"total": 9}})
    done = await engine.test_state(state, input='{"a": 1}', mock=mock, inspection_level="DEBUG")
    assert (done.status, done.output, done.next_state) == ("SUCCEEDED", 9, "Done")
    assert done.inspection is not None
    assert done.inspection["after_arguments"] == {"FunctionName": "f", "Payload": {"a": 1}}
    assert done.inspection["result"] == {"StatusCode": 200, "Payload": {"total": 9}}
    assert done.inspection["variables"] == {"status": 200}


RETRYING = {
    "Type": "Task", "Resource": INVOKE, "Next": "Ok",
    "Retry": [{"ErrorEquals": ["Other"]},
              {"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3.0,
               "MaxAttempts": 3, "MaxDelaySeconds": 100}],
    "Catch": [{"ErrorEquals": ["Nope"], "Next": "Never"},
              {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handler"}],
}


@pytest.mark.parametrize(("retries", "backoff"), [(0, 2), (2, 18)])
async def test_a_matching_retrier_makes_the_state_retriable(
    engine: Engine, retries: int, backoff: int,
) -> None:
    done = await engine.test_state(
        RETRYING, input='{"a": 1}', mock=StateMock(error="Flaky", cause="try again"),
        state_configuration=StateConfiguration(retrier_retry_count=retries),
        inspection_level="DEBUG")
    assert (done.status, done.error, done.cause, done.has_output, done.next_state) == (
        "RETRIABLE", "Flaky", "try again", False, None)
    assert done.inspection is not None
    assert done.inspection["error_details"] == {"retry_index": 1,
                                                "retry_backoff_interval_seconds": backoff}
    assert done.to_aws()["inspectionData"]["errorDetails"] == {
        "retryIndex": 1, "retryBackoffIntervalSeconds": backoff}


async def test_max_delay_caps_the_backoff(engine: Engine) -> None:
    state = {**RETRYING, "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 10,
                                    "BackoffRate": 10.0, "MaxAttempts": 5,
                                    "MaxDelaySeconds": 50}]}
    done = await engine.test_state(state, mock=StateMock(error="Flaky"),
                                   state_configuration=StateConfiguration(retrier_retry_count=3),
                                   inspection_level="DEBUG")
    assert done.inspection is not None
    assert done.inspection["error_details"]["retry_backoff_interval_seconds"] == 50


async def test_an_exhausted_retrier_leaves_the_error_to_the_catchers(engine: Engine) -> None:
    done = await engine.test_state(
        RETRYING, input='{"a": 1}', mock=StateMock(error="Flaky", cause="again"),
        state_configuration=StateConfiguration(retrier_retry_count=3), inspection_level="DEBUG")
    assert (done.status, done.next_state, done.error, done.cause) == (
        "CAUGHT_ERROR", "Handler", "Flaky", "again")
    assert done.output == {"a": 1, "error": {"Error": "Flaky", "Cause": "again"}}
    assert done.inspection is not None and done.inspection["error_details"] == {"catch_index": 1}


async def test_an_error_nothing_handles_fails_the_state(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": INVOKE, "End": True,
             "Retry": [{"ErrorEquals": ["Flaky"]}]}
    done = await engine.test_state(state, mock=StateMock(error="Boom", cause="bad"))
    assert (done.status, done.error, done.cause, done.has_output) == ("FAILED", "Boom", "bad", False)


async def test_states_runtime_is_neither_retried_nor_caught(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": INVOKE, "InputPath": "$.missing", "End": True,
             "Retry": [{"ErrorEquals": ["States.ALL"]}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]}
    done = await engine.test_state(state, input='{"a": 1}', mock=StateMock(result={}))
    assert (done.status, done.error) == ("FAILED", "States.Runtime")


async def test_jsonata_catcher_output_and_assign(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": INVOKE, "QueryLanguage": "JSONata", "End": True,
             "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Recover",
                        "Output": "{% $states.errorOutput.Cause %}",
                        "Assign": {"failed": "{% $states.errorOutput.Error %}"}}]}
    done = await engine.test_state(state, mock=StateMock(error="Lambda.Unknown", cause="why"),
                                   inspection_level="DEBUG")
    assert (done.status, done.output, done.next_state) == ("CAUGHT_ERROR", "why", "Recover")
    assert done.inspection is not None
    assert done.inspection["variables"] == {"failed": "Lambda.Unknown"}


async def test_a_task_timeout_is_caught_like_in_an_execution(engine: Engine) -> None:
    class Hangs:
        async def invoke(self, request: Any) -> Any:
            await asyncio.Event().wait()

    engine.integrations.register("arn:aws:states:::aws-sdk:s3:getObject", Hangs())
    state = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "TimeoutSeconds": 5,
             "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}], "End": True}
    done = await engine.test_state(state, role_arn=ROLE)
    assert (done.status, done.error, done.next_state) == ("CAUGHT_ERROR", "States.Timeout", "Late")


async def test_teststate_stops_after_five_minutes(engine: Engine) -> None:
    class Hangs:
        async def invoke(self, request: Any) -> Any:
            await asyncio.Event().wait()

    engine.integrations.register("arn:aws:states:::aws-sdk:s3:getObject", Hangs())
    start = engine.clock.now()
    state = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]}
    done = await engine.test_state(state, role_arn=ROLE)
    assert (done.status, done.error) == ("FAILED", "States.Timeout")
    assert engine.clock.now() - start == 300


async def test_context_replaces_context_object_members(engine: Engine) -> None:
    state = {"Type": "Task", "Resource": INVOKE, "End": True,
             "Parameters": {"id.$": "$$.Execution.Id", "state.$": "$$.State.Name"}}
    context = json.dumps({"Execution": {"Id": "arn:aws:states:us-east-1:1:execution:sm:given"}})
    done = await engine.test_state(state, mock=StateMock(result="ok"), context=context,
                                   inspection_level="DEBUG")
    assert done.inspection is not None
    assert done.inspection["after_parameters"] == {
        "id": "arn:aws:states:us-east-1:1:execution:sm:given", "state": "TestState"}


# -- Map and Parallel (with a mock) -------------------------------------------------------------


MAP = {
    "Type": "Map", "InputPath": "$.order", "ItemsPath": "$.lines", "MaxConcurrency": 4,
    "ItemSelector": {"line.$": "$$.Map.Item.Value", "at.$": "$$.Map.Item.Index",
                     "customer.$": "$.customer"},
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "ToleratedFailureCount": 1, "ResultSelector": {"n.$": "States.ArrayLength($)"},
    "ResultPath": "$.summary", "Next": "Ship",
}


async def test_map_records_its_item_steps_and_shapes_the_mocked_result(engine: Engine) -> None:
    order = {"order": {"customer": "c1", "lines": ["a", "b"]}}
    done = await engine.test_state(MAP, input=json.dumps(order), inspection_level="DEBUG",
                                   mock=StateMock(result=[{"ok": 1}, {"ok": 2}]))
    assert (done.status, done.next_state) == ("SUCCEEDED", "Ship")
    assert done.output == {**order, "summary": {"n": 2}}  # ResultPath on the raw input
    data = done.to_aws()["inspectionData"]
    assert json.loads(data["afterItemsPath"]) == ["a", "b"]
    assert json.loads(data["afterItemSelector"]) == [
        {"line": "a", "at": 0, "customer": "c1"}, {"line": "b", "at": 1, "customer": "c1"}]
    assert (data["maxConcurrency"], data["toleratedFailureCount"]) == (4, 1)
    assert json.loads(data["result"]) == [{"ok": 1}, {"ok": 2}]
    assert json.loads(data["afterResultSelector"]) == {"n": 2}


async def test_map_failures_over_the_tolerance_fail_the_map(engine: Engine) -> None:
    order = json.dumps({"order": {"customer": "c1", "lines": ["a", "b", "c"]}})
    config = StateConfiguration(map_iteration_failure_count=2)
    done = await engine.test_state(MAP, input=order, mock=StateMock(result=[]),
                                   state_configuration=config)
    assert (done.status, done.error, done.cause) == (
        "FAILED", "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded")
    within = StateConfiguration(map_iteration_failure_count=1)
    ok = await engine.test_state(MAP, input=order, mock=StateMock(result=[]),
                                 state_configuration=within)
    assert ok.status == "SUCCEEDED"


async def test_parallel_with_a_mocked_error_is_caught(engine: Engine) -> None:
    state = {"Type": "Parallel", "Parameters": {"x.$": "$.x"}, "End": True,
             "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
             "Catch": [{"ErrorEquals": ["Branch.Failed"], "ResultPath": "$.err", "Next": "Fix"}]}
    done = await engine.test_state(state, input='{"x": 1}', inspection_level="DEBUG",
                                   mock=StateMock(error="Branch.Failed", cause="c"))
    assert (done.status, done.next_state) == ("CAUGHT_ERROR", "Fix")
    assert done.output == {"x": 1, "err": {"Error": "Branch.Failed", "Cause": "c"}}
    assert done.inspection is not None and done.inspection["after_parameters"] == {"x": 1}


# -- the request --------------------------------------------------------------------------------


async def test_a_state_of_a_whole_machine_by_name(engine: Engine) -> None:
    machine = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Result": "from B", "Next": "C"},
        "C": {"Type": "Succeed"}}}
    done = await engine.test_state(json.dumps(machine), state_name="B")
    assert (done.output, done.next_state) == ("from B", "C")
    with pytest.raises(ServiceError) as exc:
        await engine.test_state(machine, state_name="Z")
    assert exc.value.code == "ValidationException"
    assert "State not found in definition" in exc.value.message


async def test_a_single_state_may_name_states_it_does_not_have(engine: Engine) -> None:
    state = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Yes"}],
             "Default": "No"}
    done = await engine.test_state(state, input='{"a": 1}')
    assert done.next_state == "Yes"


async def test_invalid_definitions_point_into_the_state(engine: Engine) -> None:
    with pytest.raises(InvalidDefinition) as exc:
        await engine.test_state({"Type": "Pass", "InputPath": "not a path", "End": True})
    locations = [d.location for d in exc.value.diagnostics]
    assert locations == ["/InputPath"]
    with pytest.raises(InvalidDefinition):
        await engine.test_state('{"Type": "Pass",')


@pytest.mark.parametrize(("state", "kwargs"), [
    ({"Type": "Pass", "End": True}, {"mock": StateMock(result=1)}),
    ({"Type": "Task", "Resource": INVOKE, "End": True}, {"context": "{}", "role_arn": ROLE}),
    ({"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}, {}),
    ({"Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "End": True}, {"role_arn": ROLE}),
    ({"Type": "Pass", "End": True}, {"inspection_level": "VERBOSE"}),
    ({"Type": "Pass", "End": True}, {"variables": "[1]"}),
])
async def test_requests_aws_refuses(engine: Engine, state: dict[str, Any],
                                    kwargs: dict[str, Any]) -> None:
    with pytest.raises(ServiceError) as exc:
        await engine.test_state(state, **kwargs)
    assert exc.value.code == "ValidationException"


async def test_error_caused_by_state_names_a_state_inside(engine: Engine) -> None:
    mock = StateMock(error="Item.Failed")
    order = '{"order": {"customer": "c", "lines": []}}'
    inside = StateConfiguration(error_caused_by_state="P")
    done = await engine.test_state(MAP, input=order, mock=mock, state_configuration=inside)
    assert (done.status, done.error) == ("FAILED", "Item.Failed")
    with pytest.raises(ServiceError) as exc:
        await engine.test_state(MAP, input=order, mock=mock,
                                state_configuration=StateConfiguration(error_caused_by_state="Q"))
    assert exc.value.code == "ValidationException"


async def test_input_must_be_json(engine: Engine) -> None:
    with pytest.raises(ServiceError) as exc:
        await engine.test_state({"Type": "Pass", "End": True}, input="{nope")
    assert exc.value.code == "InvalidExecutionInput"
    with pytest.raises(ServiceError) as bad_role:
        await engine.test_state({"Type": "Pass", "End": True}, role_arn="role")
    assert refused(bad_role) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: role'")


# -- HTTP Task at TRACE level -------------------------------------------------------------------


HTTP_STATE = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
              "Arguments": {"Method": "POST", "RequestBody": {"q": 1},
                            "Headers": {"X-Mine": "m"},
                            "Authentication": {"ConnectionArn": "arn:aws:events:::connection/c"}},
              "QueryLanguage": "JSONata"}


@pytest.fixture
async def echo() -> Any:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"got": await request.json()})

    app = web.Application()
    app.router.add_post("/echo", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/echo"))
    finally:
        await server.close()


async def test_trace_shows_the_http_exchange_without_secrets(echo: str) -> None:
    from sfnlocal.integrations import Registry
    from sfnlocal.integrations.http import Connection, HttpInvoke

    registry = Registry()
    secret = Connection(headers={"Authorization": "Bearer s3cret"})
    registry.register("http:invoke", HttpInvoke({"arn:aws:events:::connection/c": secret}))
    state = {**HTTP_STATE, "Arguments": {**HTTP_STATE["Arguments"], "ApiEndpoint": echo}}
    async with Engine(clock=VirtualClock(), integrations=registry) as engine:
        traced = await engine.test_state(state, role_arn=ROLE, inspection_level="TRACE")
        revealed = await engine.test_state(state, role_arn=ROLE, inspection_level="TRACE",
                                           reveal_secrets=True)
        debug = await engine.test_state(state, role_arn=ROLE, inspection_level="DEBUG")
    assert traced.status == "SUCCEEDED" and traced.inspection is not None
    request, response = traced.inspection["request"], traced.inspection["response"]
    assert (request["method"], request["url"], json.loads(request["body"])) == ("POST", echo,
                                                                                 {"q": 1})
    assert json.loads(request["headers"])["X-Mine"] == "m"
    assert "Authorization" not in json.loads(request["headers"])
    assert (response["statusCode"], json.loads(response["body"])) == ("200", {"got": {"q": 1}})
    assert revealed.inspection is not None
    assert json.loads(revealed.inspection["request"]["headers"])["Authorization"] == \
        "Bearer s3cret"
    assert debug.inspection is not None and "request" not in debug.inspection
