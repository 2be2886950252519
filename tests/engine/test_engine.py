"""The Engine facade against AWS's API semantics (checklist §12, §13, §14, §15)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from engine_cases import compare, find_case, grade, run_case, with_metadata

from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.errors import InvalidDefinition, ServiceError

START = VirtualClock.DEFAULT_START
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
PASS_RESULT = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "It broke"}}}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ARN = "arn:aws:states:us-east-1:123456789012"


def passes(n: int) -> dict[str, Any]:
    """A chain of ``n`` Pass states (2 events each)."""
    states: dict[str, Any] = {f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(n - 1)}
    states[f"P{n - 1}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "P0", "States": states}




def error_of(exc: pytest.ExceptionInfo[ServiceError]) -> tuple[str, str]:
    return exc.value.code, exc.value.message


# -- state machines ---------------------------------------------------------------------------


async def test_create_describe_and_shapes(engine: Engine) -> None:
    sm = await engine.create_state_machine("hello", PASS)
    assert sm.arn == f"{ARN}:stateMachine:hello"
    created = sm.to_create_aws()
    assert set(created) == {"stateMachineArn", "creationDate"}
    assert isinstance(created["creationDate"], datetime)
    assert created["creationDate"].timestamp() == START
    shape = (await engine.describe_state_machine(sm.arn)).to_aws()
    assert set(shape) >= {"stateMachineArn", "name", "status", "definition", "roleArn", "type",
                          "creationDate", "loggingConfiguration", "tracingConfiguration"}
    assert (shape["status"], shape["type"], shape["name"]) == ("ACTIVE", "STANDARD", "hello")
    assert shape["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}


async def test_create_is_idempotent_for_the_same_definition_and_type(engine: Engine) -> None:
    first = await engine.create_state_machine("same", PASS)
    again = await engine.create_state_machine("same", PASS, role_arn="arn:aws:iam::1:role/other")
    assert again.arn == first.arn and again.creation_date == first.creation_date


@pytest.mark.parametrize(("definition", "type_"), [(PASS_RESULT, "STANDARD"), (PASS, "EXPRESS")])
async def test_create_same_name_differently_is_refused(
    engine: Engine, definition: dict[str, Any], type_: str
) -> None:
    sm = await engine.create_state_machine("taken", PASS)
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine("taken", definition, type=type_)
    assert error_of(exc) == ("StateMachineAlreadyExists", f"State Machine Already Exists: '{sm.arn}'")


async def test_create_refuses_invalid_definitions_with_aws_message(engine: Engine) -> None:
    case = find_case("test_create_delete_invalid_sm")
    with pytest.raises(InvalidDefinition) as exc:
        await engine.create_state_machine("bad", case["state_machine"]["definition_raw"])
    assert exc.value.message == case["expected"]["recorded"]["invalid_definition_1"]["message"]


async def test_create_checks_name_and_type(engine: Engine) -> None:
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine("a b", PASS)
    assert error_of(exc) == ("InvalidName", "Invalid Name: 'a b'")
    with pytest.raises(ServiceError) as exc:
        await engine.create_state_machine("ok", PASS, type="FAST")
    assert exc.value.code == "ValidationException"
    assert "Member must satisfy enum value set: [STANDARD, EXPRESS]" in exc.value.message


async def test_describe_errors(engine: Engine) -> None:
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine("not-an-arn")
    assert error_of(exc) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'")
    missing = f"{ARN}:stateMachine:nope"
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine(missing)
    assert error_of(exc) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")


async def test_list_is_sorted_by_name(engine: Engine) -> None:
    for name in ("b", "c", "a"):
        await engine.create_state_machine(name, PASS)
    listed = await engine.list_state_machines()
    assert [r.name for r in listed] == ["a", "b", "c"]
    assert set(listed[0].to_list_item()) == {"stateMachineArn", "name", "type", "creationDate"}


async def test_delete_is_idempotent_and_keeps_executions(engine: Engine) -> None:
    sm = await engine.create_state_machine("gone", PASS)
    ex = await engine.start_execution(sm.arn)
    await engine.wait(ex.arn)
    await engine.delete_state_machine(sm.arn)
    await engine.delete_state_machine(sm.arn)
    with pytest.raises(ServiceError) as exc:
        await engine.describe_state_machine(sm.arn)
    assert exc.value.code == "StateMachineDoesNotExist"
    assert (await engine.describe_execution(ex.arn)).status == "SUCCEEDED"


# -- starting executions ----------------------------------------------------------------------


async def test_start_defaults_input_and_name(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    ex = await engine.start_execution(sm.arn)
    assert UUID.match(ex.name)
    assert ex.arn == f"{ARN}:execution:m:{ex.name}"
    assert ex.to_start_aws() == {"executionArn": ex.arn, "startDate": ex.to_aws()["startDate"]}
    done = await engine.wait(ex.arn)
    assert (done.input, done.output) == ("{}", "{}")


async def test_start_same_name_and_input_while_running_returns_the_original(frozen: Engine) -> None:
    sm = await frozen.create_state_machine("m", WAIT)
    first = await frozen.start_execution(sm.arn, '{"a": 1}', name="run-1")
    again = await frozen.start_execution(sm.arn, '{"a": 1}', name="run-1")
    assert again is first
    with pytest.raises(ServiceError) as exc:
        await frozen.start_execution(sm.arn, '{"a": 2}', name="run-1")
    assert error_of(exc) == ("ExecutionAlreadyExists", f"Execution Already Exists: '{first.arn}'")


async def test_start_same_name_after_close_is_refused(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    first = await engine.start_execution(sm.arn, name="once")
    await engine.wait(first.arn)
    with pytest.raises(ServiceError) as exc:
        await engine.start_execution(sm.arn, name="once")
    assert error_of(exc) == ("ExecutionAlreadyExists", f"Execution Already Exists: '{first.arn}'")


async def test_start_errors(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    with pytest.raises(ServiceError) as exc:
        await engine.start_execution(sm.arn, "{not json")
    assert exc.value.code == "InvalidExecutionInput"
    assert exc.value.message.startswith("Invalid State Machine Execution Input: '")
    with pytest.raises(ServiceError) as exc:
        await engine.start_execution(sm.arn, name="x" * 81)
    assert error_of(exc) == ("InvalidName", f"Invalid Name: '{'x' * 81}'")
    with pytest.raises(ServiceError) as exc:
        await engine.start_execution(f"{ARN}:stateMachine:nope")
    assert exc.value.code == "StateMachineDoesNotExist"
    with pytest.raises(ServiceError) as exc:
        await engine.start_execution(sm.arn, {"big": "x" * 262_144})
    assert exc.value.code == "ValidationException"


async def test_input_text_is_kept_as_given(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    ex = await engine.start_execution(sm.arn, '{"a":  [1, 2]}')
    done = await engine.wait(ex.arn)
    assert done.to_aws()["input"] == '{"a":  [1, 2]}'
    # A value passed through unchanged keeps its text to the end, as AWS records it
    # (conformance case scenarios ... test_parallel_state_nested: '[[[[1, 2, 3], [4, 5, 6]]]]').
    assert done.output == '{"a":  [1, 2]}'


# -- describing and listing -------------------------------------------------------------------


async def test_describe_running_succeeded_and_failed(frozen: Engine) -> None:
    sm = await frozen.create_state_machine("w", WAIT)
    running = (await frozen.start_execution(sm.arn, name="r")).to_aws()
    assert running["status"] == "RUNNING" and "stopDate" not in running
    assert running["redriveStatus"] == "NOT_REDRIVABLE"
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    ok = await frozen.create_state_machine("ok", PASS_RESULT)
    shape = (await frozen.wait((await frozen.start_execution(ok.arn)).arn)).to_aws()
    assert (shape["status"], shape["output"], shape["outputDetails"]) == (
        "SUCCEEDED", '{"r":1}', {"included": True})
    bad = await frozen.create_state_machine("bad", FAIL)
    shape = (await frozen.wait((await frozen.start_execution(bad.arn)).arn)).to_aws()
    assert (shape["status"], shape["error"], shape["cause"]) == ("FAILED", "Oops", "It broke")
    assert "output" not in shape and shape["redriveStatus"] == "REDRIVABLE"


async def test_describe_unknown_and_malformed(engine: Engine) -> None:
    missing = f"{ARN}:execution:m:nope"
    with pytest.raises(ServiceError) as exc:
        await engine.describe_execution(missing)
    assert error_of(exc) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
    with pytest.raises(ServiceError) as exc:
        await engine.describe_execution(f"{ARN}:stateMachine:m")
    assert error_of(exc) == (
        "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: stateMachine'")


async def test_list_executions_newest_first_with_status_filter(frozen: Engine) -> None:
    sm = await frozen.create_state_machine("m", {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.wait", "BooleanEquals": True,
                                                 "Next": "W"}], "Default": "F"},
            "W": {"Type": "Wait", "Seconds": 10, "End": True},
            "F": {"Type": "Fail", "Error": "E"},
        },
    })
    for name, wait in (("one", True), ("two", False), ("three", True)):
        await frozen.start_execution(sm.arn, {"wait": wait}, name=name)
    await frozen.wait(f"{ARN}:execution:m:two")
    assert [r.name for r in await frozen.list_executions(sm.arn)] == ["three", "two", "one"]
    assert [r.name for r in await frozen.list_executions(sm.arn, "RUNNING")] == ["three", "one"]
    assert [r.name for r in await frozen.list_executions(sm.arn, "FAILED")] == ["two"]
    item = (await frozen.list_executions(sm.arn, "FAILED"))[0].to_list_item()
    assert set(item) == {"executionArn", "stateMachineArn", "name", "status", "startDate",
                         "stopDate", "redriveCount"}
    with pytest.raises(ServiceError) as exc:
        await frozen.list_executions(sm.arn, "DONE")
    assert exc.value.code == "ValidationException"
    assert exc.value.message.endswith(
        "Member must satisfy enum value set: "
        "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")


# -- stopping ---------------------------------------------------------------------------------


async def test_stop_aborts_with_error_and_cause_only_if_given(engine: Engine) -> None:
    sm = await engine.create_state_machine("w", WAIT)
    plain = await engine.start_execution(sm.arn, name="plain")
    given = await engine.start_execution(sm.arn, name="given")
    stopped = await engine.stop_execution(plain.arn)
    await engine.stop_execution(given.arn, error="MyError", cause="my cause")
    assert stopped.status == "ABORTED" and stopped.to_stop_aws() == {
        "stopDate": stopped.to_aws()["stopDate"]}
    plain_last = (await engine.history_events(plain.arn))[-1]
    given_last = (await engine.history_events(given.arn))[-1]
    assert plain_last["type"] == given_last["type"] == "ExecutionAborted"
    assert plain_last["previousEventId"] == given_last["previousEventId"] == 0
    assert plain_last["executionAbortedEventDetails"] == {}
    assert given_last["executionAbortedEventDetails"] == {"error": "MyError", "cause": "my cause"}
    shape = (await engine.describe_execution(given.arn)).to_aws()
    assert (shape["error"], shape["cause"]) == ("MyError", "my cause")
    assert "error" not in (await engine.describe_execution(plain.arn)).to_aws()


async def test_stopping_a_closed_execution_changes_nothing(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS)
    ex = await engine.start_execution(sm.arn)
    await engine.wait(ex.arn)
    events = await engine.history_events(ex.arn)
    after = await engine.stop_execution(ex.arn, error="E")
    assert after.status == "SUCCEEDED" and after.error is None
    assert await engine.history_events(ex.arn) == events


# -- history ----------------------------------------------------------------------------------


async def test_history_and_reverse_order_match_aws() -> None:
    case = find_case("test_get_execution_history_reversed")
    results = await run_case(case)
    assert grade(case, results) == []
    extra = case["expected"]["additional_histories"][0]
    assert extra["request"] == {"reverseOrder": True}
    async with Engine(clock=VirtualClock()) as engine:
        sm = await engine.create_state_machine(
            case["state_machine"]["name"], case["state_machine"]["definition_raw"])
        ex = await engine.start_execution(sm.arn)
        await engine.wait(ex.arn)
        reverse = await engine.get_execution_history(ex.arn, reverse_order=True)
    expected = [event["type"] for event in extra["response"]["events"]]
    assert [event["type"] for event in reverse["events"]] == expected
    assert [event["id"] for event in reverse["events"]] == [4, 3, 2, 1]
    assert "nextToken" not in reverse


async def test_history_pages_with_opaque_tokens(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", passes(3))  # 8 events
    ex = await engine.start_execution(sm.arn)
    await engine.wait(ex.arn)
    for reverse in (False, True):
        ids, token, pages = [], None, 0
        while True:
            page = await engine.get_execution_history(
                ex.arn, reverse_order=reverse, max_results=3, next_token=token)
            ids += [event["id"] for event in page["events"]]
            pages += 1
            token = page.get("nextToken")
            if token is None:
                break
            assert not token.isdigit()
        assert pages == 3
        assert ids == (list(range(8, 0, -1)) if reverse else list(range(1, 9)))


async def test_history_default_page_is_100_events(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", passes(60))  # 122 events
    ex = await engine.start_execution(sm.arn)
    await engine.wait(ex.arn)
    page = await engine.get_execution_history(ex.arn)
    assert len(page["events"]) == 100 and "nextToken" in page
    rest = await engine.get_execution_history(ex.arn, next_token=page["nextToken"], max_results=0)
    assert [e["id"] for e in rest["events"]] == list(range(101, 123))
    assert len(await engine.history_events(ex.arn)) == 122


async def test_history_request_errors(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", passes(3))
    ex = await engine.start_execution(sm.arn)
    other = await engine.start_execution(sm.arn)
    await engine.wait(ex.arn)
    await engine.wait(other.arn)
    forward = (await engine.get_execution_history(ex.arn, max_results=2))["nextToken"]
    for arn, token, reverse in ((ex.arn, "bogus", False), (ex.arn, forward, True),
                                (other.arn, forward, False), (ex.arn, forward[:-2], False)):
        with pytest.raises(ServiceError) as exc:
            await engine.get_execution_history(arn, next_token=token, reverse_order=reverse)
        assert error_of(exc) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(ServiceError) as exc:
        await engine.get_execution_history(ex.arn, max_results=1001)
    assert error_of(exc) == ("ValidationException", (
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000"))


async def test_history_without_execution_data(engine: Engine) -> None:
    sm = await engine.create_state_machine("m", PASS_RESULT)
    ex = await engine.start_execution(sm.arn, {"secret": 1})
    await engine.wait(ex.arn)
    events = (await engine.get_execution_history(ex.arn, include_execution_data=False))["events"]
    started, entered, exited, succeeded = events
    assert "input" not in started["executionStartedEventDetails"]
    assert started["executionStartedEventDetails"]["inputDetails"] == {"truncated": False}
    assert entered["stateEnteredEventDetails"] == {"name": "P", "inputDetails": {"truncated": False}}
    assert "output" not in exited["stateExitedEventDetails"]
    assert "output" not in succeeded["executionSucceededEventDetails"]


# -- limits -----------------------------------------------------------------------------------


async def test_execution_timeout_matches_aws() -> None:
    case = find_case("test_global_timeout")
    results = await run_case(case)
    assert grade(case, results, describe=True) == []
    history = results["history"]["events"]
    assert history[-1]["type"] == "ExecutionTimedOut"
    assert history[-1]["timestamp"].timestamp() - history[0]["timestamp"].timestamp() == 5


LOOP = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "BooleanEquals": True,
                                            "Next": "Done"}], "Default": "A"},
        "Done": {"Type": "Succeed"},
    },
}


async def test_history_limit_of_25000_events_fails_the_execution(engine: Engine) -> None:
    sm = await engine.create_state_machine("loop", LOOP)
    ex = await engine.start_execution(sm.arn, {"stop": False})
    record = await engine.wait(ex.arn)
    events = await engine.history_events(ex.arn)
    assert record.status == "FAILED" and record.error == "States.Runtime"
    assert len(events) == 25_000
    assert events[-1]["type"] == "ExecutionFailed"
    assert events[-1]["id"] == 25_000 and events[-1]["previousEventId"] == 24_999


async def test_history_limit_is_a_setting() -> None:
    async with Engine(clock=VirtualClock(), settings=EngineSettings(history_limit=10)) as engine:
        sm = await engine.create_state_machine("loop", LOOP)
        ex = await engine.start_execution(sm.arn, {"stop": False})
        record = await engine.wait(ex.arn)
        assert len(await engine.history_events(ex.arn)) == 10
        assert record.cause == "The execution reached the maximum number of history events (10)."
    counting = {
        "StartAt": "Add",
        "States": {
            "Add": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 6300,
                                                "Next": "Done"}], "Default": "Add"},
            "Done": {"Type": "Succeed"},
        },
    }
    async with Engine(clock=VirtualClock(), settings=EngineSettings(history_limit=None)) as engine:
        sm = await engine.create_state_machine("big", counting)
        ex = await engine.start_execution(sm.arn, {"n": 0})
        assert (await engine.wait(ex.arn)).status == "SUCCEEDED"
        # ExecutionStarted, 6300 x (Pass, Choice), Succeed, ExecutionSucceeded.
        assert len(await engine.history_events(ex.arn)) == 1 + 6300 * 4 + 2 + 1


# -- Express ----------------------------------------------------------------------------------


async def test_express_executions_are_not_describable(engine: Engine) -> None:
    sm = await engine.create_state_machine("fast", PASS_RESULT, type="EXPRESS")
    ex = await engine.start_execution(sm.arn, name="e1")
    assert re.fullmatch(
        rf"{ARN}:express:fast:e1:[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-"
        r"[0-9a-f]{12}", ex.arn)
    refused = ("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
    for call in (engine.describe_execution, engine.stop_execution, engine.get_execution_history):
        with pytest.raises(ServiceError) as exc:
            await call(ex.arn)
        assert error_of(exc) == refused
    with pytest.raises(ServiceError) as exc:
        await engine.list_executions(sm.arn)
    assert error_of(exc) == ("StateMachineTypeNotSupported",
                             "This operation is not supported by this type of state machine")
    done = await engine.wait(ex.arn)
    assert (done.status, done.output) == ("SUCCEEDED", '{"r":1}')
    assert engine.store.get_execution(ex.arn) is None


async def test_express_same_name_starts_again(engine: Engine) -> None:
    sm = await engine.create_state_machine("fast", PASS, type="EXPRESS")
    first = await engine.start_execution(sm.arn, name="same")
    second = await engine.start_execution(sm.arn, name="same")
    assert first.arn != second.arn


async def test_start_sync_execution_matches_aws() -> None:
    case = find_case("TestSfnApiExpress::test_start_sync_execution")
    async with Engine(clock=VirtualClock(), settings=EngineSettings(account="111111111111")) as engine:
        sm = case["state_machine"]
        created = await engine.create_state_machine(
            sm["name"], sm["definition_raw"], sm["role_arn"], sm["type"])
        result = await engine.start_sync_execution(
            created.arn, case["execution"]["input_raw"], name=case["execution"]["name"])
    diffs = compare().compare_case(case, sync=with_metadata(result.to_aws()),
                                   levels=("status", "output", "error", "cause"))
    assert diffs == []
    shape = compare().normalize(with_metadata(result.to_aws()), case)
    expected = case["expected"]["start_sync_execution"]
    assert set(shape) == set(expected)
    assert shape["billingDetails"] == expected["billingDetails"]


async def test_start_sync_execution_failure_shape() -> None:
    case = find_case("TestExpressSync::test_base[BASE_RAISE_FAILURE]")
    async with Engine(clock=VirtualClock(), settings=EngineSettings(account="111111111111")) as engine:
        sm = case["state_machine"]
        created = await engine.create_state_machine(
            sm["name"], sm["definition_raw"], sm["role_arn"], sm["type"])
        result = await engine.start_sync_execution(created.arn, case["execution"]["input_raw"])
    shape = compare().normalize(with_metadata(result.to_aws()), case)
    expected = case["expected"]["start_sync_execution"]
    assert set(shape) == set(expected)
    assert (shape["status"], shape["error"], shape["cause"]) == (
        expected["status"], expected["error"], expected["cause"])


async def test_start_sync_execution_refuses_standard(engine: Engine) -> None:
    sm = await engine.create_state_machine("slow", PASS)
    with pytest.raises(ServiceError) as exc:
        await engine.start_sync_execution(sm.arn)
    assert error_of(exc) == ("StateMachineTypeNotSupported",
                             "This operation is not supported by this type of state machine")


async def test_express_executions_last_at_most_five_minutes(engine: Engine) -> None:
    sm = await engine.create_state_machine("fast", WAIT, type="EXPRESS")
    result = await engine.start_sync_execution(sm.arn)
    assert result.status == "TIMED_OUT"
    assert result.record.stop_date == result.record.start_date + 300


# -- robustness -------------------------------------------------------------------------------


async def test_leaving_the_engine_cancels_running_executions() -> None:
    async with Engine(clock=VirtualClock(autojump=False)) as engine:
        sm = await engine.create_state_machine("w", WAIT)
        ex = await engine.start_execution(sm.arn)
    assert ex.status == "RUNNING"


async def test_a_crashing_state_fails_its_execution_not_the_engine(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sfnlocal.states import ASYNC_HANDLERS

    async def broken(rt: Any, frame: Any, state: Any) -> Any:
        raise RuntimeError("kaput")

    monkeypatch.setitem(ASYNC_HANDLERS, "Wait", broken)
    sm = await engine.create_state_machine("w", WAIT)
    record = await engine.wait((await engine.start_execution(sm.arn)).arn)
    assert (record.status, record.error) == ("FAILED", "States.Runtime")
    assert record.cause is not None and "kaput" in record.cause
    ok = await engine.create_state_machine("ok", PASS)
    assert (await engine.wait((await engine.start_execution(ok.arn)).arn)).status == "SUCCEEDED"


async def test_engine_must_be_entered(engine: Engine) -> None:
    outside = Engine(clock=VirtualClock())
    sm = await outside.create_state_machine("m", PASS)
    with pytest.raises(RuntimeError):
        await outside.start_execution(sm.arn)


async def test_an_error_inside_the_engine_block_propagates_as_itself() -> None:
    with pytest.raises(ServiceError) as exc:
        async with Engine(clock=VirtualClock(autojump=False)) as engine:
            sm = await engine.create_state_machine("w", WAIT)
            running = await engine.start_execution(sm.arn)
            await engine.describe_execution(f"{ARN}:execution:w:missing")
    assert exc.value.code == "ExecutionDoesNotExist"
    assert running.status == "RUNNING"
