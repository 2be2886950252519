"""The server config file: loading, checking (file + JSON pointer), applying and reloading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sfnlocal.config import ConfigError, ConfigReloader, apply_config, load_config, parse_config
from sfnlocal.engine import Engine, EngineSettings, VirtualClock
from sfnlocal.integrations import Registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "definitions" / "local" / "sfnlocal.yaml"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
PASS2 = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
HANDLER = "def handler(event, context):\n    return {'n': event.get('n', 0) + %d}\n"


def engine() -> Engine:
    return Engine(clock=VirtualClock(), integrations=Registry(load_plugins=False),
                  settings=EngineSettings(seed=2))


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data))
    return path


async def run(eng: Engine, arn: str, input_: Any = None) -> Any:
    started = await eng.start_execution(arn, input_ if input_ is not None else {})
    return await eng.wait(started.arn)


# -- the bundled example -----------------------------------------------------------------------


async def test_the_bundled_example_loads_and_runs():
    config = load_config(EXAMPLE)
    assert [m.name for m in config.state_machines] == ["hello", "greeter"]
    async with engine() as eng:
        report = await ConfigReloader(eng, EXAMPLE).reload()
        assert report.created == {"stateMachines": ["hello", "greeter"], "functions": ["greet"],
                                  "queues": ["greetings"], "activities": ["review-greeting"],
                                  "mocks": ["mocks"]}
        record = await run(eng, SM + "greeter", {"name": "Ada"})
        assert record.status == "SUCCEEDED", record.cause
        output = json.loads(record.output)
        assert output["greeting"] == "Hello, Ada!"
        sqs = eng.integrations.sqs
        assert sqs is not None
        url = (await sqs.get_queue_url("greetings"))["QueueUrl"]
        attributes = (await sqs.get_queue_attributes(url, ["VisibilityTimeout"]))["Attributes"]
        assert attributes == {"VisibilityTimeout": "60"}
        [message] = (await sqs.receive_message(url))["Messages"]
        assert message["Body"] == "Hello, Ada!"
        assert output["sent"] == {"messageId": message["MessageId"]}
        described = (await eng.describe_state_machine(SM + "greeter")).to_aws()
        assert described["roleArn"] == "arn:aws:iam::123456789012:role/greeter"
        assert eng.tags.of(SM + "greeter") == {"example": "true"}
        assert (await eng.describe_activity(
            "arn:aws:states:us-east-1:123456789012:activity:review-greeting")).name == \
            "review-greeting"


async def test_the_bundled_mocks_answer_test_cases():
    async with engine() as eng:
        await ConfigReloader(eng, EXAMPLE).reload()
        loud = await run(eng, SM + "greeter#Shouting")
        assert json.loads(loud.output)["greeting"] == "HELLO!"
        retried = await run(eng, SM + "greeter#GreetFails")  # 3 throttles, 3 retries, then a Return
        assert json.loads(retried.output)["greeting"] == "Hello at last!"


# -- checking ----------------------------------------------------------------------------------


def error_of(data: Any, tmp_path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        parse_config(data, tmp_path, "cfg.yaml")
    return exc.value


@pytest.mark.parametrize(("data", "pointer", "words"), [
    ([], "", "must be a mapping"),
    ({"statemachines": []}, "/statemachines", "unknown key 'statemachines'"),
    ({"region": "mars"}, "/region", "must be a region name"),
    ({"account": 123}, "/account", "12-digit account id"),
    ({"state_machines": [{"name": "a b", "definition": PASS}]}, "/state_machines/0/name",
     "valid name"),
    ({"state_machines": [{"name": "a", "definition": PASS, "type": "FAST"}]},
     "/state_machines/0/type", "STANDARD or EXPRESS"),
    ({"state_machines": [{"name": "a", "definition": PASS, "roleArn": "x"}]},
     "/state_machines/0/roleArn", "unknown key 'roleArn'"),
    ({"state_machines": [{"name": "a", "definition": "missing.asl.json"}]},
     "/state_machines/0/definition", "cannot read"),
    ({"state_machines": [{"name": "a", "definition": {"StartAt": "X", "States": {}}}]},
     "/state_machines/0/definition", "Invalid State Machine Definition"),
    ({"state_machines": {"a": {"definition": PASS}, "b": {"definition": 3}}},
     "/state_machines/b/definition", "definition file path or an inline definition"),
    ({"state_machines": [{"name": "a", "definition": PASS}, {"name": "a", "definition": PASS}]},
     "/state_machines/1", "declared twice"),
    ({"state_machines": [{"name": "a", "definition": PASS, "tags": {"k": 1}}]},
     "/state_machines/0/tags", "strings to strings"),
    ({"functions": [{"name": "f", "handler": "h.handler", "timeout": 0}]}, "/functions/0",
     "timeout"),
    ({"functions": [{"name": "f", "handler": "no_such_module_xyz.handler", "mode": "in-process"}]},
     "/functions/0", "Unable to import module 'no_such_module_xyz'"),
    ({"queues": [{"name": "q", "attrs": {}}]}, "/queues/0/attrs", "unknown key 'attrs'"),
    ({"queues": "q"}, "/queues", "list of declarations"),
    ({"activities": ["ok", {"name": "bad name"}]}, "/activities/1/name", "valid name"),
    ({"mocks": {"MockedResponses": {"R": {"0": {}}}}}, "/mocks/MockedResponses/R/0",
     "exactly one of Return and Throw"),
])
def test_mistakes_name_the_file_and_json_pointer(data: Any, pointer: str, words: str,
                                                 tmp_path: Path):
    error = error_of(data, tmp_path)
    assert (error.source, error.pointer) == ("cfg.yaml", pointer)
    assert words in error.detail
    assert str(error).startswith(f"cfg.yaml: {pointer or '/'}: ")


def test_a_mock_file_error_names_the_mock_file(tmp_path: Path):
    write(tmp_path / "mocks.json", {"StateMachines": {"m": {"TestCases": {"t": {"S": "Nope"}}}}})
    error = error_of({"mocks": "mocks.json"}, tmp_path)
    assert error.source == str(tmp_path / "mocks.json")
    assert error.pointer == "/StateMachines/m/TestCases/t/S"


def test_unparsable_and_missing_files(tmp_path: Path):
    bad = tmp_path / "sfnlocal.yaml"
    bad.write_text("state_machines: [\n")
    with pytest.raises(ConfigError, match=r"sfnlocal.yaml: /: not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "absent.yaml")


def test_json_config_and_mapping_forms(tmp_path: Path):
    (tmp_path / "defs").mkdir()
    write(tmp_path / "defs" / "p.asl.json", PASS)
    path = write(tmp_path / "sfnlocal.json", {
        "state_machines": {"p": {"definition": "defs/p.asl.json", "type": "EXPRESS"}},
        "queues": {"jobs.fifo": {"attributes": {"FifoQueue": True}}},
        "activities": [{"name": "a", "tags": {"t": "1"}}]})
    config = load_config(path)
    assert config.state_machines[0].definition == PASS
    assert config.state_machines[0].type == "EXPRESS"
    assert config.queues[0].attributes == {"FifoQueue": "true"}
    assert config.activities[0].tags == {"t": "1"}


# -- applying and reloading --------------------------------------------------------------------


async def test_reload_creates_updates_and_keeps_running_executions(tmp_path: Path):
    (tmp_path / "fn.py").write_text(HANDLER % 1)
    base = {"state_machines": [{"name": "waits", "definition": WAIT},
                               {"name": "p", "definition": PASS}],
            "functions": [{"name": "add", "handler": "fn.handler", "code": "fn.py",
                           "mode": "in-process"}],
            "queues": [{"name": "jobs", "attributes": {"VisibilityTimeout": 30}}]}
    path = write(tmp_path / "sfnlocal.yaml", base)
    clock = VirtualClock(autojump=False)
    async with Engine(clock=clock, integrations=Registry(load_plugins=False)) as eng:
        reloader = ConfigReloader(eng, path)
        await reloader.reload()
        waiting = await eng.start_execution(SM + "waits")
        sqs = eng.integrations.sqs
        assert sqs is not None
        url = (await sqs.get_queue_url("jobs"))["QueueUrl"]
        await sqs.send_message(url, "queued before the reload")

        (tmp_path / "fn2.py").write_text(HANDLER % 100)
        changed = {**base,
                   "state_machines": [{"name": "waits", "definition": {**WAIT, "Comment": "v2"}},
                                      {"name": "p", "definition": PASS2, "tags": {"v": "2"}},
                                      {"name": "new", "definition": PASS}],
                   "functions": [{"name": "add", "handler": "fn2.handler", "code": "fn2.py",
                                  "mode": "in-process"}],
                   "queues": [{"name": "jobs", "attributes": {"VisibilityTimeout": 90}}],
                   "activities": ["act"]}
        write(path, changed)
        report = await reloader.reload()
        assert report.created == {"stateMachines": ["new"], "activities": ["act"]}
        assert report.updated == {"stateMachines": ["waits", "p"], "functions": ["add"],
                                  "queues": ["jobs"]}
        assert report.unchanged == {}
        again = await reloader.reload()
        assert again.created == again.updated == {}
        assert again.unchanged == {"stateMachines": ["waits", "p", "new"], "functions": ["add"],
                                   "queues": ["jobs"], "activities": ["act"]}

        p = await eng.describe_state_machine(SM + "p")
        assert json.loads(p.definition) == PASS2 and eng.tags.of(SM + "p") == {"v": "2"}
        assert (await eng.describe_execution(waiting.arn)).status == "RUNNING"
        attrs = (await sqs.get_queue_attributes(url, ["All"]))["Attributes"]
        assert attrs["VisibilityTimeout"] == "90" and attrs["ApproximateNumberOfMessages"] == "1"
        lambda_machine = {"StartAt": "L", "States": {"L": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:add",
            "End": True}}}
        await eng.create_state_machine("calls", lambda_machine)
        called = await eng.start_execution(SM + "calls", {"n": 1})
        assert json.loads((await eng.wait(called.arn)).output) == {"n": 101}
        clock.advance(60)
        assert (await eng.wait(waiting.arn)).status == "SUCCEEDED"


async def test_a_broken_reload_changes_nothing(tmp_path: Path):
    path = write(tmp_path / "sfnlocal.yaml", {"state_machines": [{"name": "p", "definition": PASS}]})
    async with engine() as eng:
        reloader = ConfigReloader(eng, path)
        await reloader.reload()
        write(path, {"state_machines": [{"name": "p", "definition": PASS2},
                                        {"name": "q", "definition": {"StartAt": "Nope"}}]})
        with pytest.raises(ConfigError) as exc:
            await reloader.reload()
        assert exc.value.source == str(path) and exc.value.pointer == "/state_machines/1/definition"
        assert json.loads((await eng.describe_state_machine(SM + "p")).definition) == PASS
        assert [m.name for m in await eng.list_state_machines()] == ["p"]
        assert reloader.current is not None and reloader.current.state_machines[0].definition == PASS


async def test_refusals_found_against_the_engine_change_nothing(tmp_path: Path):
    async with engine() as eng:
        await apply_config(eng, parse_config({"state_machines": [{"name": "p", "definition": PASS}],
                                              "queues": [{"name": "q"}]}))
        with pytest.raises(ConfigError, match="a type cannot change") as exc:
            await apply_config(eng, parse_config({
                "queues": [{"name": "new-queue"}],
                "state_machines": [{"name": "p", "definition": PASS, "type": "EXPRESS"}]}))
        assert exc.value.pointer == "/state_machines/0/type"
        sqs = eng.integrations.sqs
        assert sqs is not None
        assert (await sqs.list_queues()).get("QueueUrls") == [
            "https://sqs.us-east-1.amazonaws.com/123456789012/q"]
        with pytest.raises(ConfigError, match="VisibilityTimeout") as exc:
            await apply_config(eng, parse_config({
                "queues": [{"name": "q", "attributes": {"VisibilityTimeout": 99999}}]}))
        assert exc.value.pointer == "/queues/0"
        with pytest.raises(ConfigError, match="region change needs a restart"):
            await apply_config(eng, parse_config({"region": "eu-west-1"}))


async def test_region_and_account_of_the_engine_are_accepted():
    settings = EngineSettings(region="eu-west-1", account="111111111111")
    async with Engine(clock=VirtualClock(), settings=settings) as eng:
        report = await apply_config(eng, parse_config({
            "region": "eu-west-1", "account": "111111111111",
            "state_machines": [{"name": "p", "definition": PASS}]}))
        assert report.created == {"stateMachines": ["p"]}
        assert (await eng.list_state_machines())[0].arn == \
            "arn:aws:states:eu-west-1:111111111111:stateMachine:p"


async def test_mocks_are_swapped_on_reload(tmp_path: Path):
    lambda_machine = {"StartAt": "L", "States": {"L": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "End": True}}}

    def mocks(value: int) -> dict[str, Any]:
        return {"StateMachines": {"m": {"TestCases": {"t": {"L": "R"}}}},
                "MockedResponses": {"R": {"0": {"Return": value}}}}

    path = write(tmp_path / "sfnlocal.yaml", {
        "state_machines": [{"name": "m", "definition": lambda_machine}], "mocks": mocks(1)})
    async with engine() as eng:
        reloader = ConfigReloader(eng, path)
        await reloader.reload()
        assert json.loads((await run(eng, SM + "m#t")).output) == 1
        write(path, {"state_machines": [{"name": "m", "definition": lambda_machine}],
                     "mocks": mocks(2)})
        report = await reloader.reload()
        assert report.updated == {"mocks": ["mocks"]}
        assert json.loads((await run(eng, SM + "m#t")).output) == 2
