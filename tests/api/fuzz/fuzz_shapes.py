"""The fuzzers' shared parts: request bodies drawn from botocore's service models, the fuzzed server.

Bodies are built from each operation's input shape (botocore's ``service-2.json``), so every real
member is hit with a value of its type (random, or drawn from a pool of edge cases: bad ARNs, queue
URLs, function names, definitions...) or of a wrong type (any JSON value, nested junk), plus
members the model does not know. Operations are the served action tables' (a new action is fuzzed
as soon as it is registered); an action botocore does not model is fuzzed with the members of
every operation.

``world`` is one server (module-scoped, the virtual clock never moves) with guards the fuzzing must
leave untouched: an execution parked on a Wait, a queued SQS message (and a Lambda function when
the server serves the Lambda API), and decoys the fuzzing may legitimately mutate (their ARNs and
URLs are in the value pools, the guards' are not, except for read-only actions).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from api_server import FAIL, PASS, ROLE, WAIT, ServerThread, client_of

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
botocore_session = pytest.importorskip("botocore.session")

SearchStrategy = Any
ACCOUNT = "123456789012"
REGION = "us-east-1"
SM = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:"
TIMEOUT = 10
MAX_DEPTH = 3


def service_model(name: str) -> Any:
    """botocore's model of ``name`` (``stepfunctions``, ``sqs``, ``lambda``)."""
    return botocore_session.get_session().get_service_model(name)


# -- value pools ----------------------------------------------------------------------------------

def _definition(states: dict[str, Any], start: str = "S") -> str:
    return json.dumps({"StartAt": start, "States": states})


DEFINITIONS = [
    PASS, FAIL, WAIT, "", "{", "[]", "null", '{"StartAt": "X", "States": {}}',
    _definition({"S": {"Type": "Choice", "Choices": [], "Default": "S"}}),
    _definition({"S": {"Type": "Pass", "Next": "S"}}),
    _definition({"S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "nope"}, "End": True}}),
    _definition({"S": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage"
                       ".waitForTaskToken", "Parameters": {"QueueUrl": "nope",
                                                           "MessageBody.$": "$$.Task.Token"},
                       "End": True}}),
    _definition({"S": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                       "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass",
                                                                          "End": True}}}}}),
    _definition({"S": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $x.( %}",
                       "End": True}}),
    _definition({"S": {"Type": "Pass", "Parameters": {"a.$": "States.Format('{}', $.x"},
                       "End": True}}),
]
JSON_TEXTS = ["{}", "[]", "1", '"s"', "null", "{", '{"items": [1, 2, 3]}', '{"x": {"y": []}}',
              "\ud800", "x" * 300, "[" * 900 + "]" * 900, "[" * 5000 + "]" * 5000]
NAMES = ["decoy", "decoy-2", "parked", "a" * 80, "a" * 81, "bad name", "bad/name", "", " ",
         "é", "*", "run1", "live", "1", "$LATEST"]
STRING_EDGES = ["", " ", "\x00", "\ud800", "é" * 20, "x" * 257, "x" * 2049, "x" * 40_000,
                "../../etc/passwd", "%s%n", "${x}", "{{x}}", "null"]
INTEGER_EDGES = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**30, 1.5, "1", True]
BAD_ARNS = [
    SM + "nope", SM + "nope:1", SM + "nope:alias", SM + "decoy:999", SM + "decoy:", SM + "decoy:a:b",
    EXECUTION + "nope:e", EXECUTION + "decoy", EXECUTION + "decoy:",
    f"arn:aws:states:{REGION}:{ACCOUNT}:express:nope:e:f",
    f"arn:aws:states:{REGION}:{ACCOUNT}:activity:nope",
    f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:decoy/nope:x",
    f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:",
    f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:decoy",
    f"arn:aws:states:{REGION}:999999999999:stateMachine:decoy",
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope",
    "arn:", "arn:aws:states:::", "arn:aws:states:" + ":" * 10, "not-an-arn", "", SM, EXECUTION,
]
# Resources the fuzzing may mutate (made by ``world``).
DECOY_ARNS = [SM + "decoy", SM + "decoy:1", SM + "decoy:live", SM + "decoy-express",
              SM + "decoy-fail", EXECUTION + "decoy-fail:run1", EXECUTION + "decoy:run1",
              EXECUTION + "decoy-fail:run1:nope"]
