"""Plug-ins: entry-point loading, the ``.sync`` contract, and the example plug-in of docs/integrations.md.

The example plug-in is the ``example_jobs.py`` block of the docs, written to a temporary directory
with an installed-distribution record (``*.dist-info/entry_points.txt``) so that
``importlib.metadata`` discovers it exactly as it would a pip-installed package.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.asl.resources import parse_resource
from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.errors import StatesError
from sfnlocal.integrations import Registry, TaskRequest, UnknownResource
from sfnlocal.integrations.plugins import (
    ENTRY_POINT_GROUP,
    JobResult,
    PluginError,
    SyncAdapter,
    load_entry_points,
    register_sync,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
EXAMPLE = next(b for b in BLOCKS if b.startswith("# example_jobs.py"))


def install(root: Path, module: str, source: str, entry_points: dict[str, str]) -> None:
    """Write ``module`` and a dist-info declaring ``entry_points`` in the plug-in group."""
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n",
                                   encoding="utf-8")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}", encoding="utf-8")


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install(tmp_path, "example_jobs", EXAMPLE, {"example": "example_jobs:integrations"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "example_jobs", raising=False)
    monkeypatch.delenv("SFNLOCAL_PLUGINS", raising=False)
    return tmp_path


async def run(registry: Registry, state: dict[str, Any], more: dict[str, Any] | None = None,
              clock: VirtualClock | None = None) -> dict[str, Any]:
    flow = {} if "Next" in state else {"End": True}
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", **state, **flow}, **(more or {})}}
    clock = clock or VirtualClock()
    async with Engine(clock=clock, integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", definition)
        started = clock.now()
        ex = await engine.start_execution(sm.arn, name="ex")
        record = await engine.wait(ex.arn)
        elapsed = clock.now() - started
        events = (await engine.get_execution_history(ex.arn))["events"]
    by_type = {e["type"]: next((v for k, v in e.items() if k.endswith("EventDetails")), {})
               for e in events}
    out = json.loads(record.output) if record.output else None
    return {"record": record, "output": out, "events": by_type, "elapsed": elapsed}


# -- discovery and the switch ----------------------------------------------------------------------


SYNC = "arn:aws:states:::batch:submitJob.sync"
PUBLISH = "arn:aws:states:::sns:publish"


def submit(seconds: int, **options: str) -> dict[str, Any]:
    return {"JobName": "nightly", "JobQueue": "q", "JobDefinition": "d",
            "Parameters": {"seconds": str(seconds), **options}}


@pytest.mark.usefixtures("example")
def test_installed_entry_points_are_discovered_and_registered():
    registry = Registry()
    assert registry.load_entry_points() == ["sns:publish", "batch:submitJob", "batch:submitJob.sync"]
    assert type(registry.resolve(parse_resource(PUBLISH))).__name__ == "Topics"
    assert isinstance(registry.resolve(parse_resource(SYNC)), SyncAdapter)


@pytest.mark.usefixtures("example")
def test_plugins_are_not_loaded_unless_asked():
    with pytest.raises(UnknownResource):
        Registry().resolve(parse_resource(PUBLISH))


@pytest.mark.usefixtures("example")
def test_load_plugins_switch_and_environment_variable(monkeypatch: pytest.MonkeyPatch):
    publish = parse_resource(PUBLISH)
    assert Registry(load_plugins=True).resolve(publish) is not None
    monkeypatch.setenv("SFNLOCAL_PLUGINS", "1")
    assert Registry().resolve(publish) is not None
    with pytest.raises(UnknownResource):
        Registry(load_plugins=False).resolve(publish)


# -- the example plug-in in an engine --------------------------------------------------------------


@pytest.mark.usefixtures("example")
async def test_the_example_request_response_integration_runs():
    registry = Registry(load_plugins=True)
    result = await run(registry, {"Resource": PUBLISH,
                                  "Parameters": {"TopicArn": "arn:t", "Message": "hi"}})
    assert result["output"] == {"MessageId": "msg-1"}
    assert result["events"]["TaskScheduled"]["resourceType"] == "sns"
    topics = registry.resolve(parse_resource(PUBLISH))
    assert topics.published == [{"TopicArn": "arn:t", "Message": "hi"}]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("example")
async def test_the_example_integrations_errors_are_task_failures():
    result = await run(Registry(load_plugins=True), {"Resource": PUBLISH, "Parameters": {}})
    assert result["record"].error == "SNS.InvalidParameterException"
    assert result["events"]["TaskFailed"]["cause"] == "Message is required."


@pytest.mark.usefixtures("example")
async def test_a_sync_job_is_submitted_then_polled_on_the_engine_clock():
    result = await run(Registry(load_plugins=True), {"Resource": SYNC, "Parameters": submit(3600)})
    assert result["record"].status == "SUCCEEDED"
    assert result["output"] == {"JobId": "job-1", "JobName": "nightly", "Status": "SUCCEEDED"}
    events = result["events"]
    assert json.loads(events["TaskSubmitted"]["output"]) == {"JobId": "job-1", "JobName": "nightly"}
    assert events["TaskSubmitted"]["resource"] == "submitJob.sync"
    assert 3600 <= result["elapsed"] < 3600 + 2 * 5.0


@pytest.mark.usefixtures("example")
async def test_request_response_form_returns_the_submission_without_waiting():
    state = {"Resource": "arn:aws:states:::batch:submitJob", "Parameters": submit(3600)}
    result = await run(Registry(load_plugins=True), state)
    assert result["output"] == {"JobId": "job-1", "JobName": "nightly"}
    assert "TaskSubmitted" not in result["events"]
    assert result["elapsed"] < 1


@pytest.mark.usefixtures("example")
async def test_a_failed_job_is_a_task_failed_error_with_the_job_description_as_cause():
    state = {"Resource": SYNC, "Parameters": submit(10, fail="true"),
             "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], "Next": "Nope"}
    more = {"Caught": {"Type": "Pass", "End": True}, "Nope": {"Type": "Fail"}}
    result = await run(Registry(load_plugins=True), state, more)
    assert result["record"].status == "SUCCEEDED"
    assert result["output"]["Error"] == "States.TaskFailed"
    assert json.loads(result["output"]["Cause"]) == {
        "JobId": "job-1", "JobName": "nightly", "Status": "FAILED"}


@pytest.mark.usefixtures("example")
async def test_a_rejected_submission_fails_with_the_services_error_and_submits_nothing():
    result = await run(Registry(load_plugins=True), {"Resource": SYNC, "Parameters": {}})
    assert result["record"].error == "Batch.ClientException"
    assert "TaskSubmitted" not in result["events"]


@pytest.mark.usefixtures("example")
async def test_a_timed_out_job_is_cancelled():
    registry = Registry(load_plugins=True)
    result = await run(registry, {"Resource": SYNC, "TimeoutSeconds": 60, "Parameters": submit(3600)})
    assert result["record"].error == "States.Timeout"
    adapter = registry.resolve(parse_resource(SYNC))
    assert isinstance(adapter, SyncAdapter)
    assert adapter.service.jobs["job-1"]["Status"] == "CANCELLED"  # type: ignore[attr-defined]


# -- the awaitable form and register_sync ---------------------------------------------------------


class Awaited:
    """Jobs whose completion is awaited: each takes ``Seconds`` of engine time."""

    def __init__(self) -> None:
        self.cancelled: list[Any] = []

    async def start(self, request: TaskRequest) -> Any:
        return {"Id": request.parameters["Id"], "Seconds": request.parameters["Seconds"]}

    async def wait(self, job: Any, request: TaskRequest) -> JobResult:
        clock = request.context.clock
        await clock.sleep_until(clock.now() + job["Seconds"])
        if job["Id"] == "boom":
            raise StatesError("Custom.Boom", "exploded")
        return JobResult({**job, "Done": True})

    async def cancel(self, job: Any, request: TaskRequest) -> None:
        self.cancelled.append(job["Id"])


async def test_an_awaitable_service_runs_through_register_sync():
    registry, service = Registry(), Awaited()
    register_sync(registry, "glue:startJobRun", service)
    state = {"Resource": "arn:aws:states:::glue:startJobRun.sync", "Parameters": {"Id": "a", "Seconds": 90}}
    result = await run(registry, state)
    assert result["output"] == {"Id": "a", "Seconds": 90, "Done": True}
    assert result["elapsed"] == 90
    plain = await run(registry, {**state, "Resource": "arn:aws:states:::glue:startJobRun"})
    assert plain["output"] == {"Id": "a", "Seconds": 90}


async def test_a_service_error_while_waiting_is_kept():
    registry = Registry()
    register_sync(registry, "glue:startJobRun", Awaited())
    state = {"Resource": "arn:aws:states:::glue:startJobRun.sync", "Parameters": {"Id": "boom", "Seconds": 1}}
    result = await run(registry, state)
    assert (result["record"].error, result["record"].cause) == ("Custom.Boom", "exploded")


async def test_a_stopped_execution_cancels_its_job():
    registry, service = Registry(), Awaited()
    register_sync(registry, "glue:startJobRun", service)
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True,
        "Parameters": {"Id": "long", "Seconds": 3600}}}}
    clock = VirtualClock(autojump=False)
    async with Engine(clock=clock, integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", definition)
        ex = await engine.start_execution(sm.arn, name="ex")
        while clock.pending == 0:  # the job is waiting on the engine clock
            await asyncio.sleep(0)
        await engine.stop_execution(ex.arn)
        record = await engine.wait(ex.arn)
    assert record.status == "ABORTED"
    assert service.cancelled == ["long"]



def test_a_service_with_neither_wait_nor_poll_is_refused():
    class StartOnly:
        async def start(self, request: TaskRequest) -> Any:
            return {}

    with pytest.raises(TypeError, match="neither wait"):
        SyncAdapter(StartOnly())  # type: ignore[arg-type]


# -- broken plug-ins -------------------------------------------------------------------------------

BROKEN = textwrap.dedent("""
    class NoInvoke:
        pass

    class StartOnly:
        async def start(self, request):
            return {}

    class Good:
        async def invoke(self, request):
            return "good"

    NOT_PAIRS = 42
    NOT_A_PAIR = [("a:b", Good(), "extra")]
    BAD_KEY = [(7, Good())]
    NO_INVOKE = {"a:b": NoInvoke()}
    START_ONLY = {"a:b": StartOnly()}
    MAPPING = {"good:one": Good()}

    def raising():
        raise RuntimeError("no config")
