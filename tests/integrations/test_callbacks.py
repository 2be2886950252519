""".waitForTaskToken through the Engine: SendTask*, timeouts, heartbeats, retries, stops (§10.2, §10.7)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.engine.tokens import CLOSED_MESSAGE
from sfnlocal.errors import ServiceError
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService

ACCOUNT = "111111111111"
WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class Tokens:
    """A local Lambda function that hands the token of each call to the test."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def handler(self, event: Any, context: Any) -> Any:
        self.queue.put_nowait(event["token"])
        return {"accepted": True}

    async def next(self) -> str:
        return await asyncio.wait_for(self.queue.get(), 5)


def task(**fields: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": WAIT, "End": True,
             "Parameters": {"FunctionName": "worker", "Payload": {"token.$": "$$.Task.Token"}}}
    state.update(fields)
    return state


def machine(state: dict[str, Any], **others: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": state, **others}}


@asynccontextmanager
async def engine_with(tokens: Tokens, autojump: bool = True, **kw: Any) -> AsyncIterator[Engine]:
    registry = Registry()
    registry.register_lambda("worker", tokens.handler)
    settings = EngineSettings(region="us-east-1", account=ACCOUNT, seed=3)
    async with Engine(clock=VirtualClock(autojump=autojump), settings=settings,
                      integrations=registry, **kw) as engine:
        yield engine


async def start(engine: Engine, definition: dict[str, Any], input: Any = None) -> str:
    sm = await engine.create_state_machine("sm", definition)
    return (await engine.start_execution(sm.arn, input if input is not None else {})).arn


async def events_of(engine: Engine, arn: str) -> list[dict[str, Any]]:
    await engine.wait(arn)
    return await engine.history_events(arn)


def details(events: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    (event,) = [e for e in events if e["type"] == type_]
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_success_output_is_the_task_result_after_task_submitted():
    tokens = Tokens()
    async with engine_with(tokens) as engine:
        arn = await start(engine, machine(task()))
        await engine.send_task_success(await tokens.next(), '{"answer": 42}')
        events = await events_of(engine, arn)
        record = await engine.describe_execution(arn)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    submitted = json.loads(details(events, "TaskSubmitted")["output"])
    assert submitted["Payload"] == {"accepted": True} and submitted["StatusCode"] == 200
    assert details(events, "TaskSucceeded")["resource"] == "invoke.waitForTaskToken"
    assert json.loads(record.output) == {"answer": 42}


async def test_failure_without_error_or_cause_omits_them_and_gives_nulls():
    tokens = Tokens()
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    definition = machine(task(Catch=catch, End=None, Next="Caught"),
                         Caught={"Type": "Pass", "End": True})
    definition["States"]["T"].pop("End")
    async with engine_with(tokens) as engine:
        arn = await start(engine, definition)
        await engine.send_task_failure(await tokens.next())
        events = await events_of(engine, arn)
        record = await engine.describe_execution(arn)
    assert details(events, "TaskFailed") == {"resourceType": "lambda",
                                             "resource": "invoke.waitForTaskToken"}
    assert json.loads(record.output) == {"Error": None, "Cause": None}


async def test_failure_is_matched_by_its_custom_error_name():
    tokens = Tokens()
    definition = {"StartAt": "T", "States": {
        "T": {**task(), "End": None, "Next": "Never",
              "Catch": [{"ErrorEquals": ["Worker.Broken"], "Next": "Caught"}]},
        "Never": {"Type": "Fail"}, "Caught": {"Type": "Pass", "End": True}}}
    definition["States"]["T"].pop("End")
    async with engine_with(tokens) as engine:
        arn = await start(engine, definition)
        await engine.send_task_failure(await tokens.next(), "Worker.Broken", "gears")
        events = await events_of(engine, arn)
        record = await engine.describe_execution(arn)
    assert details(events, "TaskFailed")["error"] == "Worker.Broken"
    assert json.loads(record.output) == {"Error": "Worker.Broken", "Cause": "gears"}


async def test_uncaught_failure_fails_the_execution_with_the_workers_values():
    tokens = Tokens()
    async with engine_with(tokens) as engine:
        arn = await start(engine, machine(task()))
        await engine.send_task_failure(await tokens.next(), "E", "C")
        record = await engine.wait(arn)
    assert (record.status, record.error, record.cause) == ("FAILED", "E", "C")


async def test_timeout_expiry_is_states_timeout_without_cause_and_kills_the_token():
    tokens = Tokens()
    async with engine_with(tokens) as engine:
        arn = await start(engine, machine(task(TimeoutSeconds=30)))
        token = await tokens.next()
        events = await events_of(engine, arn)
        record = await engine.describe_execution(arn)
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_success(token, "{}")
    assert details(events, "TaskTimedOut") == {"resourceType": "lambda",
                                               "resource": "invoke.waitForTaskToken",
                                               "error": "States.Timeout"}
    assert (record.status, record.error, record.cause) == ("FAILED", "States.Timeout", None)
    assert (exc.value.code, exc.value.message) == ("TaskTimedOut", CLOSED_MESSAGE)


async def test_heartbeats_restart_the_heartbeat_clock_and_record_nothing():
    tokens = Tokens()
    async with engine_with(tokens, autojump=False) as engine:
        clock = engine.clock
        assert isinstance(clock, VirtualClock)
        arn = await start(engine, machine(task(HeartbeatSeconds=5, TimeoutSeconds=100)))
        token = await tokens.next()
        for _ in range(4):  # 16 s in all, never 5 s without a heartbeat
            clock.advance(4)
            await settle()
            await engine.send_task_heartbeat(token)
        clock.advance(4.9)
        await settle()
        assert (await engine.describe_execution(arn)).status == "RUNNING"
        clock.advance(0.2)
        events = await events_of(engine, arn)
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_heartbeat(token)
    types = [e["type"] for e in events]
    assert types[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    assert events[-2]["timestamp"].timestamp() - events[0]["timestamp"].timestamp() == \
        pytest.approx(21.0, abs=0.2)  # fired at 21 s; recorded once advance() returned
    assert exc.value.code == "TaskTimedOut"


async def test_a_retried_task_gets_a_new_token_and_the_old_one_is_dead():
    tokens = Tokens()
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    async with engine_with(tokens) as engine:
        arn = await start(engine, machine(task(TimeoutSeconds=10, Retry=retry)))
        first = await tokens.next()
        second = await tokens.next()  # the first attempt timed out, the retry started
        assert first != second
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_success(first, '"late"')
        await engine.send_task_success(second, '"on time"')
        record = await engine.wait(arn)
    assert exc.value.code == "TaskTimedOut"
    assert (record.status, record.output) == ("SUCCEEDED", '"on time"')


async def test_stopping_the_execution_kills_its_token():
    tokens = Tokens()
    async with engine_with(tokens) as engine:
        arn = await start(engine, machine(task()))
        token = await tokens.next()
        await engine.stop_execution(arn)
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_failure(token, "E")
        events = await engine.history_events(arn)
    assert exc.value.code == "TaskTimedOut"
    assert [e["type"] for e in events][-2:] == ["TaskStateAborted", "ExecutionAborted"]
    assert len(engine.integrations.callbacks) == 0


async def test_late_success_racing_the_timeout_is_resolved_once():
    """The timeout timer fires, then a success arrives before the task has run: the timeout wins."""
    tokens = Tokens()
    async with engine_with(tokens, autojump=False) as engine:
        clock = engine.clock
        assert isinstance(clock, VirtualClock)
        arn = await start(engine, machine(task(TimeoutSeconds=30)))
        token = await tokens.next()
        await settle()
        clock.advance(30)  # the deadline timer fires now and cancels the waiting task
        with pytest.raises(ServiceError) as exc:
            await engine.send_task_success(token, '"too late"')
        events = await events_of(engine, arn)
    assert exc.value.code == "TaskTimedOut"
    types = [e["type"] for e in events]
    assert "TaskTimedOut" in types and "TaskSucceeded" not in types


async def test_success_before_the_deadline_wins_and_the_timer_is_harmless():
    tokens = Tokens()
    async with engine_with(tokens, autojump=False) as engine:
        clock = engine.clock
        assert isinstance(clock, VirtualClock)
        arn = await start(engine, machine(task(TimeoutSeconds=30)))
        token = await tokens.next()
        clock.advance(29.999)
        await engine.send_task_success(token, '"just in time"')
        await settle()
        clock.advance(1)
        record = await engine.wait(arn)
    assert (record.status, record.output) == ("SUCCEEDED", '"just in time"')


async def test_an_answer_before_task_submitted_is_kept():
    """A worker may answer while the request is still in flight (the token is open before the call)."""
    registry = Registry()
    engine_ref: list[Engine] = []

    async def eager(event: Any, context: Any) -> Any:
        await engine_ref[0].send_task_success(event["token"], '"fast"')
        return {"sent": True}

    registry.register_lambda("worker", eager)
    async with Engine(clock=VirtualClock(), integrations=registry) as engine:
        engine_ref.append(engine)
        arn = await start(engine, machine(task()))
        events = await events_of(engine, arn)
    types = [e["type"] for e in events]
    assert types[4:6] == ["TaskSubmitted", "TaskSucceeded"]
    assert details(events, "TaskSucceeded")["output"] == '"fast"'


async def test_any_request_response_integration_gets_the_callback_pattern():
    sent: list[Any] = []

    class Publish:
        async def invoke(self, request: Any) -> Any:
            sent.append(request.parameters)
            return {"MessageId": "m-1"}

    registry = Registry()
    registry.register("sns:publish", Publish())
    definition = machine({"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                          "Parameters": {"Message.$": "$$.Task.Token"}, "End": True})
    async with Engine(clock=VirtualClock(), integrations=registry) as engine:
        arn = await start(engine, definition)
        await settle()
        await engine.send_task_success(sent[0]["Message"], '{"done": 1}')
        events = await events_of(engine, arn)
    assert details(events, "TaskSubmitted")["output"] == '{"MessageId":"m-1"}'
    assert details(events, "TaskSucceeded")["output"] == '{"done":1}'


async def test_sqs_wait_for_task_token_sends_then_waits():
    clock = VirtualClock()
    sqs = SqsService(clock=clock, region="us-east-1", account=ACCOUNT)
    registry = Registry()
    registry.register_sqs(sqs)
    async with Engine(clock=clock, integrations=registry) as engine:
        url = (await sqs.create_queue("work"))["QueueUrl"]
        definition = machine({
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody": {"Token.$": "$$.Task.Token"}},
            "End": True})
        arn = await start(engine, definition)
        await settle()
        message = (await sqs.receive_message(url, wait_seconds=1))["Messages"][0]
        await engine.send_task_success(json.loads(message["Body"])["Token"], '"processed"')
        events = await events_of(engine, arn)
        record = await engine.describe_execution(arn)
    assert "MD5OfMessageBody" in json.loads(details(events, "TaskSubmitted")["output"])
    assert record.output == '"processed"'