# The parked execution: only read-only actions may name it.
PARKED_MACHINE = SM + "parked"
PARKED_EXECUTION = EXECUTION + "parked:run"
PARKED_ARNS = [PARKED_MACHINE, PARKED_EXECUTION]
READ_ONLY_PREFIXES = ("Describe", "List", "GetExecutionHistory", "GetQueueAttributes",
                      "GetQueueUrl", "GetFunction", "GetAlias", "GetPolicy", "GetAccount")

TOKENS = ["", "x", "AAAA", "not-base64!!", base64.b64encode(b'{"arn": "nope"}').decode(),
          "x" * 1025]
QUEUE_NAME = "decoy"
QUEUE_URL_PATHS = [f"/{ACCOUNT}/{QUEUE_NAME}", f"/{ACCOUNT}/nope", f"/000000000000/{QUEUE_NAME}",
                   f"/{ACCOUNT}/", "/", ""]
QUEUE_URLS = [*(f"http://localhost:4566{path}" for path in QUEUE_URL_PATHS),
              f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE_NAME}", "not a url",
              "http://[::1", f"http://x/{ACCOUNT}/{QUEUE_NAME}?a=b#c", f"{QUEUE_NAME}"]
FUNCTION_NAMES = ["decoy", "nope", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:decoy",
                  f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope:$LATEST",
                  f"{ACCOUNT}:function:nope", "a" * 65, "a" * 141, "bad name", "", "%00", "..",
                  "decoy:1", "decoy:$LATEST", "decoy:nope"]
ZIP_FILES = ["", "!!!", "AAAA", base64.b64encode(b"not a zip").decode(),
             base64.b64encode(b"PK\x03\x04garbage").decode(), "x" * 10_000]

JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
"""Any JSON value: what a member of the wrong type gets."""


_ARN_KINDS = {"executionarn": ":execution:", "statemachinearn": ":stateMachine:",
              "statemachineversionarn": ":stateMachine:", "statemachinealiasarn": ":stateMachine:",
              "activityarn": ":activity:", "maprunarn": ":mapRun:"}


def _good(member: str, read_only: bool) -> list[Any] | None:
    """The pool of values that name a live resource of the member's kind (None: no such pool)."""
    kind = _ARN_KINDS.get(member.lower())
    if kind is None:
        return None
    good = [arn for arn in DECOY_ARNS + (PARKED_ARNS if read_only else []) if kind in arn]
    return good or None


def _special(member: str, read_only: bool) -> list[Any] | None:
    """The pool of edge cases of a string member, by its name (None: no special pool)."""
    lower = member.lower()
    if lower.endswith("arn") or lower in {"resource", "stateMachineArn".lower()}:
        return BAD_ARNS + DECOY_ARNS + (PARKED_ARNS if read_only else []) + FUNCTION_NAMES[2:4]
    if lower in {"definition"}:
        return DEFINITIONS
    if lower in {"input", "output", "variables", "context", "result", "payload", "policy"}:
        return JSON_TEXTS
    if lower in {"tasktoken", "nexttoken", "marker", "receipthandle", "revisionid"}:
        return TOKENS
    if lower == "queueurl":
        return QUEUE_URLS
    if lower in {"queuename", "queuenameprefix"}:
        return [QUEUE_NAME, "nope", "a" * 81, "bad name", "", "x.fifo", QUEUE_NAME + ".fifo"]
    if lower in {"functionname", "functionarn"}:
        return FUNCTION_NAMES
    if lower in {"zipfile"}:
        return ZIP_FILES
    if lower in {"name", "alias", "qualifier", "functionversion"}:
        return NAMES
    if lower in {"role", "rolearn"}:
        return [ROLE, "not-a-role", ""]
    return None


# -- shapes -> strategies ------------------------------------------------------------------------

def value_of(shape: Any, member: str = "", *, read_only: bool = False,
             depth: int = 0) -> SearchStrategy:
    """A member's value: well typed (often an edge case) or any JSON value."""
    return st.one_of(typed_value(shape, member, read_only=read_only, depth=depth), JUNK)


