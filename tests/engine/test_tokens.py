"""The task-token table: AWS's errors for SendTask* and answers resolved exactly once (§10.7)."""

from __future__ import annotations

import asyncio
import json

import pytest

from sfnlocal.engine.tokens import (
    CLOSED_MESSAGE,
    INVALID_TOKEN_MESSAGE,
    MAX_OUTPUT_BYTES,
    TokenTable,
)
from sfnlocal.errors import ServiceError, StatesError

ARN = "arn:aws:states:us-east-1:111111111111:execution:sm:ex"


def code_of(call, *args) -> tuple[str, str]:
    with pytest.raises(ServiceError) as exc:
        call(*args)
    return exc.value.code, exc.value.message


@pytest.mark.parametrize("token", ["never-issued", "", "x" * 2049, None, 42])
async def test_unknown_or_malformed_tokens_are_invalid(token):
    table = TokenTable()
    for call, args in ((table.succeed, (token, "{}")), (table.fail, (token, "E", "C")),
                       (table.heartbeat, (token,))):
        assert code_of(call, *args) == ("InvalidToken", INVALID_TOKEN_MESSAGE)


async def test_success_resolves_the_waiter_with_the_parsed_output():
    table = TokenTable()
    waiter = table.open("t1", ARN)
    table.succeed("t1", '{"a": [1, 2]}')
    assert await waiter.wait() == {"a": [1, 2]}


async def test_failure_raises_the_workers_error_and_cause_even_when_absent():
    table = TokenTable()
    waiter = table.open("t1", ARN)
    table.fail("t1")
    with pytest.raises(StatesError) as exc:
        await waiter.wait()
    assert (exc.value.error, exc.value.cause) == (None, None)
    assert exc.value.to_error_output() == {"Error": None, "Cause": None}


async def test_a_token_answered_twice_is_timed_out_the_second_time():
    table = TokenTable()
    waiter = table.open("t1", ARN)
    table.succeed("t1", '"first"')
    assert code_of(table.succeed, "t1", '"second"') == ("TaskTimedOut", CLOSED_MESSAGE)
    assert code_of(table.fail, "t1", "E", None) == ("TaskTimedOut", CLOSED_MESSAGE)
    assert await waiter.wait() == "first"


async def test_closed_tokens_answer_task_timed_out():
    table = TokenTable()
    table.open("t1", ARN)
    table.close("t1")
    table.close("t1")  # idempotent
    assert "t1" not in table and len(table) == 0
    for call, args in ((table.succeed, ("t1", "{}")), (table.fail, ("t1",)),
                       (table.heartbeat, ("t1",))):
        assert code_of(call, *args) == ("TaskTimedOut", CLOSED_MESSAGE)


async def test_tokens_of_a_forgotten_execution_do_not_exist():
    table = TokenTable()
    table.open("t1", ARN)
    table.close("t1")
    table.forget_execution(ARN)
    assert code_of(table.succeed, "t1", "{}")[0] == "TaskDoesNotExist"


@pytest.mark.parametrize("output", ["{not json", "", "[1,", "{'a': 1}"])
async def test_output_must_be_json(output):
    table = TokenTable()
    table.open("t1", ARN)
    code, message = code_of(table.succeed, "t1", output)
    assert code == "InvalidOutput" and message.startswith("Invalid Output: '")
    assert "t1" in table  # the task still waits


async def test_output_size_limit_is_262144_bytes():
    table = TokenTable()
    waiter = table.open("t1", ARN)
    too_big = json.dumps("é" * (MAX_OUTPUT_BYTES // 2))  # 2 bytes per character in UTF-8
    assert code_of(table.succeed, "t1", too_big)[0] == "InvalidOutput"
    just_fits = json.dumps("a" * (MAX_OUTPUT_BYTES - 2))
    table.succeed("t1", just_fits)
    assert len(await waiter.wait()) == MAX_OUTPUT_BYTES - 2


async def test_error_and_cause_lengths_are_validated():
    table = TokenTable()
    table.open("t1", ARN)
    assert code_of(table.fail, "t1", "E" * 257, None)[0] == "ValidationException"
    assert code_of(table.fail, "t1", None, "C" * 32_769)[0] == "ValidationException"
    table.fail("t1", "E" * 256, "C" * 32_768)


async def test_heartbeat_calls_back_without_resolving():
    beats: list[int] = []
    table = TokenTable()
    waiter = table.open("t1", ARN, lambda: beats.append(1))
    table.heartbeat("t1")
    table.heartbeat("t1")
    assert beats == [1, 1] and not waiter.future.done()


async def test_an_answer_after_the_waiting_task_was_cancelled_loses():
    """A timeout timer that fired first (cancelling the task) wins over a success in the same tick."""
    table = TokenTable()
    opened = asyncio.Event()
    outcome: list[str] = []

    async def attempt() -> None:
        waiter = table.open("t1", ARN)
        opened.set()
        try:
            await waiter.wait()
            outcome.append("succeeded")
        except asyncio.CancelledError:
            outcome.append("timed out")
            raise
        finally:
            table.close("t1")

    task = asyncio.create_task(attempt())
    await opened.wait()
    task.cancel()  # what the deadline timer does
    assert code_of(table.succeed, "t1", "{}") == ("TaskTimedOut", CLOSED_MESSAGE)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == ["timed out"]
    assert code_of(table.succeed, "t1", "{}") == ("TaskTimedOut", CLOSED_MESSAGE)


async def test_closed_memory_is_bounded():
    table = TokenTable(closed_memory=2)
    for token in ("a", "b", "c"):
        table.open(token, ARN)
        table.close(token)
    assert code_of(table.succeed, "a", "{}")[0] == "InvalidToken"
    assert code_of(table.succeed, "c", "{}")[0] == "TaskTimedOut"


async def test_the_token_is_checked_before_the_output():
    table = TokenTable()
    assert code_of(table.succeed, "unknown", "not json")[0] == "InvalidToken"
