"""The AWS CLI, unchanged, against `sfnlocal serve` (a real server process on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
AWS = shutil.which("aws", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    sfnlocal = str(BIN / "sfnlocal")
    proc = subprocess.Popen([sfnlocal, "serve", "--port", "0", "--clock", "virtual"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    url = None
    for line in proc.stdout:  # the server announces its address before serving
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if found:
            url = found.group(1)
            break
    assert url is not None, "the server did not start"
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def aws(endpoint: str, *args: str, service: str = "stepfunctions") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
    assert AWS is not None
    return subprocess.run([AWS, "--endpoint-url", endpoint, "--output", "json", service, *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_the_cli_runs_the_bundled_example(endpoint: str):
    listed = aws(endpoint, "list-state-machines")
    assert listed.returncode == 0, listed.stderr
    names = [m["name"] for m in json.loads(listed.stdout)["stateMachines"]]
    assert "hello" in names
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:hello"
    started = aws(endpoint, "start-execution", "--state-machine-arn", arn, "--name", "cli",
                  "--input", '{"name": "Ada"}')
    assert started.returncode == 0, started.stderr
    execution = json.loads(started.stdout)["executionArn"]
    assert execution == "arn:aws:states:us-east-1:123456789012:execution:hello:cli"
    history = aws(endpoint, "get-execution-history", "--execution-arn", execution)
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["events"][0]["type"] == "ExecutionStarted"


def test_the_cli_shows_aws_errors(endpoint: str):
    result = aws(endpoint, "describe-execution", "--execution-arn",
                 "arn:aws:states:us-east-1:123456789012:execution:hello:nope")
    assert result.returncode != 0
    assert "ExecutionDoesNotExist" in result.stderr
    assert "Execution Does Not Exist: 'arn:aws:states:us-east-1:123456789012:execution:hello:nope'" \
        in result.stderr


def test_the_cli_drives_sqs_on_the_same_endpoint(endpoint: str):
    url = ok(aws(endpoint, "create-queue", "--queue-name", "cli-jobs", service="sqs"))["QueueUrl"]
    assert url == f"{endpoint}/123456789012/cli-jobs"
    sent = ok(aws(endpoint, "send-message", "--queue-url", url, "--message-body", "hi", service="sqs"))
    assert sent["MD5OfMessageBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"  # md5("hi")
    received = ok(aws(endpoint, "receive-message", "--queue-url", url, service="sqs"))
    assert [m["Body"] for m in received["Messages"]] == ["hi"]
    missing = aws(endpoint, "get-queue-url", "--queue-name", "nope", service="sqs")
    assert missing.returncode != 0 and "NonExistentQueue" in missing.stderr


def test_the_cli_drives_lambda_on_the_same_endpoint(endpoint: str, tmp_path: Path):
    archive = tmp_path / "f.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(event, context):\n    return {'got': event}\n")
    created = ok(aws(endpoint, "create-function", "--function-name", "cli-f", "--runtime",
                     "python3.12", "--handler", "app.handler", "--role",
                     "arn:aws:iam::123456789012:role/x", "--zip-file", f"fileb://{archive}",
                     service="lambda"))
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:cli-f"
    out = tmp_path / "out.json"
    invoked = ok(aws(endpoint, "invoke", "--function-name", "cli-f", "--payload", '{"a": 1}',
                     str(out), service="lambda"))
    assert (invoked["StatusCode"], invoked["ExecutedVersion"]) == (200, "$LATEST")
    assert json.loads(out.read_text()) == {"got": {"a": 1}}