def typed_value(shape: Any, member: str = "", *, read_only: bool = False,
                depth: int = 0) -> SearchStrategy:
    """A value of ``shape``'s type (strings from the member's pool of edge cases)."""
    kind = shape.type_name
    if kind == "string":
        pool = list(getattr(shape, "enum", None) or []) or _special(member, read_only) or []
        return st.one_of(st.sampled_from(pool + STRING_EDGES), st.text(max_size=30))
    if kind in {"integer", "long"}:
        return st.one_of(st.integers(-(2**40), 2**40), st.sampled_from(INTEGER_EDGES))
    if kind in {"float", "double"}:
        return st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                         st.sampled_from([-1, 0, 100.5, 1e308, "1"]))
    if kind == "boolean":
        return st.one_of(st.booleans(), st.sampled_from(["true", 1, 0]))
    if kind == "blob":
        return st.sampled_from(_special(member, read_only) or ZIP_FILES)
    if kind == "timestamp":
        return st.one_of(st.integers(), st.sampled_from(["2024-01-01T00:00:00Z", "yesterday"]))
    if depth >= MAX_DEPTH:
        return JUNK
    if kind == "list":
        return st.lists(value_of(shape.member, member, read_only=read_only, depth=depth + 1),
                        max_size=3)
    if kind == "map":
        keys = st.one_of(typed_value(shape.key, member, depth=depth + 1), st.text(max_size=8))
        return st.dictionaries(keys, value_of(shape.value, member, read_only=read_only,
                                              depth=depth + 1), max_size=3)
    return structure(shape, read_only=read_only, depth=depth + 1)


def structure(shape: Any, *, read_only: bool = False, depth: int = 0,
              only: set[str] | None = None) -> SearchStrategy:
    """A structure: any subset of its members (``only``: of these), plus unknown members."""
    names = [name for name in shape.members if only is None or name in only]
    optional = {name: value_of(shape.members[name], name, read_only=read_only, depth=depth)
                for name in names}
    known = st.fixed_dictionaries({}, optional=optional)
    unknown = st.dictionaries(st.text(max_size=10), JUNK, max_size=2)
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


def nearly_valid(shape: Any, *, read_only: bool = False,
                 only: set[str] | None = None) -> SearchStrategy:
    """Every required member, well typed; other members as ``structure`` draws them."""
    required = {name: typed_value(shape.members[name], name, read_only=read_only)
                for name in shape.required_members if only is None or name in only}
    rest = structure(shape, read_only=read_only, only=only)
    return st.tuples(st.fixed_dictionaries(required), rest).map(
        lambda pair: {**pair[1], **pair[0]})


def plausible_value(shape: Any, member: str = "", *, read_only: bool = False,
                    depth: int = 0) -> SearchStrategy:
    """A value that could be right: enums, the member's pool, small numbers, no junk."""
    kind = shape.type_name
    pool = (list(getattr(shape, "enum", None) or []) or _good(member, read_only)
            or _special(member, read_only))
    if kind == "string":
        return st.sampled_from(pool) if pool else st.text(min_size=1, max_size=12)
    if kind in {"integer", "long", "float", "double"}:
        return st.integers(0, 100)
    if depth >= MAX_DEPTH or kind not in {"list", "map", "structure"}:
        return typed_value(shape, member, read_only=read_only, depth=depth)
    if kind == "list":
        return st.lists(plausible_value(shape.member, member, read_only=read_only,
                                        depth=depth + 1), max_size=2)
    if kind == "map":
        return st.dictionaries(plausible_value(shape.key, member, depth=depth + 1),
                               plausible_value(shape.value, member, depth=depth + 1),
                               max_size=2)
    return plausible(shape, read_only=read_only, depth=depth + 1)


def plausible(shape: Any, *, read_only: bool = False, depth: int = 0,
              only: set[str] | None = None) -> SearchStrategy:
    """The required members and some others, all ``plausible_value``s (reaches the handlers)."""
    names = [name for name in shape.members if only is None or name in only]
    def value(name: str) -> SearchStrategy:
        return plausible_value(shape.members[name], name, read_only=read_only, depth=depth)
    required = {name: value(name) for name in names if name in shape.required_members}
    optional = {name: value(name) for name in names if name not in shape.required_members}
    return st.fixed_dictionaries(required, optional=optional)


