"""Declaring local Lambda functions in code and in YAML/JSON config files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.integrations import Registry
from sfnlocal.integrations.lambda_ import parse_function_name
from sfnlocal.integrations.lambda_config import (
    FunctionConfig,
    LambdaConfigError,
    load_functions,
    parse_functions,
    read_functions,
)

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"

CONFIG = """
functions:
  - name: shout
    handler: app.shout
    code: src
    timeout: 5
    memory: 512
    environment: {SUFFIX: "!", COUNT: 3}
  - name: echo
    handler: echo
    code: src/app.py
    mode: in-process
"""

APP = """
import os

def shout(event, context):
    return event.upper() + os.environ["SUFFIX"] * int(os.environ["COUNT"])

def echo(event, context):
    return {"echo": event, "remaining": context.get_remaining_time_in_millis()}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / "functions.yaml").write_text(CONFIG)
    return tmp_path


def test_a_yaml_file_declares_functions_with_paths_relative_to_it(project: Path):
    shout, echo = read_functions(project / "functions.yaml")
    assert shout.name == "shout"
    assert shout.code == project / "src"
    assert (shout.timeout, shout.memory, shout.mode) == (5, 512, "isolated")
    assert shout.environment == {"SUFFIX": "!", "COUNT": "3"}
    assert (echo.mode, echo.timeout, echo.memory) == ("in-process", 3.0, 128)


def test_a_json_file_and_a_mapping_of_names(tmp_path: Path):
    (tmp_path / "f.json").write_text(json.dumps({"functions": {"a": {"handler": "m.f"}}}))
    [config] = read_functions(tmp_path / "f.json", default_mode="in-process")
    assert (config.name, config.handler, config.mode) == ("a", "m.f", "in-process")


async def test_loaded_functions_run_through_the_engine(project: Path, registry: Registry):
    names = load_functions(project / "functions.yaml", registry)
    assert names == ["shout", "echo"]
    assert registry.lambdas.find(parse_function_name("shout")).pool is not None
    assert registry.lambdas.find(parse_function_name("echo")).pool is None
    states = {
        "S": {"Type": "Task", "Resource": ARN + "shout", "Next": "E"},
        "E": {"Type": "Task", "Resource": ARN + "echo", "End": True},
    }
    async with Engine(clock=VirtualClock(), settings=EngineSettings(seed=1),
                      integrations=registry) as engine:
        sm = await engine.create_state_machine("sm", {"StartAt": "S", "States": states})
        ex = await engine.start_execution(sm.arn, input='"hey"')
        record = await engine.wait(ex.arn)
    assert json.loads(record.output) == {"echo": "HEY!!!", "remaining": 3000}


@pytest.mark.parametrize(("fields", "message"), [
    ({"timeout": 901}, "'timeout' must be a number of seconds greater than 0 and at most 900"),
    ({"timeout": 0}, "'timeout'"),
    ({"memory": 127}, "'memory' must be an integer number of MB from 128 to 10240"),
    ({"memory": 10241}, "'memory'"),
    ({"mode": "thread"}, "'mode' must be 'in-process' or 'isolated'"),
    ({"environment": {"A": 1}}, "'environment'"),
    ({"max_workers": 0}, "'max_workers'"),
    ({"handler": ""}, "'handler'"),
])
def test_invalid_fields_are_named(fields: dict[str, Any], message: str):
    with pytest.raises(LambdaConfigError, match=message):
        FunctionConfig(**{"name": "f", "handler": "m.f", **fields})


def test_a_file_names_the_bad_declaration():
    with pytest.raises(LambdaConfigError, match=r"functions\[1\] \('b'\): .*'memory'"):
        parse_functions([{"name": "a", "handler": "m.f"},
                         {"name": "b", "handler": "m.f", "memory": 64}])
    with pytest.raises(LambdaConfigError, match=r"functions\[0\] has unknown fields: colour"):
        parse_functions({"functions": [{"name": "a", "handler": "m.f", "colour": "red"}]})
    with pytest.raises(LambdaConfigError, match="must be a list"):
        parse_functions({"functions": "nope"})


def test_handlers_that_cannot_be_found_fail_at_registration(tmp_path: Path, registry: Registry):
    with pytest.raises(LambdaConfigError, match=r"Function code .* does not exist"):
        registry.register_lambda("f", "app.handler", code=tmp_path / "missing", mode="isolated")
    with pytest.raises(LambdaConfigError, match=r"must be 'module\.function'"):
        registry.register_lambda("f", "handler")  # in-process (isolated: fails at invoke, as AWS)
    with pytest.raises(LambdaConfigError, match="Unable to import module 'no_such_module_x'"):
        registry.register_lambda("f", "no_such_module_x.handler")
    with pytest.raises(LambdaConfigError, match="cannot run isolated"):
        registry.register_lambda("f", lambda e, c: e, mode="isolated")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(LambdaConfigError, match="is not a zip archive"):
        registry.register_lambda("f", "handler.handler", code=tmp_path / "bad.zip")


async def test_a_top_level_function_runs_isolated_by_reference(registry: Registry):
    registry.register_lambda("f", json.dumps, mode="isolated")
    function = registry.lambdas.find(parse_function_name("f"))
    spec = function.pool.load_spec()
    assert spec.handler == "json.dumps"
