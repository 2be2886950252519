"""``sfnlocal run`` and the ``sfnlocal.run`` convenience behind it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import sfnlocal
from sfnlocal.cli import main

START_ISO = "2026-01-01T00:00:00+00:00"
WAIT_DAY = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "Next": "P"},
                                       "P": {"Type": "Pass", "Result": {"done": True},
                                             "ResultPath": "$.r", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "It broke"}}}


def write(tmp_path: Path, definition: Any, name: str = "machine.asl.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(definition) if not isinstance(definition, str) else definition)
    return str(path)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


# -- the command ------------------------------------------------------------------------------


def test_run_prints_the_output(tmp_path: Path) -> None:
    status, out, err = cli("run", write(tmp_path, WAIT_DAY), "--input", '{"a": 1}')
    assert (status, err) == (0, "")
    assert json.loads(out) == {"a": 1, "r": {"done": True}}


def test_run_without_input_uses_an_empty_object(tmp_path: Path) -> None:
    status, out, _ = cli("run", write(tmp_path, WAIT_DAY))
    assert status == 0 and json.loads(out) == {"r": {"done": True}}


def test_run_reads_input_from_a_file(tmp_path: Path) -> None:
    data = tmp_path / "input.json"
    data.write_text('{"from": "file"}')
    status, out, _ = cli("run", write(tmp_path, WAIT_DAY), "--input", f"@{data}")
    assert status == 0 and json.loads(out)["from"] == "file"


def test_run_failure_prints_error_and_cause(tmp_path: Path) -> None:
    status, out, err = cli("run", write(tmp_path, FAIL))
    assert (status, out, err) == (1, "", "Oops: It broke\n")


def test_run_timeout_names_states_timeout(tmp_path: Path) -> None:
    definition = {**WAIT_DAY, "TimeoutSeconds": 60}
    status, _, err = cli("run", write(tmp_path, definition))
    assert (status, err) == (1, "States.Timeout\n")


@pytest.mark.parametrize("bad", ["{not json", "", "[1,"])
def test_run_bad_input_json_exits_2(tmp_path: Path, bad: str) -> None:
    status, out, err = cli("run", write(tmp_path, WAIT_DAY), "--input", bad)
    assert status == 2 and out == ""
    assert err.startswith("sfnlocal run: the input is not valid JSON")


def test_run_missing_input_file_exits_2(tmp_path: Path) -> None:
    status, _, err = cli("run", write(tmp_path, WAIT_DAY), "--input", f"@{tmp_path / 'nope.json'}")
    assert status == 2 and "cannot read the input file" in err


def test_run_invalid_definition_exits_2_with_diagnostics(tmp_path: Path) -> None:
    # AWS: "SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /" (test_sfn_api case).
    path = write(tmp_path, {"StartAt": "State_1"})
    status, out, err = cli("run", path)
    assert status == 2 and out == ""
    assert err.startswith(f"{path}: ")
    assert "SCHEMA_VALIDATION_FAILED These fields are required: [States]" in err


def test_run_missing_definition_file_exits_2(tmp_path: Path) -> None:
    status, _, err = cli("run", str(tmp_path / "absent.asl.json"))
    assert status == 2 and "absent.asl.json" in err


def test_run_invalid_name_exits_2(tmp_path: Path) -> None:
    status, _, err = cli("run", write(tmp_path, WAIT_DAY), "--name", "a b")
    assert status == 2
    assert err == "sfnlocal run: InvalidName: Invalid Name: 'a b'\n"


def test_run_json_document(tmp_path: Path) -> None:
    status, out, _ = cli("run", write(tmp_path, WAIT_DAY), "--json", "--name", "n1",
                         "--input", '{"a": 1}')
    assert status == 0
    document = json.loads(out)
    assert set(document) == {"execution", "history"}
    execution = document["execution"]
    assert execution["name"] == "n1" and execution["status"] == "SUCCEEDED"
    assert execution["executionArn"].endswith(":execution:sfnlocal-run:n1")
    assert execution["startDate"] == START_ISO
    assert execution["stopDate"] == "2026-01-02T00:00:00+00:00"
    assert json.loads(execution["output"]) == {"a": 1, "r": {"done": True}}
    events = document["history"]["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered",
        "PassStateExited", "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[2]["timestamp"] == "2026-01-02T00:00:00+00:00"


def test_run_json_on_failure_exits_1(tmp_path: Path) -> None:
    status, out, err = cli("run", write(tmp_path, FAIL), "--json")
    assert (status, err) == (1, "")
    document = json.loads(out)
    assert document["execution"]["status"] == "FAILED"
    assert document["execution"]["error"] == "Oops"
    assert document["history"]["events"][-1]["type"] == "ExecutionFailed"


def test_run_yaml_definition(tmp_path: Path) -> None:
    yaml_text = "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: 42\n    End: true\n"
    status, out, _ = cli("run", write(tmp_path, yaml_text, "m.asl.yaml"))
    assert (status, out) == (0, "42\n")


def test_run_with_the_system_clock(tmp_path: Path) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    status, out, _ = cli("run", write(tmp_path, definition), "--clock", "system", "--input", "[1]")
    assert (status, out) == (0, "[1]\n")


def test_validate_and_graph_still_work(tmp_path: Path) -> None:
    path = write(tmp_path, WAIT_DAY)
    assert cli("validate", path) == (0, f"{path}: OK\n", "")
    status, out, _ = cli("graph", path)
    assert status == 0 and "W" in out and "P" in out


# -- sfnlocal.run -----------------------------------------------------------------------------


def test_run_api_returns_a_result() -> None:
    result = sfnlocal.run(WAIT_DAY, {"x": 1})
    assert result.succeeded and result.status == "SUCCEEDED"
    assert result.output == {"x": 1, "r": {"done": True}}
    assert (result.error, result.cause) == (None, None)
    assert result.execution["status"] == "SUCCEEDED"
    assert result.history[-1]["type"] == "ExecutionSucceeded"
    assert result.raise_for_status() is result


def test_run_api_failure_and_raise_for_status() -> None:
    result = sfnlocal.run(FAIL)
    assert (result.status, result.error, result.cause, result.output) == (
        "FAILED", "Oops", "It broke", None)
    with pytest.raises(sfnlocal.StatesError) as exc:
        result.raise_for_status()
    assert (exc.value.error, exc.value.cause) == ("Oops", "It broke")


def test_run_api_timeout_reports_states_timeout() -> None:
    result = sfnlocal.run({**WAIT_DAY, "TimeoutSeconds": 10})
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert "error" not in result.execution


def test_run_api_accepts_json_text_and_files(tmp_path: Path) -> None:
    text = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert sfnlocal.run(text, '"hello"').output == "hello"
    assert sfnlocal.run(write(tmp_path, text), [1, 2]).output == [1, 2]


def test_run_api_express_uses_start_sync_execution() -> None:
    result = sfnlocal.run(WAIT_DAY, {"x": 1}, type="EXPRESS")
    # An Express execution lasts at most five minutes: the day-long wait times out.
    assert result.status == "TIMED_OUT" and result.history == []
    assert ":express:sfnlocal-run:" in result.execution["executionArn"]
    assert "billingDetails" in result.execution


def test_run_api_with_a_clock_instance() -> None:
    clock = sfnlocal.VirtualClock(start=0.0)
    result = sfnlocal.run(WAIT_DAY, clock=clock, name="fixed")
    assert result.execution["name"] == "fixed"
    assert clock.now() == 86400
    with pytest.raises(ValueError):
        sfnlocal.run(WAIT_DAY, clock="sundial")  # type: ignore[arg-type]


def test_run_api_refuses_a_bad_definition() -> None:
    with pytest.raises(sfnlocal.InvalidDefinition):
        sfnlocal.run({"StartAt": "Nowhere", "States": {}})