def json_body(model: Any, action: str, *, only: set[str] | None = None) -> SearchStrategy:
    """A JSON-object body for ``action``: any members, the required ones well typed, or plausible.

    An action botocore does not model gets the members of every operation.
    """
    read_only = action.startswith(READ_ONLY_PREFIXES)
    if action in model.operation_names:
        shapes = [model.operation_model(action).input_shape]
    else:
        shapes = [model.operation_model(op).input_shape for op in model.operation_names]
    shapes = [shape for shape in shapes if shape is not None]
    if not shapes:
        return st.dictionaries(st.text(max_size=10), JUNK, max_size=4)
    return st.one_of(*(strategy(shape, read_only=read_only, only=only)
                       for shape in shapes for strategy in (structure, nearly_valid, plausible)))


def members_of(model: Any, action: str) -> list[str]:
    """The input members of ``action`` (of every operation when botocore does not model it)."""
    ops = [action] if action in model.operation_names else model.operation_names
    names = {name for op in ops if (shape := model.operation_model(op).input_shape) is not None
             for name in shape.members}
    return sorted(names) or ["name"]


# -- HTTP -----------------------------------------------------------------------------------------

@dataclass
class Answer:
    """One HTTP response (header names in lower case)."""

    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


def send(url: str, method: str = "POST", body: bytes | str | None = None,
         headers: dict[str, str] | None = None) -> Answer:
    """A raw request (``url`` includes the path); the answer whatever its status."""
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(response.status, _lower(response.headers), response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, _lower(err.headers), err.read())


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def assert_json_error(answer: Answer, *, must_fail: bool) -> dict[str, Any]:
    """AWS JSON 1.0: a 200 JSON object (unless ``must_fail``) or a 4xx ``{"__type", "message"}``."""
    assert answer.status < 500, (answer.status, answer.raw[:500])
    body = answer.json()
    assert isinstance(body, dict), answer.raw[:500]
    if answer.status == 200 and not must_fail:
        return body
    assert 400 <= answer.status < 500, (answer.status, body)
    assert isinstance(body.get("__type"), str) and body["__type"], body
    # AWS's UnknownOperationException is the one error without a message.
    if not body["__type"].endswith("UnknownOperationException"):
        assert isinstance(body.get("message"), str), body
    return body


# -- the fuzzed server and its guards --------------------------------------------------------------