""")


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_plugins.py").write_text(BROKEN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_plugins", raising=False)


@pytest.mark.usefixtures("broken")
@pytest.mark.parametrize(("value", "problem"), [
    ("missing_module:x", "cannot be loaded: ModuleNotFoundError"),
    ("broken_plugins:missing", "cannot be loaded: AttributeError"),
    ("broken_plugins:raising", "its factory raised RuntimeError: no config"),
    ("broken_plugins:NOT_PAIRS", "expected a mapping or an iterable"),
    ("broken_plugins:NOT_A_PAIR", "expected a (resource key, integration) pair"),
    ("broken_plugins:BAD_KEY", "a resource key must be a non-empty string, got 7"),
    ("broken_plugins:NO_INVOKE", "'a:b': NoInvoke has no invoke() method"),
    ("broken_plugins:START_ONLY", "'a:b': StartOnly has start() but neither wait() nor poll()"),
])
def test_a_broken_plugin_is_a_clear_error_naming_its_entry_point(value: str, problem: str):
    point = EntryPoint(name="bad", value=value, group=ENTRY_POINT_GROUP)
    with pytest.raises(PluginError) as raised:
        load_entry_points(Registry(), points=[point])
    message = str(raised.value)
    assert message.startswith(f"Plug-in entry point 'bad = {value}' (group {ENTRY_POINT_GROUP}): ")
    assert problem in message
    assert raised.value.entry_point is point


@pytest.mark.usefixtures("broken")
def test_a_mapping_of_integrations_is_accepted():
    registry = Registry()
    point = EntryPoint(name="good", value="broken_plugins:MAPPING", group=ENTRY_POINT_GROUP)
    assert load_entry_points(registry, points=[point]) == ["good:one"]
