"""Drive the recorded conformance cases through the HTTP server, with real boto3 clients.

``ServerHarness`` runs one ``Engine`` + ``Server`` on 127.0.0.1 (ephemeral port) in a background
thread with its own event loop, and a boto3 Step Functions client pointed at it. A case is driven
by a coroutine on that loop that makes every Step Functions call through boto3 (each call runs in
a worker thread): CreateStateMachine with the recorded name, type, role and definition text,
StartExecution / StartSyncExecution with the recorded name and input, CreateActivity, SendTask*,
StopExecution, GetExecutionHistory (every page) and DescribeExecution. The responses graded are
boto3's own dicts, so the wire shapes must match for a case to match.

The cases' integrations are set up over the wire too, on the same endpoint: each Lambda
function is created with the Lambda API's CreateFunction (a zip holding the recorded source as
``handler.py``, the recorded runtime and handler; the server runs it in an isolated worker
subprocess) and deleted again after its case, each SQS queue with the SQS API's CreateQueue, and
the scripted worker reads the task token from the queue with ReceiveMessage before answering with
SendTask*. Two things stay in-process on the server's engine: the functions that call
``time.sleep`` (``runs_in_process``; an isolated worker sleeps in real time with the virtual
clock held, so the Task's virtual ``TimeoutSeconds`` could not cut its 60 s sleep short as AWS
does; registered as on the engine path, their sleep on the virtual clock), and a worker's task
token when no queue message carries it (the engine path's lookup; no case needs it today). A zip
function's stack trace names ``/var/task`` for its code, as AWS's does.
The harness waits for an execution's end with ``engine.wait`` before reading the results over
the wire. An asynchronous Express execution has no DescribeExecution or history on AWS either (the
recording read its outcome from CloudWatch Logs): its outcome is the engine's record, as on the
engine path.

Time: the server's clock is a ``VirtualClock`` with autojump, so waits in cases take no wall time.
It must not jump while the harness itself is acting (on AWS, the test's calls take milliseconds
next to the machine's timers): each boto3 call holds the clock (``clock.busy()``) while it is in
flight, and between calls the driver keeps the loop busy as the engine path's code does.
StartSyncExecution is the exception: its execution needs time to move while the call is open.

One shared server serves every case (names in the cases are unique), except the cases that read
"now": ``wait_timestamp`` cases and the case sampled while RUNNING get a server of their own with
the clock the engine path gives them (``runner.clock_start``; no autojump for the RUNNING one).
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import threading
import zipfile
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from typing import Any

from lambda_cases import grade as grade_lambda
from lambda_cases import load_handler, run_lambda_case
from runner import (
    ACCOUNT,
    REGION,
    SEED,
    CaseResult,
    _describe_crash,
    _sampled_running,
    _skip_reason,
    category_cases,
    clock_start,
    execution_cases,
    grade,
    run_case,
)
from test_lambda_conformance import ADJUSTED
from test_nested_conformance import grade as grade_nested
from test_nested_conformance import run_nested_case
from test_sqs_conformance import STALE_HOSTS, _swap, run_sqs_case

from sfnlocal.api.server import Server
from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry
from sfnlocal.integrations.sqs_queues import SqsService

__all__ = [
    "CATEGORIES",
    "ServerHarness",
    "close_shared",
    "create_on_server",
    "grade_responses",
    "in_process_cases",
    "run_on_engine",
    "run_on_server",
    "runs_in_process",
    "shared_harness",
    "validate_on_server",
]

CATEGORIES = ("pure", "lambda", "nested", "lambda+nested", "sqs", "nested+sqs")
"""The execution categories, run on both paths."""

TIMEOUT = 30.0
"""Wall-clock guard for one case (every legitimate wait is virtual: reaching it means a hang)."""

Responses = dict[str, Any]


@cache
def _session() -> Any:
    """One boto3 session for every client (it loads the service model once)."""
    import boto3

    return boto3.session.Session()


def _client(url: str, service: str = "stepfunctions") -> Any:
    from botocore.config import Config

    config = Config(inject_host_prefix=False, retries={"max_attempts": 1, "mode": "standard"},
                    connect_timeout=5, read_timeout=TIMEOUT)
    return _session().client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="x",
        aws_secret_access_key="x", config=config)


SERVICES = ("stepfunctions", "lambda", "sqs")
"""The services the harness calls on the server's one endpoint."""

