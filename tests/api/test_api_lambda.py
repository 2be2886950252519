"""The Lambda API through boto3 (REST-JSON on the server's endpoint).

Expected values come from the Lambda API reference and the service model: status codes (201 for
CreateFunction, 202 for Event, 204 for DryRun and DeleteFunction), the error codes and messages
Lambda sends (``Function not found: <arn>``, ``Function already exist: <name>``), the Python
runtime's error payload and the ``Task timed out after N.00 seconds`` message.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import textwrap
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_server import ROLE, ServerThread, client_of, error_of

from sfnlocal.api.lambda_api import drain_events

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

CODE_V1 = '''
import os, time
from pathlib import Path

def handler(event, context):
    return {"version": 1, "event": event, "name": context.function_name,
            "arn": context.invoked_function_arn}

def fail(event, context):
    raise ValueError("bad input: " + str(event.get("n")))

def chatty(event, context):
    print("hello from the handler")
    print("x" * 5000)
    print("last words")
    return "ok"

def slow(event, context):
    time.sleep(event.get("seconds", 5))
    return "finished"

def env(event, context):
    return {"greeting": os.environ.get("GREETING")}

def gated(event, context):
    go = Path(event["go"])
    deadline = time.monotonic() + 20
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    Path(event["out"]).write_text("written by version 1")
    return "written"
'''

CODE_V2 = '''
def handler(event, context):
    return {"version": 2}
'''


def make_zip(source: str, name: str = "app.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


def create(client: Any, name: str, handler: str = "app.handler", code: bytes | None = None,
           **options: Any) -> dict[str, Any]:
    return client.create_function(  # type: ignore[no-any-return]
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler=handler,
        Code={"ZipFile": code if code is not None else make_zip(CODE_V1)}, **options)


def invoke(client: Any, name: str, event: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}), **options)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def raw(url: str, method: str = "GET", body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# -- CreateFunction / GetFunction -----------------------------------------------------------------


def test_create_function_returns_201_and_the_configuration(lambda_client: Any) -> None:
    code = make_zip(CODE_V1)
    created = create(lambda_client, "greet", code=code, Description="says hello", Timeout=7,
                     MemorySize=256, Environment={"Variables": {"GREETING": "hi"}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionName"] == "greet"
    assert created["FunctionArn"] == ARN + "greet"
    assert (created["Runtime"], created["Handler"], created["Role"]) == (
        "python3.12", "app.handler", ROLE)
    assert (created["Timeout"], created["MemorySize"], created["Description"]) == (
        7, 256, "says hello")
    assert created["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert created["CodeSize"] == len(code)
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert (created["Version"], created["State"], created["PackageType"]) == (
        "$LATEST", "Active", "Zip")


def test_get_function_gives_the_configuration_and_a_code_location(lambda_client: Any) -> None:
    code = make_zip(CODE_V1)
    create(lambda_client, "greet", code=code)
    got = lambda_client.get_function(FunctionName="greet")
    assert got["Configuration"]["FunctionArn"] == ARN + "greet"
    assert got["Code"]["RepositoryType"] == "S3"
    status, headers, body = raw(got["Code"]["Location"])
    assert headers["Content-Type"] == "application/zip"
    assert (status, body) == (200, code)
    assert lambda_client.get_function_configuration(FunctionName="greet")["Handler"] == "app.handler"


def test_a_name_a_full_arn_and_a_partial_arn_name_the_same_function(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    for name in ("greet", ARN + "greet", "123456789012:function:greet", ARN + "greet:$LATEST"):
        assert lambda_client.get_function_configuration(FunctionName=name)["FunctionName"] == \
            "greet"
        _, payload = invoke(lambda_client, name, {"n": 1})
        assert payload["version"] == 1


def test_creating_an_existing_function_is_a_conflict(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    with pytest.raises(lambda_client.exceptions.ResourceConflictException) as exc:
        create(lambda_client, "greet")
    assert error_of(exc) == ("ResourceConflictException", "Function already exist: greet")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_an_unknown_function_is_not_found_with_its_arn(lambda_client: Any) -> None:
    for call in (lambda: lambda_client.get_function(FunctionName="nope"),
                 lambda: lambda_client.invoke(FunctionName="nope"),
                 lambda: lambda_client.delete_function(FunctionName="nope")):
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFoundException", f"Function not found: {ARN}nope")
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize("runtime", ["nodejs20.x", "java21", "python2.7"])
def test_runtimes_the_local_interpreter_cannot_run_are_refused(lambda_client: Any,
                                                               runtime: str) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        lambda_client.create_function(FunctionName="f", Runtime=runtime, Role=ROLE,
                                      Handler="app.handler", Code={"ZipFile": make_zip(CODE_V1)})
    assert runtime in error_of(exc)[1]
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="f")


def test_a_non_python_runtime_error_names_the_local_interpreter(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        lambda_client.create_function(FunctionName="f", Runtime="nodejs20.x", Role=ROLE,
                                      Handler="index.handler", Code={"ZipFile": b"x"})
    assert "Python functions only" in error_of(exc)[1]


def test_a_file_that_is_not_a_zip_is_refused(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        create(lambda_client, "f", code=b"not a zip archive")
    assert error_of(exc)[1] == ("Could not unzip uploaded file. Please check your file, then "
                                "try to upload again.")


def test_s3_code_is_refused_with_a_clear_message(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        lambda_client.create_function(FunctionName="f", Runtime="python3.12", Role=ROLE,
                                      Handler="app.handler", Code={"S3Bucket": "bucket", "S3Key": "key.zip"})
    assert "ZipFile" in error_of(exc)[1]


def test_out_of_range_and_reserved_settings_are_refused(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ClientError) as exc:
        create(lambda_client, "f", Timeout=901)
    assert error_of(exc) == ("ValidationException", "1 validation error detected: Value '901' at "
                             "'timeout' failed to satisfy constraint: Member must have value less "
                             "than or equal to 900")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        create(lambda_client, "f", Environment={"Variables": {"AWS_REGION": "eu-west-1"}})
    assert error_of(exc)[1].endswith("Reserved keys used in this request: AWS_REGION")
    with pytest.raises(lambda_client.exceptions.ClientError) as exc:
        lambda_client.create_function(FunctionName="f", Runtime="python3.12", Role="not-a-role",
                                      Handler="app.handler", Code={"ZipFile": make_zip(CODE_V1)})
    assert error_of(exc)[0] == "ValidationException"


# -- Invoke -----------------------------------------------------------------------------------------


def test_invoke_returns_the_result_and_the_executed_version(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    response, payload = invoke(lambda_client, "greet", {"who": "ann"})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert payload == {"version": 1, "event": {"who": "ann"}, "name": "greet",
                       "arn": ARN + "greet"}


def test_an_empty_payload_is_an_empty_object(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    response = lambda_client.invoke(FunctionName="greet")
    assert json.loads(response["Payload"].read())["event"] == {}


def test_a_raising_handler_is_an_unhandled_function_error(lambda_client: Any) -> None:
    create(lambda_client, "broken", handler="app.fail")
    response, payload = invoke(lambda_client, "broken", {"n": 3})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input: 3"
    assert isinstance(payload["stackTrace"], list)
    assert any("app.py" in line and "fail" in line for line in payload["stackTrace"])


def test_log_type_tail_returns_the_last_4_kb_of_the_log(lambda_client: Any) -> None:
    create(lambda_client, "chatty", handler="app.chatty")
    response, payload = invoke(lambda_client, "chatty", LogType="Tail")
    assert payload == "ok"
    log = base64.b64decode(response["LogResult"])
    assert len(log) <= 4096
    text = log.decode()
    assert "last words\n" in text
    assert "END RequestId: " in text
    assert text.splitlines()[-1].startswith("REPORT RequestId: ")
    assert "hello from the handler" not in text  # more than 4 KB was written after it
    plain, _ = invoke(lambda_client, "chatty")
    assert "LogResult" not in plain


def test_dry_run_answers_204_without_running_the_function(lambda_client: Any,
                                                          tmp_path: Path) -> None:
    create(lambda_client, "gated", handler="app.gated")
    out = tmp_path / "out.txt"
    (tmp_path / "go").touch()
    response = lambda_client.invoke(FunctionName="gated", InvocationType="DryRun",
                                     Payload=json.dumps({"go": str(tmp_path / "go"),
                                                         "out": str(out)}))
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""
    assert not out.exists()
    _, payload = invoke(lambda_client, "gated", {"go": str(tmp_path / "go"), "out": str(out)})
    assert payload == "written" and out.exists()  # the same request without DryRun runs


def test_event_returns_202_at_once_and_the_function_runs_later(
        server: ServerThread, lambda_client: Any, tmp_path: Path) -> None:
    create(lambda_client, "gated", handler="app.gated", Timeout=30)
    go, out = tmp_path / "go", tmp_path / "out.txt"
    response = lambda_client.invoke(FunctionName="gated", InvocationType="Event",
                                    Payload=json.dumps({"go": str(go), "out": str(out)}))
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert not out.exists()  # the function waits for "go": the 202 came before it finished
    go.touch()
    engine = server.engine
    assert engine is not None
    server.call(lambda: drain_events(engine))  # the function's completion, bounded by the call
    assert out.read_text() == "written by version 1"


def test_an_event_in_flight_finishes_on_the_code_it_started_with(
        server: ServerThread, lambda_client: Any, tmp_path: Path) -> None:
    create(lambda_client, "gated", handler="app.gated", Timeout=30)
    go, out = tmp_path / "go", tmp_path / "out.txt"
    lambda_client.invoke(FunctionName="gated", InvocationType="Event",
                         Payload=json.dumps({"go": str(go), "out": str(out)}))
    lambda_client.update_function_code(FunctionName="gated", ZipFile=make_zip(
        "def gated(event, context):\n    return 'version 2'\n"))
    _, payload = invoke(lambda_client, "gated", {})
    assert payload == "version 2"
    go.touch()
    engine = server.engine
    assert engine is not None
    server.call(lambda: drain_events(engine))
    assert out.read_text() == "written by version 1"


def test_a_payload_over_6_mb_is_too_large(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    with pytest.raises(lambda_client.exceptions.RequestTooLargeException) as exc:
        lambda_client.invoke(FunctionName="greet", Payload=json.dumps("x" * 6_291_457))
    assert error_of(exc)[1] == ("Request must be smaller than 6291456 bytes for the "
                                "InvokeFunction operation")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_payload_that_is_not_json_is_refused(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException) as exc:
        lambda_client.invoke(FunctionName="greet", Payload=b"{not json")
    assert error_of(exc)[1].startswith("Could not parse request body into json")


# -- updates ----------------------------------------------------------------------------------------


def test_updated_code_is_what_the_next_invocation_runs(lambda_client: Any) -> None:
    created = create(lambda_client, "greet")
    assert invoke(lambda_client, "greet")[1]["version"] == 1  # a warm worker of version 1
    code = make_zip(CODE_V2)
    updated = lambda_client.update_function_code(FunctionName="greet", ZipFile=code)
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert updated["RevisionId"] != created["RevisionId"]
    assert invoke(lambda_client, "greet")[1] == {"version": 2}


def test_a_shorter_timeout_makes_a_slow_function_time_out(lambda_client: Any) -> None:
    create(lambda_client, "slow", handler="app.slow", Timeout=30)
    updated = lambda_client.update_function_configuration(FunctionName="slow", Timeout=1)
    assert updated["Timeout"] == 1
    response, payload = invoke(lambda_client, "slow", {"seconds": 10})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_configuration_updates_apply_to_the_next_invocation(lambda_client: Any) -> None:
    create(lambda_client, "greet", handler="app.env",
           Environment={"Variables": {"GREETING": "hello"}})
    assert invoke(lambda_client, "greet")[1] == {"greeting": "hello"}
    updated = lambda_client.update_function_configuration(
        FunctionName="greet", Environment={"Variables": {"GREETING": "bonjour"}},
        Description="french", MemorySize=512)
    assert (updated["Description"], updated["MemorySize"]) == ("french", 512)
    assert invoke(lambda_client, "greet")[1] == {"greeting": "bonjour"}
    lambda_client.update_function_configuration(FunctionName="greet", Handler="app.handler")
    assert invoke(lambda_client, "greet")[1]["version"] == 1


def test_a_stale_revision_id_is_refused(lambda_client: Any) -> None:
    created = create(lambda_client, "greet")
    lambda_client.update_function_configuration(FunctionName="greet", Description="new")
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.update_function_configuration(FunctionName="greet", Timeout=9,
                                                    RevisionId=created["RevisionId"])


def test_updating_an_unknown_function_is_not_found(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.update_function_code(FunctionName="nope", ZipFile=make_zip(CODE_V2))
    assert error_of(exc)[1] == f"Function not found: {ARN}nope"
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.update_function_configuration(FunctionName="nope", Timeout=5)


# -- ListFunctions / DeleteFunction -----------------------------------------------------------------


def echo(event: Any, context: Any) -> Any:
    return {"echo": event}


def test_list_functions_pages_and_shows_functions_registered_in_code(
        server: ServerThread, lambda_client: Any) -> None:
    engine = server.engine
    assert engine is not None
    engine.integrations.register_lambda("in-code", echo)
    for name in ("c", "a", "b"):
        create(lambda_client, name)
    first = lambda_client.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a", "b"]
    second = lambda_client.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in second["Functions"]] == ["c", "in-code"]
    assert "NextMarker" not in second
    paginated = lambda_client.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 1})
    assert [f["FunctionName"] for page in paginated for f in page["Functions"]] == [
        "a", "b", "c", "in-code"]
    in_code = lambda_client.get_function(FunctionName="in-code")["Configuration"]
    assert in_code["FunctionArn"] == ARN + "in-code"
    assert invoke(lambda_client, "in-code", {"x": 1})[1] == {"echo": {"x": 1}}


def test_delete_function_answers_204_and_the_function_is_gone(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    deleted = lambda_client.delete_function(FunctionName="greet")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="greet")
    assert lambda_client.list_functions()["Functions"] == []
    create(lambda_client, "greet")  # the name is free again


def test_functions_belong_to_the_region_the_client_signs_for(server: ServerThread,
                                                              lambda_client: Any) -> None:
    europe = client_of("lambda", server.url, "eu-west-1")
    created = create(europe, "greet")
    assert created["FunctionArn"] == "arn:aws:lambda:eu-west-1:123456789012:function:greet"
    assert invoke(europe, "greet")[1]["arn"] == created["FunctionArn"]
    assert lambda_client.list_functions()["Functions"] == []


# -- the functions Task states invoke ---------------------------------------------------------------


def run_machine(server: ServerThread, sfn: Any, name: str, definition: dict[str, Any],
                execution_input: Any) -> dict[str, Any]:
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine,
                              input=json.dumps(execution_input))["executionArn"]
    server.wait_done(arn)
    return sfn.describe_execution(executionArn=arn)  # type: ignore[no-any-return]


def test_a_task_state_invokes_a_function_created_through_the_api(
        server: ServerThread, sfn: Any, lambda_client: Any) -> None:
    create(lambda_client, "greet")
    direct = run_machine(server, sfn, "direct", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": ARN + "greet", "End": True}}}, {"who": "bob"})
    assert direct["status"] == "SUCCEEDED"
    assert json.loads(direct["output"])["event"] == {"who": "bob"}
    lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2))
    invoked = run_machine(server, sfn, "invoke", {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "greet", "Payload.$": "$"},
        "OutputPath": "$.Payload"}}}, {})
    assert json.loads(invoked["output"]) == {"version": 2}


def test_a_task_fails_once_the_function_is_deleted(
        server: ServerThread, sfn: Any, lambda_client: Any) -> None:
    create(lambda_client, "greet")
    lambda_client.delete_function(FunctionName="greet")
    failed = run_machine(server, sfn, "gone", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": ARN + "greet", "End": True}}}, {})
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Lambda.ResourceNotFoundException"


# -- the wire ---------------------------------------------------------------------------------------


def test_malformed_json_is_a_400_with_an_aws_shaped_error(server: ServerThread) -> None:
    status, headers, body = raw(server.url + "/2015-03-31/functions", "POST", b"{nope",
                                {"Content-Type": "application/json"})
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    document = json.loads(body)
    assert document["Type"] == "User"
    assert document["message"].startswith("Could not parse request body into json")


def test_unknown_lambda_paths_are_404_with_an_aws_shaped_error(server: ServerThread) -> None:
    for method, path in (("GET", "/2015-03-31/nothing"), ("PATCH", "/2015-03-31/functions"),
                         ("GET", "/2017-03-31/layers"), ("GET", "/2015-03-31/functions/f/x")):
        status, headers, body = raw(server.url + path, method)
        assert status == 404, path
        assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert "message" in json.loads(body)


def test_the_not_found_body_has_type_and_message(server: ServerThread) -> None:
    status, headers, body = raw(server.url + "/2015-03-31/functions/nope/configuration")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert json.loads(body) == {"Type": "User", "Message": f"Function not found: {ARN}nope"}


def test_an_invalid_function_name_is_a_validation_error(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ClientError) as exc:
        lambda_client.get_function(FunctionName="bad name!")
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'bad name!' at 'functionName'")


# -- versions and aliases ---------------------------------------------------------------------------


def test_a_published_version_keeps_its_code_while_latest_moves_on(lambda_client: Any) -> None:
    create(lambda_client, "greet", Description="first")
    published = lambda_client.publish_version(FunctionName="greet", Description="v1")
    assert published["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (published["Version"], published["FunctionArn"]) == ("1", ARN + "greet:1")
    assert published["Description"] == "v1"
    lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2))
    response, result = invoke(lambda_client, "greet:1")
    assert result["version"] == 1
    assert response["ExecutedVersion"] == "1"
    response, result = invoke(lambda_client, "greet", Qualifier="$LATEST")
    assert (result, response["ExecutedVersion"]) == ({"version": 2}, "$LATEST")
    versions = lambda_client.list_versions_by_function(FunctionName="greet")["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in versions] == [
        ("$LATEST", ARN + "greet"), ("1", ARN + "greet:1")]
    one = lambda_client.get_function(FunctionName="greet", Qualifier="1")["Configuration"]
    assert one["CodeSha256"] == published["CodeSha256"] != versions[0]["CodeSha256"]


def test_publishing_without_changes_returns_the_last_version(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    first = lambda_client.publish_version(FunctionName="greet")
    assert lambda_client.publish_version(FunctionName="greet")["Version"] == first["Version"] == "1"
    lambda_client.update_function_configuration(FunctionName="greet", Timeout=9)
    assert lambda_client.publish_version(FunctionName="greet")["Version"] == "2"


def test_publish_checks_the_code_sha256_and_the_revision_id(lambda_client: Any) -> None:
    created = create(lambda_client, "greet")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        lambda_client.publish_version(FunctionName="greet", CodeSha256="bm9wZQ==")
    assert error_of(exc)[1].startswith(
        f"CodeSHA256 (bm9wZQ==) is different from current CodeSHA256 in $LATEST "
        f"({created['CodeSha256']})")
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.publish_version(FunctionName="greet", RevisionId="stale")
    published = lambda_client.publish_version(FunctionName="greet",
                                              CodeSha256=created["CodeSha256"],
                                              RevisionId=created["RevisionId"])
    assert published["Version"] == "1"


def test_publish_true_on_create_and_on_update_code(lambda_client: Any) -> None:
    created = create(lambda_client, "greet", Publish=True)
    assert (created["Version"], created["FunctionArn"]) == ("1", ARN + "greet:1")
    updated = lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2),
                                                 Publish=True)
    assert updated["Version"] == "2"
    assert invoke(lambda_client, "greet:1")[1]["version"] == 1
    assert invoke(lambda_client, "greet:2")[1] == {"version": 2}


def test_a_qualifier_naming_nothing_is_not_found(lambda_client: Any) -> None:
    create(lambda_client, "greet")
    for qualifier in ("7", "nope"):
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
            invoke(lambda_client, "greet", Qualifier=qualifier)
        assert error_of(exc)[1] == f"Function not found: {ARN}greet:{qualifier}"
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.get_function(FunctionName=f"greet:{qualifier}")


def test_aliases_route_invocations_to_their_version(lambda_client: Any) -> None:
    create(lambda_client, "greet", Publish=True)
    lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2),
                                       Publish=True)
    alias = lambda_client.create_alias(FunctionName="greet", Name="live", FunctionVersion="1",
                                       Description="production")
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (alias["AliasArn"], alias["FunctionVersion"]) == (ARN + "greet:live", "1")
    response, result = invoke(lambda_client, "greet:live")
    assert (result["version"], response["ExecutedVersion"]) == (1, "1")
    assert result["arn"] == ARN + "greet:live"  # the ARN the caller invoked
    configuration = lambda_client.get_function_configuration(FunctionName="greet",
                                                             Qualifier="live")
    assert (configuration["Version"], configuration["FunctionArn"]) == ("1", ARN + "greet:live")
    updated = lambda_client.update_alias(FunctionName="greet", Name="live", FunctionVersion="2",
                                         RevisionId=alias["RevisionId"])
    assert updated["RevisionId"] != alias["RevisionId"]
    assert invoke(lambda_client, "greet", Qualifier="live")[1] == {"version": 2}
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.update_alias(FunctionName="greet", Name="live", RevisionId="stale")
    assert lambda_client.get_alias(FunctionName="greet", Name="live")["FunctionVersion"] == "2"
    lambda_client.create_alias(FunctionName="greet", Name="beta", FunctionVersion="$LATEST")
    listed = lambda_client.list_aliases(FunctionName="greet")["Aliases"]
    assert [(a["Name"], a["FunctionVersion"]) for a in listed] == [("beta", "$LATEST"),
                                                                  ("live", "2")]
    assert [a["Name"] for a in lambda_client.list_aliases(
        FunctionName="greet", FunctionVersion="2")["Aliases"]] == ["live"]
    deleted = lambda_client.delete_alias(FunctionName="greet", Name="beta")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.get_alias(FunctionName="greet", Name="beta")
    assert error_of(exc)[1] == f"Cannot find alias arn: {ARN}greet:beta"


def test_a_routing_weight_sends_a_share_of_invocations_to_another_version(
        lambda_client: Any) -> None:
    create(lambda_client, "greet", Publish=True)
    lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2),
                                       Publish=True)
    alias = lambda_client.create_alias(
        FunctionName="greet", Name="canary", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    executed = {invoke(lambda_client, "greet:canary")[0]["ExecutedVersion"] for _ in range(40)}
    assert executed == {"1", "2"}
    lambda_client.update_alias(FunctionName="greet", Name="canary",
                               RoutingConfig={"AdditionalVersionWeights": {}})
    executed = {invoke(lambda_client, "greet:canary")[0]["ExecutedVersion"] for _ in range(10)}
    assert executed == {"1"}


def test_alias_mistakes_are_refused(lambda_client: Any) -> None:
    create(lambda_client, "greet", Publish=True)
    lambda_client.create_alias(FunctionName="greet", Name="live", FunctionVersion="1")
    with pytest.raises(lambda_client.exceptions.ResourceConflictException) as exc:
        lambda_client.create_alias(FunctionName="greet", Name="live", FunctionVersion="1")
    assert error_of(exc)[1] == f"Alias already exists: {ARN}greet:live"
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.create_alias(FunctionName="greet", Name="next", FunctionVersion="5")
    assert error_of(exc)[1] == f"Function not found: {ARN}greet:5"
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as exc:
        lambda_client.create_alias(FunctionName="greet", Name="mixed", FunctionVersion="$LATEST",
                                   RoutingConfig={"AdditionalVersionWeights": {"1": 0.1}})
    assert error_of(exc)[1] == ("$LATEST is not supported for an alias pointing to more than 1 "
                                "version")
    with pytest.raises(lambda_client.exceptions.ClientError) as exc:
        lambda_client.create_alias(FunctionName="greet", Name="12", FunctionVersion="1")
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(lambda_client.exceptions.ResourceConflictException) as exc:
        lambda_client.delete_function(FunctionName="greet", Qualifier="1")
    assert error_of(exc)[1] == ("Unable to delete version because the following aliases "
                                "reference it: [live]")
    lambda_client.delete_alias(FunctionName="greet", Name="live")
    lambda_client.delete_function(FunctionName="greet", Qualifier="1")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        invoke(lambda_client, "greet:1")
    assert invoke(lambda_client, "greet")[1]["version"] == 1  # $LATEST is still there


def test_task_states_run_the_version_an_alias_or_qualifier_names(
        server: ServerThread, sfn: Any, lambda_client: Any) -> None:
    create(lambda_client, "greet", Publish=True)
    lambda_client.update_function_code(FunctionName="greet", ZipFile=make_zip(CODE_V2))
    lambda_client.create_alias(FunctionName="greet", Name="live", FunctionVersion="1")
    direct = run_machine(server, sfn, "direct", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": ARN + "greet:live", "End": True}}}, {})
    assert json.loads(direct["output"])["version"] == 1
    invoked = run_machine(server, sfn, "invoke", {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "greet", "Qualifier": "1", "Payload": {}}}}}, {})
    output = json.loads(invoked["output"])
    assert (output["ExecutedVersion"], output["Payload"]["version"]) == ("1", 1)
    missing = run_machine(server, sfn, "missing", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": ARN + "greet:9", "End": True}}}, {})
    assert (missing["status"], missing["error"]) == ("FAILED", "Lambda.ResourceNotFoundException")
    assert missing["cause"].startswith(f"Function not found: {ARN}greet:9 (Service: AWSLambda;")


# -- handlers, tags, functions registered in code ---------------------------------------------------


def test_a_handler_without_a_module_fails_at_invoke_as_the_python_runtime_does(
        lambda_client: Any) -> None:
    created = create(lambda_client, "bare", handler="handler")
    assert created["Handler"] == "handler"
    response, error = invoke(lambda_client, "bare")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.MalformedHandlerName"
    assert error["errorMessage"] == ("Bad handler 'handler': not enough values to unpack "
                                     "(expected 2, got 1)")


def test_tags_on_functions(lambda_client: Any) -> None:
    create(lambda_client, "greet", Tags={"team": "core"})
    assert lambda_client.get_function(FunctionName="greet")["Tags"] == {"team": "core"}
    arn = ARN + "greet"
    tagged = lambda_client.tag_resource(Resource=arn, Tags={"stage": "dev", "team": "edge"})
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"team": "edge", "stage": "dev"}
    lambda_client.untag_resource(Resource=arn, TagKeys=["team", "absent"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"stage": "dev"}
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.tag_resource(Resource=arn + ":1", Tags={"a": "b"})
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.list_tags(Resource=ARN + "nope")
    assert error_of(exc)[1] == f"Function not found: {ARN}nope"
    with pytest.raises(lambda_client.exceptions.ClientError) as exc:
        lambda_client.list_tags(Resource="not-an-arn")
    assert error_of(exc)[0] == "ValidationException"
    lambda_client.delete_function(FunctionName="greet")
    create(lambda_client, "greet")
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}  # tags went with the function


def test_a_function_registered_in_code_reports_when_it_was_registered(
        server: ServerThread, lambda_client: Any) -> None:
    engine = server.engine
    assert engine is not None
    engine.integrations.register_lambda("in-code", echo)
    moment = datetime.fromtimestamp(server.clock.now(), UTC)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    configuration = lambda_client.get_function(FunctionName="in-code")["Configuration"]
    assert configuration["LastModified"] == expected
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", expected)
