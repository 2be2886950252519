"""The Task state: processing order, events, Retry/Catch, timeouts, size limit, cancellation.

Expected values come from the checklist (../shared/reference/asl-checklist.md §3.1, §4.3, §6, §7,
§10-§12) and the ASL spec's retry example.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from taskkit import ACCOUNT, INVOKE, REGION, fn_arn, machine, registry_with, run

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry, TaskRequest

PFX = "An error occurred while executing the state 'T' (entered at the event id #2). "


def task(resource: str, next: str | None = None, **fields: Any) -> dict[str, Any]:
    flow = {"Next": next} if next else {"End": True}
    return {"Type": "Task", "Resource": resource, **flow, **fields}


def echo(event: Any, context: Any) -> Any:
    return event


class Fails:
    """A function raising the given exception classes in turn, then returning its event."""

    def __init__(self, *errors: type[Exception]) -> None:
        self.errors = list(errors)
        self.calls: list[Any] = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls.append(event)
        if self.errors:
            raise self.errors.pop(0)("boom")
        return event


class ErrorA(Exception):
    pass


class ErrorB(Exception):
    pass


class ErrorC(Exception):
    pass


# -- event sequences -------------------------------------------------------------------------------


async def test_direct_lambda_success_records_lambda_function_events():
    run_ = await run(machine({"T": task(fn_arn("echo"))}), {"a": 1}, registry=registry_with(echo=echo))
    assert run_.types == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]
    scheduled, started, succeeded = run_.events[2:5]
    assert run_.details(scheduled) == {"resource": fn_arn("echo"), "input": '{"a":1}',
                                       "inputDetails": {"truncated": False}}
    assert "lambdaFunctionStartedEventDetails" not in started
    assert run_.details(succeeded) == {"output": '{"a":1}', "outputDetails": {"truncated": False}}
    assert [e["previousEventId"] for e in run_.events] == [0, 0, 2, 3, 4, 5, 6]
    assert run_.output == {"a": 1}


async def test_lambda_invoke_success_records_task_events_and_invoke_response():
    definition = machine({"T": task(INVOKE, Parameters={"FunctionName": "echo", "Payload.$": "$"})})
    run_ = await run(definition, {"a": 1}, registry=registry_with(echo=echo))
    assert run_.types[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    scheduled, started, succeeded = (run_.details(e) for e in run_.events[2:5])
    assert scheduled == {"resourceType": "lambda", "resource": "invoke", "region": REGION,
                         "parameters": '{"FunctionName":"echo","Payload":{"a":1}}'}
    assert started == {"resourceType": "lambda", "resource": "invoke"}
    assert (succeeded["resourceType"], succeeded["resource"]) == ("lambda", "invoke")
    result = json.loads(succeeded["output"])
    assert set(result) == {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata",
                           "StatusCode"}
    assert (result["ExecutedVersion"], result["Payload"], result["StatusCode"]) == ("$LATEST", {"a": 1}, 200)
    assert run_.output == result


async def test_uncaught_failure_fails_the_execution_without_state_exit():
    run_ = await run(machine({"T": task(fn_arn("f"))}), registry=registry_with(f=Fails(ErrorA)))
    assert run_.types[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]
    failed = run_.details(run_.events[-2])
    assert failed["error"] == "ErrorA"
    assert json.loads(failed["cause"])["errorMessage"] == "boom"
    assert run_.details(run_.events[-1]) == failed
    assert (run_.record.status, run_.record.error) == ("FAILED", "ErrorA")


async def test_task_failed_event_carries_resource_fields():
    definition = machine({"T": task(INVOKE, Parameters={"FunctionName": "f"})})
    run_ = await run(definition, registry=registry_with(f=Fails(ErrorA)))
    failed = run_.details(run_.of("TaskFailed")[0])
    assert (failed["resourceType"], failed["resource"], failed["error"]) == ("lambda", "invoke", "ErrorA")


# -- data flow -------------------------------------------------------------------------------------


async def test_processing_order_assign_sees_raw_result_result_selector_result_path_output_path():
    def result(event: Any, context: Any) -> Any:
        return {"r": event["x"] * 2, "noise": True}

    t = task(fn_arn("f"), InputPath="$.in", Parameters={"x.$": "$.v"},
             ResultSelector={"doubled.$": "$.r"}, ResultPath="$.out", OutputPath="$.out",
             Assign={"raw.$": "$"})
    run_ = await run(machine({"T": t}), {"in": {"v": 21}, "keep": 1}, registry=registry_with(f=result))
    assert run_.details(run_.of("LambdaFunctionScheduled")[0])["input"] == '{"x":21}'
    assert run_.output == {"doubled": 42}
    exited = run_.details(run_.of("TaskStateExited")[0])
    assert exited["assignedVariables"] == {"raw": '{"r":42,"noise":true}'}


async def test_result_path_null_keeps_the_raw_input():
    t = task(fn_arn("echo"), Parameters={"other": 1}, ResultPath=None)
    run_ = await run(machine({"T": t}), {"keep": True}, registry=registry_with(echo=echo))
    assert run_.output == {"keep": True}


async def test_retry_count_is_visible_per_attempt():
    f = Fails(ErrorA, ErrorA)
    t = task(fn_arn("f"), Parameters={"n.$": "$$.State.RetryCount"},
             Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}])
    run_ = await run(machine({"T": t}), registry=registry_with(f=f))
    assert f.calls == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert run_.record.status == "SUCCEEDED"


async def test_entered_time_stays_the_state_entry_time_across_retries():
    t = task(fn_arn("f"), Parameters={"t.$": "$$.State.EnteredTime"},
             Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5}])
    f = Fails(ErrorA)
    await run(machine({"T": t}), registry=registry_with(f=f))
    assert f.calls == [{"t": "2026-01-01T00:00:00.000Z"}] * 2


# -- retry -----------------------------------------------------------------------------------------


async def test_retry_back_off_follows_interval_times_backoff_rate_power():
    t = task(fn_arn("f"), Retry=[{"ErrorEquals": ["ErrorA"], "IntervalSeconds": 2, "BackoffRate": 3,
                                  "MaxAttempts": 3}])
    run_ = await run(machine({"T": t}), registry=registry_with(f=Fails(ErrorA, ErrorA, ErrorA)))
    times = [run_.seconds(e) for e in run_.of("LambdaFunctionScheduled")]
    assert times == [0, 2, 2 + 6, 2 + 6 + 18]
    assert run_.record.status == "SUCCEEDED"
    assert run_.types.count("TaskStateEntered") == 1


async def test_max_delay_seconds_caps_the_back_off():
    t = task(fn_arn("f"), Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10,
                                  "BackoffRate": 10, "MaxDelaySeconds": 50, "MaxAttempts": 3}])
    run_ = await run(machine({"T": t}), registry=registry_with(f=Fails(ErrorA, ErrorA, ErrorA)))
    times = [run_.seconds(e) for e in run_.of("LambdaFunctionScheduled")]
    assert times == [0, 10, 60, 110]


async def test_full_jitter_delays_are_random_below_the_cap_and_reproducible_with_a_seed():
    t = task(fn_arn("f"), Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10,
                                  "BackoffRate": 2, "MaxAttempts": 3, "JitterStrategy": "FULL"}])

    async def delays(seed: int) -> list[float]:
        run_ = await run(machine({"T": t}), registry=registry_with(f=Fails(ErrorA, ErrorA, ErrorA)),
                         seed=seed)
        times = [run_.seconds(e) for e in run_.of("LambdaFunctionScheduled")]
        return [b - a for a, b in itertools.pairwise(times)]

    first = await delays(3)
    assert all(0 <= d <= cap for d, cap in zip(first, (10, 20, 40), strict=True))
    assert first != [10, 20, 40]
    assert await delays(3) == first


async def test_attempts_are_counted_per_retrier_across_error_names_spec_example():
    # ASL spec: ErrorA, ErrorB (retrier 1 waits 1, 2), ErrorC (retrier 2 waits 5), ErrorB → retrier 1
    # has used its 2 attempts → Catch.
    f = Fails(ErrorA, ErrorB, ErrorC, ErrorB)
    t = task(fn_arn("f"), "Caught", Retry=[
        {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2,
         "MaxAttempts": 2},
        {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
    ], Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
    run_ = await run(machine({"T": t, "Caught": {"Type": "Pass", "End": True}}),
                     registry=registry_with(f=f))
    times = [run_.seconds(e) for e in run_.of("LambdaFunctionScheduled")]
    assert times == [0, 1, 3, 8]
    assert [run_.details(e)["error"] for e in run_.of("LambdaFunctionFailed")] == [
        "ErrorA", "ErrorB", "ErrorC", "ErrorB"]
    assert run_.output["Error"] == "ErrorB"


async def test_first_matching_retrier_decides_even_when_exhausted():
    t = task(fn_arn("f"), Retry=[{"ErrorEquals": ["ErrorA"], "MaxAttempts": 0},
                                 {"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}])
    run_ = await run(machine({"T": t}), registry=registry_with(f=Fails(ErrorA)))
    assert len(run_.of("LambdaFunctionScheduled")) == 1
    assert run_.record.error == "ErrorA"


async def test_retry_counts_reset_when_the_state_is_entered_again():
    class Flaky:
        """Fails on every odd call."""

        calls = 0

        def __call__(self, event: Any, context: Any) -> Any:
            self.calls += 1
            if self.calls % 2:
                raise ErrorA("odd")
            return {"round": event["round"] + 1}

    states = {
        "T": {"Type": "Task", "Resource": fn_arn("f"), "Next": "Again",
              "Retry": [{"ErrorEquals": ["ErrorA"], "MaxAttempts": 1, "IntervalSeconds": 1}]},
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.round", "NumericLessThan": 2, "Next": "T"}], "Default": "Done"},
        "Done": {"Type": "Succeed"},
    }
    run_ = await run(machine(states), {"round": 0}, registry=registry_with(f=Flaky()))
    assert run_.record.status == "SUCCEEDED"
    assert run_.output == {"round": 2}


# -- catch -----------------------------------------------------------------------------------------


async def test_catcher_result_path_and_assign_use_the_error_output():
    t = {"Type": "Task", "Resource": fn_arn("f"), "Next": "Never", "OutputPath": "$.nothing",
         "Catch": [{"ErrorEquals": ["ErrorA"], "Next": "Handler", "ResultPath": "$.err",
                    "Assign": {"name.$": "$.Error"}}]}
    states = {"T": t, "Never": {"Type": "Fail"},
              "Handler": {"Type": "Pass", "Parameters": {"seen.$": "$name", "input.$": "$"},
                          "End": True}}
    run_ = await run(machine(states), {"keep": 1}, registry=registry_with(f=Fails(ErrorA)))
    output = run_.output
    assert output["seen"] == "ErrorA"
    assert output["input"]["keep"] == 1
    assert output["input"]["err"]["Error"] == "ErrorA"
    assert json.loads(output["input"]["err"]["Cause"])["errorType"] == "ErrorA"
    exited = run_.details(run_.of("TaskStateExited")[0])
    assert exited["assignedVariables"] == {"name": '"ErrorA"'}


async def test_first_matching_catcher_wins_and_task_failed_does_not_match_timeouts():
    async def slow(event: Any, context: Any) -> Any:
        await asyncio.sleep(0)
        await context.clock.sleep_until(context.clock.now() + 100)
        return event

    t = {"Type": "Task", "Resource": fn_arn("slow"), "TimeoutSeconds": 1, "Next": "A",
         "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "A"},
                   {"ErrorEquals": ["States.ALL"], "Next": "B"}]}
    states = {"T": t, "A": {"Type": "Pass", "Result": "A", "End": True},
              "B": {"Type": "Pass", "Result": "B", "End": True}}
    run_ = await run(machine(states), registry=registry_with(slow=slow))
    assert run_.output == "B"


async def test_states_all_and_states_runtime_do_not_catch_or_retry_runtime_errors():
    t = task(fn_arn("echo"), "C", InputPath="$.missing",
             Retry=[{"ErrorEquals": ["States.ALL"]}],
             Catch=[{"ErrorEquals": ["States.Runtime"], "Next": "C"},
                    {"ErrorEquals": ["States.ALL"], "Next": "C"}])
    run_ = await run(machine({"T": t, "C": {"Type": "Pass", "End": True}}), {"a": 1},
                     registry=registry_with(echo=echo))
    assert run_.types == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert run_.record.error == "States.Runtime"
    assert run_.record.cause == PFX + "Invalid path '$.missing' : No results for path: $['missing']"


async def test_parameter_path_miss_is_a_runtime_error_before_scheduling():
    t = task(fn_arn("echo"), "C", Parameters={"x.$": "$.nope"},
             Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C"}])
    run_ = await run(machine({"T": t, "C": {"Type": "Pass", "End": True}}), {"a": 1},
                     registry=registry_with(echo=echo))
    assert run_.types == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert run_.record.cause == PFX + (
        "The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{\"a\":1}'")


# -- timeouts and heartbeats ------------------------------------------------------------------------


async def sleeps_100(event: Any, context: Any) -> Any:
    await context.clock.sleep_until(context.clock.now() + 100)
    return event


async def test_timeout_seconds_times_out_the_attempt():
    run_ = await run(machine({"T": task(fn_arn("slow"), TimeoutSeconds=5)}),
                     registry=registry_with(slow=sleeps_100))
    assert run_.types[-3:] == ["LambdaFunctionStarted", "LambdaFunctionTimedOut", "ExecutionFailed"]
    assert run_.details(run_.of("LambdaFunctionScheduled")[0])["timeoutInSeconds"] == 5
    timed_out = run_.of("LambdaFunctionTimedOut")[0]
    assert run_.details(timed_out) == {"error": "States.Timeout"}
    assert run_.seconds(timed_out) == 5
    assert (run_.record.error, run_.record.cause) == ("States.Timeout", None)


async def test_timed_out_attempts_are_retried():
    t = task(INVOKE, TimeoutSeconds=5, Parameters={"FunctionName": "slow"},
             Retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 2}])
    run_ = await run(machine({"T": t}), registry=registry_with(slow=sleeps_100))
    timed_out = run_.of("TaskTimedOut")
    assert [run_.seconds(e) for e in timed_out] == [5, 12]
    assert run_.details(timed_out[0]) == {"resourceType": "lambda", "resource": "invoke",
                                          "error": "States.Timeout"}


async def test_timeout_seconds_path_reads_the_effective_input():
    t = task(fn_arn("slow"), TimeoutSecondsPath="$.limit")
    run_ = await run(machine({"T": t}), {"limit": 7}, registry=registry_with(slow=sleeps_100))
    assert run_.details(run_.of("LambdaFunctionScheduled")[0])["timeoutInSeconds"] == 7
    assert run_.seconds(run_.of("LambdaFunctionTimedOut")[0]) == 7


@pytest.mark.parametrize("field", ["TimeoutSecondsPath", "HeartbeatSecondsPath"])
async def test_seconds_path_miss_is_a_runtime_error(field: str):
    t = task(INVOKE, "C", Parameters={"FunctionName": "echo"}, **{field: "$.x"},
             Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C"}])
    run_ = await run(machine({"T": t, "C": {"Type": "Pass", "End": True}}), {"a": 1},
                     registry=registry_with(echo=echo))
    assert run_.types == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert run_.record.error == "States.Runtime"
    assert run_.record.cause == PFX + "Invalid path '$.x' : No results for path: $['x']"


class Worker:
    """An integration that sends heartbeats at the given times, then succeeds (or waits forever)."""

    def __init__(self, beats: list[float], finish: float | None) -> None:
        self.beats = beats
        self.finish = finish
        self.requests: list[TaskRequest] = []

    async def invoke(self, request: TaskRequest) -> Any:
        self.requests.append(request)
        clock, start = request.context.clock, request.context.clock.now()
        for at in self.beats:
            await clock.sleep_until(start + at)
            request.context.heartbeat()
        await clock.sleep_until(start + (self.finish if self.finish is not None else 10_000))
        return {"done": True}


SQS_TOKEN = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


async def test_heartbeats_keep_the_task_alive():
    registry = Registry()
    registry.register("sqs:sendMessage.waitForTaskToken", Worker([3, 6, 9], finish=12))
    t = task(SQS_TOKEN, HeartbeatSeconds=5, Parameters={"QueueUrl": "q"})
    run_ = await run(machine({"T": t}), registry=registry)
    assert run_.record.status == "SUCCEEDED"
    assert run_.details(run_.of("TaskScheduled")[0])["heartbeatInSeconds"] == 5


async def test_missed_heartbeat_times_out_and_matches_states_heartbeat_timeout():
    registry = Registry()
    registry.register("sqs:sendMessage.waitForTaskToken", Worker([3], finish=None))
    t = {"Type": "Task", "Resource": SQS_TOKEN, "HeartbeatSeconds": 5, "TimeoutSeconds": 600,
         "Parameters": {"QueueUrl": "q"}, "Next": "Never",
         "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}]}
    states = {"T": t, "Never": {"Type": "Fail"}, "Caught": {"Type": "Pass", "End": True}}
    run_ = await run(machine(states), registry=registry)
    timed_out = run_.of("TaskTimedOut")[0]
    assert run_.seconds(timed_out) == 8
    assert run_.details(timed_out) == {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
                                       "error": "States.Timeout"}
    assert run_.output == {"Error": "States.Timeout", "Cause": None}


# -- limits, cancellation, resources ----------------------------------------------------------------


async def test_oversized_task_result_is_a_catchable_task_failure():
    def big(event: Any, context: Any) -> Any:
        return "a" * 262_145

    t = {"Type": "Task", "Resource": fn_arn("big"), "Next": "Never",
         "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}]}
    states = {"T": t, "Never": {"Type": "Fail"}, "Caught": {"Type": "Pass", "End": True}}
    run_ = await run(machine(states), registry=registry_with(big=big))
    cause = (f"The state/task '{fn_arn('big')}' returned a result with a size exceeding the maximum "
             "number of bytes service limit.")
    assert run_.details(run_.of("LambdaFunctionFailed")[0]) == {
        "error": "States.DataLimitExceeded", "cause": cause}
    assert run_.output == {"Error": "States.DataLimitExceeded", "Cause": cause}


async def test_oversized_invoke_result_names_the_service():
    def big(event: Any, context: Any) -> Any:
        return "a" * 262_144

    run_ = await run(machine({"T": task(INVOKE, Parameters={"FunctionName": "big"})}),
                     registry=registry_with(big=big))
    assert run_.record.cause == ("The state/task 'lambda' returned a result with a size exceeding "
                                 "the maximum number of bytes service limit.")


async def test_stopping_the_execution_records_task_state_aborted_and_cancels_the_work():
    running = asyncio.Event()
    cancelled = []

    async def forever(event: Any, context: Any) -> Any:
        running.set()
        try:
            await context.clock.sleep_until(context.clock.now() + 10_000)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    registry = registry_with(forever=forever)
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=1)
    async with Engine(clock=VirtualClock(), settings=settings, integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", machine({"T": task(fn_arn("forever"))}))
        ex = await engine.start_execution(sm.arn, name="ex")
        await running.wait()
        await engine.stop_execution(ex.arn, error="Stop", cause="by test")
        events = (await engine.get_execution_history(ex.arn))["events"]
    assert [e["type"] for e in events][-2:] == ["TaskStateAborted", "ExecutionAborted"]
    assert cancelled == [True]


async def test_unregistered_integration_fails_with_a_runtime_error_naming_the_resource():
    run_ = await run(machine({"T": task("arn:aws:states:::sns:publish", Parameters={"Message": "x"})}))
    assert run_.types == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert run_.record.error == "States.Runtime"
    assert run_.record.cause.startswith(PFX + "The resource 'arn:aws:states:::sns:publish'")


# -- the integration seam ---------------------------------------------------------------------------


class Recorder:
    """An integration that records its requests and answers with a fixed result."""

    def __init__(self, result: Any = None, submit: Any = None) -> None:
        self.result = result if result is not None else {"ok": True}
        self.submit = submit
        self.requests: list[TaskRequest] = []

    async def invoke(self, request: TaskRequest) -> Any:
        self.requests.append(request)
        if self.submit is not None:
            request.context.submitted(self.submit)
        return self.result


async def test_wait_for_task_token_exposes_the_token_to_parameters_and_the_request():
    recorder = Recorder(submit={"MessageId": "m-1"})
    registry = Registry()
    registry.register("sqs:sendMessage.waitForTaskToken", recorder)
    t = task(SQS_TOKEN, TimeoutSeconds=30, HeartbeatSeconds=10,
             Parameters={"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}})
    run_ = await run(machine({"T": t}), registry=registry)
    (request,) = recorder.requests
    assert request.task_token
    assert request.parameters["MessageBody"]["Token"] == request.task_token
    assert (request.timeout_seconds, request.heartbeat_seconds) == (30, 10)
    assert request.pattern.value == ".waitForTaskToken"
    assert request.context.execution_arn == run_.record.arn
    assert run_.types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert run_.details(run_.of("TaskSubmitted")[0]) == {
        "resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
        "output": '{"MessageId":"m-1"}', "outputDetails": {"truncated": False}}


async def test_request_response_tasks_get_no_token():
    recorder = Recorder()
    registry = Registry()
    registry.register("sqs:sendMessage", recorder)
    await run(machine({"T": task("arn:aws:states:::sqs:sendMessage", Parameters={"QueueUrl": "q"})}),
              registry=registry)
    assert recorder.requests[0].task_token is None


async def test_an_integration_may_drop_parameters_before_they_are_recorded():
    class Filtering(Recorder):
        def prepare(self, parameters: Any) -> Any:
            return {k: v for k, v in parameters.items() if k != "MessageSystemAttribute"}

    recorder = Filtering()
    registry = Registry()
    registry.register("sqs:sendMessage", recorder)
    t = task("arn:aws:states:::sqs:sendMessage",
             Parameters={"QueueUrl": "q", "MessageSystemAttribute": {"x": 1}})
    run_ = await run(machine({"T": t}), registry=registry)
    assert run_.details(run_.of("TaskScheduled")[0])["parameters"] == '{"QueueUrl":"q"}'
    assert recorder.requests[0].parameters == {"QueueUrl": "q"}


async def test_credentials_are_recorded_as_task_credentials():
    registry = Registry()
    registry.register("sqs:sendMessage", Recorder())
    role = f"arn:aws:iam::{ACCOUNT}:role/other"
    t = task("arn:aws:states:::sqs:sendMessage", Parameters={"QueueUrl": "q"},
             Credentials={"RoleArn.$": "$.role"})
    run_ = await run(machine({"T": t}), {"role": role}, registry=registry)
    assert run_.details(run_.of("TaskScheduled")[0])["taskCredentials"] == {"roleArn": role}


async def test_an_exact_arn_registration_overrides_the_built_in_lambda():
    registry = registry_with(f=echo)
    registry.register(fn_arn("f"), Recorder(result={"mocked": True}))
    run_ = await run(machine({"T": task(fn_arn("f"))}), {"a": 1}, registry=registry)
    assert run_.output == {"mocked": True}



async def test_a_failing_parallel_sibling_aborts_a_running_task():
    branches = [
        {"StartAt": "T", "States": {"T": task(fn_arn("slow"))}},
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}},
    ]
    definition = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    run_ = await run(definition, registry=registry_with(slow=sleeps_100))
    assert "TaskStateAborted" in run_.types
    aborted = run_.of("TaskStateAborted")[0]
    assert run_.types.index("TaskStateAborted") > run_.types.index("LambdaFunctionStarted")
    assert run_.seconds(aborted) == 0
    assert run_.record.error == "Boom"


async def test_stopping_during_retry_back_off_records_task_state_aborted():
    registry = Registry()
    registry.register_lambda("fail", Fails(ErrorA), inline=True)
    t = task(fn_arn("fail"), Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1000}])
    settings = EngineSettings(region=REGION, account=ACCOUNT, seed=1)
    # Without autojump the back-off never ends by itself: the execution waits in it until stopped.
    async with Engine(clock=VirtualClock(autojump=False), settings=settings,
                      integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", machine({"T": t}))
        ex = await engine.start_execution(sm.arn, name="ex")
        types: list[str] = []
        while "LambdaFunctionFailed" not in types:
            await asyncio.sleep(0)
            types = [e["type"] for e in (await engine.get_execution_history(ex.arn))["events"]]
        await engine.stop_execution(ex.arn)
        types = [e["type"] for e in (await engine.get_execution_history(ex.arn))["events"]]
    assert types[-3:] == ["LambdaFunctionFailed", "TaskStateAborted", "ExecutionAborted"]


async def test_a_result_path_that_cannot_be_applied_is_a_catchable_result_path_match_failure():
    # ASL spec: States.ResultPathMatchFailure when ResultPath cannot be applied to the input.
    t = task(fn_arn("echo"), "C", ResultPath="$.x",
             Catch=[{"ErrorEquals": ["States.ResultPathMatchFailure"], "Next": "C"}])
    run_ = await run(machine({"T": t, "C": {"Type": "Pass", "End": True}}), '"text"',
                     registry=registry_with(echo=echo))
    assert run_.output["Error"] == "States.ResultPathMatchFailure"
    assert run_.types.count("LambdaFunctionSucceeded") == 1