LAMBDA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/conformance-lambda"
"""The execution role of the functions created through the Lambda API (the cases recorded none)."""

LAMBDA_TIMEOUT = 30
"""The functions' Lambda timeout, seconds (no case over the wire runs near it)."""

"""A stack-trace line's path to ``handler.py`` (inside JSON text, its quotes escaped 0+ times)."""


def runs_in_process(function: Mapping[str, Any]) -> bool:
    """True for a function kept in-process on the server path: it calls ``time.sleep``."""
    return "time.sleep" in str(function.get("source", ""))


def in_process_cases() -> list[str]:
    """The files of the cases with a function kept in-process (``runs_in_process``)."""
    return [str(case["file"]) for case in category_cases(*CATEGORIES)
            if any(runs_in_process(f) for f in _functions(case))]


def _functions(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((case.get("resources") or {}).get("lambda_functions") or [])


@cache
def _zip(module: str, source: str) -> bytes:
    """A deployment package holding ``source`` as ``<module>.py`` (same bytes for same source)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{module.replace('.', '/')}.py", date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, source)
    return buffer.getvalue()


class ServerHarness:
    """An Engine and its Server on a background event loop, with a boto3 client.

    Args:
        start: where the virtual clock starts (epoch seconds).
        autojump: let the clock jump to the next timer when the loop is idle.
    """

    def __init__(self, start: float = VirtualClock.DEFAULT_START, *, autojump: bool = True) -> None:
        self.clock = VirtualClock(start, autojump=autojump)
        self.sqs = SqsService(self.clock, REGION, ACCOUNT, rng=random.Random(5))
        self.registry = Registry()
        self.registry.register_sqs(self.sqs)
        self.engine: Engine | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sfn: Any = None
        self.clients: dict[str, Any] = {}
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="conformance-server", daemon=True)

    def __enter__(self) -> ServerHarness:
        self._thread.start()
        if not self._ready.wait(TIMEOUT):
            raise RuntimeError("the server did not start")
        if self._error is not None:
            raise self._error
        self.clients = {service: _client(self.url, service) for service in SERVICES}
        self.sfn = self.clients["stepfunctions"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the caller's thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        settings = EngineSettings(region=REGION, account=ACCOUNT, seed=SEED)
        async with Engine(clock=self.clock, settings=settings, integrations=self.registry) as engine:
            self.engine = engine
            server = Server(engine, "127.0.0.1", 0, shutdown_timeout=1.0)
            await server.start()
            self.url = server.url
            self._ready.set()
            await self._stop.wait()
            await server.stop()

    def close(self) -> None:
        """Stop the server (running executions are cancelled with the engine)."""
        if self.loop is not None and self._stop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT)
        for client in self.clients.values():
            client.close()
        self.clients = {}
        self.sfn = None

    def run(self, make: Callable[[], Coroutine[Any, Any, Any]], timeout: float = TIMEOUT) -> Any:
        """Run ``make()`` on the server's loop and return its result (raise its exception)."""
        assert self.loop is not None, "use the harness as 'with ServerHarness() as harness:'"
        future = asyncio.run_coroutine_threadsafe(_guard(make(), timeout), self.loop)
        return future.result(timeout + 5)

    async def call(self, operation: str, *, service: str = "stepfunctions", hold: bool = True,
                   **kwargs: Any) -> dict[str, Any]:
        """One boto3 call of ``service`` (from a worker thread), the clock held still while it is
        in flight."""
        method = getattr(self.clients[service], operation)
        if not hold:
            return dict(await asyncio.to_thread(method, **kwargs))
        async with self.clock.busy():
            return dict(await asyncio.to_thread(method, **kwargs))

    async def history(self, arn: str) -> dict[str, Any]:
        """GetExecutionHistory with no extra arguments, every page (``nextToken``) joined."""
        first = await self.call("get_execution_history", executionArn=arn)
        page = first
        events = list(first["events"])
        while page.get("nextToken"):
            page = await self.call("get_execution_history", executionArn=arn,
                                   nextToken=page["nextToken"])
            events.extend(page["events"])
        return {"events": events, "ResponseMetadata": first["ResponseMetadata"]}


async def _guard(coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
    async with asyncio.timeout(timeout):
        return await coro


_SHARED: list[ServerHarness] = []


def shared_harness() -> ServerHarness:
    """The session's shared server (started on first use; ``close_shared`` stops it)."""
    if not _SHARED:
        start = min((clock_start(case) for case in execution_cases()),
                    default=VirtualClock.DEFAULT_START)
        _SHARED.append(ServerHarness(start).__enter__())
    return _SHARED[0]


def close_shared() -> None:
    """Stop the shared server, if it was started."""
    while _SHARED:
        _SHARED.pop().close()


def needs_own_clock(case: Mapping[str, Any]) -> bool:
    """True for the cases that read "now" or were sampled while RUNNING (see the module doc)."""
    return "wait_timestamp" in case.get("features", ()) or _sampled_running(case)


# -- driving one case ------------------------------------------------------------------------


def _start_kwargs(sm_arn: str, execution: Mapping[str, Any]) -> dict[str, Any]:
    kwargs = {"stateMachineArn": sm_arn, "name": execution["name"]}
    if not execution.get("input_omitted"):
        kwargs["input"] = execution["input_raw"]
    return kwargs


class _Driver:
    """Runs one case on a harness (a coroutine on the server's loop)."""

    def __init__(self, harness: ServerHarness, case: Mapping[str, Any]) -> None:
        self.h = harness
        self.case = case
        self.engine = harness.engine
        assert self.engine is not None
        self.machines: list[str] = []
        self.functions: list[str] = []
        self.queue_url: str | None = None
        self.body: str | None = None

    async def create(self, name: str, definition: str, role: str, type_: str = "STANDARD") -> str:
        created = await self.h.call("create_state_machine", name=name, definition=definition,
                                    roleArn=role, type=type_)
        self.machines.append(created["stateMachineArn"])
        return str(created["stateMachineArn"])

    async def setup(self) -> None:
        """Functions, queues, activities and nested machines, over the wire (see the module doc)."""
        resources = self.case.get("resources") or {}
        for function in resources.get("lambda_functions") or []:
            await self.create_function(function)
        for queue in resources.get("sqs_queues") or []:
            attributes = {k: str(v) for k, v in (queue.get("attributes") or {}).items()}
            await self.h.call("create_queue", service="sqs", QueueName=queue["name"],
                              **_present(Attributes=attributes or None))
        self.queue_url = (resources.get("sqs_queues") or [{}])[0].get("url")
        for activity in resources.get("activities") or []:
            await self.h.call("create_activity", name=activity["name"])
        role = self.case["state_machine"]["role_arn"]
        for nested in resources.get("nested_state_machines") or []:
            await self.create(nested["name"], json.dumps(nested["definition"]), role)

    async def create_function(self, function: Mapping[str, Any]) -> None:
        """CreateFunction with the recorded source as a zip (or in-process: ``runs_in_process``)."""
        name = str(function["name"])
        self.functions.append(name)
        if runs_in_process(function):
            self.h.registry.register_lambda(name, load_handler(function["source"], self.h.clock))
            return
        handler = str(function.get("handler") or "handler.handler")
        package = _zip(handler.rpartition(".")[0], str(function["source"]))
        await self.h.call("create_function", service="lambda", FunctionName=name,
                          Runtime=function.get("runtime") or "python3.12", Handler=handler,
                          Role=LAMBDA_ROLE, Code={"ZipFile": package}, Timeout=LAMBDA_TIMEOUT)

    async def companions(self, when: str) -> None:
        role = self.case["state_machine"]["role_arn"]
        for companion in self.case.get("companion_executions") or []:
            if companion.get("started", "before") != when:
                continue
            arn = await self.create(companion["state_machine_name"],
                                    json.dumps(companion["definition"]), role)
            await self.h.call("start_execution", stateMachineArn=arn,
                              input=json.dumps(companion.get("input", {})))

    async def run(self) -> Responses:
        await self.setup()
        await self.companions("before")
        sm, execution = self.case["state_machine"], self.case["execution"]
        arn = await self.create(sm["name"], sm["definition_raw"], sm["role_arn"],
                                sm.get("type") or "STANDARD")
        start = _start_kwargs(arn, execution)
        if execution["api"] == "StartSyncExecution":
            return {"sync": await self.h.call("start_sync_execution", hold=False, **start)}
        started = await self.h.call("start_execution", **start)
        run_arn = str(started["executionArn"])
        if sm.get("type") == "EXPRESS":  # no history or DescribeExecution on AWS either
            record = await self.engine.wait(run_arn)
            return {"describe": {**record.to_aws(), "ResponseMetadata": started["ResponseMetadata"]}}
        await self.companions("after")
        await self.perform(run_arn, list(self.case.get("test_actions") or []))
        if _sampled_running(self.case):
            await self.settle()
        else:
            await asyncio.wait_for(self.engine.wait(run_arn), TIMEOUT)
        responses: Responses = {"history": await self.h.history(run_arn)}
        if "describe_execution" in self.case["expected"]:
            responses["describe"] = await self.h.call("describe_execution", executionArn=run_arn)
        return responses

    async def settle(self, rounds: int = 1000) -> None:
        """Let the loop run until the execution blocks on a timer (as the engine path does)."""
        for _ in range(rounds):
            await asyncio.sleep(0)
            if self.h.clock.pending:
                break
        for _ in range(10):
            await asyncio.sleep(0)

    # -- the test's own worker (test_actions) ----------------------------------------------

    async def token(self, arg: Any) -> str:
        """The token a worker call answers: read from the queue's message, or the open one."""
        if isinstance(arg, dict) and "$runtime_value" in arg:
            return str(await self.runtime_value(arg))
        table = self.h.registry.callbacks
        for _ in range(1000):
            tokens = list(table._open)  # the only waiting task of the case
            if tokens:
                return tokens[-1]
            await asyncio.sleep(0)
        raise AssertionError("no task token was issued")

    async def runtime_value(self, arg: Any) -> Any:
        """An action argument, with ``$runtime_value`` read from the received SQS message."""
        if not (isinstance(arg, dict) and "$runtime_value" in arg):
            return arg
        path = str(arg["$runtime_value"])
        assert "receive_message" in path, path
        while self.body is None:
            assert self.queue_url is not None, "a worker reading tokens needs a queue"
            received = await self.h.call("receive_message", service="sqs",
                                         QueueUrl=self.queue_url, WaitTimeSeconds=20)
            if received.get("Messages"):
                self.body = str(received["Messages"][0]["Body"])
        return json.loads(self.body)["TaskToken"] if path.endswith("['TaskToken']") else self.body

    async def perform(self, arn: str, actions: list[dict[str, Any]]) -> None:
        """Play the recorded worker calls (``test_actions``) in order, through the API."""
        for action in actions:
            name, args = action.get("action"), action.get("args") or action
            if name == "stop_execution":
                await self.h.call("stop_execution", executionArn=arn,
                                  **_present(error=args.get("error"), cause=args.get("cause")))
                continue
            token = await self.token(args.get("taskToken"))
            if name == "send_task_success":
                output = await self.runtime_value(args.get("output", "{}"))
                await self.h.call("send_task_success", taskToken=token, output=output)
            elif name == "send_task_failure":
                await self.h.call("send_task_failure", taskToken=token, **_present(
                    error=args.get("error"), cause=args.get("cause")))
            elif name == "send_task_heartbeat":
                await self.h.call("send_task_heartbeat", taskToken=token)

    async def cleanup(self, failed: bool) -> None:
        """Stop what the case left running (activity and queue workers, children, or the case's
        own execution when the run failed) on the shared server, so that no poller keeps the
        clock moving."""
        for name in self.functions:  # also stops the function's idle worker
            await self.h.call("delete_function", service="lambda", FunctionName=name)
        helpers = ("companion_executions", "test_actions")
        nested = (self.case.get("resources") or {}).get("nested_state_machines")
        if not failed and not nested and not any(self.case.get(key) for key in helpers):
            return
        for machine in self.machines:
            try:
                running = await self.h.call("list_executions", stateMachineArn=machine,
                                            statusFilter="RUNNING")
            except Exception:  # Express machines have no ListExecutions
                continue
            for item in running["executions"]:
                await self.h.call("stop_execution", executionArn=item["executionArn"])


def _present(**members: Any) -> dict[str, Any]:
    return {key: value for key, value in members.items() if value is not None}


async def _drive(harness: ServerHarness, case: Mapping[str, Any]) -> Responses:
    driver = _Driver(harness, case)
    failed = True
    try:
        responses = await driver.run()
        failed = False
        return responses
    finally:
        await driver.cleanup(failed)


def _drive_on(case: Mapping[str, Any]) -> Responses:
    if needs_own_clock(case):
        with ServerHarness(clock_start(case), autojump=not _sampled_running(case)) as own:
            return own.run(lambda: _drive(own, case))
    harness = shared_harness()
    return harness.run(lambda: _drive(harness, case))


# -- grading -----------------------------------------------------------------------------------


def grade_responses(case: Mapping[str, Any], responses: Responses) -> dict[str, list[str]]:
    """Differences per level, with the grading of the case's category on the engine path."""
    category = case.get("category")
    if category == "pure":
        result = CaseResult(case, history=responses.get("history"),
                            describe=responses.get("describe"), sync=responses.get("sync"))
        grade(result)
        return result.diffs
    if category == "lambda":
        return grade_lambda(dict(case), responses, ADJUSTED.get(case["file"], ()))
    history = responses["history"]
    if case["file"] in STALE_HOSTS:
        ours, recorded = STALE_HOSTS[case["file"]]
        history = _swap(history, f"request: {ours}:", f"request: {recorded}:")
    return grade_nested(dict(case), history)


@cache
def _run_cached(file: str) -> CaseResult:
    case = _BY_FILE[file]
    result = CaseResult(case)
    result.skipped = _skip_reason(case)
    if result.skipped is not None:
        return result
    try:
        responses = _drive_on(case)
    except Exception as exc:  # a crash is a graded outcome
        result.crash = _describe_crash(exc)
        return result
    result.history = responses.get("history")
    result.describe = responses.get("describe")
    result.sync = responses.get("sync")
    result.diffs = grade_responses(case, responses)
    return result


_BY_FILE: dict[str, Mapping[str, Any]] = {}


async def run_on_engine(case: Mapping[str, Any]) -> CaseResult:
    """Run one execution case on the engine path of its category and grade it the same way."""
    category = case.get("category")
    if category == "pure":
        return await run_case(case)
    result = CaseResult(case)
    try:
        if category == "lambda":
            responses = await run_lambda_case(dict(case))
        elif category in ("nested", "lambda+nested"):
            responses = {"history": await run_nested_case(dict(case))}
        else:
            responses = {"history": await run_sqs_case(dict(case))}
    except Exception as exc:
        result.crash = _describe_crash(exc)
        return result
    result.history = responses.get("history")
    result.sync = responses.get("sync")
    result.diffs = grade_responses(case, responses)
    return result


def run_on_server(case: Mapping[str, Any]) -> CaseResult:
    """Run one execution case through the server and grade it (once per session: cached)."""
    _BY_FILE.setdefault(str(case["file"]), case)
    return _run_cached(str(case["file"]))


# -- definitions -----------------------------------------------------------------------------


DEFINITION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/conformance"
"""The role of the definition cases' CreateStateMachine (they recorded none)."""


def create_on_server(case: Mapping[str, Any]) -> tuple[str, str] | None:
    """CreateStateMachine with the case's definition through the server: the error's (code,
    message), or None when it was accepted (the machine is then deleted again)."""
    from botocore.exceptions import ClientError

    machine = case["state_machine"]
    harness = shared_harness()

    async def create() -> tuple[str, str] | None:
        try:
            created = await harness.call(
                "create_state_machine", name=machine["name"], definition=machine["definition_raw"],
                roleArn=machine.get("role_arn", DEFINITION_ROLE),
                type=machine.get("type") or "STANDARD")
        except ClientError as err:
            error = err.response["Error"]
            return str(error["Code"]), str(error["Message"])
        await harness.call("delete_state_machine", stateMachineArn=created["stateMachineArn"])
        return None

    return harness.run(create)


def validate_on_server(case: Mapping[str, Any]) -> dict[str, Any]:
    """The ValidateStateMachineDefinition response for the case's definition, through the server."""
    machine = case["state_machine"]
    harness = shared_harness()
    return harness.run(lambda: harness.call(
        "validate_state_machine_definition", definition=machine["definition_raw"],
        type=machine.get("type") or "STANDARD"))
