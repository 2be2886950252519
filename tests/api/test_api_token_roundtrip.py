"""A task-token round trip over the wire: boto3 SQS and Step Functions clients against one server.

A state machine's ``sqs:sendMessage.waitForTaskToken`` Task sends ``$$.Task.Token`` to a queue
created through the server's SQS API; a worker thread (plain boto3 clients, as a real worker would
be) long-polls the queue, answers with ``SendTaskSuccess``/``SendTaskFailure`` and deletes the
message. Expected outcomes are AWS's documented callback behaviour: the Task records
``TaskSubmitted`` with the SendMessage response, then ``TaskSucceeded`` with the worker's output
(which becomes the execution's output) or ``TaskFailed`` with its error and cause.

Clock: these servers run on the system clock. The worker's ReceiveMessage long polls wait on the
engine's clock; the tests' default server uses a virtual clock that only moves when a test advances
it, and a test thread blocked on ``worker.join`` cannot advance it while the worker is mid-poll. On
the system clock a long poll returns as soon as the execution's message arrives (sends wake the
poll), so nothing sleeps to wait: the 5-second ``WaitTimeSeconds`` and the bounded number of polls
only bound a failure.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from api_server import ROLE, TIMEOUT, ServerThread, client_of

from sfnlocal.engine.clock import SystemClock

POLLS = 4  # long polls of up to 5 s: a worker gives up after 20 s instead of hanging the test


def _definition(queue_url: str) -> str:
    return json.dumps({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue_url,
                       "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "End": True}}})


@pytest.fixture
def live_server() -> Iterator[ServerThread]:
    running = ServerThread(clock=SystemClock()).start()
    try:
        yield running
    finally:
        running.close()


class Worker(threading.Thread):
    """Receives one task token from the queue and answers it with ``answer(sfn, token, body)``."""

    def __init__(self, url: str, queue_url: str, answer: Any) -> None:
        super().__init__(name="sqs-worker")
        self.sqs, self.sfn = client_of("sqs", url), client_of("stepfunctions", url)
        self.queue_url, self.answer = queue_url, answer
        self.body: dict[str, Any] | None = None
        self.left: dict[str, Any] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for _ in range(POLLS):
                got = self.sqs.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=5,
                                               MaxNumberOfMessages=1)
                for message in got.get("Messages", []):
                    self.body = json.loads(message["Body"])
                    self.answer(self.sfn, self.body["token"], self.body)
                    self.sqs.delete_message(QueueUrl=self.queue_url,
                                            ReceiptHandle=message["ReceiptHandle"])
                    self.left = self.sqs.get_queue_attributes(
                        QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages",
                                                                 "ApproximateNumberOfMessagesNotVisible"])
                    return
        except BaseException as exc:  # reported to the test thread
            self.error = exc


def _run(server: ServerThread, name: str, answer: Any) -> tuple[dict[str, Any], list[Any], Worker]:
    sqs, sfn = client_of("sqs", server.url), client_of("stepfunctions", server.url)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    machine = sfn.create_state_machine(name=name, definition=_definition(queue_url),
                                       roleArn=ROLE)["stateMachineArn"]
    worker = Worker(server.url, queue_url, answer)
    worker.start()
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]
    worker.join(POLLS * 5 + TIMEOUT)
    assert not worker.is_alive(), "the worker did not finish"
    assert worker.error is None, worker.error
    server.wait_done(arn)
    events = sfn.get_execution_history(executionArn=arn)["events"]
    return sfn.describe_execution(executionArn=arn), events, worker


def test_send_task_success_from_a_worker_completes_the_execution(live_server: ServerThread) -> None:
    def succeed(sfn: Any, token: str, body: dict[str, Any]) -> None:
        sfn.send_task_success(taskToken=token, output=json.dumps({"shipped": body["order"]}))

    described, events, worker = _run(live_server, "orders", succeed)
    assert worker.body is not None and worker.body["order"] == 7
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"shipped": 7}
    types = [e["type"] for e in events]
    assert types.index("TaskScheduled") < types.index("TaskSubmitted") < types.index("TaskSucceeded")
    submitted = next(e for e in events if e["type"] == "TaskSubmitted")["taskSubmittedEventDetails"]
    assert (submitted["resourceType"], submitted["resource"]) == ("sqs", "sendMessage.waitForTaskToken")
    assert "MessageId" in json.loads(submitted["output"])
    succeeded = next(e for e in events if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]
    assert json.loads(succeeded["output"]) == {"shipped": 7}
    # The worker deleted the message: nothing is left in the queue, visible or in flight.
    assert worker.left["Attributes"] == {"ApproximateNumberOfMessages": "0",
                                         "ApproximateNumberOfMessagesNotVisible": "0"}


def test_send_task_failure_from_a_worker_fails_the_execution(live_server: ServerThread) -> None:
    def fail(sfn: Any, token: str, body: dict[str, Any]) -> None:
        sfn.send_task_failure(taskToken=token, error="OutOfStock", cause=f"order {body['order']}")

    described, events, _ = _run(live_server, "refusals", fail)
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("OutOfStock", "order 7")
    types = [e["type"] for e in events]
    assert types.index("TaskSubmitted") < types.index("TaskFailed")
    failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert (failed["error"], failed["cause"]) == ("OutOfStock", "order 7")
    assert types[-1] == "ExecutionFailed"