@dataclass
class World:
    """The fuzzed server, its clients and the guards the fuzzing must leave untouched."""

    server: ServerThread
    sfn: Any
    sqs: Any
    parked_length: int = 0
    guard_queue_url: str = ""
    guard_message: tuple[str, str] = ("", "")
    lambda_served: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def assert_untouched(self) -> None:
        """The parked execution, the queued message (and the guard function) are as they were.

        Raw requests (botocore's own overhead would double the fuzzing's wall time).
        """
        execution = self.call("AWSStepFunctions.DescribeExecution",
                              {"executionArn": PARKED_EXECUTION})
        assert execution["status"] == "RUNNING", execution
        machine = self.call("AWSStepFunctions.DescribeStateMachine",
                            {"stateMachineArn": PARKED_MACHINE})
        assert machine["definition"] == WAIT, machine
        history = self.call("AWSStepFunctions.GetExecutionHistory",
                            {"executionArn": PARKED_EXECUTION, "maxResults": 1000})
        assert len(history["events"]) == self.parked_length, history
        received = self.call("AmazonSQS.ReceiveMessage", {
            "QueueUrl": self.guard_queue_url, "VisibilityTimeout": 0,
            "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0})
        assert [(m["MessageId"], m["Body"]) for m in received.get("Messages", [])] \
            == [self.guard_message], received
        if self.lambda_served:
            answer = send(f"{self.url}/2015-03-31/functions/{GUARD_FUNCTION}/invocations",
                          "POST", b'{"n": 1}')
            assert answer.status == 200 and "x-amz-function-error" not in answer.headers, answer
            assert answer.json() == {"echo": {"n": 1}}

    def restore_decoys(self) -> None:
        """Make again the decoys an earlier fuzzed request deleted (what cannot be made is left)."""
        for target, members in _DECOYS:
            send(self.url + "/", "POST", json.dumps(members), {
                "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        if self.lambda_served:
            send(self.url + "/2015-03-31/functions", "POST", json.dumps({
                "FunctionName": "decoy", "Runtime": "python3.12", "Role": ROLE,
                "Handler": "index.handler",
                "Code": {"ZipFile": base64.b64encode(_zip(GUARD_CODE)).decode()}}))

    def call(self, target: str, members: dict[str, Any]) -> Any:
        """One JSON 1.0 action that must succeed: its answer."""
        answer = send(self.url + "/", "POST", json.dumps(members), {
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        assert answer.status == 200, (target, answer.status, answer.raw[:300])
        return answer.json()


def _history_length(sfn: Any, arn: str) -> int:
    return len(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def lambda_served(url: str) -> bool:
    """Whether the server serves the Lambda API (ListFunctions answers 200)."""
    return send(url + "/2015-03-31/functions/", "GET").status == 200


GUARD_FUNCTION = "guard"
GUARD_CODE = "def handler(event, context):\n    return {'echo': event}\n"


def _zip(source: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def make_guard_function(world: World) -> None:
    """The guard function (and the ``decoy`` function the fuzzing may mutate)."""
    client = client_of("lambda", world.url)
    world.extra["lambda"] = client
    client.create_function(FunctionName=GUARD_FUNCTION, Runtime="python3.12", Role=ROLE,
                           Handler="index.handler", Code={"ZipFile": _zip(GUARD_CODE)})


_SFN, _SQS = "AWSStepFunctions.", "AmazonSQS."
_DECOYS: list[tuple[str, dict[str, Any]]] = [
    (_SFN + "CreateStateMachine", {"name": "decoy", "definition": PASS, "roleArn": ROLE,
                                   "publish": True}),
    (_SFN + "CreateStateMachineAlias", {"name": "live", "routingConfiguration": [
        {"stateMachineVersionArn": SM + "decoy:1", "weight": 100}]}),
    (_SFN + "StartExecution", {"stateMachineArn": SM + "decoy", "name": "run1"}),
    (_SFN + "CreateStateMachine", {"name": "decoy-express", "definition": PASS, "roleArn": ROLE,
                                   "type": "EXPRESS"}),
    (_SFN + "CreateStateMachine", {"name": "decoy-fail", "definition": FAIL, "roleArn": ROLE}),
    (_SFN + "StartExecution", {"stateMachineArn": SM + "decoy-fail", "name": "run1"}),
    (_SQS + "CreateQueue", {"QueueName": QUEUE_NAME}),
    (_SQS + "SendMessage", {"QueueUrl": f"http://localhost/{ACCOUNT}/{QUEUE_NAME}",
                            "MessageBody": "decoy"}),
]
"""Requests making the decoys (the fuzzing may delete or change them)."""


def _make_world(server: ServerThread) -> World:
    sfn, sqs = client_of("stepfunctions", server.url), client_of("sqs", server.url)
    world = World(server, sfn, sqs)
    parked = sfn.create_state_machine(name="parked", definition=WAIT, roleArn=ROLE)
    sfn.start_execution(stateMachineArn=parked["stateMachineArn"], name="run")
    world.parked_length = _history_length(sfn, PARKED_EXECUTION)
    world.guard_queue_url = sqs.create_queue(QueueName="guard")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=world.guard_queue_url, MessageBody="keep me")
    world.guard_message = (sent["MessageId"], "keep me")
    world.lambda_served = lambda_served(server.url)
    if world.lambda_served:
        make_guard_function(world)
    world.restore_decoys()
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=SM + "decoy:live")["name"] \
        == "live"
    assert sfn.describe_execution(executionArn=EXECUTION + "decoy-fail:run1")["status"] \
        == "FAILED"
    world.assert_untouched()
    return world


def serve_world() -> Iterator[World]:
    """One server for a module's fuzzing, with its guards and decoys (a fixture's body)."""
    server = ServerThread().start()
    try:
        yield _make_world(server)
    finally:
        server.close()


SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=list(hypothesis.HealthCheck))


def not_object(raw: bytes) -> bool:
    """True for a request body that is not a JSON object (hence always refused)."""
    try:
        return not isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError):
        return bool(raw.strip())
