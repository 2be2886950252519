"""The moto side of one workload measurement, run inside a fresh child process.

moto runs executions for real only when asked: ``mock_aws(config={"stepfunctions":
{"execute_state_machine": True}})``; each execution then runs in a thread of its own. The client is
boto3's ``stepfunctions`` client over moto's in-process mock (no network).

Timed region: from the first ``start_execution`` call to the ``describe_execution`` call that sees
the last execution closed (and, when SUCCEEDED, with its output: moto's execution thread sets the
status a moment before the output). Polling backs off from 1 ms to 20 ms between calls, so a figure may
overstate the finish by up to 20 ms (< 2 % of any moto figure). Imports, ``mock_aws`` start, client
creation, ``create_state_machine`` and the JSON encoding of the input happen before the timed region
(W0 covers them).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import nullcontext
from typing import Any

for _key, _value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_DEFAULT_REGION", "us-east-1")):
    os.environ.setdefault(_key, _value)

import boto3  # noqa: E402  (boto3 reads the credentials above when the client is made)
from moto import mock_aws  # noqa: E402
from timed_region import Around, timed  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
POLL_FIRST, POLL_MAX = 0.001, 0.02


def measure(workload: dict[str, Any], count: int, around: Around | None = None) -> dict[str, Any]:
    """Run ``count`` executions of the workload; return timings, outputs and history counts."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name="bench", definition=json.dumps(workload["definition"]), roleArn=ROLE_ARN,
        )["stateMachineArn"]
        text = json.dumps(workload["input"])
        with timed(around or nullcontext) as figures:
            records = _run_all(client, arn, text, count)
        return {**_result(client, records), **figures}


def _run_all(client: Any, arn: str, text: str, count: int) -> list[dict[str, Any]]:
    started = [client.start_execution(stateMachineArn=arn, input=text, name=f"e{index}")
               for index in range(count)]
    return [_wait(client, response["executionArn"]) for response in started]


def _wait(client: Any, arn: str) -> dict[str, Any]:
    pause = POLL_FIRST
    while True:
        record: dict[str, Any] = client.describe_execution(executionArn=arn)
        if _closed(record):
            return record
        time.sleep(pause)
        pause = min(pause * 2, POLL_MAX)


def _closed(record: dict[str, Any]) -> bool:
    """Closed, and with its output when SUCCEEDED: moto's thread sets the status first."""
    return record["status"] != "RUNNING" and (record["status"] != "SUCCEEDED" or "output" in record)


def _result(client: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    events = entered = 0
    outputs = []
    for record in records:
        history = _history(client, record["executionArn"])
        events += len(history)
        entered += sum(1 for event in history if event["type"].endswith("StateEntered"))
        outputs.append(json.loads(record["output"]) if "output" in record else None)
    return {
        "statuses": sorted({record["status"] for record in records}),
        "failure": _first_failure(records),
        "outputs": outputs,
        "events": events,
        "entered": entered,
    }


def _history(client: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = client.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _first_failure(records: list[dict[str, Any]]) -> str | None:
    for record in records:
        if record["status"] != "SUCCEEDED":
            return f"{record['status']}: {record.get('error')}: {record.get('cause')}"
    return None
